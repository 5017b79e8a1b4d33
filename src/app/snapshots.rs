//! Visibility snapshots (spec 10.6): for every contact and view, whether they may sign in, the visible
//! tickets and each one's shown thread, computed by the audit matrix (`matrix`, which decides through
//! `rules`) and the thread choice (`rules::shown_thread_id`), kept in the workspace, and compared.
//!
//! A snapshot is stored compactly: ticket ids and their shown threads once, each distinct set of visible
//! tickets once (contacts of one company share their Organization list), contacts pointing at their
//! sets; integers as varints, sets as sorted deltas, all of it deflated. Automatic snapshots are taken
//! before every settings save, undo, import into an existing workspace and pull that replaces one; the
//! newest `AUTOMATIC_KEPT` of them are kept, named ones always.
//!
//! The automatic snapshot before a settings save or undo is off the save's path: what contacts see is
//! decided by the settings and the data, and both are fixed, not copied, at the moment of the change. The
//! save opens a pinned reader (`Workspace::pinned_reader`: a read transaction, in which SQLite keeps
//! serving the state it started with while later writes commit) after it has taken the write lock and
//! before it commits, stores the snapshot *pending* (no data yet) in its transaction, and returns. The
//! snapshot is then computed from the pinned reader (`PendingSnapshot`), in the background or, on the
//! command line, after the change is reported. So it is exactly what contacts saw just before the
//! change: a customer's reply, a ticket or an import committed meanwhile is not in it, and the diff of
//! the change cannot credit the settings with what the data did (nor the reverse). A diff that needs a
//! pending snapshot waits for it (`settle`). A snapshot whose computation never finished (the program
//! stopped first) stays pending and says so; it is never filled in later from data that may have moved.

use crate::app::matrix::{self, AuditData};
use crate::app::progress::{Progress, Silent, Unit};
use crate::app::what_if::ThreadChange;
use crate::domain::rules::{self, ThreadActivity, View};
use crate::domain::settings::Settings;
use crate::storage::snapshots::{NewSnapshot, SnapshotInfo};
use crate::storage::{self, StorageError};
use crate::{Result, Workspace};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use ts_rs::TS;

/// How many automatic snapshots a workspace keeps (named ones are kept until deleted).
pub const AUTOMATIC_KEPT: usize = 20;

/// Why an automatic snapshot is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    SettingsSave,
    Undo,
    Import,
    Pull,
    /// A demo written over the workspace.
    Demo,
}

impl Before {
    pub fn reason(self) -> &'static str {
        match self {
            Before::SettingsSave => "settings",
            Before::Undo => "undo",
            Before::Import => "import",
            Before::Pull => "pull",
            Before::Demo => "demo",
        }
    }
}

/// One contact in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactEntry {
    pub email: String,
    pub name: String,
    pub can_sign_in: bool,
    /// Each view the contact has (one `None` without a switch), default first, with its visible set
    /// (an index into `Visibility::sets`).
    pub views: Vec<(Option<View>, u32)>,
}

/// A snapshot in memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Visibility {
    /// Every ticket visible to anyone, sorted by id.
    pub tickets: Vec<String>,
    /// The thread each of those shows (same order); None: no eligible thread.
    pub shown: Vec<Option<String>>,
    /// Distinct sets of visible tickets, as sorted indexes into `tickets`.
    pub sets: Vec<Vec<u32>>,
    /// Sorted by lowercased email.
    pub contacts: Vec<ContactEntry>,
}

/// The snapshot of `settings` over `data` and `threads` (pure). Built from the matrix's index sets
/// (`matrix::contact_visibility`) rather than its rows, so no ticket id is copied or looked up per
/// contact; the shown threads are chosen on a second core meanwhile.
pub fn compute(
    settings: &Settings,
    data: &AuditData,
    threads: &HashMap<String, Vec<ThreadActivity>>,
    progress: &dyn Progress,
) -> Visibility {
    let mut contacts: Vec<(ContactEntry, Vec<Vec<usize>>)> =
        matrix::contact_visibility(settings, data, progress, |seen| {
            let (views, sets): (Vec<Option<View>>, Vec<Vec<usize>>) =
                seen.views.into_iter().unzip();
            let entry = ContactEntry {
                email: seen.contact.email.clone(),
                name: seen.contact.display_name(),
                can_sign_in: seen.access.allowed,
                views: views.into_iter().map(|view| (view, NO_SET)).collect(),
            };
            (entry, sets)
        });
    // Every ticket visible to anyone, by id: its position is the number sets hold.
    let mut visible = vec![false; data.tickets.len()];
    for (_, sets) in &contacts {
        for &index in sets.iter().flatten() {
            visible[index] = true;
        }
    }
    let mut by_id: Vec<usize> = (0..data.tickets.len())
        .filter(|&index| visible[index])
        .collect();
    by_id.sort_unstable_by(|&a, &b| data.tickets[a].id.cmp(&data.tickets[b].id));
    let mut position = vec![u32::MAX; data.tickets.len()];
    for (at, &index) in by_id.iter().enumerate() {
        position[index] = at as u32;
    }
    let (shown, sets) = std::thread::scope(|scope| {
        let shown = scope.spawn(|| {
            by_id
                .iter()
                .map(|&index| {
                    threads.get(&data.tickets[index].id).and_then(|threads| {
                        rules::shown_thread_id(settings, &data.catalog, threads).map(str::to_string)
                    })
                })
                .collect::<Vec<Option<String>>>()
        });
        let mut sets: Vec<Vec<u32>> = Vec::new();
        let mut set_ids: HashMap<Vec<u32>, u32> = HashMap::new();
        for (entry, contact_sets) in &mut contacts {
            for (slot, indexes) in entry.views.iter_mut().zip(contact_sets.drain(..)) {
                let mut set: Vec<u32> = indexes.iter().map(|&index| position[index]).collect();
                set.sort_unstable();
                slot.1 = *set_ids.entry(set).or_insert_with_key(|set| {
                    sets.push(set.clone());
                    (sets.len() - 1) as u32
                });
            }
        }
        (
            shown.join().expect("choosing the shown threads panicked"),
            sets,
        )
    });
    let mut contacts: Vec<ContactEntry> = contacts.into_iter().map(|(entry, _)| entry).collect();
    contacts.sort_by_cached_key(|contact| contact.email.to_lowercase());
    Visibility {
        tickets: by_id
            .into_iter()
            .map(|index| data.tickets[index].id.clone())
            .collect(),
        shown,
        sets,
        contacts,
    }
}

