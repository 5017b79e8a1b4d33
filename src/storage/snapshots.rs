//! Visibility snapshots (migrations/0006_visibility_snapshots.sql): stored as one encoded record each
//! (`app::snapshots` encodes and decodes it), listed without their data. Also the thread facts snapshots
//! and the leak lint read for every ticket: each thread's activity and how many customer-visible
//! messages it holds.

use super::{now_millis, Result, StorageError, Workspace};
use crate::domain::model::{format_timestamp, from_millis};
use crate::domain::rules::lint::TicketThreads;
use crate::domain::rules::ThreadActivity;
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use std::collections::HashMap;
use ts_rs::TS;

/// A stored snapshot, without its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SnapshotInfo {
    #[ts(type = "number")]
    pub id: i64,
    /// The name it was saved under; None for an automatic snapshot.
    pub name: Option<String>,
    /// Why it was taken: `named`, or before a `settings` save, an `undo`, an `import`, a `pull`.
    pub reason: String,
    pub created_at: String,
    /// For a snapshot taken before a settings save or undo: the history entry that change made.
    #[ts(type = "number | null")]
    pub settings_entry: Option<i64>,
    #[ts(type = "number")]
    pub contacts: i64,
    /// Distinct tickets visible to anyone.
    #[ts(type = "number")]
    pub tickets: i64,
    /// Its size in the workspace (the encoded record).
    #[ts(type = "number")]
    pub bytes: i64,
}

impl SnapshotInfo {
    /// Whether it is still being computed (`app::snapshots::PendingSnapshot`): stored without data until
    /// then.
    pub fn is_pending(&self) -> bool {
        self.bytes == 0
    }
}

/// A snapshot to store. Empty `data` stores it pending: taken, not yet computed.
pub struct NewSnapshot<'a> {
    pub name: Option<&'a str>,
    pub reason: &'a str,
    pub settings_entry: Option<i64>,
    pub contacts: usize,
    pub tickets: usize,
    pub data: &'a [u8],
}

type InfoRow = (i64, Option<String>, String, i64, Option<i64>, i64, i64, i64);

const INFO_COLUMNS: &str =
    "id, name, reason, created_at, settings_entry, contacts, tickets, length(data)";

/// How a single snapshot is looked up: its WHERE clause binds the value as `?1`.
enum InfoLookup<'a> {
    Id(i64),
    Named(&'a str),
    /// The newest automatic snapshot taken before this settings history entry was saved.
    BeforeEntry(i64),
    /// The first snapshot taken after this one.
    After(i64),
}

impl InfoLookup<'_> {
    fn clause(&self) -> &'static str {
        match self {
            InfoLookup::Id(_) => "id = ?1",
            InfoLookup::Named(_) => "name = ?1",
            InfoLookup::BeforeEntry(_) => "settings_entry = ?1 ORDER BY id DESC LIMIT 1",
            InfoLookup::After(_) => "id > ?1 ORDER BY id LIMIT 1",
        }
    }
}

fn info_from(row: InfoRow) -> SnapshotInfo {
    let (id, name, reason, created_at, settings_entry, contacts, tickets, bytes) = row;
    SnapshotInfo {
        id,
        name,
        reason,
        created_at: format_timestamp(&from_millis(created_at)),
        settings_entry,
        contacts,
        tickets,
        bytes,
    }
}

