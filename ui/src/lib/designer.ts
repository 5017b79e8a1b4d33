// Typed wrappers for the designer, simulated-login and visibility commands (issue 5). Argument and result
// types are generated from Rust into ../bindings.
import { invoke } from "@tauri-apps/api/core";
import type { AuditRow } from "../bindings/AuditRow";
import type { Branding } from "../bindings/Branding";
import type { ContactView } from "../bindings/ContactView";
import type { ContrastWarning } from "../bindings/ContrastWarning";
import type { Image } from "../bindings/Image";
import type { ChangeRow } from "../bindings/ChangeRow";
import type { ImpactOverview } from "../bindings/ImpactOverview";
import type { PreviewRequest } from "../bindings/PreviewRequest";
import type { PreviewResult } from "../bindings/PreviewResult";
import type { Settings } from "../bindings/Settings";
import type { TablePage } from "../bindings/TablePage";
import type { TableQuery } from "../bindings/TableQuery";
import type { View } from "../bindings/View";

export const designer = {
  previewPage: (draft: Settings, request: PreviewRequest) =>
    invoke<PreviewResult>("preview_page", { draft, request }),
  /** Opens the draft's preview in the system browser at true size; resolves to its loopback address. */
  openInBrowser: (draft: Settings, request: PreviewRequest) =>
    invoke<string>("open_preview_in_browser", { draft, request }),
  shippedTemplate: (name: string) => invoke<string>("shipped_template", { name }),
  contrastWarnings: (branding: Branding) => invoke<ContrastWarning[]>("contrast_warnings", { branding }),
  checkImage: (field: string, image: Image) => invoke<string[]>("check_image", { field, image }),
  replyAs: (contact: string, ticket: string, text: string) =>
    invoke<string>("reply_as", { contact, ticket, text }),
  submitFormAs: (contact: string, values: Record<string, string>) =>
    invoke<string>("submit_form_as", { contact, values }),
  exportAuditCsv: (path: string) => invoke<null>("export_audit_csv", { path }),
  /** One window of the saved settings' matrix (`refresh`: take it again first) with the counts of all. */
  matrixPage: (refresh: boolean, query: TableQuery) =>
    invoke<TablePage<AuditRow>>("matrix_page", { refresh, query }),
  /** The what-if of `draft`, counts by change kind first; the rows come from `whatIfChanges`. */
  whatIfOverview: (draft: Settings) => invoke<ImpactOverview>("what_if_overview", { draft }),
  whatIfChanges: (query: TableQuery) => invoke<TablePage<ChangeRow>>("what_if_changes", { query }),
  prepareWhatIf: () => invoke<null>("prepare_what_if"),
  explainContact: (draft: Settings, contact: string, view: View | null) =>
    invoke<ContactView>("explain_contact", { draft, contact, view }),
};

/** Pages the previewer offers and the templates a designer may edit: generated from the engine. */
export { PAGES as PREVIEW_PAGES, TEMPLATE_NAMES } from "../bindings/pages";

/** Calls `run` at most once per `ms` after the last call (the preview's ~100 ms debounce). */
export function debounce(run: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
}