/// What a snapshot is computed from.
type Inputs = (Settings, AuditData, HashMap<String, Vec<ThreadActivity>>);

/// Loads what the snapshot of `workspace` is computed from (of a pinned reader: as it was when pinned).
async fn inputs(workspace: &Workspace, progress: &dyn Progress) -> Result<Inputs> {
    progress.stage("Loading the workspace", Unit::Items("records"), None);
    let settings = workspace.settings().await?;
    let (data, threads) = if workspace.is_pinned() {
        // One connection: the reads would queue anyway.
        (
            AuditData::load_for(workspace, &settings).await?,
            workspace.ticket_thread_choices().await?,
        )
    } else {
        // The tickets and the threads on connections (SQLite threads) of their own, at once.
        tokio::try_join!(AuditData::load_for(workspace, &settings), async {
            Ok::<_, crate::Error>(workspace.ticket_thread_choices().await?)
        })?
    };
    Ok((settings, data, threads))
}

/// The snapshot of the workspace now.
pub async fn current(workspace: &Workspace, progress: &dyn Progress) -> Result<Visibility> {
    let (settings, data, threads) = inputs(workspace, progress).await?;
    Ok(compute(&settings, &data, &threads, progress))
}

/// `current` without progress, its CPU work off the async threads: for the background.
async fn current_quietly(workspace: &Workspace) -> Result<Visibility> {
    let (settings, data, threads) = inputs(workspace, &Silent).await?;
    Ok(
        tokio::task::spawn_blocking(move || compute(&settings, &data, &threads, &Silent))
            .await
            .expect("computing a snapshot panicked"),
    )
}

// The stored form. Version byte, then the sections; integers are LEB128 varints.
const FORMAT: u8 = 1;

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

fn view_byte(view: Option<View>) -> u8 {
    match view {
        None => 0,
        Some(View::Organization) => 1,
        Some(View::Mine) => 2,
    }
}

/// The stored form of `visibility`: deflated.
pub fn encode(visibility: &Visibility) -> Vec<u8> {
    let mut out = vec![FORMAT];
    put_varint(&mut out, visibility.tickets.len() as u64);
    for (id, shown) in visibility.tickets.iter().zip(&visibility.shown) {
        put_text(&mut out, id);
        match shown {
            None => put_varint(&mut out, 0),
            Some(thread) => {
                put_varint(&mut out, thread.len() as u64 + 1);
                out.extend_from_slice(thread.as_bytes());
            }
        }
    }
    put_varint(&mut out, visibility.sets.len() as u64);
    for set in &visibility.sets {
        put_varint(&mut out, set.len() as u64);
        let mut previous = 0u32;
        for &ticket in set {
            put_varint(&mut out, u64::from(ticket - previous));
            previous = ticket;
        }
    }
    put_varint(&mut out, visibility.contacts.len() as u64);
    for contact in &visibility.contacts {
        put_text(&mut out, &contact.email);
        put_text(&mut out, &contact.name);
        out.push(u8::from(contact.can_sign_in));
        put_varint(&mut out, contact.views.len() as u64);
        for (view, set) in &contact.views {
            out.push(view_byte(*view));
            put_varint(&mut out, u64::from(*set));
        }
    }
    let mut encoder = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(out.len() / 4),
        flate2::Compression::fast(),
    );
    encoder
        .write_all(&out)
        .and_then(|()| encoder.finish())
        .expect("deflating into memory cannot fail")
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

