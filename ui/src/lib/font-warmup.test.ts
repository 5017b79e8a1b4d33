import { describe, expect, it } from "vitest";
import { fontCombinations } from "./font-warmup";

describe("fontCombinations", () => {
  it("pairs every pixel size the rules use with every weight, normal and bold included", () => {
    const combinations = fontCombinations([
      { fontSize: "13px", fontWeight: "" },
      { fontSize: "12.5px", fontWeight: "600" },
      { fontSize: "13px", fontWeight: "bold" },
    ]);
    expect(combinations).toHaveLength(6);
    expect(combinations).toContainEqual(["12.5px", "400"]);
    expect(combinations).toContainEqual(["13px", "600"]);
    expect(combinations).toContainEqual(["12.5px", "700"]);
  });
  it("leaves out sizes relative to their parent and keyword weights it cannot name", () => {
    const combinations = fontCombinations([
      { fontSize: "1.2em", fontWeight: "bolder" },
      { fontSize: "inherit", fontWeight: "" },
    ]);
    expect(combinations).toEqual([]);
  });
});
