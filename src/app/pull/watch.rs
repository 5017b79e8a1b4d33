//! A pull as a window shows it. `PullWatch` is a `PullReport` that keeps where each object kind stands
//! (with its rate measured over this run, so that a resumed pull's rate and time left are not inflated by
//! what it read before) for a UI to poll; `PullStatus`, `InterruptedPull` and `PulledSummary` are what it
//! shows, typed for the UI (ts-rs). The desktop's pull dialog reads them; the CLI prints its own lines.

use super::{
    phase_text, read_state, staging_path, time_left, KindProgress, Phase, PullCounts, PullKind,
    PullReport, PullState, PullSummary, VisibilityChanges,
};
use crate::vendor::ApiFlavor;
use crate::Result;
use serde::Serialize;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use ts_rs::TS;

/// The kinds in the order a pull reads them.
pub const KINDS: [PullKind; 6] = [
    PullKind::Catalog,
    PullKind::Companies,
    PullKind::Contacts,
    PullKind::ListMemberships,
    PullKind::Tickets,
    PullKind::Threads,
];

/// Where one object kind stands.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct KindStatus {
    /// `catalog`, `companies`, `contacts`, `list_memberships`, `tickets` or `threads`.
    pub kind: String,
    /// What people call it ("list memberships").
    pub label: String,
    /// Records read so far (in this run and any run it resumes).
    #[ts(type = "number")]
    pub done: u64,
    /// How many there are, when the vendor said.
    #[ts(type = "number | null")]
    pub total: Option<u64>,
    /// Records per second in this run.
    pub rate: f64,
    /// Seconds left at that rate or the lower one the pacer's budget allows, when the total is known.
    pub seconds_left: Option<f64>,
    /// Reading has begun (now or in the run this one resumes).
    pub started: bool,
    pub finished: bool,
    /// Anything else worth a word ("1,204 messages").
    pub detail: Option<String>,
}

impl KindStatus {
    fn waiting(kind: PullKind) -> KindStatus {
        KindStatus {
            kind: kind_key(kind).to_string(),
            label: kind.label().to_string(),
            done: 0,
            total: None,
            rate: 0.0,
            seconds_left: None,
            started: false,
            finished: false,
            detail: None,
        }
    }
}

fn kind_key(kind: PullKind) -> &'static str {
    match kind {
        PullKind::Catalog => "catalog",
        PullKind::Companies => "companies",
        PullKind::Contacts => "contacts",
        PullKind::ListMemberships => "list_memberships",
        PullKind::Tickets => "tickets",
        PullKind::Threads => "threads",
    }
}

/// A running pull as a window shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PullStatus {
    /// What the pull is doing now, in words.
    pub step: String,
    /// Every kind, in the order they are read.
    pub kinds: Vec<KindStatus>,
    /// What the pull said along the way ("Resuming the interrupted pull (companies read so far)").
    pub notes: Vec<String>,
    /// Seconds since this run started.
    pub seconds: f64,
    /// Cancel was asked for: the pull stops after the page it is writing.
    pub stopping: bool,
}

/// The first report of a kind in this run: the rate is measured from it.
#[derive(Debug, Clone, Copy)]
struct Base {
    done: u64,
    seconds: f64,
}

#[derive(Debug)]
struct Watched {
    kinds: Vec<KindStatus>,
    bases: Vec<Option<Base>>,
    notes: Vec<String>,
}

/// The `PullReport` a window polls (`status`).
#[derive(Debug)]
pub struct PullWatch {
    started: Instant,
    stopping: AtomicBool,
    watched: Mutex<Watched>,
}

impl Default for PullWatch {
    fn default() -> Self {
        PullWatch::new()
    }
}

const CHECKING: &str = "Checking the token and its scopes";
const READING: &str = "Reading the help desk";
const WRITING: &str = "Writing the workspace";
const STOPPING: &str = "Stopping after the page being written";

impl PullWatch {
    pub fn new() -> PullWatch {
        PullWatch {
            started: Instant::now(),
            stopping: AtomicBool::new(false),
            watched: Mutex::new(Watched {
                kinds: KINDS
                    .iter()
                    .map(|kind| KindStatus::waiting(*kind))
                    .collect(),
                bases: vec![None; KINDS.len()],
                notes: Vec::new(),
            }),
        }
    }