fn damaged(what: &str) -> StorageError {
    StorageError::Corrupt(format!("visibility snapshot: {what}"))
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, StorageError> {
        let byte = *self
            .bytes
            .get(self.at)
            .ok_or_else(|| damaged("cut short"))?;
        self.at += 1;
        Ok(byte)
    }
    fn varint(&mut self) -> Result<u64, StorageError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(damaged("a number is too long"))
    }
    fn count(&mut self) -> Result<usize, StorageError> {
        let count = usize::try_from(self.varint()?).map_err(|_| damaged("a count is too large"))?;
        // Every counted item takes at least one byte: a count beyond what is left is damage.
        if count > self.bytes.len() - self.at.min(self.bytes.len()) {
            return Err(damaged("a count is beyond the data"));
        }
        Ok(count)
    }
    fn text_of(&mut self, length: usize) -> Result<String, StorageError> {
        let end = self
            .at
            .checked_add(length)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| damaged("cut short"))?;
        let text = std::str::from_utf8(&self.bytes[self.at..end])
            .map_err(|_| damaged("text is not UTF-8"))?
            .to_string();
        self.at = end;
        Ok(text)
    }
    fn text(&mut self) -> Result<String, StorageError> {
        let length = self.count()?;
        self.text_of(length)
    }
}

/// The snapshot stored as `bytes` (`encode`).
pub fn decode(bytes: &[u8]) -> Result<Visibility, StorageError> {
    let mut plain = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        .read_to_end(&mut plain)
        .map_err(|_| damaged("not deflated"))?;
    let mut reader = Reader {
        bytes: &plain,
        at: 0,
    };
    if reader.byte()? != FORMAT {
        return Err(damaged("written by another version"));
    }
    let ticket_count = reader.count()?;
    let mut visibility = Visibility {
        tickets: Vec::with_capacity(ticket_count),
        shown: Vec::with_capacity(ticket_count),
        ..Visibility::default()
    };
    for _ in 0..ticket_count {
        visibility.tickets.push(reader.text()?);
        let shown = match reader.count()? {
            0 => None,
            length => Some(reader.text_of(length - 1)?),
        };
        visibility.shown.push(shown);
    }
    let set_count = reader.count()?;
    for _ in 0..set_count {
        let length = reader.count()?;
        let mut set = Vec::with_capacity(length);
        let mut previous = 0u64;
        for _ in 0..length {
            previous += reader.varint()?;
            if previous >= ticket_count as u64 {
                return Err(damaged("a set names a ticket that is not there"));
            }
            set.push(previous as u32);
        }
        visibility.sets.push(set);
    }
    let contact_count = reader.count()?;
    for _ in 0..contact_count {
        let email = reader.text()?;
        let name = reader.text()?;
        let can_sign_in = reader.byte()? != 0;
        let view_count = reader.count()?;
        let mut views = Vec::with_capacity(view_count);
        for _ in 0..view_count {
            let view = match reader.byte()? {
                0 => None,
                1 => Some(View::Organization),
                2 => Some(View::Mine),
                _ => return Err(damaged("an unknown view")),
            };
            let set = reader.varint()?;
            if set >= set_count as u64 {
                return Err(damaged("a contact points at a set that is not there"));
            }
            views.push((view, set as u32));
        }
        visibility.contacts.push(ContactEntry {
            email,
            name,
            can_sign_in,
            views,
        });
    }
    Ok(visibility)
}

/// One side of a diff, as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct DiffSide {
    /// The snapshot; None for the workspace now.
    pub snapshot: Option<SnapshotInfo>,
    /// "#12 before-release", "#13 (before settings save)" or "now".
    pub label: String,
}

/// What changed for one contact in one view.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ContactChange {
    pub contact: String,
    pub name: String,
    /// The view compared (None: the contact has no switch on either side).
    pub view: Option<View>,
    /// Whether the contact exists on each side.
    pub present_before: bool,
    pub present_after: bool,
    pub can_sign_in_before: bool,
    pub can_sign_in_after: bool,
    /// Tickets visible after and not before, and the reverse, by id.
    pub gained: Vec<String>,
    pub lost: Vec<String>,
    /// Tickets visible on both sides that show a different thread.
    pub threads_changed: Vec<ThreadChange>,
}

/// The difference between two snapshots, per contact and view. Empty when nothing a customer sees
/// moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SnapshotDiff {
    pub before: DiffSide,
    pub after: DiffSide,
    pub changes: Vec<ContactChange>,
    /// Totals over every change (also those a limited diff leaves out).
    #[ts(type = "number")]
    pub contacts_changed: u64,
    #[ts(type = "number")]
    pub sign_in_changed: u64,
    #[ts(type = "number")]
    pub tickets_gained: u64,
    #[ts(type = "number")]
    pub tickets_lost: u64,
    #[ts(type = "number")]
    pub threads_changed: u64,
    /// Whether `changes` or their lists were cut to a limit.
    pub truncated: bool,
}

impl SnapshotDiff {
    pub fn is_empty(&self) -> bool {
        self.contacts_changed == 0
    }
}

