import { describe, expect, it } from "vitest";
import type { CommandError } from "../bindings/CommandError";
import { errorMessage, isCancelled } from "./backend";
import { runLong, stoppedOrReported, studio } from "./studio.svelte";

const stopped: CommandError = { kind: "cancelled", message: "import cancelled: nothing was changed" };
const newer: CommandError = {
  kind: "engine",
  engine: "newerVersion",
  message: "acme.portal was written by a newer Portal Studio; update the app to open it",
};

describe("command errors", () => {
  it("show the command's own message", () => {
    expect(errorMessage(newer)).toBe(newer.message);
    expect(errorMessage(new Error("network down"))).toBe("network down");
  });

  it("are cancelled by kind, never by what the message says", () => {
    expect(isCancelled(stopped)).toBe(true);
    expect(isCancelled({ kind: "refused", message: "cancelled" })).toBe(false);
    expect(isCancelled("cancelled")).toBe(false);
  });
});

describe("stoppedOrReported", () => {
  it("stays quiet for a read the user stopped", () => {
    studio.notice = null;
    expect(stoppedOrReported(stopped)).toBe(true);
    expect(studio.notice).toBeNull();
  });

  it("reports any other failure with its message", () => {
    studio.notice = null;
    expect(stoppedOrReported(newer)).toBe(false);
    expect(studio.notice).toEqual({ kind: "error", text: newer.message });
  });
});

// Tauri's invoke rejects with the command's error as sent (a CommandError object), not an Error.
/* eslint-disable @typescript-eslint/prefer-promise-reject-errors */
describe("runLong", () => {
  it("confirms a cancelled job instead of reporting an error", async () => {
    expect(await runLong("Importing…", true, () => Promise.reject(stopped))).toBeNull();
    expect(studio.notice).toEqual({ kind: "ok", text: stopped.message });
    expect(studio.busy).toBeNull();
  });

  it("reports a failed job as an error", async () => {
    expect(await runLong("Opening…", false, () => Promise.reject(newer))).toBeNull();
    expect(studio.notice).toEqual({ kind: "error", text: newer.message });
  });
});