    /// A watch of a pull that resumes `interrupted`: the kinds it already read show as read.
    pub fn resuming(interrupted: &InterruptedPull) -> PullWatch {
        let watch = PullWatch::new();
        watch.lock().kinds = interrupted.kinds.clone();
        watch
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Watched> {
        self.watched.lock().expect("the pull watch lock")
    }

    /// Cancel was asked for (the desktop's Cancel button); the status says so until the pull stops.
    pub fn stopping(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub fn status(&self) -> PullStatus {
        let watched = self.lock();
        let stopping = self.stopping.load(Ordering::SeqCst);
        let step = if stopping {
            STOPPING
        } else if watched.kinds.iter().all(|kind| kind.finished) {
            WRITING
        } else if watched.kinds.iter().any(|kind| kind.started) {
            READING
        } else {
            CHECKING
        };
        PullStatus {
            step: step.to_string(),
            kinds: watched.kinds.clone(),
            notes: watched.notes.clone(),
            seconds: self.started.elapsed().as_secs_f64(),
            stopping,
        }
    }
}

impl PullReport for PullWatch {
    fn progress(&self, progress: &KindProgress) {
        let Some(index) = KINDS.iter().position(|kind| *kind == progress.kind) else {
            return;
        };
        let mut watched = self.lock();
        let base = *watched.bases[index].get_or_insert(Base {
            done: progress.done,
            seconds: progress.seconds,
        });
        // The rate of this run: from the first page it reported, or over the whole phase before that.
        let rate = if progress.seconds > base.seconds && progress.done > base.done {
            (progress.done - base.done) as f64 / (progress.seconds - base.seconds)
        } else if progress.done > base.done || base.done == 0 {
            progress.rate()
        } else {
            // One report so far in a resumed phase: its count includes the earlier run's.
            0.0
        };
        let seconds_left = match progress.total {
            _ if progress.finished => None,
            Some(total) => time_left(total, progress.done, rate, progress.budget_rate),
            None => None,
        };
        watched.kinds[index] = KindStatus {
            kind: kind_key(progress.kind).to_string(),
            label: progress.kind.label().to_string(),
            done: progress.done,
            total: progress.total,
            rate,
            seconds_left,
            started: true,
            finished: progress.finished,
            detail: progress.detail.clone(),
        };
    }

    fn note(&self, text: &str) {
        self.lock().notes.push(text.to_string());
    }
}

/// An interrupted pull waiting beside its target (`FILE.pull`): what it was started with and how far it
/// got, so that a window can offer to resume it with the same options.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct InterruptedPull {
    pub api_base: String,
    /// It reads the legacy v3/v4 paths (started so from the command line).
    pub legacy_paths: bool,
    /// It replaces the data of an existing workspace.
    pub replace: bool,
    /// How far it got, in words ("companies read").
    pub reached: String,
    /// Where each kind stands.
    pub kinds: Vec<KindStatus>,
    /// Seconds it has run so far.
    pub seconds: f64,
}

impl InterruptedPull {
    pub fn flavor(&self) -> ApiFlavor {
        if self.legacy_paths {
            ApiFlavor::Legacy
        } else {
            ApiFlavor::Dated
        }
    }
}

/// The interrupted pull of `target`, if one waits (None as well when its state cannot be read, as
/// `--resume` would then refuse).
pub async fn interrupted_pull(target: &Path) -> Result<Option<InterruptedPull>> {
    if !staging_path(target).exists() {
        return Ok(None);
    }
    Ok(read_state(&staging_path(target))
        .await?
        .map(|state| interrupted_of(&state)))
}

fn interrupted_of(state: &PullState) -> InterruptedPull {
    let counts = &state.counts;
    let kinds = KINDS
        .iter()
        .map(|kind| {
            let (done, total, phase) = match kind {
                PullKind::Catalog => (
                    counts.pipelines + counts.lists + counts.inboxes + counts.channels,
                    None,
                    Phase::Catalog,
                ),
                PullKind::Companies => (counts.companies, state.totals.companies, Phase::Companies),
                PullKind::Contacts => (
                    counts.contacts + counts.contacts_without_email,
                    state.totals.contacts,
                    Phase::Contacts,
                ),
                PullKind::ListMemberships => (counts.list_memberships, None, Phase::Memberships),
                PullKind::Tickets => (
                    counts.tickets + counts.tickets_without_pipeline,
                    state.totals.tickets,
                    Phase::Tickets,
                ),
                PullKind::Threads => (counts.threads, None, Phase::Threads),
            };
            KindStatus {
                done,
                total,
                started: state.phase >= phase,
                finished: state.phase > phase,
                detail: (*kind == PullKind::Threads && counts.messages > 0)
                    .then(|| format!("{} messages", counts.messages)),
                ..KindStatus::waiting(*kind)
            }
        })
        .collect();
    InterruptedPull {
        api_base: state.api_base.clone(),
        legacy_paths: state.flavor == ApiFlavor::Legacy,
        replace: state.replace,
        reached: phase_text(state.phase).to_string(),
        kinds,
        seconds: state.seconds,
    }
}

/// One line of what came in.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PulledRow {
    pub what: String,
    #[ts(type = "number")]
    pub count: u64,
    /// What was left out or is worth knowing ("2 without an email skipped").
    pub note: Option<String>,
}

