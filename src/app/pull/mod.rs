//! `portal pull`: reads a help desk account over the vendor's REST API (`vendor-import.md`) and writes a
//! workspace from it. Pages stream from the client into the bulk writer of a staging workspace beside
//! the target, committed at checkpoints together with the pull's state, so a pull that stops (daily
//! limit, network, cancel, kill) continues with `--resume` without re-reading what it has. The target is
//! replaced in one step (a rename) at the end; until then it is untouched.

pub mod map;
pub mod watch;

use crate::app::matrix::{self, AuditRow};
use crate::app::transfer::CancelToken;
use crate::domain::model::{Catalog, Channel, Company, Contact, Thread, Ticket};
use crate::storage::bulk::{BulkWrite, PullRepairs};
use crate::vendor::types::{self, Page};
use crate::vendor::{ApiFlavor, Client, Request, RetryPolicy, Token, VendorError};
use crate::{Error, Result, Workspace};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Records per page of the CRM object lists (the vendor's maximum).
const OBJECT_PAGE: u32 = 100;
/// Members per page of a list (the vendor's maximum).
const MEMBERSHIP_PAGE: u32 = 250;
/// Threads per page (the vendor's maximum).
const THREAD_PAGE: u32 = 500;
/// Entries per page of a thread's messages.
const MESSAGE_PAGE: u32 = 100;
/// Lists per page of the list search (the vendor's maximum).
const LIST_PAGE: u32 = 500;
/// Work is committed, with the state a resumed pull starts from, at least this often.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(2);

/// What a pull was asked to do.
#[derive(Debug, Clone)]
pub struct PullOptions {
    pub workspace: PathBuf,
    pub api_base: String,
    pub flavor: ApiFlavor,
    /// Replace the CRM data of an existing workspace (its settings, their history, logins, outbox,
    /// forms, articles and menus are kept).
    pub replace: bool,
    /// Continue the interrupted pull of this target.
    pub resume: bool,
    pub policy: RetryPolicy,
}

/// Why a pull did not start or could not go on, besides what the vendor answered (`VendorError`).
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("{0} already exists; pass --replace to replace its help-desk data (its settings, portal logins and outbox are kept)")]
    TargetExists(PathBuf),
    #[error("there is no interrupted pull of {0} to resume")]
    NothingToResume(PathBuf),
    #[error("the interrupted pull of {path} was started with {started}; resume it with the same options, or start over without --resume")]
    ResumeMismatch { path: PathBuf, started: String },
    #[error("the answer of {endpoint} could not be understood: {field}: {detail}")]
    Unreadable {
        endpoint: String,
        field: String,
        detail: String,
    },
}

impl PullError {
    /// Whether the user asked for something that cannot be (exit code 2), rather than a pull that
    /// stopped.
    pub fn is_usage(&self) -> bool {
        !matches!(self, PullError::Unreadable { .. })
    }
}

/// The object kinds a pull reports progress for, in the order it reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum PullKind {
    /// Pipelines, lists, inboxes and channels.
    Catalog,
    Companies,
    Contacts,
    ListMemberships,
    Tickets,
    Threads,
}

impl PullKind {
    pub fn label(self) -> &'static str {
        match self {
            PullKind::Catalog => "pipelines, lists, inboxes, channels",
            PullKind::Companies => "companies",
            PullKind::Contacts => "contacts",
            PullKind::ListMemberships => "list memberships",
            PullKind::Tickets => "tickets",
            PullKind::Threads => "threads",
        }
    }
}

/// How far one kind is: records read, how many there are (when the vendor says), and time spent.
#[derive(Debug, Clone, Serialize)]
pub struct KindProgress {
    pub kind: PullKind,
    pub done: u64,
    pub total: Option<u64>,
    pub seconds: f64,
    pub finished: bool,
    /// Anything else worth a word ("1,204 messages").
    pub detail: Option<String>,
    /// Records per second the pacer's budget lets this kind come in at (`budget_rate`), once this run
    /// of the kind has had an answer.
    pub budget_rate: Option<f64>,
}

impl KindProgress {
    /// Records per second so far.
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.done as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Seconds left (`time_left` at the rate so far), when the total is known.
    pub fn seconds_left(&self) -> Option<f64> {
        time_left(self.total?, self.done, self.rate(), self.budget_rate)
    }
}

/// Records per second the pacer's budget lets a kind come in at: the records each of its requests has
/// brought in this run, times the requests per second the budget allows (`budget`: requests per
/// window, and the window). None before the kind has records or requests to tell.
pub fn budget_rate(records: u64, requests: u64, budget: (u32, Duration)) -> Option<f64> {
    let (allowed, window) = budget;
    if records == 0 || requests == 0 || window.is_zero() {
        return None;
    }
    Some(records as f64 / requests as f64 * f64::from(allowed) / window.as_secs_f64())
}

/// Seconds left to read `total` records with `done` read: at the measured rate, unless the pacer's
/// budget allows less. Early in a paced pull the measured rate runs ahead of what the budget lets
/// through: the pacer's window starts empty, so the first window's requests all go at once, and a
/// time left counted at that rate is short by most of a window for every window still to come. Every
/// time left a pull shows (the command line's lines and the desktop's pull dialog) is this one.
pub fn time_left(
    total: u64,
    done: u64,
    measured_rate: f64,
    budget_rate: Option<f64>,
) -> Option<f64> {
    let rate = match budget_rate {
        Some(budget) if budget > 0.0 => measured_rate.min(budget),
        _ => measured_rate,
    };
    (rate > 0.0).then(|| total.saturating_sub(done) as f64 / rate)
}

/// Where a pull tells how it goes: the CLI prints lines; the desktop's pull dialog shows a bar per kind
/// (`watch::PullWatch`, which it polls).
pub trait PullReport: Send + Sync {
    fn progress(&self, progress: &KindProgress);
    fn note(&self, text: &str);
}

/// A report that says nothing.
pub struct Silent;

impl PullReport for Silent {
    fn progress(&self, _: &KindProgress) {}
    fn note(&self, _: &str) {}
}

/// What was read, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullCounts {
    pub pipelines: u64,
    pub stages: u64,
    pub lists: u64,
    pub inboxes: u64,
    pub channels: u64,
    /// Channel accounts of a kind the workspace has no type for (stored as CHAT).
    pub channels_of_other_kinds: u64,
    /// Channels made for threads whose channel account was not listed (on no inbox).
    pub unlisted_channels: u64,
    pub companies: u64,
    pub contacts: u64,
    pub contacts_without_email: u64,
    pub list_memberships: u64,
    pub tickets: u64,
    pub tickets_without_pipeline: u64,
    pub threads: u64,
    pub messages: u64,
    /// Thread entries that are not messages (welcome messages, status changes, assignments).
    pub entries_not_messages: u64,
}

