import { slugify } from "./format";

export interface Section {
  /** Stable identifier used for navigation state and `data-section` attributes. */
  id: string;
  label: string;
  /** One-line description shown as a tooltip and under the pane heading. */
  summary: string;
}

const definitions: readonly Omit<Section, "id">[] = [
  { label: "Workspace", summary: "The portal workspace file this studio is editing." },
  { label: "Setup checklist", summary: "What is left to configure before the portal goes live." },
  { label: "Settings", summary: "Every portal setting, validated by the engine as you type." },
  { label: "History", summary: "Who changed which setting and when; any change can be undone." },
  {
    label: "Customers",
    summary: "Contacts and companies, their lists, tickets and whether they can sign in.",
  },
  {
    label: "Outbox",
    summary: "Every email the portal sent: invitations, password resets, reply notifications.",
  },
  {
    label: "Inbox",
    summary: "Messages customers sent from the portal, per inbox, with ticket and contact timelines.",
  },
  {
    label: "Preview",
    summary: "Any portal page as a chosen contact, with the unsaved branding and template edits.",
  },
  {
    label: "Visibility",
    summary: "Who can sign in and see which tickets; what the unsaved draft would change.",
  },
];

export const SECTIONS: readonly Section[] = definitions.map((d) => ({ ...d, id: slugify(d.label) }));
