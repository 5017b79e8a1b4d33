import tauriConfig from "../../../src-tauri/tauri.conf.json?raw";
import { describe, expect, it } from "vitest";
import {
  FRAME_SCRIPT,
  frameHeight,
  frameMessage,
  frameScale,
  submissionOf,
  withFrameScript,
} from "./preview-frame";

describe("frame zoom", () => {
  it("100 % draws a frame at its true size, 50 % at half", () => {
    expect(frameScale("100", 900, [1280])).toBe(1);
    expect(frameScale("50", 900, [1280])).toBe(0.5);
  });

  it("fit shrinks all frames to the stage's width and never enlarges", () => {
    const scale = frameScale("fit", 1000, [1280, 768, 390]);
    expect((1280 + 768 + 390) * scale + 2 * 16).toBeLessThanOrEqual(1000);
    expect(frameScale("fit", 3000, [390])).toBe(1);
  });

  it("a frame fills the stage's height whatever its scale", () => {
    expect(frameHeight(0.5, 824)).toBe(1600);
    expect(frameHeight(1, 824)).toBe(800);
    expect(frameHeight(1, 100)).toBe(320);
  });
});

describe("acting on a form in the preview", () => {
  it("the ticket page's form replies on the shown ticket with its text", () => {
    expect(
      submissionOf("detail", "1003", [
        ["csrf", "preview"],
        ["text", "Thanks!"],
      ]),
    ).toEqual({ kind: "reply", ticket: "1003", text: "Thanks!" });
  });

  it("an empty reply is not sent", () => {
    expect(submissionOf("detail", "1003", [["text", "  "]]).kind).toBe("refused");
  });

  it("the support form sends every field but the form token", () => {
    expect(
      submissionOf("form", null, [
        ["csrf", "preview"],
        ["subject", "Toner"],
        ["content", "Empty"],
      ]),
    ).toEqual({ kind: "form", values: { subject: "Toner", content: "Empty" } });
  });

  it("other pages' forms do not send", () => {
    expect(submissionOf("login", null, [["email", "a@b"]]).kind).toBe("refused");
  });
});

describe("the frame's script", () => {
  it("is the one script the window's Content-Security-Policy lets a preview frame run", async () => {
    const config = JSON.parse(tauriConfig) as { app: { security: { csp: string } } };
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(FRAME_SCRIPT));
    const hash = btoa(String.fromCharCode(...new Uint8Array(digest)));
    expect(config.app.security.csp).toContain(`script-src 'self' 'sha256-${hash}'`);
  });

  it("is added at the end of the body, with the message to reveal escaped", () => {
    const page = withFrameScript('<html><body><p data-message-id="m1">hi</p></body></html>', 'm1"><x');
    expect(page).toContain('<script data-reveal="m1&#34;&#62;&#60;x">');
    expect(page.endsWith("</script></body></html>")).toBe(true);
  });

  it("reports submitted fields and Esc, and nothing else", () => {
    expect(frameMessage({ portalPreview: "submit", fields: [["text", "Hi"]] })).toEqual({
      kind: "submit",
      fields: [["text", "Hi"]],
    });
    expect(frameMessage({ portalPreview: "escape" })).toEqual({ kind: "escape" });
    expect(frameMessage({ portalPreview: "submit", fields: [["text", 3]] })).toBeNull();
    expect(frameMessage("submit")).toBeNull();
  });
});
