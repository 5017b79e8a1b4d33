// The previewer's choices (page, contact, ticket, list view, layout and width, tab, template), kept at
// module level so that they survive navigating to another view and back within the session. They belong
// to one workspace: opening another one starts afresh. "Act as this contact" is deliberately not kept
// here: leaving the previewer switches writing off again.
import type { PageKind } from "../bindings/PageKind";
import type { View } from "../bindings/View";
import { PREVIEW_PAGES, TEMPLATE_NAMES } from "./designer";
import type { Zoom } from "./preview-frame";

export const PREVIEW_WIDTHS = [1280, 768, 390] as const;

export interface PreviewChoices {
  /** The workspace (path) these choices were made in; null before one is known. */
  workspace: string | null;
  page: PageKind;
  /** The contact's email; null previews with example data. */
  contact: string | null;
  search: string;
  /** The ticket page's ticket; null takes the contact's first visible ticket. */
  ticket: string | null;
  view: View | null;
  layout: "side" | "single";
  width: number;
  /** How large the frames are drawn: fitted to the stage, or at 100 % / 50 % (the stage scrolls). */
  zoom: Zoom;
  tab: "page" | "design" | "explain";
  /** The template open in the design tab. */
  template: string;
}

function initial(workspace: string | null): PreviewChoices {
  return {
    workspace,
    page: "list",
    contact: null,
    search: "",
    ticket: null,
    view: null,
    layout: "single",
    width: PREVIEW_WIDTHS[0],
    zoom: "fit",
    tab: "page",
    template: "list",
  };
}

export const previewChoices: PreviewChoices = $state(initial(null));

/** Back to the first-visit choices, for `workspace`. */
export function resetPreview(workspace: string | null): void {
  Object.assign(previewChoices, initial(workspace));
}

/**
 * Ties the choices to the open workspace (its path): the choices made in another workspace are dropped.
 * An unknown workspace (null, before the first load) changes nothing.
 */
export function forWorkspace(path: string | null): void {
  if (path === null || previewChoices.workspace === path) return;
  resetPreview(path);
}

/** Previews as the contact with `email` (null: example data); the ticket and view start over. */
export function pickContact(email: string | null): void {
  previewChoices.contact = email;
  previewChoices.ticket = null;
  previewChoices.view = null;
}

/** Previews page `id` and opens its template in the design tab. */
export function pickPage(id: PageKind): void {
  previewChoices.page = id;
  const entry = PREVIEW_PAGES.find((p) => p.id === id);
  // "Not available" is drawn by the shared message template, which is not editable: keep the editor's.
  if (entry && TEMPLATE_NAMES.includes(entry.template)) previewChoices.template = entry.template;
}

/** Drops a chosen contact the workspace no longer has (e.g. the same file was re-created). */
export function keepKnownContact(emails: readonly string[]): void {
  if (previewChoices.contact !== null && !emails.includes(previewChoices.contact)) pickContact(null);
}

/** One frame at `width`, or all widths side by side. */
export function showWidth(width: number | "side"): void {
  if (width === "side") {
    previewChoices.layout = "side";
  } else {
    previewChoices.layout = "single";
    previewChoices.width = width;
  }
}

/** The frame widths to show. */
export function frameWidths(choices: Pick<PreviewChoices, "layout" | "width">): number[] {
  return choices.layout === "side" ? [...PREVIEW_WIDTHS] : [choices.width];
}
