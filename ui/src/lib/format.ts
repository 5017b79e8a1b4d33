// Small pure helpers for presenting values in the admin shell. Kept free of Svelte and Tauri
// imports so they can be unit-tested under plain Node (see format.test.ts).

/** Renders a version for the status bar: "0.1.0" -> "v0.1.0"; empty/missing -> "version unknown". */
export function formatVersion(version: string | null | undefined): string {
  const trimmed = (version ?? "").trim().replace(/^v+/i, "");
  return trimmed === "" ? "version unknown" : `v${trimmed}`;
}

/** "1 customer", "0 customers", "2 inboxes" (explicit plural when the "+s" rule does not fit). */
export function pluralize(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/** "2026-11-27T22:55:29.037Z" -> "2026-11-27 22:55 UTC"; anything else is returned as is. */
export function formatWhen(timestamp: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(timestamp);
  return match ? `${match[1]} ${match[2]} UTC` : timestamp;
}

/** Milliseconds since the epoch -> "2026-11-27 22:55 UTC" (the form `formatWhen` gives). */
export function formatMillis(millis: number): string {
  return formatWhen(new Date(millis).toISOString());
}