/// What a finished pull came to, as a window shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct PulledSummary {
    pub workspace: String,
    pub rows: Vec<PulledRow>,
    #[ts(type = "number")]
    pub requests: u64,
    #[ts(type = "number")]
    pub retries: u64,
    #[ts(type = "number")]
    pub rate_limited: u64,
    pub seconds: f64,
    pub resumed: bool,
    /// It replaced an existing workspace's data (keeping its settings, logins and outbox).
    pub replaced: bool,
    #[ts(type = "number")]
    pub logins_kept: u64,
    #[ts(type = "number")]
    pub logins_dropped: u64,
    /// For a re-pull: how what contacts see changed against the replaced workspace.
    pub visibility: Option<VisibilityChanges>,
}

fn row(what: &str, count: u64, notes: &[Option<String>]) -> PulledRow {
    let notes: Vec<&str> = notes.iter().flatten().map(String::as_str).collect();
    PulledRow {
        what: what.to_string(),
        count,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// The rows of what came in, per kind, with what was left out.
pub fn pulled_rows(counts: &PullCounts, tickets_without_stage: u64) -> Vec<PulledRow> {
    let some = |n: u64, text: String| (n > 0).then_some(text);
    vec![
        row("companies", counts.companies, &[]),
        row(
            "contacts",
            counts.contacts,
            &[some(
                counts.contacts_without_email,
                format!("{} without an email skipped", counts.contacts_without_email),
            )],
        ),
        row(
            "lists",
            counts.lists,
            &[Some(format!("{} memberships", counts.list_memberships))],
        ),
        row(
            "pipelines",
            counts.pipelines,
            &[Some(format!("{} stages", counts.stages))],
        ),
        row(
            "tickets",
            counts.tickets,
            &[some(
                counts.tickets_without_pipeline + tickets_without_stage,
                format!(
                    "{} without a listed pipeline or stage left out",
                    counts.tickets_without_pipeline + tickets_without_stage
                ),
            )],
        ),
        row("inboxes", counts.inboxes, &[]),
        row(
            "channels",
            counts.channels + counts.unlisted_channels,
            &[
                some(
                    counts.unlisted_channels,
                    format!("{} not listed (on no inbox)", counts.unlisted_channels),
                ),
                some(
                    counts.channels_of_other_kinds,
                    format!("{} of other kinds as chat", counts.channels_of_other_kinds),
                ),
            ],
        ),
        row("threads", counts.threads, &[]),
        row(
            "messages",
            counts.messages,
            &[some(
                counts.entries_not_messages,
                format!(
                    "{} other thread entries skipped",
                    counts.entries_not_messages
                ),
            )],
        ),
    ]
}

impl From<&PullSummary> for PulledSummary {
    fn from(summary: &PullSummary) -> PulledSummary {
        PulledSummary {
            workspace: summary.workspace.display().to_string(),
            rows: pulled_rows(&summary.counts, summary.tickets_without_stage),
            requests: summary.requests,
            retries: summary.retries,
            rate_limited: summary.rate_limited,
            seconds: summary.seconds,
            resumed: summary.resumed,
            replaced: summary.replaced,
            logins_kept: summary.logins_kept,
            logins_dropped: summary.logins_dropped,
            visibility: summary.visibility.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(kind: PullKind, done: u64, total: Option<u64>, seconds: f64) -> KindProgress {
        KindProgress {
            kind,
            done,
            total,
            seconds,
            finished: false,
            detail: None,
            budget_rate: None,
        }
    }

    fn kind(status: &PullStatus, key: &str) -> KindStatus {
        status
            .kinds
            .iter()
            .find(|kind| kind.kind == key)
            .unwrap()
            .clone()
    }

    #[test]
    fn a_watch_shows_every_kind_waiting_until_the_first_page_arrives() {
        let watch = PullWatch::new();
        let status = watch.status();
        assert_eq!(status.step, CHECKING);
        assert_eq!(status.kinds.len(), 6);
        assert!(status.kinds.iter().all(|kind| !kind.started));

        watch.progress(&progress(PullKind::Companies, 100, Some(400), 1.0));
        let status = watch.status();
        assert_eq!(status.step, READING);
        let companies = kind(&status, "companies");
        assert!(companies.started && !companies.finished);
        assert_eq!((companies.done, companies.total), (100, Some(400)));
    }

    #[test]
    fn the_rate_and_time_left_count_only_what_this_run_read() {
        // A resumed pull: 1,000 contacts were read before; this run reads 100 more per second.
        let watch = PullWatch::new();
        watch.progress(&progress(PullKind::Contacts, 1_000, Some(2_000), 0.5));
        assert_eq!(kind(&watch.status(), "contacts").rate, 0.0);
        watch.progress(&progress(PullKind::Contacts, 1_200, Some(2_000), 2.5));
        let contacts = kind(&watch.status(), "contacts");
        assert!((contacts.rate - 100.0).abs() < 1e-9, "{}", contacts.rate);
        assert!((contacts.seconds_left.unwrap() - 8.0).abs() < 1e-9);
    }

    #[test]
    fn the_dialogs_time_left_is_the_command_lines_with_the_budgets_rate() {
        // A first burst: 460 threads in 20 s with one request each, while the budget (180 per 10 s)
        // lets 18 a second through from now on.
        let watch = PullWatch::new();
        let mut first = progress(PullKind::Threads, 0, Some(4_000), 0.0);
        first.budget_rate = None;
        watch.progress(&first);
        let mut now = progress(PullKind::Threads, 460, Some(4_000), 20.0);
        now.budget_rate =
            super::super::budget_rate(460, 460, (180, std::time::Duration::from_secs(10)));
        watch.progress(&now);
        let threads = kind(&watch.status(), "threads");
        assert!((threads.rate - 23.0).abs() < 1e-9, "{}", threads.rate);
        let left = threads.seconds_left.unwrap();
        assert!((left - 3_540.0 / 18.0).abs() < 1e-6, "{left}");
        assert_eq!(threads.seconds_left, now.seconds_left());
    }

    #[test]
    fn cancel_shows_as_stopping_until_the_pull_ends() {
        let watch = PullWatch::new();
        watch.stopping();
        let status = watch.status();
        assert!(status.stopping);
        assert_eq!(status.step, STOPPING);
    }

    #[test]
    fn an_interrupted_pull_shows_the_kinds_it_read_as_read_and_the_one_it_was_reading_as_begun() {
        let state = PullState {
            api_base: "http://127.0.0.1:9".into(),
            flavor: ApiFlavor::Dated,
            replace: true,
            phase: Phase::Contacts,
            position: Default::default(),
            contact_properties: Vec::new(),
            ticket_properties: Vec::new(),
            lists: Vec::new(),
            channel_kinds: Default::default(),
            totals: super::super::Totals {
                companies: Some(40),
                contacts: Some(200),
                tickets: None,
                threads: None,
            },
            counts: PullCounts {
                pipelines: 1,
                lists: 2,
                companies: 40,
                contacts: 75,
                ..PullCounts::default()
            },
            requests: 10,
            retries: 0,
            rate_limited: 0,
            seconds: 3.5,
        };
        let interrupted = interrupted_of(&state);
        assert_eq!(interrupted.reached, "companies read");
        assert!(interrupted.replace && !interrupted.legacy_paths);
        let watch = PullWatch::resuming(&interrupted);
        let status = watch.status();
        let catalog = kind(&status, "catalog");
        assert!(catalog.finished);
        assert_eq!(catalog.done, 3);
        assert!(kind(&status, "companies").finished);
        let contacts = kind(&status, "contacts");
        assert!(contacts.started && !contacts.finished);
        assert_eq!((contacts.done, contacts.total), (75, Some(200)));
        assert!(!kind(&status, "tickets").started);
    }

    #[test]
    fn the_summary_rows_say_what_was_left_out() {
        let counts = PullCounts {
            contacts: 5,
            contacts_without_email: 2,
            tickets: 8,
            tickets_without_pipeline: 1,
            ..PullCounts::default()
        };
        let rows = pulled_rows(&counts, 1);
        let contacts = rows.iter().find(|row| row.what == "contacts").unwrap();
        assert_eq!(contacts.count, 5);
        assert_eq!(contacts.note.as_deref(), Some("2 without an email skipped"));
        let tickets = rows.iter().find(|row| row.what == "tickets").unwrap();
        assert_eq!(
            tickets.note.as_deref(),
            Some("2 without a listed pipeline or stage left out")
        );
        assert_eq!(
            rows.iter()
                .find(|row| row.what == "companies")
                .unwrap()
                .note,
            None
        );
    }
}
