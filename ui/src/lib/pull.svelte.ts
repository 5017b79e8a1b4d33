// The pull dialog's logic ("Pull from the help desk…", app/PullDialog.svelte): what the access token
// needs and how to create one, then a pull with where each object kind stands, Cancel, Resume after a
// stop, and what came in. The token lives in this state only while the dialog is open (it goes to the
// shell with the one call that starts a pull) and is dropped when the dialog closes.
import type { KindStatus } from "../bindings/KindStatus";
import type { PulledSummary } from "../bindings/PulledSummary";
import type { PullRequest } from "../bindings/PullRequest";
import type { PullSetup } from "../bindings/PullSetup";
import type { PullStatus } from "../bindings/PullStatus";
import type { VisibilityChanges } from "../bindings/VisibilityChanges";

/** The read scopes a pull needs, and why (docs/vendor-api.md §12, docs/vendor-import.md). */
export const SCOPES: readonly { scope: string; why: string }[] = [
  { scope: "crm.objects.contacts.read", why: "contacts, their companies and custom properties" },
  { scope: "crm.objects.companies.read", why: "companies" },
  { scope: "tickets", why: "tickets, their pipelines and stages, and who they belong to" },
  { scope: "crm.lists.read", why: "contact lists and their members" },
  { scope: "conversations.read", why: "inboxes, channels, threads and messages" },
];

/** How to create the token in today's vendor UI: a service key (new private apps cannot be created). */
export const SERVICE_KEY_STEPS: readonly string[] = [
  "Sign in to the help desk account as a super admin, or as a user with the Developer tools access permission.",
  "Open Development in the main navigation, then Keys › Service keys in the left sidebar.",
  "Click Create service key and give it a name, for example Portal Studio.",
  "Add the read scopes listed here, then create the key.",
  "Open the new key, click Show, copy it and paste it above.",
];

/** Why a service key and not a private app. */
export const SERVICE_KEY_NOTE =
  "Service keys replace private apps: since 26 October 2026 (28 September for accounts created since) " +
  "new private apps can no longer be created. An existing private app's access token works the same way.";

/** "1,234" */
export function thousands(count: number): string {
  return Math.round(count).toLocaleString("en-US");
}