/// The part of a diff that depends only on the two visible sets, computed once per pair of sets.
#[derive(Default)]
struct SetChange {
    /// Indexes into the after side's tickets.
    gained: Vec<u32>,
    /// Lost tickets no longer visible to anyone: indexes into the before side's tickets.
    lost: Vec<u32>,
    /// Lost tickets still visible to someone: indexes into the after side's tickets.
    lost_still_seen: Vec<u32>,
    /// Indexes into the before side's tickets whose shown thread differs.
    threads: Vec<u32>,
}

const NO_SET: u32 = u32::MAX;

/// The rows compared for one contact: (view, set before, set after). A contact whose views differ
/// between the sides is compared view by view, a side without that view using its default one (what
/// the portal serves them when they ask for a view they do not have).
fn pairs(
    before: Option<&ContactEntry>,
    after: Option<&ContactEntry>,
) -> Vec<(Option<View>, u32, u32)> {
    let views_of = |entry: Option<&ContactEntry>| -> Vec<Option<View>> {
        entry.map_or(Vec::new(), |entry| {
            entry.views.iter().map(|(view, _)| *view).collect()
        })
    };
    let (old, new) = (views_of(before), views_of(after));
    let keys: Vec<Option<View>> = if old == new || new.is_empty() {
        old.clone()
    } else if old.is_empty() {
        new.clone()
    } else {
        let mut keys: Vec<Option<View>> = old
            .iter()
            .chain(new.iter())
            .copied()
            .filter(Option::is_some)
            .collect();
        keys.dedup();
        let mut unique = Vec::new();
        for key in keys {
            if !unique.contains(&key) {
                unique.push(key);
            }
        }
        if unique.is_empty() {
            vec![None]
        } else {
            unique
        }
    };
    let set_for = |entry: Option<&ContactEntry>, view: Option<View>| -> u32 {
        entry.map_or(NO_SET, |entry| {
            entry
                .views
                .iter()
                .find(|(candidate, _)| *candidate == view)
                .or(entry.views.first())
                .map_or(NO_SET, |(_, set)| *set)
        })
    };
    keys.into_iter()
        .map(|view| (view, set_for(before, view), set_for(after, view)))
        .collect()
}

/// How the visible set `old` (of `before`) became `new` (of `after`). `mapped` gives each of
/// `before`'s tickets its index in `after`; `thread_moved` says whether its shown thread changed.
fn set_change(
    before: &Visibility,
    after: &Visibility,
    mapped: &[Option<u32>],
    thread_moved: &[bool],
    old: u32,
    new: u32,
) -> SetChange {
    fn set(side: &Visibility, id: u32) -> &[u32] {
        if id == NO_SET {
            &[]
        } else {
            &side.sets[id as usize]
        }
    }
    let (old_set, new_set) = (set(before, old), set(after, new));
    let mut change = SetChange::default();
    let mut kept: Vec<u32> = Vec::with_capacity(old_set.len());
    for &ticket in old_set {
        match mapped[ticket as usize] {
            Some(target) => kept.push(target),
            None => change.lost.push(ticket),
        }
    }
    kept.sort_unstable();
    // Both sorted: one merge finds what went and what came.
    let (mut i, mut j) = (0, 0);
    loop {
        match (kept.get(i), new_set.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                change.lost_still_seen.push(*a);
                i += 1;
            }
            (Some(a), None) => {
                change.lost_still_seen.push(*a);
                i += 1;
            }
            (_, Some(b)) => {
                change.gained.push(*b);
                j += 1;
            }
            (None, None) => break,
        }
    }
    for &ticket in old_set {
        if thread_moved[ticket as usize]
            && mapped[ticket as usize].is_some_and(|target| new_set.binary_search(&target).is_ok())
        {
            change.threads.push(ticket);
        }
    }
    change
}

