import { describe, expect, it } from "vitest";
import type { KindStatus } from "../bindings/KindStatus";
import type { PulledSummary } from "../bindings/PulledSummary";
import type { PullRequest } from "../bindings/PullRequest";
import type { PullSetup } from "../bindings/PullSetup";
import {
  PullDialogState,
  SCOPES,
  SERVICE_KEY_NOTE,
  SERVICE_KEY_STEPS,
  kindFraction,
  kindLine,
  timeLeft,
  visibilityLines,
  type PullCalls,
} from "./pull.svelte";

function kind(overrides: Partial<KindStatus>): KindStatus {
  return {
    kind: "contacts",
    label: "contacts",
    done: 0,
    total: null,
    rate: 0,
    seconds_left: null,
    started: true,
    finished: false,
    detail: null,
    ...overrides,
  };
}

const SETUP: PullSetup = {
  target: "/w/demo.portal",
  into_open_workspace: true,
  default_api_base: "https://api.hubapi.com",
  keychain_unavailable: null,
  token_remembered: false,
  interrupted: null,
};

const SUMMARY: PulledSummary = {
  workspace: "/w/demo.portal",
  rows: [{ what: "contacts", count: 5, note: null }],
  requests: 12,
  retries: 0,
  rate_limited: 0,
  seconds: 1.5,
  resumed: false,
  replaced: true,
  logins_kept: 2,
  logins_dropped: 0,
  visibility: null,
};

/** Shell calls that answer as a test says, recording the pull requests. */
function fakeCalls(answers: {
  setup?: () => PullSetup;
  start?: (request: PullRequest) => Promise<PulledSummary>;
}): PullCalls & { requests: PullRequest[] } {
  const calls = {
    requests: [] as PullRequest[],
    pullSetup: () => Promise.resolve((answers.setup ?? (() => SETUP))()),
    startPull: (request: PullRequest) => {
      calls.requests.push(request);
      return (answers.start ?? (() => Promise.resolve(SUMMARY)))(request);
    },
    pullProgress: () => Promise.resolve(null),
    cancelPull: () => Promise.resolve(true),
    forgetPullToken: () => Promise.resolve(null),
  };
  return calls;
}

// Tauri's invoke rejects with the command's error as sent (a CommandError object), not an Error.
/* eslint-disable @typescript-eslint/prefer-promise-reject-errors */

describe("what the pull dialog tells about the token", () => {
  it("names every read scope a pull needs, each with why", () => {
    expect(SCOPES.map((s) => s.scope)).toEqual([
      "crm.objects.contacts.read",
      "crm.objects.companies.read",
      "tickets",
      "crm.lists.read",
      "conversations.read",
    ]);
    expect(SCOPES.every((s) => s.why.length > 0)).toBe(true);
  });

  it("says to create a service key, not a private app, which can no longer be created", () => {
    expect(SERVICE_KEY_STEPS.join(" ")).toContain("Service keys");
    expect(SERVICE_KEY_STEPS.join(" ")).not.toMatch(/create a private app/i);
    expect(SERVICE_KEY_NOTE).toMatch(/replace private apps/);
  });
});

describe("a kind's progress", () => {
  it("shows counts of the total, the rate and the time left while it is read", () => {
    const line = kindLine(kind({ done: 1200, total: 4000, rate: 350, seconds_left: 8 }));
    expect(line).toBe("1,200 of 4,000 · 350/s · about 8 s left");
    expect(kindFraction(kind({ done: 1200, total: 4000 }))).toBeCloseTo(0.3);
  });

  it("has no fraction without a total, a full bar once finished, and says waiting before it starts", () => {
    expect(kindFraction(kind({ done: 40 }))).toBeNull();
    expect(kindFraction(kind({ done: 40, finished: true }))).toBe(1);
    expect(kindLine(kind({ started: false }))).toBe("waiting");
    expect(kindLine(kind({ done: 40, rate: 20, finished: true, detail: "120 messages" }))).toBe(
      "40 · 20/s · done · 120 messages",
    );
  });

  it("words time left in seconds, minutes or hours", () => {
    expect(timeLeft(42)).toBe("about 42 s left");
    expect(timeLeft(600)).toBe("about 10 min left");
    expect(timeLeft(3 * 3600 + 300)).toBe("about 3 h 5 min left");
  });
});