/** "about 40 s left", "about 3 min left", "about 1 h 5 min left". */
export function timeLeft(seconds: number): string {
  const s = Math.max(1, Math.round(seconds));
  if (s < 90) return `about ${s} s left`;
  const minutes = Math.round(s / 60);
  if (minutes < 90) return `about ${minutes} min left`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

/** How far a kind is, 0–1; null when it cannot be told (no total while it is read). */
export function kindFraction(kind: KindStatus): number | null {
  if (kind.finished) return 1;
  if (!kind.started) return 0;
  if (kind.total === null || kind.total === 0) return null;
  return Math.min(1, kind.done / kind.total);
}

/** The line under a kind's bar: "1,200 of 4,000 · 350/s · about 8 s left". */
export function kindLine(kind: KindStatus): string {
  if (!kind.started) return "waiting";
  const parts: string[] = [];
  parts.push(
    kind.total === null ? thousands(kind.done) : `${thousands(kind.done)} of ${thousands(kind.total)}`,
  );
  if (kind.rate > 0) parts.push(`${thousands(kind.rate)}/s`);
  if (kind.finished) parts.push("done");
  else if (kind.seconds_left !== null) parts.push(timeLeft(kind.seconds_left));
  if (kind.detail) parts.push(kind.detail);
  return parts.join(" · ");
}

/** What a re-pull changed in what contacts see, as sentences. */
export function visibilityLines(changes: VisibilityChanges): string[] {
  const lines = [
    `${thousands(changes.tickets_shown)} ticket views appeared and ${thousands(changes.tickets_hidden)} disappeared, ` +
      `for ${thousands(changes.contacts_seeing_changes.length)} contacts ` +
      `(${thousands(changes.contacts_before)} contacts before, ${thousands(changes.contacts_after)} now).`,
  ];
  const list = (emails: string[]): string =>
    emails.length <= 5 ? emails.join(", ") : `${emails.slice(0, 5).join(", ")} and ${emails.length - 5} more`;
  if (changes.may_now_sign_in.length > 0) lines.push(`May now sign in: ${list(changes.may_now_sign_in)}.`);
  if (changes.may_no_longer_sign_in.length > 0)
    lines.push(`May no longer sign in: ${list(changes.may_no_longer_sign_in)}.`);
  return lines;
}

/** The shell calls the dialog needs (backend.ts in the app; fakes in tests). */
export interface PullCalls {
  pullSetup(target: string | null, apiBase: string): Promise<PullSetup>;
  startPull(request: PullRequest): Promise<PulledSummary>;
  pullProgress(): Promise<PullStatus | null>;
  cancelPull(): Promise<boolean>;
  forgetPullToken(apiBase: string): Promise<null>;
}

/** A command's refusal (`CommandError`), as far as the dialog needs it. */
interface Refusal {
  kind: string;
  message: string;
}

function refusal(error: unknown): Refusal {
  if (typeof error === "object" && error !== null && "kind" in error && "message" in error)
    return { kind: String(error.kind), message: String(error.message) };
  return { kind: "failed", message: error instanceof Error ? error.message : String(error) };
}

/** Form (token and options), running (progress, Cancel), stopped (Resume), done (what came in). */
export type PullStage = "form" | "running" | "stopped" | "done";

/** How often a running pull is asked where it stands. */
export const POLL_MS = 300;

export class PullDialogState {
  stage: PullStage = $state("form");
  token = $state("");
  showToken = $state(false);
  remember = $state(false);
  /** The advanced field: another API address (a test stub); empty is the vendor's. */
  apiBase = $state("");
  /** A new file to pull into; null: the open workspace. */
  target: string | null = $state(null);
  setup: PullSetup | null = $state(null);
  status: PullStatus | null = $state(null);
  summary: PulledSummary | null = $state(null);
  /** Why the last pull stopped or was refused. */
  error: Refusal | null = $state(null);
  /** A call is on its way (starting, cancelling). */
  busy = $state(false);

  #calls: PullCalls;
  #poll: ReturnType<typeof setInterval> | undefined;
  /** The user chose Start over: the interrupted pull is not offered again until the dialog reopens. */
  #startedOver = false;

  constructor(calls: PullCalls) {
    this.#calls = calls;
  }

  /** The token can come from the keychain when none is typed. */
  get canStart(): boolean {
    return !this.busy && (this.token.trim() !== "" || this.setup?.token_remembered === true);
  }

  /** An interrupted pull of the target waits. */
  get resumable(): boolean {
    return this.setup?.interrupted != null;
  }

  /** Reads the target, the keychain and any interrupted pull (on opening, and when options change). */
  async load(): Promise<void> {
    try {
      this.setup = await this.#calls.pullSetup(this.target, this.apiBase);
      const interrupted = this.setup.interrupted;
      if (interrupted && this.apiBase.trim() === "" && interrupted.api_base !== this.setup.default_api_base)
        this.apiBase = interrupted.api_base;
      if (this.stage === "form" && interrupted && !this.#startedOver) this.stage = "stopped";
    } catch (e) {
      this.error = refusal(e);
    }
  }

  /** Starts (or with `resume` continues) a pull and follows it until it ends. */
  async start(resume = false): Promise<void> {
    if (!this.canStart) return;
    this.error = null;
    this.summary = null;
    this.busy = true;
    this.stage = "running";
    this.status = null;
    this.#follow();
    const request: PullRequest = {
      token: this.token,
      target: this.target,
      api_base: this.apiBase,
      resume,
      remember: this.remember,
    };
    try {
      this.summary = await this.#calls.startPull(request);
      this.stage = "done";
      this.token = "";
    } catch (e) {
      this.error = refusal(e);
      await this.load();
      // Stopped with what it read kept: Resume; refused before anything (a bad token): the form.
      this.stage = this.resumable ? "stopped" : "form";
    } finally {
      this.#stopFollowing();
      this.busy = false;
    }
  }

  /** Stops the running pull after the page it is writing. */
  async cancel(): Promise<void> {
    await this.#calls.cancelPull();
    if (this.status) this.status = { ...this.status, stopping: true };
  }

  /** Starts over (the interrupted pull is discarded when the next one starts). */
  startOver(): void {
    this.#startedOver = true;
    this.stage = "form";
    this.error = null;
  }

  async forgetToken(): Promise<void> {
    try {
      await this.#calls.forgetPullToken(this.apiBase);
    } catch (e) {
      this.error = refusal(e);
    }
    await this.load();
  }

  /** Asks where the running pull stands now. */
  async poll(): Promise<void> {
    const status = await this.#calls.pullProgress();
    if (status && this.stage === "running") this.status = status;
  }

  #follow(): void {
    this.#stopFollowing();
    this.#poll = setInterval(() => void this.poll().catch(() => undefined), POLL_MS);
  }

  #stopFollowing(): void {
    clearInterval(this.#poll);
    this.#poll = undefined;
  }

  /** The dialog closes: the token is forgotten, the rest starts afresh next time. */
  close(): void {
    this.#stopFollowing();
    this.token = "";
    this.showToken = false;
    this.remember = false;
    this.stage = "form";
    this.status = null;
    this.summary = null;
    this.error = null;
    this.setup = null;
    this.#startedOver = false;
  }
}