impl PullCounts {
    /// The records of `kind` read so far, as its progress counts them: those skipped (a contact without
    /// an email, a ticket without a pipeline) were read too.
    fn read_of(&self, kind: PullKind) -> u64 {
        match kind {
            PullKind::Catalog => 0,
            PullKind::Companies => self.companies,
            PullKind::Contacts => self.contacts + self.contacts_without_email,
            PullKind::ListMemberships => self.list_memberships,
            PullKind::Tickets => self.tickets + self.tickets_without_pipeline,
            PullKind::Threads => self.threads,
        }
    }
}

/// What a pull came to.
#[derive(Debug, Clone, Serialize)]
pub struct PullSummary {
    pub workspace: PathBuf,
    pub counts: PullCounts,
    pub requests: u64,
    pub retries: u64,
    pub rate_limited: u64,
    pub seconds: f64,
    pub resumed: bool,
    pub replaced: bool,
    pub tickets_without_stage: u64,
    pub dangling_references: u64,
    pub logins_kept: u64,
    pub logins_dropped: u64,
    /// With `--replace`: how what contacts see changed (the visibility matrix before and after).
    pub visibility: Option<VisibilityChanges>,
}

/// How a re-pull changed what contacts see: the visibility matrix of the replaced workspace against the
/// new one, matched by email and view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct VisibilityChanges {
    pub contacts_before: usize,
    pub contacts_after: usize,
    /// Contacts who may sign in now and could not before (or are new), and the reverse.
    pub may_now_sign_in: Vec<String>,
    pub may_no_longer_sign_in: Vec<String>,
    /// (contact, view, ticket) visibilities that appeared and that disappeared.
    #[ts(type = "number")]
    pub tickets_shown: u64,
    #[ts(type = "number")]
    pub tickets_hidden: u64,
    /// The contacts whose visible tickets changed in any view.
    pub contacts_seeing_changes: Vec<String>,
}

/// Compares two visibility matrices (`matrix::audit`) by contact email and view.
pub fn visibility_changes(before: &[AuditRow], after: &[AuditRow]) -> VisibilityChanges {
    use std::collections::{BTreeMap, BTreeSet};
    type Rows<'a> = BTreeMap<(String, String), (bool, BTreeSet<&'a str>)>;
    fn rows_of(rows: &[AuditRow]) -> Rows<'_> {
        rows.iter()
            .map(|row| {
                (
                    (
                        row.contact.to_lowercase(),
                        row.view
                            .map_or(String::new(), |view| view.as_str().to_string()),
                    ),
                    (
                        row.can_sign_in,
                        row.visible_tickets.iter().map(String::as_str).collect(),
                    ),
                )
            })
            .collect()
    }
    let old = rows_of(before);
    let new = rows_of(after);
    let signs_in = |rows: &Rows<'_>| -> BTreeMap<String, bool> {
        let mut contacts = BTreeMap::new();
        for ((contact, _), (can, _)) in rows {
            contacts.insert(contact.clone(), *can);
        }
        contacts
    };
    let (old_sign_in, new_sign_in) = (signs_in(&old), signs_in(&new));
    let mut changes = VisibilityChanges {
        contacts_before: old_sign_in.len(),
        contacts_after: new_sign_in.len(),
        ..VisibilityChanges::default()
    };
    for (contact, can) in &new_sign_in {
        if *can && old_sign_in.get(contact) != Some(&true) {
            changes.may_now_sign_in.push(contact.clone());
        }
    }
    for (contact, could) in &old_sign_in {
        if *could && new_sign_in.get(contact) != Some(&true) {
            changes.may_no_longer_sign_in.push(contact.clone());
        }
    }
    let empty = BTreeSet::new();
    let mut changed: BTreeSet<String> = BTreeSet::new();
    let keys: BTreeSet<&(String, String)> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let before = old.get(key).map_or(&empty, |(_, tickets)| tickets);
        let after = new.get(key).map_or(&empty, |(_, tickets)| tickets);
        let shown = after.difference(before).count() as u64;
        let hidden = before.difference(after).count() as u64;
        changes.tickets_shown += shown;
        changes.tickets_hidden += hidden;
        if shown + hidden > 0 {
            changed.insert(key.0.clone());
        }
    }
    changes.contacts_seeing_changes = changed.into_iter().collect();
    changes
}

#[derive(Debug)]
pub enum Pulled {
    Done(Box<PullSummary>),
    /// Stopped on request; what was read is kept for `--resume`, the target is untouched.
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Phase {
    Catalog,
    Companies,
    Contacts,
    Memberships,
    Tickets,
    Threads,
    Finishing,
}

/// Where a phase stands: the cursor of the next page (and for memberships the list, for threads the
/// pass over archived ones).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Position {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    list: usize,
    #[serde(default)]
    archived: bool,
}

impl Position {
    /// The page of a plain cursor-paged collection after `after`.
    fn after(after: String) -> Position {
        Position {
            after: Some(after),
            ..Position::default()
        }
    }
}

/// Totals the vendor reported before the pull, for time left.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Totals {
    companies: Option<u64>,
    contacts: Option<u64>,
    tickets: Option<u64>,
    /// Counted when the threads phase starts (the thread list says no total).
    #[serde(default)]
    threads: Option<u64>,
}

/// Everything a resumed pull needs, stored in the staging workspace with each checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PullState {
    api_base: String,
    flavor: ApiFlavor,
    replace: bool,
    phase: Phase,
    position: Position,
    contact_properties: Vec<String>,
    ticket_properties: Vec<String>,
    lists: Vec<String>,
    channel_kinds: HashMap<String, String>,
    totals: Totals,
    counts: PullCounts,
    requests: u64,
    retries: u64,
    rate_limited: u64,
    seconds: f64,
}

/// The staging workspace of a pull into `target`: beside it, same name plus `.pull`.
pub fn staging_path(target: &Path) -> PathBuf {
    let mut name = target.as_os_str().to_owned();
    name.push(".pull");
    PathBuf::from(name)
}

/// Whether an interrupted pull of `target` waits to be resumed.
pub fn has_interrupted_pull(target: &Path) -> bool {
    staging_path(target).exists()
}

fn sqlite_files(path: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            PathBuf::from(file)
        })
        .collect()
}

fn remove_sqlite_files(path: &Path) {
    for file in sqlite_files(path) {
        let _ = std::fs::remove_file(file);
    }
}

fn unreadable(endpoint: &str, bad: map::BadField) -> Error {
    PullError::Unreadable {
        endpoint: endpoint.to_string(),
        field: bad.field,
        detail: bad.detail,
    }
    .into()
}