/// Compares `before` with `after` (pure). `limit` caps the changes listed and the ids in each list
/// (totals always count everything).
pub fn diff(
    before: &Visibility,
    after: &Visibility,
    before_side: DiffSide,
    after_side: DiffSide,
    limit: Option<usize>,
) -> SnapshotDiff {
    let after_index: HashMap<&str, u32> = after
        .tickets
        .iter()
        .enumerate()
        .map(|(position, id)| (id.as_str(), position as u32))
        .collect();
    let mapped: Vec<Option<u32>> = before
        .tickets
        .iter()
        .map(|id| after_index.get(id.as_str()).copied())
        .collect();
    let thread_moved: Vec<bool> = mapped
        .iter()
        .enumerate()
        .map(|(position, target)| {
            target.is_some_and(|target| before.shown[position] != after.shown[target as usize])
        })
        .collect();
    let mut memo: HashMap<(u32, u32), SetChange> = HashMap::new();

    let mut result = SnapshotDiff {
        before: before_side,
        after: after_side,
        changes: Vec::new(),
        contacts_changed: 0,
        sign_in_changed: 0,
        tickets_gained: 0,
        tickets_lost: 0,
        threads_changed: 0,
        truncated: false,
    };
    let cap = limit.unwrap_or(usize::MAX);
    let (mut i, mut j) = (0, 0);
    let key = |entry: &ContactEntry| entry.email.to_lowercase();
    while i < before.contacts.len() || j < after.contacts.len() {
        let (old, new) = match (before.contacts.get(i), after.contacts.get(j)) {
            (Some(a), Some(b)) => match key(a).cmp(&key(b)) {
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    (Some(a), Some(b))
                }
                std::cmp::Ordering::Less => {
                    i += 1;
                    (Some(a), None)
                }
                std::cmp::Ordering::Greater => {
                    j += 1;
                    (None, Some(b))
                }
            },
            (Some(a), None) => {
                i += 1;
                (Some(a), None)
            }
            (None, Some(b)) => {
                j += 1;
                (None, Some(b))
            }
            (None, None) => break,
        };
        let can_before = old.is_some_and(|entry| entry.can_sign_in);
        let can_after = new.is_some_and(|entry| entry.can_sign_in);
        let entry = new.or(old).expect("one side has the contact");
        let mut contact_changed = false;
        for (view, old_set, new_set) in pairs(old, new) {
            let change = memo.entry((old_set, new_set)).or_insert_with(|| {
                set_change(before, after, &mapped, &thread_moved, old_set, new_set)
            });
            let sign_in_moved = can_before != can_after;
            let presence_moved = old.is_some() != new.is_some();
            let lost_count = change.lost.len() + change.lost_still_seen.len();
            if change.gained.is_empty()
                && lost_count == 0
                && change.threads.is_empty()
                && !sign_in_moved
                && !presence_moved
            {
                continue;
            }
            contact_changed = true;
            result.tickets_gained += change.gained.len() as u64;
            result.tickets_lost += lost_count as u64;
            result.threads_changed += change.threads.len() as u64;
            if result.changes.len() >= cap {
                result.truncated = true;
                continue;
            }
            let mut gained: Vec<String> = change
                .gained
                .iter()
                .map(|&ticket| after.tickets[ticket as usize].clone())
                .collect();
            let mut lost: Vec<String> = change
                .lost
                .iter()
                .map(|&ticket| before.tickets[ticket as usize].clone())
                .chain(
                    change
                        .lost_still_seen
                        .iter()
                        .map(|&ticket| after.tickets[ticket as usize].clone()),
                )
                .collect();
            let mut threads: Vec<ThreadChange> = change
                .threads
                .iter()
                .map(|&ticket| ThreadChange {
                    ticket: before.tickets[ticket as usize].clone(),
                    before: before.shown[ticket as usize].clone(),
                    after: mapped[ticket as usize]
                        .and_then(|target| after.shown[target as usize].clone()),
                })
                .collect();
            gained.sort();
            lost.sort();
            threads.sort_by(|a, b| a.ticket.cmp(&b.ticket));
            if gained.len() > cap || lost.len() > cap || threads.len() > cap {
                result.truncated = true;
                gained.truncate(cap);
                lost.truncate(cap);
                threads.truncate(cap);
            }
            result.changes.push(ContactChange {
                contact: entry.email.clone(),
                name: entry.name.clone(),
                view,
                present_before: old.is_some(),
                present_after: new.is_some(),
                can_sign_in_before: can_before,
                can_sign_in_after: can_after,
                gained,
                lost,
                threads_changed: threads,
            });
        }
        if contact_changed {
            result.contacts_changed += 1;
            if can_before != can_after {
                result.sign_in_changed += 1;
            }
        }
    }
    result
}

/// Which snapshot a user means: its name, or its number (`12` or `#12`).
pub async fn find(workspace: &Workspace, reference: &str) -> Result<SnapshotInfo> {
    if let Some(named) = workspace.snapshot_named(reference).await? {
        return Ok(named);
    }
    let number = reference.strip_prefix('#').unwrap_or(reference);
    if let Ok(id) = number.parse::<i64>() {
        if let Some(snapshot) = workspace.snapshot(id).await? {
            return Ok(snapshot);
        }
    }
    Err(StorageError::Conflict(format!(
        "no snapshot named or numbered \"{reference}\" (see `portal snapshot list`)"
    ))
    .into())
}

/// How a snapshot is named in a diff.
pub fn label(snapshot: &SnapshotInfo) -> String {
    match &snapshot.name {
        Some(name) => format!("#{} {name}", snapshot.id),
        None => format!(
            "#{} (before {})",
            snapshot.id,
            reason_text(&snapshot.reason)
        ),
    }
}

fn reason_text(reason: &str) -> &str {
    match reason {
        "settings" => "a settings save",
        "undo" => "an undo",
        "import" => "an import",
        "pull" => "a pull",
        "demo" => "a demo",
        other => other,
    }
}

