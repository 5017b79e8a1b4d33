// Pure logic of the preview's frames (no Svelte, no Tauri), unit-tested in preview-frame.test.ts: how large
// a frame is drawn at each zoom, and what a form submitted inside the frame asks the engine to do when the
// designer acts as the contact.
import type { PageKind } from "../bindings/PageKind";

export const ZOOMS = ["fit", "100", "50"] as const;
export type Zoom = (typeof ZOOMS)[number];

export const ZOOM_LABELS: Record<Zoom, string> = { fit: "Fit", "100": "100 %", "50": "50 %" };

/** The gap between frames side by side, in CSS pixels. */
export const FRAME_GAP = 16;

/**
 * The scale every frame is drawn at: "fit" fits all frames side by side into `stageWidth` (never
 * enlarging); 100 % and 50 % are what they say (the stage scrolls sideways when they do not fit).
 */
export function frameScale(zoom: Zoom, stageWidth: number, widths: readonly number[]): number {
  if (zoom === "100") return 1;
  if (zoom === "50") return 0.5;
  const total = widths.reduce((sum, width) => sum + width, 0);
  if (total <= 0) return 1;
  const room = stageWidth - FRAME_GAP * Math.max(0, widths.length - 1) - 4;
  return Math.max(0.1, Math.min(1, room / total));
}

/** The frame's height in its own (unscaled) pixels so that, drawn at `scale`, it fills `stageHeight`. */
export function frameHeight(scale: number, stageHeight: number): number {
  const caption = 24;
  return Math.max(320, Math.round((stageHeight - caption) / scale));
}

/** What acting on a form inside the preview does. */
export type Submission =
  | { kind: "reply"; ticket: string; text: string }
  | { kind: "form"; values: Record<string, string> }
  | { kind: "refused"; reason: string };

/**
 * The engine call for a form submitted in the frame: the reply form on a ticket page (its `text`), or the
 * support form (every field but the form token). Any other form is not sent from the preview.
 * `fields` are the form's text entries (files are not sent from the preview).
 */
export function submissionOf(
  page: PageKind,
  ticket: string | null,
  fields: readonly (readonly [string, string])[],
): Submission {
  const values: Record<string, string> = {};
  for (const [name, value] of fields) if (name !== "csrf") values[name] = value;
  if (page === "detail") {
    if (ticket === null) return { kind: "refused", reason: "The preview shows no ticket to reply to." };
    const text = values.text ?? "";
    if (text.trim() === "") return { kind: "refused", reason: "Write a reply first: it is empty." };
    return { kind: "reply", ticket, text };
  }
  if (page === "form") return { kind: "form", values };
  return {
    kind: "refused",
    reason: "Only the reply form and the support form send from the preview.",
  };
}

/**
 * The one script a preview frame runs. The frame is sandboxed without `allow-same-origin` (an opaque
 * origin: it cannot reach the app or its commands), and the window's Content-Security-Policy, which a
 * `srcdoc` frame inherits, lets only this exact text run (its SHA-256 is listed in
 * src-tauri/tauri.conf.json; preview-frame.test.ts keeps the two in step): no template can add a script.
 * It tells the window about a submitted form (the window decides whether and how it is sent) and about
 * Esc, and brings the message named by its `data-reveal` into view.
 */
export const FRAME_SCRIPT = `(function () {
  var script = document.currentScript;
  function tell(message) { parent.postMessage(message, "*"); }
  document.addEventListener("submit", function (event) {
    event.preventDefault();
    var fields = [];
    new FormData(event.target).forEach(function (value, name) {
      if (typeof value === "string") fields.push([name, value]);
    });
    tell({ portalPreview: "submit", fields: fields });
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") tell({ portalPreview: "escape" });
  });
  document.documentElement.setAttribute("data-frame-script", "ready");
  var reveal = script && script.getAttribute("data-reveal");
  var shown = reveal && document.querySelector('[data-message-id="' + CSS.escape(reveal) + '"]');
  if (shown) {
    shown.style.outline = "3px solid #16a34a";
    shown.style.outlineOffset = "4px";
    shown.scrollIntoView({ block: "center" });
  }
})();`;

/** What a frame's script tells the window (anything else is ignored). */
export type FrameMessage = { kind: "submit"; fields: [string, string][] } | { kind: "escape" };

/** Reads a message from a frame's script; null for anything that is not one. */
export function frameMessage(data: unknown): FrameMessage | null {
  if (typeof data !== "object" || data === null) return null;
  const message = data as { portalPreview?: unknown; fields?: unknown };
  if (message.portalPreview === "escape") return { kind: "escape" };
  if (message.portalPreview !== "submit" || !Array.isArray(message.fields)) return null;
  const fields: [string, string][] = [];
  for (const entry of message.fields as unknown[]) {
    if (!Array.isArray(entry) || entry.length !== 2) return null;
    const [name, value] = entry as unknown[];
    if (typeof name !== "string" || typeof value !== "string") return null;
    fields.push([name, value]);
  }
  return { kind: "submit", fields };
}

/** The page with the frame script at the end of its body (`reveal`: a message id to bring into view). */
export function withFrameScript(html: string, reveal: string | null): string {
  const attribute =
    reveal === null ? "" : ` data-reveal="${reveal.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`)}"`;
  const script = `<script${attribute}>${FRAME_SCRIPT}</script>`;
  const end = html.toLowerCase().lastIndexOf("</body>");
  return end < 0 ? html + script : html.slice(0, end) + script + html.slice(end);
}