/// Pulls the account the token opens into the workspace of `options` (see the module's description).
pub async fn pull(
    options: &PullOptions,
    token: Token,
    report: &dyn PullReport,
    cancel: &CancelToken,
) -> Result<Pulled> {
    let started = Instant::now();
    let target = options.workspace.as_path();
    let staging = staging_path(target);
    let client = Client::new(
        &options.api_base,
        token,
        options.flavor,
        options.policy.clone(),
    )?;
    if target.exists() {
        if !options.replace {
            return Err(PullError::TargetExists(target.into()).into());
        }
        // Refuses early a file that is not a workspace, before anything is read.
        Workspace::open(target, false).await?.close().await;
    }
    let resumed_state = if options.resume {
        let state = read_state(&staging)
            .await?
            .ok_or_else(|| PullError::NothingToResume(target.into()))?;
        if state.api_base != options.api_base
            || state.flavor != options.flavor
            || state.replace != options.replace
        {
            return Err(PullError::ResumeMismatch {
                path: target.into(),
                started: format!(
                    "--api-base {} --api-version {}{}",
                    state.api_base,
                    match state.flavor {
                        ApiFlavor::Legacy => "legacy",
                        ApiFlavor::Dated => "2026-03",
                    },
                    if state.replace { " --replace" } else { "" }
                ),
            }
            .into());
        }
        Some(state)
    } else {
        None
    };
    // The token and its scopes are checked before anything is written.
    let checked = preflight(&client).await?;
    let mut state = match resumed_state {
        Some(state) => {
            report.note(&format!(
                "Resuming the interrupted pull ({} so far)",
                phase_text(state.phase)
            ));
            state
        }
        None => {
            if staging.exists() {
                report.note(&format!(
                    "Discarding the interrupted pull in {} (--resume continues one)",
                    staging.display()
                ));
                remove_sqlite_files(&staging);
            }
            PullState {
                api_base: options.api_base.clone(),
                flavor: options.flavor,
                replace: options.replace,
                phase: Phase::Catalog,
                position: Position::default(),
                contact_properties: checked.contact_properties,
                ticket_properties: checked.ticket_properties,
                lists: Vec::new(),
                channel_kinds: HashMap::new(),
                totals: checked.totals,
                counts: PullCounts::default(),
                requests: 0,
                retries: 0,
                rate_limited: 0,
                seconds: 0.0,
            }
        }
    };
    let workspace = Workspace::open(&staging, true).await?;
    let mut write = workspace.begin_staging().await?;
    let seconds_before = state.seconds;
    let mut run = Run {
        client: &client,
        write: &mut write,
        state: &mut state,
        report,
        cancel,
        started,
        seconds_before,
        last_checkpoint: Instant::now(),
        known_channels: None,
    };
    let outcome = run.phases().await;
    match outcome {
        Ok(true) => {}
        Ok(false) => {
            run.checkpoint().await?;
            write.commit().await?;
            workspace.close().await;
            return Ok(Pulled::Cancelled);
        }
        Err(error) => {
            // Not logged here: the error goes back to the caller, whose report of it (the CLI's message,
            // the desktop's command log) is the one line a failure gets.
            // What was written is kept with the position it reached, for --resume.
            if let Err(storage) = run.checkpoint().await {
                tracing::error!(error = %storage, "the pull's state could not be saved");
            }
            let _ = write.commit().await;
            workspace.close().await;
            return Err(error);
        }
    }
    let kept = (options.replace && target.exists()).then_some(target);
    if let Some(target) = kept {
        // Spec 10.6: what the replaced workspace's contacts saw, kept (finish_pull carries it over).
        crate::app::snapshots::take_automatic_at(target, crate::app::snapshots::Before::Pull).await;
    }
    let repairs: PullRepairs = write.finish_pull(kept).await?;
    write.commit().await?;
    workspace.close().await;
    // The visibility snapshot of the workspace being replaced, to report what the re-pull changes.
    let before = match kept {
        Some(target) => audit_of(target).await,
        None => None,
    };
    // The staging file is complete: it replaces the target in one step.
    for file in sqlite_files(target).into_iter().skip(1) {
        let _ = std::fs::remove_file(file);
    }
    std::fs::rename(&staging, target).map_err(|source| Error::Io {
        path: target.into(),
        source,
    })?;
    remove_sqlite_files(&staging);
    let visibility = match before {
        Some(before) => audit_of(target)
            .await
            .map(|after| visibility_changes(&before, &after)),
        None => None,
    };
    let (requests, retries, rate_limited) = client.stats();
    Ok(Pulled::Done(Box::new(PullSummary {
        workspace: target.into(),
        counts: state.counts.clone(),
        requests: state.requests + requests,
        retries: state.retries + retries,
        rate_limited: state.rate_limited + rate_limited,
        seconds: seconds_before + started.elapsed().as_secs_f64(),
        resumed: options.resume,
        replaced: kept.is_some(),
        tickets_without_stage: repairs.tickets_without_stage,
        dangling_references: repairs.dangling_references,
        logins_kept: repairs.logins_kept,
        logins_dropped: repairs.logins_dropped,
        visibility,
    })))
}

/// The visibility matrix of the workspace at `path`; None (logged) when it cannot be computed, which
/// costs the report of changes but not the pull.
async fn audit_of(path: &Path) -> Option<Vec<AuditRow>> {
    let audited = async {
        let workspace = Workspace::open(path, false).await?;
        let rows = matrix::audit(&workspace).await;
        workspace.close().await;
        rows
    }
    .await;
    match audited {
        Ok(rows) => Some(rows),
        Err(error) => {
            tracing::warn!(error = %error, "no visibility snapshot");
            None
        }
    }
}

fn phase_text(phase: Phase) -> &'static str {
    match phase {
        Phase::Catalog => "nothing read",
        Phase::Companies => "the catalog read",
        Phase::Contacts => "companies read",
        Phase::Memberships => "contacts read",
        Phase::Tickets => "list memberships read",
        Phase::Threads => "tickets read",
        Phase::Finishing => "everything read",
    }
}

async fn read_state(staging: &Path) -> Result<Option<PullState>> {
    if !staging.exists() {
        return Ok(None);
    }
    let workspace = Workspace::open(staging, false).await?;
    let document = workspace.pull_state().await;
    workspace.close().await;
    match document? {
        None => Ok(None),
        Some(document) => Ok(serde_json::from_str(&document).ok()),
    }
}

/// What the checks before a pull found out.
struct Checked {
    contact_properties: Vec<String>,
    ticket_properties: Vec<String>,
    totals: Totals,
}

