// The shared settings draft: the saved settings and the administrator's unsaved edits of them. The
// Settings and Setup views edit it; the designer preview and what-if views (issue 5) read
// `settingsDraft.draft`. Saving goes through the engine (validation, one history entry, portal reload).
import type { SaveOutcome } from "../bindings/SaveOutcome";
import type { Settings } from "../bindings/Settings";
import { backend } from "./backend";
import { changedKeys } from "./editor";

export const settingsDraft: { saved: Settings | null; draft: Settings | null } = $state({
  saved: null,
  draft: null,
});

function copy(settings: Settings): Settings {
  return JSON.parse(JSON.stringify(settings)) as Settings;
}

/** Loads the saved settings and resets the draft to them. */
export async function loadSettings(): Promise<void> {
  const saved = await backend.getSettings();
  settingsDraft.saved = saved;
  settingsDraft.draft = copy(saved);
}

/** True when the draft differs from the saved settings. */
export function isDirty(): boolean {
  return changedKeys(settingsDraft.saved, settingsDraft.draft).length > 0;
}

/** Saves the draft (refused with the engine's FieldErrors when invalid); on success the draft is reset. */
export async function saveDraft(): Promise<SaveOutcome | null> {
  if (!settingsDraft.draft) return null;
  const outcome = await backend.saveSettings($state.snapshot(settingsDraft.draft));
  if (outcome.saved) adoptSaved(outcome.settings);
  return outcome;
}

/** Takes settings saved elsewhere (enable switch, undo) as the new baseline, dropping the draft. */
export function adoptSaved(settings: Settings): void {
  settingsDraft.saved = settings;
  settingsDraft.draft = copy(settings);
}

/** Throws the unsaved edits away. */
export function discardDraft(): void {
  if (settingsDraft.saved) settingsDraft.draft = copy(settingsDraft.saved);
}
