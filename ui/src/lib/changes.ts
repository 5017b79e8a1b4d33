// Pure draft logic (no Svelte, no Tauri), unit-tested in changes.test.ts: which settings a draft changes,
// named by the labels the editor shows (never the settings' keys), and taking one of them back.
import type { Settings } from "../bindings/Settings";
import { sameValue } from "./editor";

/** One unsaved change: the dotted path it is at (`branding.primary_color`) and its label. */
export interface DraftChange {
  path: string;
  label: string;
}

/** The label of every setting as the editor names it. */
export const FIELD_LABELS: Readonly<Record<string, string>> = {
  page_title: "Page title",
  slug: "URL slug",
  domain: "Domain",
  language: "Language",
  "access.mode": "Access mode",
  "access.lists": "Access lists",
  sso: "Single sign-on",
  "consent.notice": "Consent notice",
  "consent.checkbox_label": "Consent checkbox label",
  ticket_filters: "Ticket filters",
  ticket_permissions: "Ticket permissions",
  thread_shown: "Thread shown",
  default_inbox: "Default inbox",
  status_display: "Status display",
  support_form: "Support form",
  navigation_menu: "Navigation menu",
  knowledge_base_link: "Knowledge base link",
  "branding.primary_color": "Primary colour",
  "branding.secondary_color": "Secondary colour",
  "branding.font_family": "Font",
  "branding.logo": "Logo",
  "branding.favicon": "Favicon",
  idle_timeout_minutes: "Idle session timeout",
  enabled: "Portal enabled",
  company_view_rules: "Company view rules",
  company_scope: "Company scope",
  cc_see_tickets: "CC'd contacts see tickets",
  customers_close_tickets: "Customers close tickets",
};

/** Settings whose parts are separate fields in the editor: a change is named by the part. */
const SPLIT: readonly string[] = ["access", "consent", "branding", "templates"];

/** The label of a dotted path; an unknown one reads as words rather than as a key. */
export function labelOf(path: string): string {
  const known = FIELD_LABELS[path];
  if (known) return known;
  if (path.startsWith("templates.")) return `Template “${path.slice("templates.".length)}”`;
  const words = path.replaceAll(/[._]/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}

/** Every field the draft changes, in the editor's order, each with its label. */
export function draftChanges(saved: Settings | null, draft: Settings | null): DraftChange[] {
  if (!saved || !draft) return [];
  const changes: DraftChange[] = [];
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(draft)])];
  for (const key of keys) {
    const [before, after] = [
      (saved as Record<string, unknown>)[key],
      (draft as Record<string, unknown>)[key],
    ];
    if (sameValue(before, after)) continue;
    if (SPLIT.includes(key)) {
      const [b, a] = [record(before), record(after)];
      const parts = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort((x, y) =>
        key === "templates" ? x.localeCompare(y) : 0,
      );
      for (const part of parts) {
        if (!sameValue(b[part], a[part]))
          changes.push({ path: `${key}.${part}`, label: labelOf(`${key}.${part}`) });
      }
    } else {
      changes.push({ path: key, label: labelOf(key) });
    }
  }
  return changes;
}

/** "3 unsaved changes: Page title, Primary colour, Logo" (at most `shown` labels, then "…"). */
export function describeChanges(changes: readonly DraftChange[], shown = 4): string {
  if (changes.length === 0) return "No unsaved changes";
  const head = `${changes.length} unsaved change${changes.length === 1 ? "" : "s"}`;
  const labels = changes.slice(0, shown).map((c) => c.label);
  return `${head}: ${labels.join(", ")}${changes.length > shown ? ", …" : ""}`;
}

/** The draft with the field at `path` back to its saved value (the rest of the draft kept). */
export function revertPath(saved: Settings, draft: Settings, path: string): void {
  const [key, part] = path.split(".", 2) as [string, string | undefined];
  const from = saved as Record<string, unknown>;
  const to = draft as Record<string, unknown>;
  const copy = (value: unknown): unknown =>
    value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
  if (part === undefined) {
    to[key] = copy(from[key]);
    return;
  }
  const target = record(to[key]);
  const value = record(from[key])[part];
  // The templates map holds only overrides: a template without a saved override loses its key.
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete
  if (value === undefined) delete target[part];
  else target[part] = copy(value);
}

/** The draft's changes carried over onto settings saved elsewhere meanwhile (the enable switch, an
 * undo): the result is `saved` with every field the draft changed set to the draft's value. */
export function rebase(oldSaved: Settings, draft: Settings, saved: Settings): Settings {
  const result = JSON.parse(JSON.stringify(saved)) as Settings;
  for (const change of draftChanges(oldSaved, draft)) revertPath(draft, result, change.path);
  return result;
}