#[derive(Deserialize)]
struct SearchTotal {
    #[serde(default)]
    total: Option<u64>,
}

/// Reads, at once, one small answer of each dataset: a 401 stops everything, the scopes every 403 names
/// are reported together, and the custom property names and totals come back.
async fn preflight(client: &Client) -> Result<Checked> {
    let flavor = client.flavor;
    let properties = |object: &str| {
        client.call::<Page<types::PropertyDefinition>>(Request::get(flavor.properties(object)))
    };
    let total = |object: &str| {
        client.call::<SearchTotal>(Request::post(
            format!("{}/search", flavor.objects(object)),
            serde_json::json!({ "limit": 1, "properties": ["hs_object_id"] }),
        ))
    };
    let lists = client.call::<types::ListSearchPage>(Request::post(
        flavor.lists_search(),
        serde_json::json!({ "objectTypeId": "0-1", "offset": 0, "count": 1 }),
    ));
    let inboxes = client.call::<Page<types::Inbox>>(
        Request::get(flavor.conversations("inboxes")).query("limit", "1"),
    );
    let pipelines = client.call::<Page<types::Pipeline>>(Request::get(flavor.pipelines("tickets")));
    let (
        contact_properties,
        ticket_properties,
        contacts,
        companies,
        tickets,
        lists,
        inboxes,
        pipelines,
    ) = tokio::join!(
        properties("contacts"),
        properties("tickets"),
        total("contacts"),
        total("companies"),
        total("tickets"),
        lists,
        inboxes,
        pipelines
    );
    let mut missing: Vec<String> = Vec::new();
    let mut forbidden: Vec<String> = Vec::new();
    let mut first_error: Option<VendorError> = None;
    let mut take = |error: VendorError| match error {
        VendorError::MissingScopes {
            endpoint, scopes, ..
        } => {
            forbidden.push(endpoint);
            for scope in scopes {
                if !missing.contains(&scope) {
                    missing.push(scope);
                }
            }
        }
        error @ VendorError::Unauthorized { .. } => first_error = Some(error),
        error => {
            if first_error.is_none() {
                first_error = Some(error);
            }
        }
    };
    let custom = |answer: Result<Page<types::PropertyDefinition>, VendorError>,
                  take: &mut dyn FnMut(VendorError)| match answer {
        Ok(page) => page
            .results
            .into_iter()
            .filter(types::PropertyDefinition::is_custom)
            .map(|property| property.name)
            .collect(),
        Err(error) => {
            take(error);
            Vec::new()
        }
    };
    let contact_properties = custom(contact_properties, &mut take);
    let ticket_properties = custom(ticket_properties, &mut take);
    let mut totals = Totals::default();
    for (slot, answer) in [
        (&mut totals.contacts, contacts),
        (&mut totals.companies, companies),
        (&mut totals.tickets, tickets),
    ] {
        match answer {
            Ok(answer) => *slot = answer.total,
            // A search that fails for another reason only costs the time-left estimate.
            Err(error @ (VendorError::Unauthorized { .. } | VendorError::MissingScopes { .. })) => {
                take(error)
            }
            Err(error) => tracing::warn!(error = %error, "no total for the time-left estimate"),
        }
    }
    if let Err(error) = lists {
        take(error);
    }
    if let Err(error) = inboxes {
        take(error);
    }
    if let Err(error) = pipelines {
        take(error);
    }
    if let Some(error @ VendorError::Unauthorized { .. }) = first_error {
        return Err(error.into());
    }
    if !forbidden.is_empty() {
        return Err(VendorError::MissingScopes {
            endpoint: forbidden.join(", "),
            scopes: missing,
            message: None,
        }
        .into());
    }
    if let Some(error) = first_error {
        return Err(error.into());
    }
    Ok(Checked {
        contact_properties,
        ticket_properties,
        totals,
    })
}

/// Where this run's reading of one kind began: when, the kind's count then (a resumed pull's includes
/// the earlier run's) and the requests the client had made, so that its rates count only this run.
#[derive(Debug, Clone, Copy)]
struct KindStart {
    since: Instant,
    done: u64,
    requests: u64,
}

/// A pull in progress: the client, the staging writer and the state it keeps current.
struct Run<'a> {
    client: &'a Client,
    write: &'a mut BulkWrite,
    state: &'a mut PullState,
    report: &'a dyn PullReport,
    cancel: &'a CancelToken,
    started: Instant,
    seconds_before: f64,
    last_checkpoint: Instant,
    /// The channels written so far, once threads are being written (to add the unlisted ones).
    known_channels: Option<HashSet<String>>,
}

/// A page's records, mapped, as each kind writes them; with contacts, tickets and threads the count of
/// records skipped (no email, no pipeline, entries that are not messages).
enum Records {
    Companies(Vec<Company>),
    Contacts(Vec<Contact>, u64),
    Memberships(Vec<(String, String)>),
    Tickets(Vec<Ticket>, u64),
    /// Each thread with the generic channel its account belongs to.
    Threads(Vec<(Thread, Option<String>)>, u64),
}

/// The pages of one kind, read ahead by `produce`.
type Pages = tokio::sync::mpsc::Receiver<Batch<Records>>;

/// A page's records, mapped, with the position after it (None: the phase is complete).
type Batch<B> = Result<(B, Option<Position>)>;

/// Reads pages one after another on a task of its own, so the next page is on its way while this one
/// is written; at most two pages wait, so memory stays bounded.
fn produce<B, F, Fut>(start: Position, mut fetch: F) -> tokio::sync::mpsc::Receiver<Batch<B>>
where
    B: Send + 'static,
    F: FnMut(Position) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Batch<B>> + Send,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        let mut position = start;
        loop {
            let batch = fetch(position.clone()).await;
            let next = match &batch {
                Ok((_, next)) => next.clone(),
                Err(_) => None,
            };
            if sender.send(batch).await.is_err() {
                return;
            }
            match next {
                Some(next) => position = next,
                None => return,
            }
        }
    });
    receiver
}