describe("the visibility changes of a re-pull", () => {
  it("say how many ticket views appeared and disappeared and who may now or no longer sign in", () => {
    const lines = visibilityLines({
      contacts_before: 4,
      contacts_after: 5,
      may_now_sign_in: ["new@acme.example"],
      may_no_longer_sign_in: [],
      tickets_shown: 3,
      tickets_hidden: 1,
      contacts_seeing_changes: ["ana@acme.example", "new@acme.example"],
    });
    expect(lines[0]).toBe(
      "3 ticket views appeared and 1 disappeared, for 2 contacts (4 contacts before, 5 now).",
    );
    expect(lines).toContain("May now sign in: new@acme.example.");
    expect(lines.some((line) => line.startsWith("May no longer"))).toBe(false);
  });
});

describe("the pull dialog", () => {
  it("cannot pull without a token unless one is remembered in the keychain", async () => {
    const flow = new PullDialogState(fakeCalls({}));
    await flow.load();
    expect(flow.canStart).toBe(false);
    flow.token = "  ";
    expect(flow.canStart).toBe(false);

    const remembered = new PullDialogState(
      fakeCalls({ setup: () => ({ ...SETUP, token_remembered: true }) }),
    );
    await remembered.load();
    expect(remembered.canStart).toBe(true);
  });

  it("sends the token with the pull only, and forgets it once the pull is done", async () => {
    const calls = fakeCalls({});
    const flow = new PullDialogState(calls);
    await flow.load();
    flow.token = "pat-na1-secret";
    flow.apiBase = "http://127.0.0.1:4010";
    await flow.start();
    expect(calls.requests).toEqual([
      {
        token: "pat-na1-secret",
        target: null,
        api_base: "http://127.0.0.1:4010",
        resume: false,
        remember: false,
      },
    ]);
    expect(flow.stage).toBe("done");
    expect(flow.summary?.rows[0]?.count).toBe(5);
    expect(flow.token).toBe("");
  });

  it("after a cancel shows the resumable state and resumes with the same token", async () => {
    let interrupted = false;
    const calls = fakeCalls({
      setup: () => ({
        ...SETUP,
        interrupted: interrupted
          ? {
              api_base: "http://127.0.0.1:4010",
              legacy_paths: false,
              replace: true,
              reached: "companies read",
              kinds: [kind({ done: 75, total: 200 })],
              seconds: 3,
            }
          : null,
      }),
      start: (request) => {
        if (request.resume) return Promise.resolve({ ...SUMMARY, resumed: true });
        interrupted = true;
        return Promise.reject({
          kind: "cancelled",
          message: "The pull stopped; /w/demo.portal is untouched.",
        });
      },
    });
    const flow = new PullDialogState(calls);
    await flow.load();
    flow.token = "pat-na1-secret";
    await flow.start();
    expect(flow.stage).toBe("stopped");
    expect(flow.resumable).toBe(true);
    expect(flow.error?.kind).toBe("cancelled");
    expect(flow.canStart).toBe(true);

    await flow.start(true);
    expect(calls.requests[1]).toMatchObject({ token: "pat-na1-secret", resume: true });
    expect(flow.stage).toBe("done");
    expect(flow.summary?.resumed).toBe(true);
  });

  it("goes back to the form when the token is refused before anything was read", async () => {
    const flow = new PullDialogState(
      fakeCalls({
        start: () => Promise.reject({ kind: "engine", message: "the access token is not valid" }),
      }),
    );
    await flow.load();
    flow.token = "wrong";
    await flow.start();
    expect(flow.stage).toBe("form");
    expect(flow.error?.message).toBe("the access token is not valid");
  });

  it("opens on the resumable state when an interrupted pull waits, with its API address", async () => {
    const flow = new PullDialogState(
      fakeCalls({
        setup: () => ({
          ...SETUP,
          interrupted: {
            api_base: "http://127.0.0.1:4010",
            legacy_paths: false,
            replace: true,
            reached: "contacts read",
            kinds: [],
            seconds: 9,
          },
        }),
      }),
    );
    await flow.load();
    expect(flow.stage).toBe("stopped");
    expect(flow.apiBase).toBe("http://127.0.0.1:4010");

    // Start over: the form stays, also when the options are read again.
    flow.startOver();
    await flow.load();
    expect(flow.stage).toBe("form");
  });

  it("forgets the token and the outcome when it closes", async () => {
    const flow = new PullDialogState(fakeCalls({}));
    await flow.load();
    flow.token = "pat-na1-secret";
    flow.showToken = true;
    flow.close();
    expect(flow.token).toBe("");
    expect(flow.showToken).toBe(false);
    expect(flow.stage).toBe("form");
  });
});
