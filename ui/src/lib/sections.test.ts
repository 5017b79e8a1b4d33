import { describe, expect, it } from "vitest";
import { SECTIONS, SECTION_TEXT, sidebarSections, type SectionId } from "./sections";

// The navigation keys the sidebar's `data-section` attributes carry; the window tests
// (src-tauri/tests/desktop.rs, designer.rs) click them.
const IDS: readonly SectionId[] = [
  "workspace",
  "setup-checklist",
  "settings",
  "history",
  "customers",
  "outbox",
  "inbox",
  "preview",
  "visibility",
];

describe("SECTIONS", () => {
  it("lists every section once, in sidebar order", () => {
    const ids = SECTIONS.map((s) => s.id);
    expect(ids).toEqual(IDS);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("shows each section's label and summary", () => {
    const settings = SECTIONS.find((s) => s.id === "settings");
    expect(settings).toEqual({ id: "settings", ...SECTION_TEXT.settings });
  });

  it("keeps every id when labels are reworded", () => {
    const reworded = Object.fromEntries(
      Object.entries(SECTION_TEXT).map(([id, text]) => [id, { ...text, label: `Renamed ${text.label}` }]),
    ) as Record<SectionId, (typeof SECTION_TEXT)[SectionId]>;
    const sections = sidebarSections(reworded);
    expect(sections.map((s) => s.id)).toEqual(IDS);
    expect(sections.find((s) => s.id === "setup-checklist")?.label).toBe("Renamed Setup checklist");
  });
});
