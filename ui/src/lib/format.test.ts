import { describe, expect, it } from "vitest";
import { formatMillis, formatVersion, formatWhen, pluralize } from "./format";

describe("formatVersion", () => {
  it("prefixes a bare semver with v", () => {
    expect(formatVersion("0.1.0")).toBe("v0.1.0");
  });
  it("does not double an existing prefix and trims whitespace", () => {
    expect(formatVersion(" v1.2.3 ")).toBe("v1.2.3");
    expect(formatVersion("V2.0.0-beta.1")).toBe("v2.0.0-beta.1");
  });
  it("reports missing versions plainly", () => {
    expect(formatVersion(null)).toBe("version unknown");
    expect(formatVersion(undefined)).toBe("version unknown");
    expect(formatVersion("  ")).toBe("version unknown");
  });
});

describe("pluralize", () => {
  it("uses the singular only for exactly one", () => {
    expect(pluralize(1, "customer")).toBe("1 customer");
    expect(pluralize(0, "customer")).toBe("0 customers");
    expect(pluralize(3, "inbox", "inboxes")).toBe("3 inboxes");
  });
});

describe("formatWhen", () => {
  it("shortens engine timestamps to minutes", () => {
    expect(formatWhen("2026-11-27T22:55:29.037Z")).toBe("2026-11-27 22:55 UTC");
    expect(formatWhen("yesterday")).toBe("yesterday");
  });
});

describe("formatMillis", () => {
  it("shows a lock's end the way engine timestamps read", () => {
    expect(formatMillis(Date.UTC(2026, 11, 2, 9, 5, 30))).toBe("2026-12-02 09:05 UTC");
  });
});
