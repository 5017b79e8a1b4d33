import { beforeEach, describe, expect, it, vi } from "vitest";
import type { SaveOutcome } from "../bindings/SaveOutcome";
import type { Settings } from "../bindings/Settings";
import { backend } from "../lib/backend";
import { settingsDraft } from "../lib/draft.svelte";
import { studio } from "../lib/studio.svelte";
import { answerConfirm, answerUnsaved, confirmFirst, guarded, navigate, shell } from "./shell.svelte";

vi.mock("../lib/backend", () => ({
  backend: { saveSettings: vi.fn() },
  errorMessage: (e: unknown) => String(e),
  isCancelled: () => false,
}));

const saved = { page_title: "Help", domain: null } as unknown as Settings;

/** The administrator has typed a new portal title in the settings editor without saving it. */
function editingUnsaved(): void {
  settingsDraft.saved = saved;
  settingsDraft.draft = { ...saved, page_title: "Help Centre" };
  shell.active = "settings";
}

describe("the shell's navigation and unsaved-settings guard", () => {
  beforeEach(() => {
    settingsDraft.saved = saved;
    settingsDraft.draft = { ...saved };
    shell.active = "workspace";
    shell.pending = null;
    studio.notice = null;
    vi.mocked(backend.saveSettings).mockReset();
  });

  it("switches sections at once when nothing is unsaved", () => {
    navigate("settings");
    navigate("outbox");
    expect(shell.active).toBe("outbox");
    expect(shell.pending).toBeNull();
  });

  it("keeps the unsaved draft when the user moves to another view, without asking", () => {
    editingUnsaved();
    navigate("visibility");
    expect(shell.active).toBe("visibility");
    expect(shell.pending).toBeNull();
    expect(settingsDraft.draft?.page_title).toBe("Help Centre");
  });

  it("asks before another workspace would drop the draft, and Keep editing keeps it", async () => {
    editingUnsaved();
    const go = vi.fn();
    guarded("open another workspace", go);
    expect(shell.pending?.what).toBe("open another workspace");
    await answerUnsaved("stay");
    expect(go).not.toHaveBeenCalled();
    expect(settingsDraft.draft?.page_title).toBe("Help Centre");
  });

  it("Discard changes drops the edits and goes on with the action", async () => {
    editingUnsaved();
    const go = vi.fn();
    guarded("open another workspace", go);
    await answerUnsaved("discard");
    expect(go).toHaveBeenCalledOnce();
    expect(settingsDraft.draft?.page_title).toBe("Help");
  });

  it("a save the engine refuses stays in the settings editor and says why", async () => {
    editingUnsaved();
    const refused: SaveOutcome = { saved: false, entry: null, errors: [], settings: saved };
    vi.mocked(backend.saveSettings).mockResolvedValue(refused);
    const go = vi.fn();
    guarded("open another workspace", go);
    await answerUnsaved("save");
    expect(go).not.toHaveBeenCalled();
    expect(shell.active).toBe("settings");
    expect(studio.notice?.text).toBe("Not saved: fix the fields marked in red first.");
  });

  it("a successful save goes on with the action", async () => {
    editingUnsaved();
    const accepted: SaveOutcome = {
      saved: true,
      entry: 7,
      errors: [],
      settings: { ...saved, page_title: "Help Centre" },
    };
    vi.mocked(backend.saveSettings).mockResolvedValue(accepted);
    const go = vi.fn();
    guarded("open another workspace", go);
    expect(go).not.toHaveBeenCalled();
    await answerUnsaved("save");
    expect(go).toHaveBeenCalledOnce();
    expect(settingsDraft.saved?.page_title).toBe("Help Centre");
  });

  it("runs a confirmed action only on yes", async () => {
    const go = vi.fn();
    confirmFirst({ title: "Turn the live portal off?", message: "m", confirm: "Turn off", go });
    expect(shell.confirming?.title).toBe("Turn the live portal off?");
    await answerConfirm(false);
    expect(go).not.toHaveBeenCalled();
    expect(shell.confirming).toBeNull();
    confirmFirst({ title: "t", message: "m", confirm: "Turn off", go });
    await answerConfirm(true);
    expect(go).toHaveBeenCalledOnce();
  });
});