impl Run<'_> {
    fn seconds(&self) -> f64 {
        self.seconds_before + self.started.elapsed().as_secs_f64()
    }

    async fn checkpoint(&mut self) -> Result<()> {
        let (requests, retries, rate_limited) = self.client.stats();
        let mut state = self.state.clone();
        state.requests += requests;
        state.retries += retries;
        state.rate_limited += rate_limited;
        state.seconds = self.seconds();
        let document = serde_json::to_string(&state).expect("the pull state serialises");
        self.write.checkpoint(&document).await?;
        self.last_checkpoint = Instant::now();
        Ok(())
    }

    async fn maybe_checkpoint(&mut self) -> Result<()> {
        if self.last_checkpoint.elapsed() >= CHECKPOINT_EVERY {
            self.checkpoint().await?;
        }
        Ok(())
    }

    /// A kind's reading begins now, with `done` of its records read before.
    fn start(&self, done: u64) -> KindStart {
        KindStart {
            since: Instant::now(),
            done,
            requests: self.client.stats().0,
        }
    }

    fn progress(
        &self,
        kind: PullKind,
        done: u64,
        total: Option<u64>,
        start: &KindStart,
        finished: bool,
        detail: Option<String>,
    ) {
        // The requests made since the kind began include the next page's first ones (it is read while
        // this one is written): at most a few, against the hundreds a time left is counted from.
        let requests = self.client.stats().0.saturating_sub(start.requests);
        self.report.progress(&KindProgress {
            kind,
            done,
            total,
            seconds: start.since.elapsed().as_secs_f64(),
            finished,
            detail,
            budget_rate: budget_rate(
                done.saturating_sub(start.done),
                requests,
                self.client.budget(),
            ),
        });
    }

    /// Ends a page of `kind`: moves the position to the page after it (`next`, none when the kind is
    /// done), reports the progress and, unless done, commits when a checkpoint is due. Answers whether
    /// the kind is done.
    async fn page_done(
        &mut self,
        next: Option<Position>,
        kind: PullKind,
        count: u64,
        total: Option<u64>,
        start: &KindStart,
        detail: Option<String>,
    ) -> Result<bool> {
        let done = next.is_none();
        self.state.position = next.unwrap_or_default();
        self.progress(kind, count, total, start, done, detail);
        if !done {
            self.maybe_checkpoint().await?;
        }
        Ok(done)
    }

    /// Moves to `phase` and commits, so a resumed pull starts there.
    async fn enter(&mut self, phase: Phase) -> Result<()> {
        self.state.phase = phase;
        self.state.position = Position::default();
        self.checkpoint().await
    }

    /// Runs the phases from where the state stands. Ok(false): cancelled.
    async fn phases(&mut self) -> Result<bool> {
        if self.state.phase == Phase::Catalog {
            self.catalog().await?;
            self.enter(Phase::Companies).await?;
        }
        // The paged phases, in order: the kind each reads, and the phase after it.
        const PAGED: [(Phase, PullKind, Phase); 5] = [
            (Phase::Companies, PullKind::Companies, Phase::Contacts),
            (Phase::Contacts, PullKind::Contacts, Phase::Memberships),
            (
                Phase::Memberships,
                PullKind::ListMemberships,
                Phase::Tickets,
            ),
            (Phase::Tickets, PullKind::Tickets, Phase::Threads),
            (Phase::Threads, PullKind::Threads, Phase::Finishing),
        ];
        for (phase, kind, after) in PAGED {
            if self.state.phase == phase {
                if !self.read(kind).await? {
                    return Ok(false);
                }
                self.enter(after).await?;
            }
        }
        Ok(true)
    }

    /// The next batch, or None when the phase is complete or a cancel was asked for (`cancelled` tells).
    async fn next<B>(&self, pages: &mut tokio::sync::mpsc::Receiver<Batch<B>>) -> Option<Batch<B>> {
        if self.cancel.is_cancelled() {
            return None;
        }
        // A cancel does not wait for a slow page: the position stays at the last page written, so a
        // resumed pull reads the page in flight again.
        tokio::select! {
            biased;
            () = self.cancel.cancelled() => None,
            batch = pages.recv() => batch,
        }
    }

    /// Pipelines, lists, inboxes, channel kinds and accounts: small, read whole, written together.
    async fn catalog(&mut self) -> Result<()> {
        let start = self.start(0);
        let client = self.client;
        let flavor = client.flavor;
        let pipelines = client
            .call::<Page<types::Pipeline>>(Request::get(flavor.pipelines("tickets")))
            .await?;
        let inboxes: Vec<types::Inbox> = all_pages(
            client,
            || Request::get(flavor.conversations("inboxes")),
            100,
        )
        .await?;
        let kinds: Vec<types::ChannelKind> = all_pages(
            client,
            || Request::get(flavor.conversations("channels")),
            100,
        )
        .await?;
        let kind_names: HashMap<String, String> = kinds
            .into_iter()
            .map(|kind| (kind.id.0, kind.name))
            .collect();
        let mut accounts: Vec<types::ChannelAccount> = all_pages(
            client,
            || Request::get(flavor.conversations("channel-accounts")),
            100,
        )
        .await?;
        // `archived=true` lists only the archived ones.
        accounts.extend(
            all_pages::<types::ChannelAccount>(
                client,
                || Request::get(flavor.conversations("channel-accounts")).query("archived", "true"),
                100,
            )
            .await?,
        );
        let mut lists = Vec::new();
        let mut offset = 0i64;
        loop {
            let page: types::ListSearchPage = client
                .call(Request::post(
                    flavor.lists_search(),
                    serde_json::json!({ "objectTypeId": "0-1", "offset": offset, "count": LIST_PAGE }),
                ))
                .await?;
            let read = page.lists.len() as i64;
            lists.extend(page.lists.into_iter().filter(|list| {
                list.object_type_id
                    .as_deref()
                    .is_none_or(|kind| kind == "0-1")
            }));
            if !page.has_more || read == 0 {
                break;
            }
            offset = page
                .offset
                .filter(|next| *next > offset)
                .unwrap_or(offset + read);
        }
        let pipelines = map::pipelines(pipelines.results);
        let mut channels = Vec::new();
        let mut seen = HashSet::new();
        for account in &accounts {
            if !seen.insert(account.id.0.clone()) {
                continue;
            }
            let (channel, known) = map::channel(account, &kind_names);
            if !known {
                self.state.counts.channels_of_other_kinds += 1;
            }
            channels.push(channel);
        }
        let catalog = Catalog {
            lists: lists.iter().map(map::list).collect(),
            inboxes: inboxes.iter().map(map::inbox).collect(),
            channels,
            pipelines,
            ..Catalog::default()
        };
        let counts = &mut self.state.counts;
        counts.pipelines = catalog.pipelines.len() as u64;
        counts.stages = catalog
            .pipelines
            .iter()
            .map(|p| p.stages.len() as u64)
            .sum();
        counts.lists = catalog.lists.len() as u64;
        counts.inboxes = catalog.inboxes.len() as u64;
        counts.channels = catalog.channels.len() as u64;
        self.state.lists = catalog.lists.iter().map(|list| list.id.clone()).collect();
        self.state.channel_kinds = kind_names;
        self.write.catalog(&catalog).await?;
        let counts = &self.state.counts;
        self.progress(
            PullKind::Catalog,
            counts.pipelines + counts.lists + counts.inboxes + counts.channels,
            None,
            &start,
            true,
            Some(format!(
                "{} pipelines, {} lists, {} inboxes, {} channels",
                counts.pipelines, counts.lists, counts.inboxes, counts.channels
            )),
        );
        Ok(())
    }

    /// Companies: one page of records at a time.
    fn companies(&self) -> Pages {
        let client = self.client.clone();
        produce(self.state.position.clone(), move |position| {
            let client = client.clone();
            async move {
                let (page, _) = object_page(
                    &client,
                    "companies",
                    &map::COMPANY_PROPERTIES,
                    &[],
                    position.after,
                )
                .await?;
                let next = page.next_after().map(Position::after);
                let companies = page.results.iter().map(map::company).collect();
                Ok((Records::Companies(companies), next))
            }
        })
    }

    /// Contacts with their custom properties, and their companies (one association batch per page).
    fn contacts(&self) -> Pages {
        let client = self.client.clone();
        let custom = self.state.contact_properties.clone();
        produce(self.state.position.clone(), move |position| {
            let client = client.clone();
            let custom = custom.clone();
            async move {
                let (page, _) = object_page(
                    &client,
                    "contacts",
                    &map::CONTACT_PROPERTIES,
                    &custom,
                    position.after,
                )
                .await?;
                let ids: Vec<String> = page
                    .results
                    .iter()
                    .map(|record| record.id.0.clone())
                    .collect();
                let companies = associations(&client, "contacts", "companies", &ids).await?;
                let mut contacts = Vec::with_capacity(page.results.len());
                let mut skipped = 0u64;
                for record in &page.results {
                    let to = companies
                        .get(record.id.as_str())
                        .map_or(&[][..], Vec::as_slice);
                    match map::contact(record, &custom, to) {
                        Some(contact) => contacts.push(contact),
                        None => skipped += 1,
                    }
                }
                let next = page.next_after().map(Position::after);
                Ok((Records::Contacts(contacts, skipped), next))
            }
        })
    }

    /// The members of each list, list after list.
    fn memberships(&self) -> Pages {
        let client = self.client.clone();
        let lists = self.state.lists.clone();
        produce(self.state.position.clone(), move |position| {
            let client = client.clone();
            let lists = lists.clone();
            async move {
                let list = &lists[position.list];
                let mut request = Request::get(client.flavor.list_memberships(list))
                    .query("limit", MEMBERSHIP_PAGE.to_string());
                if let Some(after) = &position.after {
                    request = request.query("after", after.clone());
                }
                let page: Page<types::Membership> = client.call(request).await?;
                let members: Vec<(String, String)> = page
                    .results
                    .iter()
                    .map(|member| (member.record_id().to_string(), list.clone()))
                    .collect();
                let next = match page.next_after() {
                    Some(after) => Some(Position {
                        after: Some(after),
                        list: position.list,
                        archived: false,
                    }),
                    None if position.list + 1 < lists.len() => Some(Position {
                        after: None,
                        list: position.list + 1,
                        archived: false,
                    }),
                    None => None,
                };
                Ok((Records::Memberships(members), next))
            }
        })
    }

    /// Tickets with their custom properties, contacts and companies (two association batches a page).
    fn tickets(&self) -> Pages {
        let client = self.client.clone();
        let custom = self.state.ticket_properties.clone();
        produce(self.state.position.clone(), move |position| {
            let client = client.clone();
            let custom = custom.clone();
            async move {
                let (page, endpoint) = object_page(
                    &client,
                    "tickets",
                    &map::TICKET_PROPERTIES,
                    &custom,
                    position.after,
                )
                .await?;
                let ids: Vec<String> = page
                    .results
                    .iter()
                    .map(|record| record.id.0.clone())
                    .collect();
                let (contacts, companies) = tokio::try_join!(
                    associations(&client, "tickets", "contacts", &ids),
                    associations(&client, "tickets", "companies", &ids)
                )?;
                let mut tickets = Vec::with_capacity(page.results.len());
                let mut skipped = 0u64;
                for (index, record) in page.results.iter().enumerate() {
                    let to_contacts = contacts
                        .get(record.id.as_str())
                        .map_or(&[][..], Vec::as_slice);
                    let to_companies = companies
                        .get(record.id.as_str())
                        .map_or(&[][..], Vec::as_slice);
                    match map::ticket(index, record, &custom, to_contacts, to_companies) {
                        Ok(Some(ticket)) => tickets.push(ticket),
                        Ok(None) => skipped += 1,
                        Err(bad) => return Err(unreadable(&endpoint, bad)),
                    }
                }
                let next = page.next_after().map(Position::after);
                Ok((Records::Tickets(tickets, skipped), next))
            }
        })
    }

    /// Threads (then the archived ones) with their messages, each thread's messages read concurrently.
    fn threads(&self) -> Pages {
        let client = self.client.clone();
        produce(self.state.position.clone(), move |position| {
            let client = client.clone();
            async move {
                let flavor = client.flavor;
                let mut request = Request::get(flavor.conversations("threads"))
                    .query("limit", THREAD_PAGE.to_string())
                    .query("association", "TICKET");
                if position.archived {
                    request = request.query("archived", "true");
                }
                if let Some(after) = &position.after {
                    request = request.query("after", after.clone());
                }
                let endpoint = request.endpoint();
                let page: Page<types::Thread> = client.call(request).await?;
                let mut threads = Vec::with_capacity(page.results.len());
                for (index, read) in page.results.iter().enumerate() {
                    let thread =
                        map::thread(index, read).map_err(|bad| unreadable(&endpoint, bad))?;
                    threads.push((
                        thread,
                        read.original_channel_id.as_ref().map(|id| id.0.clone()),
                    ));
                }
                let mut reads = tokio::task::JoinSet::new();
                for (index, (thread, _)) in threads.iter().enumerate() {
                    let client = client.clone();
                    let id = thread.id.clone();
                    reads.spawn(async move { (index, thread_messages(&client, &id).await) });
                }
                let mut skipped = 0u64;
                while let Some(read) = reads.join_next().await {
                    let (index, messages) = read.expect("a message read panicked");
                    let (messages, not_messages) = messages?;
                    threads[index].0.messages = messages;
                    skipped += not_messages;
                }
                let next = match page.next_after() {
                    Some(after) => Some(Position {
                        after: Some(after),
                        list: 0,
                        archived: position.archived,
                    }),
                    None if !position.archived => Some(Position {
                        after: None,
                        list: 0,
                        archived: true,
                    }),
                    None => None,
                };
                Ok((Records::Threads(threads, skipped), next))
            }
        })
    }

    /// Reads the pages of `kind` from where the state stands and writes them, one after another, until
    /// the kind is done (Ok(true)) or a cancel was asked for (Ok(false)).
    async fn read(&mut self, kind: PullKind) -> Result<bool> {
        if kind == PullKind::Threads && self.state.totals.threads.is_none() {
            self.state.totals.threads = Some(count_threads(self.client).await?);
        }
        let start = self.start(self.state.counts.read_of(kind));
        let mut pages = match kind {
            PullKind::Catalog => unreachable!("the catalog is read whole"),
            PullKind::Companies => self.companies(),
            PullKind::Contacts => self.contacts(),
            PullKind::ListMemberships => {
                if self.state.position.list >= self.state.lists.len() {
                    self.progress(kind, 0, None, &start, true, None);
                    return Ok(true);
                }
                self.memberships()
            }
            PullKind::Tickets => self.tickets(),
            PullKind::Threads => self.threads(),
        };
        while let Some(batch) = self.next(&mut pages).await {
            let (records, next) = batch?;
            let (count, total, detail) = self.write_page(records).await?;
            if self
                .page_done(next, kind, count, total, &start, detail)
                .await?
            {
                return Ok(true);
            }
        }
        Ok(!self.cancel.is_cancelled())
    }

    /// Writes a page's records and counts them: the count of their kind so far, its total when known,
    /// and a detail for the progress line.
    async fn write_page(&mut self, records: Records) -> Result<(u64, Option<u64>, Option<String>)> {
        let counts = &mut self.state.counts;
        let totals = &self.state.totals;
        Ok(match records {
            Records::Companies(companies) => {
                self.write.companies(&companies).await?;
                counts.companies += companies.len() as u64;
                (counts.read_of(PullKind::Companies), totals.companies, None)
            }
            Records::Contacts(contacts, skipped) => {
                self.write.contacts(&contacts).await?;
                counts.contacts += contacts.len() as u64;
                counts.contacts_without_email += skipped;
                let detail = (counts.contacts_without_email > 0)
                    .then(|| format!("{} without an email skipped", counts.contacts_without_email));
                (counts.read_of(PullKind::Contacts), totals.contacts, detail)
            }
            Records::Memberships(members) => {
                self.write.list_memberships(&members).await?;
                counts.list_memberships += members.len() as u64;
                (counts.read_of(PullKind::ListMemberships), None, None)
            }
            Records::Tickets(tickets, skipped) => {
                self.write.tickets(&tickets).await?;
                counts.tickets += tickets.len() as u64;
                counts.tickets_without_pipeline += skipped;
                (counts.read_of(PullKind::Tickets), totals.tickets, None)
            }
            Records::Threads(threads, skipped) => {
                let written = self.place_threads(threads).await?;
                self.write.threads(&written).await?;
                let counts = &mut self.state.counts;
                counts.threads += written.len() as u64;
                counts.messages += written
                    .iter()
                    .map(|thread| thread.messages.len() as u64)
                    .sum::<u64>();
                counts.entries_not_messages += skipped;
                (
                    counts.read_of(PullKind::Threads),
                    self.state.totals.threads,
                    Some(format!("{} messages", counts.messages)),
                )
            }
        })
    }

    /// Gives each thread its channel: the account it came through, or, for an account the listing
    /// did not name, a channel made for it (written first, on no inbox).
    async fn place_threads(
        &mut self,
        threads: Vec<(Thread, Option<String>)>,
    ) -> Result<Vec<Thread>> {
        let known = match &mut self.known_channels {
            Some(known) => known,
            None => self
                .known_channels
                .insert(self.write.channel_ids().await?.into_iter().collect()),
        };
        let mut unlisted: Vec<Channel> = Vec::new();
        let mut placed = Vec::with_capacity(threads.len());
        for (mut thread, channel_kind) in threads {
            if thread.channel.is_empty() {
                thread.channel =
                    format!("unlisted-{}", channel_kind.as_deref().unwrap_or("channel"));
            }
            if !known.contains(&thread.channel) {
                known.insert(thread.channel.clone());
                unlisted.push(map::unlisted_channel(
                    &thread.channel,
                    channel_kind.as_deref(),
                    &self.state.channel_kinds,
                ));
            }
            placed.push(thread);
        }
        if !unlisted.is_empty() {
            self.state.counts.unlisted_channels += unlisted.len() as u64;
            self.write
                .catalog(&Catalog {
                    channels: unlisted,
                    ..Catalog::default()
                })
                .await?;
        }
        Ok(placed)
    }
}

