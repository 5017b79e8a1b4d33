// The admin UI's sections. A section's id is its navigation key: the active-view state, the sidebar's
// `data-section` attribute (which the window tests click) and the key of its view in App.svelte. Its
// label and summary are display text only, so they can be reworded without moving anything.

/** Every section of the admin UI. A view must exist for each (App.svelte's `Record<SectionId, …>`). */
export type SectionId =
  | "workspace"
  | "setup-checklist"
  | "settings"
  | "history"
  | "customers"
  | "outbox"
  | "inbox"
  | "preview"
  | "visibility";

export interface SectionText {
  label: string;
  /** One-line description shown as a tooltip and under the pane heading. */
  summary: string;
}

export interface Section extends SectionText {
  id: SectionId;
}

/** Each section's text, in sidebar order (the order of the keys). */
export const SECTION_TEXT: Readonly<Record<SectionId, SectionText>> = {
  workspace: { label: "Workspace", summary: "The portal workspace file this studio is editing." },
  "setup-checklist": {
    label: "Setup checklist",
    summary: "What is left to configure before the portal goes live.",
  },
  settings: { label: "Settings", summary: "Every portal setting, validated by the engine as you type." },
  history: { label: "History", summary: "Who changed which setting and when; any change can be undone." },
  customers: {
    label: "Customers",
    summary: "Contacts and companies, their lists, tickets and whether they can sign in.",
  },
  outbox: {
    label: "Outbox",
    summary: "Every email the portal sent: invitations, password resets, reply notifications.",
  },
  inbox: {
    label: "Inbox",
    summary: "Messages customers sent from the portal, per inbox, with ticket and contact timelines.",
  },
  preview: {
    label: "Preview",
    summary: "Any portal page as a chosen contact, with the unsaved branding and template edits.",
  },
  visibility: {
    label: "Visibility",
    summary: "Who can sign in and see which tickets; what the unsaved draft would change.",
  },
};

/** The sidebar's entries for the given texts: the ids are fixed whatever the texts say. */
export function sidebarSections(text: Readonly<Record<SectionId, SectionText>>): Section[] {
  return (Object.keys(SECTION_TEXT) as SectionId[]).map((id) => ({ id, ...text[id] }));
}

export const SECTIONS: readonly Section[] = sidebarSections(SECTION_TEXT);
