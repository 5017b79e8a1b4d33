import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import HistoryMeta from "./HistoryMeta.svelte";

/** The line's text as a reader (or a copy) gets it: the markup without its tags and comments. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

function metaLine(undoes: number | null): string {
  const entry = { changed_by: "desktop", changed_at: "2026-12-02T09:35:10Z", undoes };
  return textOf(render(HistoryMeta, { props: { entry } }).body);
}

describe("HistoryMeta", () => {
  it("keeps the time and the undone change apart", () => {
    expect(metaLine(1)).toBe("desktop · 2026-12-02 09:35 UTC · undoes #1");
  });

  it("ends at the time when the change undid nothing", () => {
    expect(metaLine(null)).toBe("desktop · 2026-12-02 09:35 UTC");
  });
});
