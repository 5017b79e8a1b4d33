// The one settings draft: the saved settings and the administrator's unsaved edits of them, shared by
// Settings, Design, Preview and Visibility (its what-if compares the draft with the saved settings). The
// shell's draft bar (app/DraftBar.svelte) shows what it changes, validates it, and saves or discards it
// as a whole; leaving a view keeps it. Saving goes through the engine (validation, one history entry,
// portal reload).
import type { FieldError } from "../bindings/FieldError";
import type { SaveOutcome } from "../bindings/SaveOutcome";
import type { Settings } from "../bindings/Settings";
import { backend } from "./backend";
import { draftChanges, rebase, revertPath, type DraftChange } from "./changes";

export const settingsDraft: {
  saved: Settings | null;
  draft: Settings | null;
  /** The engine's problems with the draft (empty = it can be saved), kept current by the draft bar. */
  errors: FieldError[];
  /** True while the engine checks the latest edit. */
  validating: boolean;
} = $state({
  saved: null,
  draft: null,
  errors: [],
  validating: false,
});

function copy(settings: Settings): Settings {
  return JSON.parse(JSON.stringify(settings)) as Settings;
}

/** Loads the saved settings and resets the draft to them. */
export async function loadSettings(): Promise<void> {
  const saved = await backend.getSettings();
  adoptSaved(saved);
}

/** Loads the saved settings and keeps the unsaved edits on top of them: a refresh after a change made
 * elsewhere (the enable switch, an undo) must not lose a draft started in another view. */
export async function reloadSettings(): Promise<void> {
  const saved = await backend.getSettings();
  keepDraftOver(saved);
}

/** Takes `saved` as the new baseline with the draft's changes carried over onto it. */
export function keepDraftOver(saved: Settings): void {
  const [before, draft] = [settingsDraft.saved, settingsDraft.draft];
  if (!before || !draft || !isDirty()) {
    adoptSaved(saved);
    return;
  }
  settingsDraft.draft = rebase($state.snapshot(before), $state.snapshot(draft), saved);
  settingsDraft.saved = saved;
}

/** What the draft changes, labelled as the editor labels the fields. */
export function unsavedChanges(): DraftChange[] {
  return draftChanges(settingsDraft.saved, settingsDraft.draft);
}

/** True when the draft differs from the saved settings. */
export function isDirty(): boolean {
  return unsavedChanges().length > 0;
}

/** Saves the draft (refused with the engine's FieldErrors when invalid); on success the draft is reset. */
export async function saveDraft(): Promise<SaveOutcome | null> {
  if (!settingsDraft.draft) return null;
  const outcome = await backend.saveSettings($state.snapshot(settingsDraft.draft));
  if (outcome.saved) adoptSaved(outcome.settings);
  else settingsDraft.errors = outcome.errors;
  return outcome;
}

/** Takes settings saved elsewhere (enable switch, undo) as the new baseline, dropping the draft. */
export function adoptSaved(settings: Settings): void {
  settingsDraft.saved = settings;
  settingsDraft.draft = copy(settings);
  settingsDraft.errors = [];
}

/** Throws all the unsaved edits away, whichever view made them. */
export function discardDraft(): void {
  if (settingsDraft.saved) settingsDraft.draft = copy(settingsDraft.saved);
  settingsDraft.errors = [];
}

/** Takes back one unsaved change (a path from `unsavedChanges`), keeping the others. */
export function revertChange(path: string): void {
  if (settingsDraft.saved && settingsDraft.draft) revertPath(settingsDraft.saved, settingsDraft.draft, path);
}
