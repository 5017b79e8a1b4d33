// Thin typed wrappers around the Tauri commands exposed by ../src-tauri. Every call the UI makes
// into the shell goes through here, so the command names and payload types live in one place.
// All argument and result types are generated from Rust (ui/src/bindings, by ts-rs).
import { invoke, isTauri } from "@tauri-apps/api/core";
import type { ChecklistItem } from "../bindings/ChecklistItem";
import type { ContactChoice } from "../bindings/ContactChoice";
import type { CommandError } from "../bindings/CommandError";
import type { CompanyRow } from "../bindings/CompanyRow";
import type { CustomerRow } from "../bindings/CustomerRow";
import type { Engagement } from "../bindings/Engagement";
import type { FieldError } from "../bindings/FieldError";
import type { HistoryEntry } from "../bindings/HistoryEntry";
import type { ImportStatus } from "../bindings/ImportStatus";
import type { InboxItem } from "../bindings/InboxItem";
import type { OutboxEmail } from "../bindings/OutboxEmail";
import type { PulledSummary } from "../bindings/PulledSummary";
import type { PullRequest } from "../bindings/PullRequest";
import type { PullSetup } from "../bindings/PullSetup";
import type { PullStatus } from "../bindings/PullStatus";
import type { SaveOutcome } from "../bindings/SaveOutcome";
import type { Settings } from "../bindings/Settings";
import type { SettingsOptions } from "../bindings/SettingsOptions";
import type { SignInEmail } from "../bindings/SignInEmail";
import type { TablePage } from "../bindings/TablePage";
import type { TableQuery } from "../bindings/TableQuery";
import type { WorkspaceInfo } from "../bindings/WorkspaceInfo";

/** True when running inside the Portal Studio window (false under `vite dev` in a browser). */
export const inDesktopShell: boolean = isTauri();

/** The shell's crate version (`app_version` command), or null outside the desktop shell. */
export async function appVersion(): Promise<string | null> {
  if (!inDesktopShell) return null;
  return invoke<string>("app_version");
}

/** True when `error` is a command's refusal (`CommandError`: `{ kind, message }`) rather than a JS error. */
export function isCommandError(error: unknown): error is CommandError {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { kind?: unknown }).kind === "string" &&
    typeof (error as { message?: unknown }).message === "string"
  );
}

/** True when the user stopped the command (`cancel_work`, `cancel_reads`): nothing went wrong. */
export function isCancelled(error: unknown): boolean {
  return isCommandError(error) && error.kind === "cancelled";
}

/** A failed call's message, for people: a command's own message, or a JS error's. */
export function errorMessage(error: unknown): string {
  if (isCommandError(error)) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export const backend = {
  workspaceInfo: () => invoke<WorkspaceInfo>("workspace_info"),
  newWorkspace: (path: string, demo: boolean) => invoke<WorkspaceInfo>("new_workspace", { path, demo }),
  openWorkspace: (path: string) => invoke<WorkspaceInfo>("open_workspace", { path }),
  importBundle: (bundle: string, destination: string) =>
    invoke<WorkspaceInfo>("import_bundle", { bundle, destination }),
  exportBundle: (path: string) => invoke<null>("export_bundle", { path }),
  cancelWork: () => invoke<boolean>("cancel_work"),
  /** Stops the matrices being computed (Customers, Visibility, the audit CSV). */
  cancelReads: () => invoke<boolean>("cancel_reads"),
  /** How far the running import is (null when none runs). */
  workProgress: () => invoke<ImportStatus | null>("work_progress"),
  /** The pull dialog's target (`target`, else the open workspace), keychain and interrupted pull. */
  pullSetup: (target: string | null, apiBase: string) => invoke<PullSetup>("pull_setup", { target, apiBase }),
  /** Pulls the help desk; the token goes with this call only. Resolves when the pull ends. */
  startPull: (request: PullRequest) => invoke<PulledSummary>("start_pull", { request }),
  /** Where the running pull stands (null when none runs). */
  pullProgress: () => invoke<PullStatus | null>("pull_progress"),
  cancelPull: () => invoke<boolean>("cancel_pull"),
  /** Removes the token saved in the system keychain for `apiBase`. */
  forgetPullToken: (apiBase: string) => invoke<null>("forget_pull_token", { apiBase }),
  portalUrl: () => invoke<string>("portal_url"),
  /** Opens the folder of the app's log files in the file manager; resolves to its path. */
  openLog: () => invoke<string>("open_log_folder"),
  openPortal: () => invoke<string>("open_portal"),
  getSettings: () => invoke<Settings>("get_settings"),
  settingsOptions: () => invoke<SettingsOptions>("settings_options"),
  validateSettings: (draft: Settings) => invoke<FieldError[]>("validate_settings", { draft }),
  checklist: (draft: Settings | null) => invoke<ChecklistItem[]>("checklist", { draft }),
  saveSettings: (draft: Settings) => invoke<SaveOutcome>("save_settings", { draft }),
  setEnabled: (enabled: boolean) => invoke<SaveOutcome>("set_enabled", { enabled }),
  history: () => invoke<HistoryEntry[]>("history"),
  undo: (entry: number) => invoke<SaveOutcome>("undo", { entry }),
  /** One window of the contacts (`refresh`: compute them again first) with the counts of all. */
  customerPage: (refresh: boolean, query: TableQuery) =>
    invoke<TablePage<CustomerRow>>("customer_page", { refresh, query }),
  customerCompanies: () => invoke<CompanyRow[]>("customer_companies"),
  /** An invitation, or a password reset for a contact with a login, into the outbox. */
  sendSignInEmail: (contact: string) => invoke<SignInEmail>("send_sign_in_email", { contact }),
  /** Lifts the contact's lock after repeated failed sign-ins; true when there were failures to forget. */
  unlockContact: (contact: string) => invoke<boolean>("unlock_contact", { contact }),
  /** Every contact (name, email, company), sorted by name: cheap, for pickers. */
  contactChoices: () => invoke<ContactChoice[]>("contact_choices"),
  outbox: () => invoke<OutboxEmail[]>("outbox"),
  inbox: () => invoke<InboxItem[]>("inbox"),
  ticketTimeline: (ticket: string) => invoke<Engagement[]>("ticket_timeline", { ticket }),
  contactTimeline: (contact: string) => invoke<Engagement[]>("contact_timeline", { contact }),
};
