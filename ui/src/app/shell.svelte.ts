// The shell's own state, shared by its parts (App.svelte lays them out): which section is shown, and
// an action waiting for the answer to "save the unsaved settings first?" (asked by UnsavedDialog).
import { backend, errorMessage } from "../lib/backend";
import { discardDraft, isDirty, saveDraft } from "../lib/draft.svelte";
import type { SectionId } from "../lib/sections";
import { notify } from "../lib/studio.svelte";

/** Something the user asked for that would drop the unsaved settings. */
export interface PendingAction {
  /** Completes "Save them before you …?", e.g. "open another workspace". */
  what: string;
  go: () => void | Promise<void>;
}

export const shell: { active: SectionId; pending: PendingAction | null } = $state({
  active: "workspace",
  pending: null,
});

/** Runs `go` now, or after asking when the settings draft has unsaved changes. */
export function guarded(what: string, go: () => void | Promise<void>): void {
  if (isDirty()) shell.pending = { what, go };
  else void go();
}

/** Shows a section; leaving the settings editor with unsaved changes asks first. */
export function navigate(id: SectionId): void {
  if (id === shell.active) return;
  if (shell.active === "settings")
    guarded("leave the settings editor", () => {
      shell.active = id;
    });
  else shell.active = id;
}

/** The user's answer to the unsaved-settings question: the pending action runs unless they stay or
 * the save is refused (then the settings editor shows what to fix). */
export async function answerUnsaved(choice: "save" | "discard" | "stay"): Promise<void> {
  const action = shell.pending;
  shell.pending = null;
  if (!action || choice === "stay") return;
  if (choice === "save") {
    try {
      const outcome = await saveDraft();
      if (!outcome?.saved) {
        shell.active = "settings";
        notify("error", "Not saved: fix the fields marked in red first.");
        return;
      }
    } catch (e) {
      notify("error", errorMessage(e));
      return;
    }
  } else {
    discardDraft();
  }
  await action.go();
}

/** Opens the running customer portal in the user's browser (toolbar button and status-bar link). */
export async function viewPortal(): Promise<void> {
  try {
    const url = await backend.openPortal();
    notify("ok", `Opened ${url} in your browser.`);
  } catch (e) {
    notify("error", errorMessage(e));
  }
}