/// How many threads there are, archived ones included, for the time left: the thread list gives no
/// total, and the threads phase takes most of a pull's requests (one per thread for its messages). The
/// count costs one request per 500 threads, each asking for the ids only.
async fn count_threads(client: &Client) -> Result<u64> {
    let mut count = 0;
    for archived in [false, true] {
        let mut after: Option<String> = None;
        loop {
            let mut request = Request::get(client.flavor.conversations("threads"))
                .query("limit", THREAD_PAGE.to_string())
                .query("property", "id");
            if archived {
                request = request.query("archived", "true");
            }
            if let Some(after) = &after {
                request = request.query("after", after.clone());
            }
            let page: Page<serde::de::IgnoredAny> = client.call(request).await?;
            count += page.results.len() as u64;
            after = page.next_after();
            if after.is_none() {
                break;
            }
        }
    }
    Ok(count)
}

/// Every page of a small collection (inboxes, channels, channel accounts).
async fn all_pages<T: serde::de::DeserializeOwned>(
    client: &Client,
    request: impl Fn() -> Request<'static>,
    limit: u32,
) -> Result<Vec<T>> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut next = request().query("limit", limit.to_string());
        if let Some(after) = &after {
            next = next.query("after", after.clone());
        }
        let page: Page<T> = client.call(next).await?;
        after = page.next_after();
        all.extend(page.results);
        if after.is_none() {
            return Ok(all);
        }
    }
}

