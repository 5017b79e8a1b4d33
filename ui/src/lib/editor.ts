// Pure settings-editor logic (no Svelte, no Tauri), unit-tested in editor.test.ts: the field groups,
// dirty tracking, and mapping the engine's FieldErrors onto the fields they belong to.
import type { FieldError } from "../bindings/FieldError";
import type { Settings } from "../bindings/Settings";

export interface FieldGroup {
  id: string;
  label: string;
  /** Top-level settings keys (the engine's dotted paths start with one of these). */
  keys: readonly (keyof Settings)[];
}

/** Every setting of spec section 1, grouped as an administrator thinks of them. */
export const GROUPS: readonly FieldGroup[] = [
  { id: "general", label: "General", keys: ["page_title", "slug", "domain", "language"] },
  { id: "access", label: "Access", keys: ["access", "sso", "consent"] },
  {
    id: "tickets",
    label: "Tickets",
    keys: [
      "ticket_filters",
      "ticket_permissions",
      "company_view_rules",
      "company_scope",
      "cc_see_tickets",
      "customers_close_tickets",
      "thread_shown",
      "status_display",
      "default_inbox",
    ],
  },
  {
    id: "forms",
    label: "Forms and navigation",
    keys: ["support_form", "navigation_menu", "knowledge_base_link"],
  },
  { id: "session", label: "Session", keys: ["idle_timeout_minutes"] },
  { id: "branding", label: "Branding", keys: ["branding"] },
];

/** The group a dotted field path (`access.lists[0]`, `domain`) belongs to, if any. */
export function groupOf(field: string): string | undefined {
  const top = topKey(field);
  return GROUPS.find((g) => (g.keys as readonly string[]).includes(top))?.id;
}

/** `ticket_filters[1].values` -> `ticket_filters`. */
export function topKey(field: string): string {
  return field.split(/[.[]/, 1)[0] ?? field;
}

/** Errors by the field path they name, and by their top-level key, for inline display. */
export function errorsByField(errors: readonly FieldError[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const error of errors) {
    for (const key of new Set([error.field, topKey(error.field)])) {
      const list = map.get(key) ?? [];
      list.push(error.message);
      map.set(key, list);
    }
  }
  return map;
}

/** Error counts per group id (for badges on the group tabs). */
export function errorCountsByGroup(errors: readonly FieldError[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const error of errors) {
    const group = groupOf(error.field) ?? "other";
    counts[group] = (counts[group] ?? 0) + 1;
  }
  return counts;
}

/** Structural equality of two JSON-like values (key order ignored). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The top-level keys whose values differ between the saved settings and the draft. */
export function changedKeys(saved: Settings | null, draft: Settings | null): string[] {
  if (!saved || !draft) return [];
  const keys = new Set([...Object.keys(saved), ...Object.keys(draft)]) as Set<keyof Settings>;
  return [...keys].filter((k) => !sameValue(saved[k], draft[k]));
}

/** An empty text box means "not set" for optional text settings. */
export function optionalText(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === "" ? null : value;
}

/** Comma-separated input -> trimmed non-empty items. */
export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/** A value from a history diff, shown compactly. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return "(not set)";
  if (typeof value === "string") return value === "" ? '""' : value;
  return JSON.stringify(value);
}

/** Messages for the field `path` and everything under it (`access.lists` covers `access.lists[2]`). */
export function messagesFor(errors: readonly FieldError[], path: string): string[] {
  return errors
    .filter((e) => e.field === path || e.field.startsWith(path + ".") || e.field.startsWith(path + "["))
    .map((e) => e.message);
}