async fn load(workspace: &Workspace, snapshot: &SnapshotInfo) -> Result<Visibility> {
    let gone = || StorageError::Conflict(format!("snapshot #{} is gone", snapshot.id));
    let mut bytes = workspace
        .snapshot_data(snapshot.id)
        .await?
        .ok_or_else(gone)?;
    if bytes.is_empty() {
        // Pending: wait if this process is computing it.
        settle(workspace, Some(snapshot.id)).await;
        bytes = workspace
            .snapshot_data(snapshot.id)
            .await?
            .ok_or_else(gone)?;
    }
    if bytes.is_empty() {
        return Err(StorageError::Conflict(format!(
            "snapshot #{} was never computed: the program that took it stopped first",
            snapshot.id
        ))
        .into());
    }
    // Decoding a large snapshot takes a moment of CPU: off the async threads.
    Ok(tokio::task::spawn_blocking(move || decode(&bytes))
        .await
        .expect("decoding a snapshot panicked")?)
}

fn name_problem(name: &str) -> Option<&'static str> {
    if name.trim().is_empty() {
        Some("a snapshot needs a name")
    } else if name
        .trim_start_matches('#')
        .chars()
        .all(|c| c.is_ascii_digit())
    {
        Some("a snapshot name cannot be a number (numbers name snapshots by id)")
    } else if name.chars().count() > 200 {
        Some("a snapshot name has at most 200 characters")
    } else {
        None
    }
}

/// Saves the workspace's visibility now as snapshot `name`.
pub async fn save_named(
    workspace: &Workspace,
    name: &str,
    progress: &dyn Progress,
) -> Result<SnapshotInfo> {
    if let Some(problem) = name_problem(name) {
        return Err(StorageError::Conflict(problem.into()).into());
    }
    if workspace.snapshot_named(name).await?.is_some() {
        return Err(
            StorageError::Conflict(format!("a snapshot named \"{name}\" already exists")).into(),
        );
    }
    let visibility = current(workspace, progress).await?;
    progress.stage("Saving the snapshot", Unit::Items("contacts"), None);
    let (data, contacts, tickets) = encoded(visibility).await;
    let mut transaction = workspace.write().await?;
    let id = storage::snapshots::insert_in(
        &mut transaction,
        &NewSnapshot {
            name: Some(name),
            reason: "named",
            settings_entry: None,
            contacts,
            tickets,
            data: &data,
        },
    )
    .await?;
    transaction.commit().await?;
    Ok(workspace
        .snapshot(id)
        .await?
        .expect("the snapshot was just saved"))
}

/// Encodes off the async threads; returns the record and its contact and ticket counts.
async fn encoded(visibility: Visibility) -> (Vec<u8>, usize, usize) {
    tokio::task::spawn_blocking(move || {
        (
            encode(&visibility),
            visibility.contacts.len(),
            visibility.tickets.len(),
        )
    })
    .await
    .expect("encoding a snapshot panicked")
}

/// An automatic snapshot computed and encoded, to be stored in the write that follows it
/// (`store_in`), so that the snapshot and the change it precedes land together (an import or a pull,
/// which replace the data the snapshot is computed from).
pub struct Pending {
    data: Vec<u8>,
    contacts: usize,
    tickets: usize,
    before: Before,
}

/// The workspace's visibility now, ready to store before `before`.
pub async fn prepare(workspace: &Workspace, before: Before) -> Result<Pending> {
    let visibility = current_quietly(workspace).await?;
    let (data, contacts, tickets) = encoded(visibility).await;
    Ok(Pending {
        data,
        contacts,
        tickets,
        before,
    })
}

impl Pending {
    /// Stores the snapshot in `transaction` (linked to the settings entry the change made, if any) and
    /// drops automatic snapshots beyond `AUTOMATIC_KEPT`.
    pub async fn store_in(
        &self,
        transaction: &mut storage::Tx,
        settings_entry: Option<i64>,
    ) -> Result<i64> {
        store_automatic_in(
            transaction,
            self.before,
            settings_entry,
            self.contacts,
            self.tickets,
            &self.data,
        )
        .await
    }
}

async fn store_automatic_in(
    transaction: &mut storage::Tx,
    before: Before,
    settings_entry: Option<i64>,
    contacts: usize,
    tickets: usize,
    data: &[u8],
) -> Result<i64> {
    let id = storage::snapshots::insert_in(
        transaction,
        &NewSnapshot {
            name: None,
            reason: before.reason(),
            settings_entry,
            contacts,
            tickets,
            data,
        },
    )
    .await?;
    storage::snapshots::prune_automatic_in(transaction, AUTOMATIC_KEPT).await?;
    Ok(id)
}

/// The workspace pinned as it is inside a write that has not committed yet, for the automatic
/// snapshot before that write's change (see the module's notes). Take it after the write lock, so
/// that no other change lands between the pinned state and the change.
pub struct Deferred {
    reader: Workspace,
    before: Before,
}

/// Pins `workspace` for the automatic snapshot before `before`.
pub async fn defer(workspace: &Workspace, before: Before) -> Result<Deferred> {
    Ok(Deferred {
        reader: workspace.pinned_reader().await?,
        before,
    })
}