/// One page of a CRM object list with the named properties, and the endpoint it came from.
async fn object_page(
    client: &Client,
    object: &str,
    properties: &[&str],
    custom: &[String],
    after: Option<String>,
) -> Result<(Page<types::CrmObject>, String)> {
    let mut names: Vec<&str> = properties.to_vec();
    names.extend(
        custom
            .iter()
            .map(String::as_str)
            .filter(|name| !properties.contains(name)),
    );
    let mut request = Request::get(client.flavor.objects(object))
        .query("limit", OBJECT_PAGE.to_string())
        .query("properties", names.join(","));
    if let Some(after) = after {
        request = request.query("after", after);
    }
    let endpoint = request.endpoint();
    Ok((client.call(request).await?, endpoint))
}

/// The v4 batch read of the associations from `from` records to `to`, following each record's own
/// paging. Records without associations (a 207's errors) have none.
async fn associations(
    client: &Client,
    from: &str,
    to: &str,
    ids: &[String],
) -> Result<HashMap<String, Vec<types::AssociationTo>>> {
    let mut found: HashMap<String, Vec<types::AssociationTo>> = HashMap::new();
    let mut inputs: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({ "id": id }))
        .collect();
    while !inputs.is_empty() {
        // At most 1,000 inputs per request (the vendor refuses more).
        let chunk: Vec<serde_json::Value> = inputs.drain(..inputs.len().min(1000)).collect();
        let answer: types::BatchAnswer<types::AssociationResult> = client
            .call(Request::post(
                client.flavor.associations_batch_read(from, to),
                serde_json::json!({ "inputs": chunk }),
            ))
            .await?;
        for result in answer.results {
            let after = result
                .paging
                .as_ref()
                .and_then(|paging| paging.next.as_ref())
                .map(|next| next.after.clone());
            let id = result.from.id.0;
            if let Some(after) = after {
                inputs.push(serde_json::json!({ "id": id, "after": after }));
            }
            found.entry(id).or_default().extend(result.to);
        }
        if !answer.errors.is_empty() {
            tracing::debug!(
                errors = answer.errors.len(),
                "batch read: records without associations"
            );
        }
    }
    Ok(found)
}