/// Stores `snapshot`; returns its id. A name already taken is a conflict.
pub async fn insert_in(
    connection: &mut SqliteConnection,
    snapshot: &NewSnapshot<'_>,
) -> Result<i64> {
    if let Some(name) = snapshot.name {
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM visibility_snapshots WHERE name = ?1")
                .bind(name)
                .fetch_optional(&mut *connection)
                .await?;
        if taken.is_some() {
            return Err(StorageError::Conflict(format!(
                "a snapshot named \"{name}\" already exists"
            )));
        }
    }
    let id = sqlx::query(
        "INSERT INTO visibility_snapshots (name, reason, created_at, settings_entry, contacts, tickets, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(snapshot.name)
    .bind(snapshot.reason)
    .bind(now_millis())
    .bind(snapshot.settings_entry)
    .bind(i64::try_from(snapshot.contacts).unwrap_or(i64::MAX))
    .bind(i64::try_from(snapshot.tickets).unwrap_or(i64::MAX))
    .bind(snapshot.data)
    .execute(&mut *connection)
    .await?
    .last_insert_rowid();
    Ok(id)
}

/// Stores the computed data of pending snapshot `id`; false when it is no longer there or no longer
/// pending (pruned meanwhile, or computed by someone else).
pub async fn complete_in(
    connection: &mut SqliteConnection,
    id: i64,
    contacts: usize,
    tickets: usize,
    data: &[u8],
) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE visibility_snapshots SET contacts = ?2, tickets = ?3, data = ?4
         WHERE id = ?1 AND length(data) = 0",
    )
    .bind(id)
    .bind(i64::try_from(contacts).unwrap_or(i64::MAX))
    .bind(i64::try_from(tickets).unwrap_or(i64::MAX))
    .bind(data)
    .execute(connection)
    .await?
    .rows_affected()
        == 1)
}

/// Deletes automatic snapshots beyond the newest `keep`; named ones are never deleted. Returns how many
/// went.
pub async fn prune_automatic_in(connection: &mut SqliteConnection, keep: usize) -> Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM visibility_snapshots WHERE name IS NULL AND id NOT IN
           (SELECT id FROM visibility_snapshots WHERE name IS NULL ORDER BY id DESC LIMIT ?1)",
    )
    .bind(i64::try_from(keep).unwrap_or(i64::MAX))
    .execute(connection)
    .await?
    .rows_affected())
}

/// One thread as the page query yields it: ticket, id, channel, created, latest message, customer
/// messages.
type ThreadFactsJson = (String, String, String, i64, Option<i64>, u32);

/// Threads per page of `ticket_threads`.
const THREADS_PER_PAGE: i64 = 50_000;