impl Deferred {
    /// Stores the snapshot pending in `transaction`, linked to the settings entry the change made,
    /// and drops automatic snapshots beyond `AUTOMATIC_KEPT`. Compute it once `transaction` has
    /// committed.
    pub async fn store_pending_in(
        self,
        transaction: &mut storage::Tx,
        settings_entry: Option<i64>,
        workspace: &Workspace,
    ) -> Result<PendingSnapshot> {
        let stored = store_automatic_in(transaction, self.before, settings_entry, 0, 0, &[]).await;
        match stored {
            Ok(id) => Ok(PendingSnapshot {
                id,
                reader: self.reader,
                workspace: workspace.clone(),
            }),
            Err(error) => {
                self.reader.close().await;
                Err(error)
            }
        }
    }

    /// Lets go of the pinned state (the change was refused or changed nothing).
    pub async fn abandon(self) {
        self.reader.close().await;
    }
}

/// An automatic snapshot stored pending, with the workspace pinned as it was just before the change.
/// Computing it lets go of the pin. Dropped uncomputed (the program stopping), it lets go too and the
/// snapshot stays pending: a diff then says it was never computed.
pub struct PendingSnapshot {
    id: i64,
    reader: Workspace,
    workspace: Workspace,
}

/// Snapshots being computed in this process, by workspace file and id: a diff that needs one waits
/// for it (`settle`) instead of computing it again.
type Running = HashMap<(PathBuf, i64), Arc<tokio::sync::Mutex<()>>>;
static RUNNING: LazyLock<Mutex<Running>> = LazyLock::new(Mutex::default);

fn running() -> std::sync::MutexGuard<'static, Running> {
    RUNNING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PendingSnapshot {
    pub fn id(&self) -> i64 {
        self.id
    }

    /// Computes the snapshot from the pinned state and stores it. A failure is logged and the pending
    /// snapshot removed: no diff can use it.
    pub async fn compute(self) -> Result<()> {
        let PendingSnapshot {
            id,
            reader,
            workspace,
        } = self;
        let visibility = current_quietly(&reader).await;
        // Ends the read transaction, so the write-ahead log can be written back again.
        reader.close().await;
        let stored = async {
            let (data, contacts, tickets) = encoded(visibility?).await;
            let mut transaction = workspace.write().await?;
            storage::snapshots::complete_in(&mut transaction, id, contacts, tickets, &data).await?;
            transaction.commit().await?;
            Ok(())
        }
        .await;
        if let Err(error) = &stored {
            tracing::warn!(error = %error, snapshot = id, "the visibility snapshot before a settings change could not be computed");
            if let Err(error) = workspace.delete_snapshot(id).await {
                tracing::warn!(error = %error, snapshot = id, "the pending snapshot stays");
            }
        }
        stored
    }

    /// `compute` in a task of its own; `settle` waits for it.
    pub fn compute_in_background(self) {
        let key = (self.workspace.path().to_path_buf(), self.id);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        let guard = Arc::clone(&lock)
            .try_lock_owned()
            .expect("a new lock is free");
        running().insert(key.clone(), lock);
        tokio::spawn(async move {
            // A failure is logged by `compute`.
            let _ = self.compute().await;
            running().remove(&key);
            drop(guard);
        });
    }
}

/// Whether this process is computing a snapshot of `workspace` in the background: `settle` would wait
/// (after a settings save on a large workspace, about ten seconds), which a window should say.
pub fn computing(workspace: &Workspace) -> bool {
    running().keys().any(|(path, _)| path == workspace.path())
}

/// Waits until this process has finished computing the snapshots of `workspace` it is computing in
/// the background (only snapshot `id` when given).
pub async fn settle(workspace: &Workspace, id: Option<i64>) {
    let locks: Vec<Arc<tokio::sync::Mutex<()>>> = running()
        .iter()
        .filter(|((path, running), _)| {
            path == workspace.path() && id.is_none_or(|id| id == *running)
        })
        .map(|(_, lock)| Arc::clone(lock))
        .collect();
    for lock in locks {
        drop(lock.lock().await);
    }
}

/// Takes an automatic snapshot of the workspace at `path` in a write of its own (before an import
/// replaces its data or a pull replaces the file). A workspace without data needs none.
pub async fn take_automatic(workspace: &Workspace, before: Before) -> Result<()> {
    // A snapshot still being computed from the data about to be replaced finishes first.
    settle(workspace, None).await;
    if workspace.is_empty().await? {
        return Ok(());
    }
    let pending = prepare(workspace, before).await?;
    let mut transaction = workspace.write().await?;
    pending.store_in(&mut transaction, None).await?;
    transaction.commit().await?;
    Ok(())
}

/// `take_automatic` for the workspace file at `path` (a pull's target before the pull replaces it); a
/// failure is logged and costs only the snapshot.
pub async fn take_automatic_at(path: &std::path::Path, before: Before) {
    let taken = async {
        let workspace = Workspace::open(path, false).await?;
        let taken = take_automatic(&workspace, before).await;
        workspace.close().await;
        taken
    }
    .await;
    if let Err(error) = taken {
        tracing::warn!(error = %error, path = %path.display(), "no visibility snapshot");
    }
}

