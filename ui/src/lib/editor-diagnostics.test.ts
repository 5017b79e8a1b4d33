import { describe, expect, it } from "vitest";
import { errorSpan, offsetOf, positionLabel, saveBlocker } from "./editor-diagnostics";
import type { TemplateError } from "../bindings/TemplateError";

const error = (line: number | null, column: number | null, template = "login"): TemplateError => ({
  template,
  line,
  column,
  message: "unexpected end of input",
});

describe("engine positions in the editor", () => {
  it("line and column count from one", () => {
    const text = "<p>one</p>\n<p>{% for %}</p>";
    expect(offsetOf(text, 1, 1)).toBe(0);
    expect(offsetOf(text, 2, 1)).toBe(11);
    expect(text.slice(offsetOf(text, 2, 4))).toBe("{% for %}</p>");
  });

  it("a character outside the BMP is one column for the engine and two units for the editor", () => {
    const text = "ok\n😀😀 {{ x }";
    // Column 4 is the brace after two emoji and a space.
    expect(text.slice(offsetOf(text, 2, 4), offsetOf(text, 2, 4) + 2)).toBe("{{");
  });

  it("positions past the end are clamped, never thrown", () => {
    const text = "a\nbc";
    expect(offsetOf(text, 9, 1)).toBe(text.length);
    expect(offsetOf(text, 1, 40)).toBe(1);
    expect(offsetOf(text, 0, 1)).toBe(0);
    expect(offsetOf(text, 2, null)).toBe(2);
  });

  it("an error marks the tag it points into", () => {
    const text = "<p>one</p>\n<p>{% for %}</p> {{ x }}";
    for (const column of [4, 11]) {
      const span = errorSpan(text, error(2, column));
      expect(text.slice(span.from, span.to)).toBe("{% for %}");
    }
    const unclosed = "<p>{% if x </p>";
    const span = errorSpan(unclosed, error(1, 9));
    expect(unclosed.slice(span.from, span.to)).toBe("{% if x </p>");
  });

  it("an error marks the word it points at, or the line without a column", () => {
    const text = "<p>{{ page.title }} nope</p>\nsecond";
    const word = errorSpan(text, error(1, 21));
    expect(text.slice(word.from, word.to)).toBe("nope");
    const line = errorSpan(text, error(2, null));
    expect(text.slice(line.from, line.to)).toBe("second");
  });

  it("labels a position as the gutter shows it", () => {
    expect(positionLabel(error(74, 11))).toBe("Line 74, column 11");
    expect(positionLabel(error(3, null))).toBe("Line 3");
  });
});

describe("saving the draft", () => {
  it("is offered while every template compiles", () => {
    expect(saveBlocker([])).toBeNull();
  });

  it("is refused, saying which template and where, while one does not", () => {
    expect(saveBlocker([error(2, 4)])).toBe(
      'Cannot save: template "login" does not compile at line 2, column 4.',
    );
    expect(saveBlocker([error(2, 4), error(1, 1, "list")])).toContain("(and 1 more)");
  });
});