impl Workspace {
    /// Every snapshot, newest first, without data.
    pub async fn snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        let rows: Vec<InfoRow> = sqlx::query_as(&format!(
            "SELECT {INFO_COLUMNS} FROM visibility_snapshots ORDER BY id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(info_from).collect())
    }

    pub async fn snapshot(&self, id: i64) -> Result<Option<SnapshotInfo>> {
        self.snapshot_info(InfoLookup::Id(id)).await
    }

    pub async fn snapshot_named(&self, name: &str) -> Result<Option<SnapshotInfo>> {
        self.snapshot_info(InfoLookup::Named(name)).await
    }

    /// The automatic snapshot taken before settings history entry `entry` was saved.
    pub async fn snapshot_before_entry(&self, entry: i64) -> Result<Option<SnapshotInfo>> {
        self.snapshot_info(InfoLookup::BeforeEntry(entry)).await
    }

    /// The first snapshot taken after snapshot `id`, if any.
    pub async fn snapshot_after(&self, id: i64) -> Result<Option<SnapshotInfo>> {
        self.snapshot_info(InfoLookup::After(id)).await
    }

    /// The one snapshot `lookup` finds, without data.
    async fn snapshot_info(&self, lookup: InfoLookup<'_>) -> Result<Option<SnapshotInfo>> {
        let sql = format!(
            "SELECT {INFO_COLUMNS} FROM visibility_snapshots WHERE {}",
            lookup.clause()
        );
        let query = sqlx::query_as(&sql);
        let query = match lookup {
            InfoLookup::Named(name) => query.bind(name),
            InfoLookup::Id(id) | InfoLookup::BeforeEntry(id) | InfoLookup::After(id) => {
                query.bind(id)
            }
        };
        let row: Option<InfoRow> = query.fetch_optional(&self.pool).await?;
        Ok(row.map(info_from))
    }

    /// Deletes snapshot `id` (a pending one that could not be computed).
    pub async fn delete_snapshot(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM visibility_snapshots WHERE id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The encoded record of snapshot `id` (empty while it is pending).
    pub async fn snapshot_data(&self, id: i64) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT data FROM visibility_snapshots WHERE id = ?1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The threads of every ticket that has any, by ticket id, as the thread choice sees them: enough to
    /// choose the shown thread, cheaper than `ticket_threads`. The latest activity is read only for
    /// tickets with several threads (a lone thread is shown whenever it is eligible, whatever its
    /// activity); elsewhere it is the thread's creation.
    pub async fn ticket_thread_choices(&self) -> Result<HashMap<String, Vec<ThreadActivity>>> {
        let mut by_ticket = self.thread_activities_of_multi_thread_tickets().await?;
        let mut connection = self.pool.acquire().await?;
        let (low, high): (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT min(rowid), max(rowid) FROM threads")
                .fetch_one(&mut *connection)
                .await?;
        let (mut after, high) = (low.unwrap_or(1) - 1, high.unwrap_or(0));
        while after < high {
            let upto = after + THREADS_PER_PAGE;
            let (page,): (String,) = sqlx::query_as(
                "SELECT json_group_array(json_array(ticket_id, id, channel_id, created_at) ORDER BY rowid)
                 FROM threads WHERE rowid > ?1 AND rowid <= ?2 AND ticket_id IS NOT NULL",
            )
            .bind(after)
            .bind(upto)
            .fetch_one(&mut *connection)
            .await?;
            let rows: Vec<(String, String, String, i64)> = serde_json::from_str(&page)
                .map_err(|error| StorageError::Corrupt(format!("threads: {error}")))?;
            for (ticket, id, channel, created_at) in rows {
                if by_ticket.contains_key(&ticket) {
                    continue;
                }
                by_ticket.insert(
                    ticket,
                    vec![ThreadActivity {
                        id,
                        channel,
                        created_at: from_millis(created_at),
                        latest_activity: from_millis(created_at),
                    }],
                );
            }
            after = upto;
        }
        Ok(by_ticket)
    }

    /// The threads of every ticket that has any, by ticket id, as the thread choice sees them, with the
    /// number of customer-visible messages (type MESSAGE) each holds. Read page by page as SQLite-built
    /// JSON (one result row per page; sqlx hands every row across threads, which is slow for millions).
    pub async fn ticket_threads(&self) -> Result<HashMap<String, TicketThreads>> {
        let mut connection = self.pool.acquire().await?;
        let (low, high): (Option<i64>, Option<i64>) =
            sqlx::query_as("SELECT min(rowid), max(rowid) FROM threads")
                .fetch_one(&mut *connection)
                .await?;
        let (mut after, high) = (low.unwrap_or(1) - 1, high.unwrap_or(0));
        let mut by_ticket: HashMap<String, TicketThreads> = HashMap::new();
        while after < high {
            let upto = after + THREADS_PER_PAGE;
            let (page,): (String,) = sqlx::query_as(
                "SELECT json_group_array(json_array(t.ticket_id, t.id, t.channel_id, t.created_at,
                     (SELECT max(m.created_at) FROM messages m WHERE m.thread_id = t.id),
                     (SELECT count(*) FROM messages m WHERE m.thread_id = t.id AND m.type = 'MESSAGE'))
                     ORDER BY t.rowid)
                 FROM threads t WHERE t.rowid > ?1 AND t.rowid <= ?2 AND t.ticket_id IS NOT NULL",
            )
            .bind(after)
            .bind(upto)
            .fetch_one(&mut *connection)
            .await?;
            let rows: Vec<ThreadFactsJson> = serde_json::from_str(&page)
                .map_err(|error| StorageError::Corrupt(format!("thread facts: {error}")))?;
            for (ticket, id, channel, created_at, latest, customer_messages) in rows {
                let entry = by_ticket.entry(ticket).or_default();
                entry.threads.push(ThreadActivity {
                    id,
                    channel,
                    created_at: from_millis(created_at),
                    latest_activity: from_millis(latest.unwrap_or(created_at)),
                });
                entry.customer_messages.push(customer_messages);
            }
            after = upto;
        }
        Ok(by_ticket)
    }
}