/// Every snapshot, newest first.
pub async fn list(workspace: &Workspace) -> Result<Vec<SnapshotInfo>> {
    Ok(workspace.snapshots().await?)
}

/// Compares snapshot `before` with snapshot `after`, or with the workspace now when `after` is None.
pub async fn compare(
    workspace: &Workspace,
    before: &SnapshotInfo,
    after: Option<&SnapshotInfo>,
    limit: Option<usize>,
    progress: &dyn Progress,
) -> Result<SnapshotDiff> {
    let old = load(workspace, before).await?;
    let (new, after_side) = match after {
        Some(after) => (
            load(workspace, after).await?,
            DiffSide {
                snapshot: Some(after.clone()),
                label: label(after),
            },
        ),
        None => (
            current(workspace, progress).await?,
            DiffSide {
                snapshot: None,
                label: "now".into(),
            },
        ),
    };
    let before_side = DiffSide {
        snapshot: Some(before.clone()),
        label: label(before),
    };
    Ok(
        tokio::task::spawn_blocking(move || diff(&old, &new, before_side, after_side, limit))
            .await
            .expect("comparing snapshots panicked"),
    )
}

/// What settings history entry `entry` did to visibility: the automatic snapshot taken before it
/// against the next snapshot (taken before the change after it), or the workspace now when it is the
/// latest. None when no snapshot was taken before it (older entries, or pruned).
pub async fn change_effect(
    workspace: &Workspace,
    entry: i64,
    limit: Option<usize>,
) -> Result<Option<SnapshotDiff>> {
    let Some(before) = workspace.snapshot_before_entry(entry).await? else {
        return Ok(None);
    };
    let after = workspace.snapshot_after(before.id).await?;
    Ok(Some(
        compare(workspace, &before, after.as_ref(), limit, &Silent).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Visibility {
        Visibility {
            tickets: vec!["1001".into(), "1002".into(), "é-3".into()],
            shown: vec![Some("th-1".into()), None, Some(String::new())],
            sets: vec![vec![0, 1, 2], vec![0], vec![]],
            contacts: vec![
                ContactEntry {
                    email: "ana@acme.example".into(),
                    name: "Ana Berg".into(),
                    can_sign_in: true,
                    views: vec![(Some(View::Organization), 0), (Some(View::Mine), 1)],
                },
                ContactEntry {
                    email: "fay@freelance.example".into(),
                    name: "Fay".into(),
                    can_sign_in: false,
                    views: vec![(None, 2)],
                },
            ],
        }
    }

    fn side(label: &str) -> DiffSide {
        DiffSide {
            snapshot: None,
            label: label.into(),
        }
    }

    #[test]
    fn a_snapshot_reads_back_as_it_was_stored() {
        let visibility = sample();
        assert_eq!(decode(&encode(&visibility)).unwrap(), visibility);
        assert!(decode(b"not a snapshot").is_err());
        let mut cut = encode(&visibility);
        cut.truncate(cut.len() / 2);
        assert!(decode(&cut).is_err());
    }

    #[test]
    fn a_snapshot_compared_with_itself_is_empty() {
        let diff = diff(&sample(), &sample(), side("a"), side("b"), None);
        assert!(diff.is_empty(), "{diff:#?}");
    }

    #[test]
    fn losing_the_view_switch_compares_each_old_view_with_the_one_list_left() {
        let before = sample();
        let mut after = sample();
        // Ana loses the switch and sees only 1001; its shown thread changes too.
        after.contacts[0].views = vec![(None, 1)];
        after.shown[0] = Some("th-2".into());
        let diff = diff(&before, &after, side("a"), side("b"), None);
        let ana: Vec<&ContactChange> = diff
            .changes
            .iter()
            .filter(|change| change.contact == "ana@acme.example")
            .collect();
        assert_eq!(ana.len(), 2, "{diff:#?}");
        assert_eq!(ana[0].view, Some(View::Organization));
        assert_eq!(ana[0].lost, ["1002", "é-3"]);
        assert_eq!(ana[0].threads_changed.len(), 1);
        assert_eq!(ana[0].threads_changed[0].after.as_deref(), Some("th-2"));
        assert_eq!(ana[1].view, Some(View::Mine));
        assert!(ana[1].lost.is_empty());
        assert_eq!(diff.contacts_changed, 1);
        assert_eq!(diff.tickets_lost, 2);
    }

    #[test]
    fn a_contact_gone_and_a_ticket_gone_are_reported() {
        let before = sample();
        let mut after = sample();
        after.contacts.remove(1);
        after.tickets = vec!["1001".into()];
        after.shown = vec![Some("th-1".into())];
        after.sets = vec![vec![0], vec![0]];
        let diff = diff(&before, &after, side("a"), side("b"), Some(1));
        assert_eq!(diff.contacts_changed, 2, "{diff:#?}");
        assert_eq!(diff.changes.len(), 1, "limited to one change");
        assert!(diff.truncated);
        assert_eq!(diff.changes[0].lost, ["1002"], "ids cut to the limit too");
    }
}
