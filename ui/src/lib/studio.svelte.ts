// App-wide state: the open workspace, a running long job (with cancel), and the last notice (shown as a
// toast by app/Notices.svelte: over the window, so it never pushes a form under the pointer).
import { toast } from "svelte-sonner";
import type { WorkspaceInfo } from "../bindings/WorkspaceInfo";
import { backend, errorMessage, isCancelled } from "./backend";
import { reloadSettings } from "./draft.svelte";

export const studio: {
  info: WorkspaceInfo | null;
  error: string | null;
  busy: { label: string; cancellable: boolean } | null;
  notice: { kind: "ok" | "error"; text: string } | null;
  /** Bumped whenever the workspace or its settings change, so views reload. */
  revision: number;
} = $state({ info: null, error: null, busy: null, notice: null, revision: 0 });

/** For a cancellable read (`cancel_reads`): true when the user stopped it; any other failure is shown. */
export function stoppedOrReported(e: unknown): boolean {
  if (isCancelled(e)) return true;
  notify("error", errorMessage(e));
  return false;
}

/** Shows a notice as a toast; confirmations fade after a while, errors stay until dismissed. One notice
 * at a time: a new one replaces the last (the same toast id). */
export function notify(kind: "ok" | "error", text: string): void {
  studio.notice = { kind, text };
  const options = { id: "notice", class: `notice ${kind}`, onDismiss: () => (studio.notice = null) };
  if (kind === "ok") toast.success(text, { ...options, duration: 8000 });
  else toast.error(text, { ...options, duration: Number.POSITIVE_INFINITY });
}

/** Re-reads the open workspace (info and settings) and tells views to reload. */
export async function refresh(): Promise<void> {
  try {
    studio.info = await backend.workspaceInfo();
    studio.error = null;
    await reloadSettings();
  } catch (e) {
    studio.error = errorMessage(e);
  }
  studio.revision += 1;
}

/** Runs a long job with the progress overlay; errors become a notice and leave everything as it was
 * (a job the user cancelled says so as a confirmation, not as an error). */
export async function runLong<T>(
  label: string,
  cancellable: boolean,
  job: () => Promise<T>,
): Promise<T | null> {
  studio.busy = { label, cancellable };
  try {
    return await job();
  } catch (e) {
    notify(isCancelled(e) ? "ok" : "error", errorMessage(e));
    return null;
  } finally {
    studio.busy = null;
  }
}
