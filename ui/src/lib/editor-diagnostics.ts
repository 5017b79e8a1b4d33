// Pure logic of the template editor (no CodeMirror, no Svelte), unit-tested in editor-diagnostics.test.ts:
// where in the editor's text an engine error points, and whether the draft's templates may be saved.
//
// The engine counts lines and columns from 1, a column in Unicode characters (Rust's `chars()`); the
// editor addresses text by UTF-16 code units from 0. Characters outside the Basic Multilingual Plane
// (emoji, some CJK) are one column for the engine and two units for the editor.
import type { TemplateError } from "../bindings/TemplateError";

export interface Span {
  from: number;
  to: number;
}

/** The UTF-16 offset of each line's start in `text`. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return starts;
}

/**
 * The editor offset of the engine's 1-based `line` and `column` in `text`. A line past the end is the end
 * of the text; a column past the end of its line is the line's end; a missing column is the line's start.
 */
export function offsetOf(text: string, line: number, column: number | null): number {
  const starts = lineStarts(text);
  if (line < 1) return 0;
  if (line > starts.length) return text.length;
  const start = starts[line - 1] ?? 0;
  const next = starts[line];
  const end = next === undefined ? text.length : next - 1;
  let offset = start;
  for (let chars = 1; chars < (column ?? 1) && offset < end; chars++) {
    const code = text.charCodeAt(offset);
    offset += code >= 0xd800 && code <= 0xdbff && offset + 1 < end ? 2 : 1;
  }
  return offset;
}

/** The Jinja tag (`{% … %}`, `{{ … }}`, `{# … #}`) on one line that contains `at`, if any. */
function enclosingTag(text: string, at: number, lineStart: number, lineEnd: number): Span | null {
  const line = text.slice(lineStart, lineEnd);
  for (const match of line.matchAll(/\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}|\{[%{#].*$/g)) {
    const from = lineStart + match.index;
    const to = from + match[0].length;
    if (at >= from && at < to) return { from, to };
  }
  return null;
}

/**
 * The text an error marks: the Jinja tag it points into, else the word it starts (at least one
 * character, never past the line); without a column, the whole line.
 */
export function errorSpan(text: string, error: Pick<TemplateError, "line" | "column">): Span {
  const from = offsetOf(text, error.line ?? 1, error.column);
  const newline = text.indexOf("\n", from);
  const lineEnd = newline < 0 ? text.length : newline;
  if (error.column === null) return { from, to: lineEnd };
  if (from >= lineEnd) return { from, to: from };
  const lineStart = text.lastIndexOf("\n", from - 1) + 1;
  const tag = enclosingTag(text, from, lineStart, lineEnd);
  if (tag) return tag;
  let to = from + 1;
  while (to < lineEnd && /\w/.test(text[to] ?? "") && /\w/.test(text[from] ?? "")) to++;
  return { from, to };
}

/** "Line 74, column 11" (what a person looks for in the gutter). */
export function positionLabel(error: Pick<TemplateError, "line" | "column">): string {
  if (error.line === null) return "Somewhere in the template";
  return error.column === null ? `Line ${error.line}` : `Line ${error.line}, column ${error.column}`;
}

/**
 * Why Save is not offered, or null when it is: a template that does not compile is never saved (the
 * engine refuses it too), so the button says which one and where before anyone presses it.
 */
export function saveBlocker(errors: readonly TemplateError[]): string | null {
  const first = errors[0];
  if (!first) return null;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  const where = first.line === null ? "" : ` at ${positionLabel(first).toLowerCase()}`;
  return `Cannot save: template "${first.template}" does not compile${where}${more}.`;
}
