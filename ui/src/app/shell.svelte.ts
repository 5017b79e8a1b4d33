// The shell's own state, shared by its parts (App.svelte lays them out): which section is shown, an
// action waiting for the answer to "save the unsaved settings first?" (asked by UnsavedDialog before the
// draft would be lost: another workspace, closing the window), and an action waiting for a confirmation
// (asked by ConfirmDialog). Moving between views keeps the draft: the draft bar shows it everywhere.
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

/** Something that needs a yes before it runs (turning the live portal off). */
export interface Confirmation {
  title: string;
  message: string;
  /** The confirming button's text, e.g. "Turn the portal off". */
  confirm: string;
  go: () => void | Promise<void>;
}

export const shell: {
  active: SectionId;
  pending: PendingAction | null;
  confirming: Confirmation | null;
} = $state({
  active: "workspace",
  pending: null,
  confirming: null,
});

/** Asks `confirmation` and runs its action on yes. */
export function confirmFirst(confirmation: Confirmation): void {
  shell.confirming = confirmation;
}

/** The answer to the confirmation: the action runs on yes only. */
export async function answerConfirm(yes: boolean): Promise<void> {
  const asked = shell.confirming;
  shell.confirming = null;
  if (asked && yes) await asked.go();
}

/** Runs `go` now, or after asking when the settings draft has unsaved changes. */
export function guarded(what: string, go: () => void | Promise<void>): void {
  if (isDirty()) shell.pending = { what, go };
  else void go();
}

/** Shows a section. The unsaved draft goes along: every view works on the same one. */
export function navigate(id: SectionId): void {
  shell.active = id;
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
