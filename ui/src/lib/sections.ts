import { slugify } from "./format";

export interface Section {
  /** Stable identifier used for navigation state and `data-section` attributes. */
  id: string;
  label: string;
  /** One-line description shown as a tooltip and under the pane heading. */
  summary: string;
}

const definitions: ReadonlyArray<Omit<Section, "id">> = [
  { label: "Workspace", summary: "The portal workspace file this studio is editing." },
  { label: "Setup checklist", summary: "What is left to configure before the portal goes live." },
  { label: "Settings", summary: "Portal name, branding, sign-in and email settings." },
  { label: "Customers", summary: "People and organisations who can sign in to the portal." },
  { label: "Outbox", summary: "Email the portal would have sent." },
  { label: "Inbox", summary: "Replies and new requests arriving by email." },
  { label: "Preview", summary: "The customer-facing portal, as a customer sees it." },
  { label: "Visibility", summary: "Who can see which requests and articles." },
];

export const SECTIONS: ReadonlyArray<Section> = definitions.map((d) => ({ ...d, id: slugify(d.label) }));