/// A thread's messages in order, and how many of its entries were not messages. A truncated email's
/// whole text is read from its original content.
async fn thread_messages(
    client: &Client,
    thread: &str,
) -> Result<(Vec<crate::domain::model::Message>, u64)> {
    let flavor = client.flavor;
    let mut messages = Vec::new();
    let mut skipped = 0;
    let mut after: Option<String> = None;
    loop {
        let mut request = Request::get(flavor.thread_messages(thread))
            .query("limit", MESSAGE_PAGE.to_string())
            .query("sort", "createdAt");
        if let Some(after) = &after {
            request = request.query("after", after.clone());
        }
        let endpoint = request.endpoint();
        let page: Page<types::ThreadEntry> = client.call(request).await?;
        for (index, entry) in page.results.iter().enumerate() {
            match map::message(index, entry).map_err(|bad| unreadable(&endpoint, bad))? {
                Some(mut message) => {
                    let truncated = entry
                        .truncation_status
                        .as_deref()
                        .is_some_and(|status| status != "NOT_TRUNCATED");
                    if truncated {
                        let original: types::OriginalContent = client
                            .call(Request::get(
                                flavor.message_original_content(thread, &message.id),
                            ))
                            .await?;
                        if let Some(text) = original.text {
                            message.text = text;
                        }
                    }
                    messages.push(message);
                }
                None => skipped += 1,
            }
        }
        after = page.next_after();
        if after.is_none() {
            return Ok((messages, skipped));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::View;

    fn row(contact: &str, view: Option<View>, can_sign_in: bool, tickets: &[&str]) -> AuditRow {
        AuditRow {
            contact: contact.into(),
            name: contact.into(),
            company: None,
            view,
            can_sign_in,
            access_reason: String::new(),
            visible_count: tickets.len(),
            visible_tickets: tickets.iter().map(|ticket| ticket.to_string()).collect(),
        }
    }

    /// The vendor's 190 requests per 10 s, of which the pacer uses 95 %: 180.
    const VENDOR_BUDGET: (u32, Duration) = (180, Duration::from_secs(10));

    fn threads_at(done: u64, seconds: f64, requests: u64) -> KindProgress {
        KindProgress {
            kind: PullKind::Threads,
            done,
            total: Some(6_000),
            seconds,
            finished: false,
            detail: None,
            budget_rate: budget_rate(done, requests, VENDOR_BUDGET),
        }
    }

    #[test]
    fn a_paced_pulls_time_left_is_counted_at_the_budgets_rate_when_the_first_burst_ran_faster() {
        // 30 s into the threads, 690 read with one request each: 23 a second, because the pacer's
        // window started empty and its first 180 requests went at once. From here on the budget lets
        // 18 a second through, so the 5,310 threads left take 295 s, not 231.
        let progress = threads_at(690, 30.0, 690);
        assert!((progress.rate() - 23.0).abs() < 1e-9);
        let left = progress.seconds_left().unwrap();
        assert!((left - 295.0).abs() < 1e-6, "{left}");
    }

    #[test]
    fn the_budgets_rate_counts_the_requests_each_record_takes() {
        // 500 threads took 600 requests (a second page of messages, the full text of long emails):
        // at 18 requests a second, 15 threads a second.
        let rate = budget_rate(500, 600, VENDOR_BUDGET).unwrap();
        assert!((rate - 15.0).abs() < 1e-9, "{rate}");
        let left = threads_at(500, 20.0, 600).seconds_left().unwrap();
        assert!((left - 5_500.0 / 15.0).abs() < 1e-6, "{left}");
        assert_eq!(budget_rate(0, 8, VENDOR_BUDGET), None, "no record in yet");
    }

    #[test]
    fn a_help_desk_slower_than_the_budget_gives_the_time_left_at_its_own_rate() {
        // 10 threads a second, well under the budget's 18: the measured rate tells.
        let left = threads_at(300, 30.0, 300).seconds_left().unwrap();
        assert!((left - 570.0).abs() < 1e-6, "{left}");
        assert_eq!(time_left(6_000, 300, 10.0, None), Some(570.0));
        assert_eq!(time_left(6_000, 0, 0.0, Some(18.0)), None);
    }

    #[test]
    fn visibility_changes_count_tickets_shown_and_hidden_per_contact_and_view() {
        let before = [
            row("ana@x.example", Some(View::Mine), true, &["1", "2"]),
            row("ben@x.example", None, true, &["3"]),
        ];
        let after = [
            row("Ana@x.example", Some(View::Mine), true, &["2", "4", "5"]),
            row("ben@x.example", None, false, &[]),
            row("cara@x.example", None, true, &[]),
        ];
        let changes = visibility_changes(&before, &after);
        assert_eq!(changes.tickets_shown, 2);
        assert_eq!(changes.tickets_hidden, 2);
        assert_eq!(changes.may_now_sign_in, vec!["cara@x.example".to_string()]);
        assert_eq!(
            changes.may_no_longer_sign_in,
            vec!["ben@x.example".to_string()]
        );
        assert_eq!(
            changes.contacts_seeing_changes,
            vec!["ana@x.example".to_string(), "ben@x.example".into()]
        );
    }
}
