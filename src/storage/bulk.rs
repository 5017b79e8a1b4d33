//! Whole-workspace writes and reads: replacing everything in one transaction (bundle import and the demo
//! generator both write through `BulkWrite`, chunk by chunk, so a million tickets never sit in memory at
//! once), and gathering everything back for export.

use super::{catalog, Result, StorageError, Workspace};
use crate::domain::model::WorkspaceData;
use crate::domain::model::{
    from_millis, timestamp_millis, Attachment, Catalog, Company, Contact, Direction, Message,
    MessageType, Thread, Ticket,
};
use crate::domain::settings::Settings;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, ConnectOptions, Connection, SqliteConnection};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Tables in an order that deletes children before parents.
const TABLES_CHILDREN_FIRST: [&str; 29] = [
    "engagements",
    "outbox",
    "account_tokens",
    "sessions",
    "portal_logins",
    "attachments",
    "messages",
    "threads",
    "ticket_cc",
    "ticket_companies",
    "ticket_contacts",
    "tickets",
    "ticket_property_names",
    "form_fields",
    "forms",
    "channels",
    "inboxes",
    "stages",
    "pipelines",
    "list_memberships",
    "contact_companies",
    "contact_property_names",
    "contacts",
    "lists",
    "companies",
    "kb_articles",
    "menu_items",
    "menus",
    "settings_history",
];

/// Rows per multi-row INSERT. The widest row has 11 columns, so a statement stays far below SQLite's
/// limit of 32,766 bound parameters; 256 rows amortise the per-statement cost without huge statements.
const ROWS_PER_INSERT: usize = 256;

/// Page cache while bulk writing (negative = KiB): the primary-key and lookup indexes of a million
/// tickets and three million messages are written in nearly random order, so a bigger cache saves I/O.
const BULK_CACHE_KIB: i64 = 256 * 1024;

async fn clear_in(connection: &mut SqliteConnection) -> Result<()> {
    for table in TABLES_CHILDREN_FIRST {
        // Tables added by later migrations may be missing from a workspace being migrated; every table
        // in the list exists once all migrations ran.
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *connection)
            .await?;
    }
    sqlx::query("DELETE FROM settings")
        .execute(&mut *connection)
        .await?;
    Ok(())
}

fn encode_error(error: sqlx::error::BoxDynError) -> StorageError {
    StorageError::Database(sqlx::Error::Encode(error))
}

/// `head` followed by `rows` groups of `columns` placeholders: `INSERT ... VALUES (?,?),(?,?)`.
fn values_sql(head: &str, columns: usize, rows: usize) -> String {
    let group = format!("({})", vec!["?"; columns].join(","));
    let mut sql = String::with_capacity(head.len() + rows * (group.len() + 1));
    sql.push_str(head);
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push_str(&group);
    }
    sql
}

/// Inserts `rows` with multi-row INSERT statements; `bind` adds one row's `columns` values.
pub(super) async fn insert_many<'r, T>(
    connection: &mut SqliteConnection,
    head: &str,
    columns: usize,
    rows: &'r [T],
    bind: impl Fn(&mut SqliteArguments<'r>, &'r T) -> Result<(), sqlx::error::BoxDynError>,
) -> Result<()> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let sql = values_sql(head, columns, chunk.len());
        let mut arguments = SqliteArguments::default();
        for row in chunk {
            bind(&mut arguments, row).map_err(encode_error)?;
        }
        sqlx::query_with(&sql, arguments)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

fn bind_association<'r>(
    arguments: &mut SqliteArguments<'r>,
    (ticket, other, position): &'r (&'r str, &'r str, i64),
) -> Result<(), sqlx::error::BoxDynError> {
    arguments.add(*ticket)?;
    arguments.add(*other)?;
    arguments.add(*position)
}

/// Replaces a workspace's whole content in one transaction, written in chunks: settings and catalog
/// first, then companies, contacts, tickets and threads in any number of calls (tickets before the
/// threads that refer to them is not required). Nothing is visible to readers until `commit`; dropping
/// it without committing (an error, a validation problem found late) leaves the workspace as it was.
///
/// It uses a connection of its own, outside the pool, with foreign-key enforcement off: callers hand it
/// validated data (a checked bundle or the demo generator), and checking five million references twice
/// would double the cost of a large import. The connection is closed afterwards, so the setting never
/// leaks into the pool.
pub struct BulkWrite {
    connection: SqliteConnection,
    property_names: BTreeSet<String>,
    /// (name, CREATE statement) of the indexes dropped until commit.
    deferred_indexes: Vec<(String, String)>,
    /// (name, CREATE statement) of the triggers dropped until commit: they would fire for every row.
    deferred_triggers: Vec<(String, String)>,
    /// A pull's staging writer: rows whose id is already there are skipped (a vendor may list a record
    /// twice), and the work is committed at checkpoints.
    staging: bool,
}

/// The tables with millions of rows, whose secondary indexes `BulkWrite` builds at the end.
const BULK_TABLES: [&str; 6] = [
    "ticket_contacts",
    "ticket_companies",
    "ticket_cc",
    "threads",
    "messages",
    "attachments",
];

impl Workspace {
    /// Starts replacing everything in the workspace (see `BulkWrite`).
    pub async fn begin_replace(&self) -> Result<BulkWrite> {
        let mut connection = self.pool.connect_options().connect().await?;
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut connection)
            .await?;
        sqlx::query(&format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"))
            .execute(&mut connection)
            .await?;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut connection)
            .await?;
        // The data-version triggers would fire once per row written (and keep the clearing below from
        // truncating tables at once); the version is moved once at commit instead.
        let deferred_triggers: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY name",
        )
        .fetch_all(&mut connection)
        .await?;
        for (name, _) in &deferred_triggers {
            sqlx::query(&format!("DROP TRIGGER \"{name}\""))
                .execute(&mut connection)
                .await?;
        }
        clear_in(&mut connection).await?;
        // Secondary indexes of the big tables are built once at the end, from sorted data, rather than
        // row by row in random order: it makes the writing about a third faster. They are recreated
        // from their own definitions, whatever the migrations made them.
        let deferred_indexes: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
             AND tbl_name IN ({}) ORDER BY name",
            BULK_TABLES
                .iter()
                .map(|table| format!("'{table}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .fetch_all(&mut connection)
        .await?;
        for (name, _) in &deferred_indexes {
            sqlx::query(&format!("DROP INDEX \"{name}\""))
                .execute(&mut connection)
                .await?;
        }
        Ok(BulkWrite {
            connection,
            property_names: BTreeSet::new(),
            deferred_indexes,
            deferred_triggers,
            staging: false,
        })
    }

    /// Starts or continues writing a pull's staging workspace. Unlike `begin_replace` it keeps what the
    /// file holds (a resumed pull continues it) and keeps the indexes, because `checkpoint` commits as
    /// it goes: whatever was committed, with the pull state stored in the same transaction, is what a
    /// resumed pull finds, even after a kill.
    pub async fn begin_staging(&self) -> Result<BulkWrite> {
        let mut connection = self.pool.connect_options().connect().await?;
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut connection)
            .await?;
        sqlx::query(&format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"))
            .execute(&mut connection)
            .await?;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut connection)
            .await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS pull_state (id INTEGER PRIMARY KEY CHECK (id = 1), document TEXT NOT NULL)",
        )
        .execute(&mut connection)
        .await?;
        let names: Vec<(String,)> = sqlx::query_as("SELECT name FROM ticket_property_names")
            .fetch_all(&mut connection)
            .await?;
        Ok(BulkWrite {
            connection,
            property_names: names.into_iter().map(|(name,)| name).collect(),
            deferred_indexes: Vec::new(),
            // The staging file is served by nobody: its data-version triggers may fire per row.
            deferred_triggers: Vec::new(),
            staging: true,
        })
    }

    /// The state a pull stored with its last checkpoint in this (staging) workspace, if any.
    pub async fn pull_state(&self) -> Result<Option<String>> {
        let table: Option<(String,)> = sqlx::query_as(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'pull_state'",
        )
        .fetch_optional(&self.pool)
        .await?;
        if table.is_none() {
            return Ok(None);
        }
        let state: Option<(String,)> =
            sqlx::query_as("SELECT document FROM pull_state WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        Ok(state.map(|(document,)| document))
    }

    /// Replaces everything in the workspace with `data`, in one transaction. `password_hashes` are the
    /// hashed bundle passwords by contact id.
    pub async fn replace_all(
        &self,
        data: &WorkspaceData,
        password_hashes: &[(String, String)],
    ) -> Result<()> {
        let mut write = self.begin_replace().await?;
        write.settings(&data.settings).await?;
        write.catalog(&data.catalog()).await?;
        write.companies(&data.companies).await?;
        write.contacts(&data.contacts).await?;
        write.password_hashes(password_hashes).await?;
        write.tickets(&data.tickets).await?;
        write.threads(&data.threads).await?;
        write.commit().await
    }

    /// Everything the workspace holds, in memory, for export (passwords are not part of it). For a large
    /// workspace use `export_snapshot`, which `transfer::export_to` streams.
    pub async fn export_data(&self) -> Result<WorkspaceData> {
        let (mut data, pages) = self.export_snapshot().await?;
        let (tickets, mut ticket_pages) = tokio::sync::mpsc::channel(4);
        let (threads, mut thread_pages) = tokio::sync::mpsc::channel(4);
        let collect = async {
            while let Some(page) = ticket_pages.recv().await {
                data.tickets.extend(page);
            }
            while let Some(page) = thread_pages.recv().await {
                data.threads.extend(page);
            }
        };
        let (read, ()) = tokio::join!(pages.send(tickets, threads), collect);
        read?;
        Ok(data)
    }

    /// Everything but tickets and threads, and a reader of the tickets and threads, all from one
    /// snapshot: an export made while the portal writes is still one consistent state.
    pub async fn export_snapshot(&self) -> Result<(WorkspaceData, ExportPages)> {
        let mut read = self.paged_read(None).await?;
        let connection = &mut *read.connection;
        let catalog = super::catalog::load_in(connection).await?;
        let head = WorkspaceData {
            settings: super::settings::load_in(connection).await?,
            companies: super::contacts::companies_in(connection).await?,
            lists: catalog.lists,
            contacts: super::contacts::contacts_in(connection).await?,
            passwords: Vec::new(),
            pipelines: catalog.pipelines,
            inboxes: catalog.inboxes,
            channels: catalog.channels,
            tickets: Vec::new(),
            threads: Vec::new(),
            forms: catalog.forms,
            kb_articles: catalog.kb_articles,
            menus: catalog.menus,
        };
        let (tickets, threads): (i64, i64) =
            sqlx::query_as("SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM threads)")
                .fetch_one(&mut *read.connection)
                .await?;
        Ok((
            head,
            ExportPages {
                read,
                tickets: tickets as u64,
                threads: threads as u64,
            },
        ))
    }
}

/// The tickets and threads of an export's snapshot (see `Workspace::export_snapshot`).
pub struct ExportPages {
    read: PagedRead,
    /// How many tickets and threads the snapshot holds (for progress).
    pub tickets: u64,
    pub threads: u64,
}

impl ExportPages {
    /// Every ticket, then every thread (with messages and attachment bytes), in workspace order, a page
    /// at a time. Stops early, without error, when a receiver is dropped.
    pub async fn send(
        self,
        tickets: tokio::sync::mpsc::Sender<Vec<Ticket>>,
        threads: tokio::sync::mpsc::Sender<Vec<Thread>>,
    ) -> Result<()> {
        let mut read = self.read;
        let (mut after, last) = read.rowid_range("tickets").await?;
        while after < last {
            let upto = (after + PAGE_ROWS).min(last);
            if tickets
                .send(read.ticket_page(after, upto).await?)
                .await
                .is_err()
            {
                return Ok(());
            }
            after = upto;
        }
        drop(tickets);
        let (mut after, last) = read.rowid_range("threads").await?;
        while after < last {
            let upto = (after + PAGE_ROWS).min(last);
            if threads
                .send(read.thread_page(after, upto).await?)
                .await
                .is_err()
            {
                return Ok(());
            }
            after = upto;
        }
        read.connection.close().await?;
        Ok(())
    }
}

/// Built-in ticket properties a whole-workspace read can leave out when no rule reads them.
const OPTIONAL_TICKET_COLUMNS: [&str; 5] = ["subject", "content", "priority", "category", "source"];

/// Rows per JSON page of a whole-table read.
const PAGE_ROWS: i64 = 4096;

/// A ticket as one page's JSON array holds it (see `ticket_page`).
type TicketJson = (
    String,
    String,
    String,
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<BTreeMap<String, serde_json::Value>>,
);

fn corrupt_json(what: &str) -> impl Fn(serde_json::Error) -> StorageError + '_ {
    move |error| StorageError::Corrupt(format!("{what}: {error}"))
}

/// Reads a table of a million rows a page at a time, each page as one JSON array built by SQLite. sqlx
/// hands every result row from SQLite's thread to ours through a channel; one row per page instead of
/// one per record makes whole-workspace reads about four times faster.
/// The connection a `PagedRead` reads through: one of its own, or a pinned reader's only connection
/// (already inside the read transaction that pins it, so it is neither begun again nor closed).
enum ReadConnection {
    Own(SqliteConnection),
    Pinned(sqlx::pool::PoolConnection<sqlx::Sqlite>),
}

impl std::ops::Deref for ReadConnection {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        match self {
            ReadConnection::Own(connection) => connection,
            ReadConnection::Pinned(connection) => connection,
        }
    }
}

impl std::ops::DerefMut for ReadConnection {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            ReadConnection::Own(connection) => connection,
            ReadConnection::Pinned(connection) => connection,
        }
    }
}

impl ReadConnection {
    async fn close(self) -> Result<(), sqlx::Error> {
        match self {
            ReadConnection::Own(connection) => connection.close().await,
            ReadConnection::Pinned(_) => Ok(()),
        }
    }
}

pub(crate) struct PagedRead {
    connection: ReadConnection,
    /// The column list of `ticket_page`'s JSON rows.
    ticket_columns: String,
}

impl PagedRead {
    /// The rowid range of `table`, for walking it page by page.
    async fn rowid_range(&mut self, table: &str) -> Result<(i64, i64)> {
        let (low, high): (Option<i64>, Option<i64>) =
            sqlx::query_as(&format!("SELECT min(rowid), max(rowid) FROM {table}"))
                .fetch_one(&mut *self.connection)
                .await?;
        Ok((low.unwrap_or(1) - 1, high.unwrap_or(0)))
    }

    /// Tickets whose rowid is in (`after`, `upto`], in rowid order, with their associations.
    async fn ticket_page(&mut self, after: i64, upto: i64) -> Result<Vec<Ticket>> {
        let (rows,): (String,) = sqlx::query_as(&format!(
            "SELECT json_group_array(json_array({}) ORDER BY rowid) FROM tickets
             WHERE rowid > ?1 AND rowid <= ?2",
            self.ticket_columns
        ))
        .bind(after)
        .bind(upto)
        .fetch_one(&mut *self.connection)
        .await?;
        let rows: Vec<TicketJson> = serde_json::from_str(&rows).map_err(corrupt_json("tickets"))?;
        let (associations,): (String,) = sqlx::query_as(
            "WITH page(id) AS (SELECT id FROM tickets WHERE rowid > ?1 AND rowid <= ?2)
             SELECT json_group_array(json_array(kind, ticket_id, other, position)) FROM (
                 SELECT 0 AS kind, ticket_id, contact_id AS other, position FROM ticket_contacts
                 WHERE ticket_id IN page
                 UNION ALL
                 SELECT 1, ticket_id, company_id, position FROM ticket_companies
                 WHERE ticket_id IN page
                 UNION ALL
                 SELECT 2, ticket_id, contact_id, position FROM ticket_cc
                 WHERE ticket_id IN page)",
        )
        .bind(after)
        .bind(upto)
        .fetch_one(&mut *self.connection)
        .await?;
        let associations: Vec<(u8, String, String, i64)> =
            serde_json::from_str(&associations).map_err(corrupt_json("ticket associations"))?;
        // (position, id) per ticket: [0] contacts, [1] companies, [2] CC'd contacts.
        let mut linked: Vec<[Vec<(i64, String)>; 3]> = vec![Default::default(); rows.len()];
        {
            let index: HashMap<&str, usize> = rows
                .iter()
                .enumerate()
                .map(|(position, row)| (row.0.as_str(), position))
                .collect();
            for (kind, ticket, other, position) in associations {
                if let Some(&row) = index.get(ticket.as_str()) {
                    linked[row][usize::from(kind.min(2))].push((position, other));
                }
            }
        }
        let in_order = |mut ids: Vec<(i64, String)>| -> Vec<String> {
            ids.sort_unstable_by_key(|(position, _)| *position);
            ids.into_iter().map(|(_, id)| id).collect()
        };
        Ok(rows
            .into_iter()
            .zip(linked)
            .map(|(row, [contacts, companies, cc])| Ticket {
                id: row.0,
                pipeline: row.1,
                stage: row.2,
                created_at: from_millis(row.3),
                last_activity_at: from_millis(row.4),
                subject: row.5,
                content: row.6,
                priority: row.7,
                category: row.8,
                source: row.9,
                properties: row.10.unwrap_or_default(),
                contacts: in_order(contacts),
                companies: in_order(companies),
                cc: in_order(cc),
            })
            .collect())
    }
}

impl Workspace {
    /// A connection of its own for whole-table reads, with the columns of tickets that are wanted:
    /// everything but the optional built-in and custom properties not named in `properties` (`None`:
    /// all of them).
    async fn paged_read(&self, properties: Option<&[&str]>) -> Result<PagedRead> {
        let wanted = |name: &str| properties.is_none_or(|names| names.contains(&name));
        let column = |name: &str, absent: &str| {
            if wanted(name) {
                name.to_string()
            } else {
                absent.to_string()
            }
        };
        let custom = properties.is_none_or(|names| {
            names.iter().any(|name| {
                !OPTIONAL_TICKET_COLUMNS.contains(name) && !["pipeline", "stage"].contains(name)
            })
        });
        let ticket_columns = format!(
            "id, pipeline_id, stage_id, created_at, last_activity_at, {}, {}, {}, {}, {}, {}",
            column("subject", "''"),
            column("content", "''"),
            column("priority", "NULL"),
            column("category", "NULL"),
            column("source", "NULL"),
            if custom { "json(properties)" } else { "NULL" },
        );
        let connection = if self.is_pinned() {
            ReadConnection::Pinned(self.pool.acquire().await?)
        } else {
            let mut connection = self.pool.connect_options().connect().await?;
            // One snapshot for the whole read, even while the portal writes.
            sqlx::query("BEGIN").execute(&mut connection).await?;
            ReadConnection::Own(connection)
        };
        Ok(PagedRead {
            connection,
            ticket_columns,
        })
    }

    /// Every ticket in workspace order, with what the visibility rules read: id, pipeline, stage, times
    /// and associations always; of the other properties only those named in `properties` (`None`: all).
    /// Left-out text properties are empty, left-out optional ones `None`. On a workspace of a million
    /// tickets this takes a fraction of the time and memory of reading them whole.
    pub async fn tickets_for_rules(&self, properties: Option<&[&str]>) -> Result<Vec<Ticket>> {
        if self.is_pinned() {
            // A pinned reader has one connection: one reader reads it all.
            let mut read = self.paged_read(properties).await?;
            let (low, high) = read.rowid_range("tickets").await?;
            return read.tickets_between(low, high).await;
        }
        // Two readers, each on a connection (and so a SQLite thread) of its own, read the two halves.
        let mut first = self.paged_read(properties).await?;
        let mut second = self.paged_read(properties).await?;
        let (low, high) = first.rowid_range("tickets").await?;
        let middle = low + (high - low) / 2;
        let (mut tickets, rest) = tokio::try_join!(
            first.tickets_between(low, middle),
            second.tickets_between(middle, high)
        )?;
        tickets.extend(rest);
        first.connection.close().await?;
        second.connection.close().await?;
        Ok(tickets)
    }
}

/// A message as a page's JSON array holds it: thread, position, id, type, direction, from, text, time.
type MessageJson = (String, i64, String, String, String, String, String, i64);

/// An attachment row: message, id, name, content type, size, bytes.
type AttachmentRow = (String, i64, String, String, i64, Vec<u8>);

impl PagedRead {
    /// Threads whose rowid is in (`after`, `upto`], in rowid order, with messages and attachment bytes.
    async fn thread_page(&mut self, after: i64, upto: i64) -> Result<Vec<Thread>> {
        let (rows,): (String,) = sqlx::query_as(
            "SELECT json_group_array(json_array(id, ticket_id, channel_id, created_at) ORDER BY rowid)
             FROM threads WHERE rowid > ?1 AND rowid <= ?2",
        )
        .bind(after)
        .bind(upto)
        .fetch_one(&mut *self.connection)
        .await?;
        let rows: Vec<(String, Option<String>, String, i64)> =
            serde_json::from_str(&rows).map_err(corrupt_json("threads"))?;
        let (messages,): (String,) = sqlx::query_as(
            "SELECT json_group_array(json_array(thread_id, position, id, type, direction, sender, text,
                                                created_at))
             FROM messages WHERE thread_id IN (SELECT id FROM threads WHERE rowid > ?1 AND rowid <= ?2)",
        )
        .bind(after)
        .bind(upto)
        .fetch_one(&mut *self.connection)
        .await?;
        let messages: Vec<MessageJson> =
            serde_json::from_str(&messages).map_err(corrupt_json("messages"))?;
        let attachments: Vec<AttachmentRow> = sqlx::query_as(
            "SELECT a.message_id, a.id, a.name, a.content_type, a.size, a.data FROM attachments a
             JOIN messages m ON m.id = a.message_id
             WHERE m.thread_id IN (SELECT id FROM threads WHERE rowid > ?1 AND rowid <= ?2)
             ORDER BY a.id",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(&mut *self.connection)
        .await?;
        let mut files: HashMap<String, Vec<Attachment>> = HashMap::new();
        for (message, id, name, content_type, size, data) in attachments {
            files.entry(message).or_default().push(Attachment {
                id,
                name,
                content_type,
                size: usize::try_from(size).unwrap_or_default(),
                data: Some(data),
            });
        }
        let mut by_thread: Vec<Vec<(i64, Message)>> = vec![Vec::new(); rows.len()];
        {
            let index: HashMap<&str, usize> = rows
                .iter()
                .enumerate()
                .map(|(position, row)| (row.0.as_str(), position))
                .collect();
            for (thread, position, id, kind, direction, from, text, created_at) in messages {
                let Some(&row) = index.get(thread.as_str()) else {
                    continue;
                };
                let message_type = MessageType::parse(&kind)
                    .ok_or_else(|| StorageError::Corrupt(format!("message type \"{kind}\"")))?;
                let direction = Direction::parse(&direction).ok_or_else(|| {
                    StorageError::Corrupt(format!("message direction \"{direction}\""))
                })?;
                by_thread[row].push((
                    position,
                    Message {
                        attachments: files.remove(&id).unwrap_or_default(),
                        id,
                        message_type,
                        direction,
                        from,
                        text,
                        created_at: from_millis(created_at),
                    },
                ));
            }
        }
        Ok(rows
            .into_iter()
            .zip(by_thread)
            .map(|((id, ticket, channel, created_at), mut messages)| {
                messages.sort_by_key(|(position, _)| *position);
                Thread {
                    id,
                    ticket,
                    channel,
                    created_at: from_millis(created_at),
                    messages: messages.into_iter().map(|(_, message)| message).collect(),
                }
            })
            .collect())
    }
}

impl PagedRead {
    /// Tickets whose rowid is in (`after`, `upto`], page by page.
    async fn tickets_between(&mut self, mut after: i64, upto: i64) -> Result<Vec<Ticket>> {
        let mut tickets = Vec::with_capacity(usize::try_from(upto - after).unwrap_or(0));
        while after < upto {
            let page_end = (after + PAGE_ROWS).min(upto);
            tickets.extend(self.ticket_page(after, page_end).await?);
            after = page_end;
        }
        Ok(tickets)
    }
}

/// `INSERT` for an import, `INSERT OR IGNORE` for a pull's staging (see `BulkWrite::staging`).
fn insert_head(staging: bool, head: &str) -> String {
    if staging {
        head.replacen("INSERT INTO", "INSERT OR IGNORE INTO", 1)
    } else {
        head.to_string()
    }
}

/// What a pull's last step repaired: references to records the vendor did not list (or that were
/// skipped), which the workspace model does not allow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PullRepairs {
    /// Tickets in a pipeline or stage that was not listed (archived pipelines): left out.
    pub tickets_without_stage: u64,
    /// Associations and memberships naming a contact, company, list or ticket that is not there.
    pub dangling_references: u64,
    /// Portal logins carried over from the replaced workspace (matched by email).
    pub logins_kept: u64,
    /// Portal logins of the replaced workspace whose email no pulled contact has.
    pub logins_dropped: u64,
}

impl BulkWrite {
    /// Commits what was written with the pull's `state` (one transaction, so the two always agree) and
    /// begins the next transaction.
    pub async fn checkpoint(&mut self, state: &str) -> Result<()> {
        sqlx::query("INSERT OR REPLACE INTO pull_state (id, document) VALUES (1, ?1)")
            .bind(state)
            .execute(&mut self.connection)
            .await?;
        self.save_property_names().await?;
        sqlx::query("COMMIT").execute(&mut self.connection).await?;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut self.connection)
            .await?;
        Ok(())
    }

    /// List memberships given as (contact id, list id), as a pull reads them: list by list.
    pub async fn list_memberships(&mut self, memberships: &[(String, String)]) -> Result<()> {
        let (next,): (i64,) =
            sqlx::query_as("SELECT coalesce(max(position), -1) + 1 FROM list_memberships")
                .fetch_one(&mut self.connection)
                .await?;
        let rows: Vec<(&str, &str, i64)> = memberships
            .iter()
            .enumerate()
            .map(|(index, (contact, list))| (contact.as_str(), list.as_str(), next + index as i64))
            .collect();
        let head = insert_head(
            self.staging,
            "INSERT INTO list_memberships (contact_id, list_id, position) VALUES ",
        );
        insert_many(&mut self.connection, &head, 3, &rows, bind_association).await
    }

    /// The ids of the channels written so far.
    pub async fn channel_ids(&mut self) -> Result<Vec<String>> {
        let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM channels")
            .fetch_all(&mut self.connection)
            .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    /// A pull's last step before `commit`: drops what refers to records that are not there (the
    /// workspace model allows no dangling reference), carries over from the workspace at `kept` (when
    /// replacing one) its settings with their history, forms, articles and menus, outbox, and portal
    /// logins matched to the pulled contacts by email, and removes the pull's state.
    pub async fn finish_pull(&mut self, kept: Option<&std::path::Path>) -> Result<PullRepairs> {
        let mut repairs = PullRepairs::default();
        let connection = &mut self.connection;
        repairs.tickets_without_stage = sqlx::query(
            "DELETE FROM tickets WHERE NOT EXISTS (SELECT 1 FROM stages s
                 WHERE s.pipeline_id = tickets.pipeline_id AND s.id = tickets.stage_id)",
        )
        .execute(&mut *connection)
        .await?
        .rows_affected();
        for statement in [
            "DELETE FROM list_memberships WHERE contact_id NOT IN (SELECT id FROM contacts)
                 OR list_id NOT IN (SELECT id FROM lists)",
            "DELETE FROM ticket_contacts WHERE contact_id NOT IN (SELECT id FROM contacts)
                 OR ticket_id NOT IN (SELECT id FROM tickets)",
            "DELETE FROM ticket_companies WHERE company_id NOT IN (SELECT id FROM companies)
                 OR ticket_id NOT IN (SELECT id FROM tickets)",
            "DELETE FROM ticket_cc WHERE contact_id NOT IN (SELECT id FROM contacts)
                 OR ticket_id NOT IN (SELECT id FROM tickets)",
            "DELETE FROM contact_companies WHERE company_id NOT IN (SELECT id FROM companies)
                 OR contact_id NOT IN (SELECT id FROM contacts)",
            "UPDATE contacts SET company_id = NULL
                 WHERE company_id IS NOT NULL AND company_id NOT IN (SELECT id FROM companies)",
            "UPDATE threads SET ticket_id = NULL
                 WHERE ticket_id IS NOT NULL AND ticket_id NOT IN (SELECT id FROM tickets)",
        ] {
            repairs.dangling_references += sqlx::query(statement)
                .execute(&mut *connection)
                .await?
                .rows_affected();
        }
        if let Some(kept) = kept {
            // SQLite attaches a database only outside a transaction. What was repaired is committed
            // first; the pull state is still there, so a kill now leaves a pull that `--resume` ends.
            sqlx::query("COMMIT").execute(&mut *connection).await?;
            sqlx::query("ATTACH DATABASE ?1 AS kept")
                .bind(kept.to_string_lossy().into_owned())
                .execute(&mut *connection)
                .await?;
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *connection)
                .await?;
            for statement in [
                "DELETE FROM settings",
                "INSERT INTO settings SELECT * FROM kept.settings",
                "INSERT OR REPLACE INTO settings_history SELECT * FROM kept.settings_history",
                // The history's secret fingerprints were made with the replaced workspace's key.
                "INSERT OR REPLACE INTO workspace_keys SELECT * FROM kept.workspace_keys",
                "INSERT OR REPLACE INTO forms SELECT * FROM kept.forms",
                "INSERT OR REPLACE INTO form_fields SELECT * FROM kept.form_fields",
                "INSERT OR REPLACE INTO kb_articles SELECT * FROM kept.kb_articles",
                "INSERT OR REPLACE INTO menus SELECT * FROM kept.menus",
                "INSERT OR REPLACE INTO menu_items SELECT * FROM kept.menu_items",
                // Visibility snapshots (migrations 0006) stay with the workspace, as its history does.
                "INSERT OR REPLACE INTO visibility_snapshots SELECT * FROM kept.visibility_snapshots",
                "INSERT OR REPLACE INTO outbox (id, created_at, kind, to_address, subject, body, contact_id, ticket_id)
                     SELECT o.id, o.created_at, o.kind, o.to_address, o.subject, o.body,
                            (SELECT c.id FROM contacts c JOIN kept.contacts k ON k.email = c.email COLLATE NOCASE
                             WHERE k.id = o.contact_id),
                            (SELECT t.id FROM tickets t WHERE t.id = o.ticket_id)
                     FROM kept.outbox o",
            ] {
                sqlx::query(statement).execute(&mut *connection).await?;
            }
            repairs.logins_kept = sqlx::query(
                "INSERT OR IGNORE INTO portal_logins (contact_id, password_hash, created_at)
                     SELECT c.id, l.password_hash, l.created_at FROM kept.portal_logins l
                     JOIN kept.contacts k ON k.id = l.contact_id
                     JOIN contacts c ON c.email = k.email COLLATE NOCASE",
            )
            .execute(&mut *connection)
            .await?
            .rows_affected();
            let (logins,): (i64,) = sqlx::query_as("SELECT count(*) FROM kept.portal_logins")
                .fetch_one(&mut *connection)
                .await?;
            repairs.logins_dropped = u64::try_from(logins)
                .unwrap_or(0)
                .saturating_sub(repairs.logins_kept);
        }
        sqlx::query("DROP TABLE IF EXISTS pull_state")
            .execute(&mut *connection)
            .await?;
        Ok(repairs)
    }

    async fn save_property_names(&mut self) -> Result<()> {
        let names: Vec<&String> = self.property_names.iter().collect();
        insert_many(
            &mut self.connection,
            "INSERT OR IGNORE INTO ticket_property_names (name) VALUES ",
            1,
            &names,
            |arguments, name| arguments.add(name.as_str()),
        )
        .await
    }

    pub async fn settings(&mut self, settings: &Settings) -> Result<()> {
        let document = serde_json::to_string(settings).expect("settings serialise");
        sqlx::query("INSERT INTO settings (id, document) VALUES (1, ?1)")
            .bind(document)
            .execute(&mut self.connection)
            .await?;
        Ok(())
    }

    /// The small reference tables. Custom property names are also collected from the tickets written.
    pub async fn catalog(&mut self, catalog: &Catalog) -> Result<()> {
        catalog::insert_in(&mut self.connection, catalog).await
    }

    pub async fn companies(&mut self, companies: &[Company]) -> Result<()> {
        insert_many(
            &mut self.connection,
            &insert_head(
                self.staging,
                "INSERT INTO companies (id, name, domain) VALUES ",
            ),
            3,
            companies,
            |arguments, company| {
                arguments.add(&company.id)?;
                arguments.add(&company.name)?;
                arguments.add(&company.domain)
            },
        )
        .await
    }

    pub async fn contacts(&mut self, contacts: &[Contact]) -> Result<()> {
        insert_many(
            &mut self.connection,
            &insert_head(
                self.staging,
                "INSERT INTO contacts (id, email, first_name, last_name, company_id, language, properties) VALUES ",
            ),
            7,
            contacts,
            |arguments, contact| {
                arguments.add(&contact.id)?;
                arguments.add(&contact.email)?;
                arguments.add(&contact.first_name)?;
                arguments.add(&contact.last_name)?;
                arguments.add(&contact.company)?;
                arguments.add(&contact.language)?;
                arguments.add(super::contacts::properties_json(contact))
            },
        )
        .await?;
        let other_companies: Vec<(&str, &str, i64)> = contacts
            .iter()
            .flat_map(|contact| {
                contact
                    .companies
                    .iter()
                    .enumerate()
                    .map(|(position, company)| {
                        (contact.id.as_str(), company.as_str(), position as i64)
                    })
            })
            .collect();
        insert_many(
            &mut self.connection,
            &insert_head(
                self.staging,
                "INSERT INTO contact_companies (contact_id, company_id, position) VALUES ",
            ),
            3,
            &other_companies,
            bind_association,
        )
        .await?;
        let names: BTreeSet<&str> = contacts
            .iter()
            .flat_map(|contact| contact.properties.keys().map(String::as_str))
            .collect();
        let names: Vec<&str> = names.into_iter().collect();
        insert_many(
            &mut self.connection,
            "INSERT OR IGNORE INTO contact_property_names (name) VALUES ",
            1,
            &names,
            |arguments, name| arguments.add(*name),
        )
        .await?;
        let memberships: Vec<(&str, &str, i64)> =
            contacts
                .iter()
                .flat_map(|contact| {
                    contact.lists.iter().enumerate().map(|(position, list)| {
                        (contact.id.as_str(), list.as_str(), position as i64)
                    })
                })
                .collect();
        insert_many(
            &mut self.connection,
            &insert_head(
                self.staging,
                "INSERT INTO list_memberships (contact_id, list_id, position) VALUES ",
            ),
            3,
            &memberships,
            |arguments, (contact, list, position)| {
                arguments.add(*contact)?;
                arguments.add(*list)?;
                arguments.add(*position)
            },
        )
        .await
    }

    /// Portal logins: (contact id, argon2 hash).
    pub async fn password_hashes(&mut self, hashes: &[(String, String)]) -> Result<()> {
        let now = super::now_millis();
        insert_many(
            &mut self.connection,
            "INSERT INTO portal_logins (contact_id, password_hash, created_at) VALUES ",
            3,
            hashes,
            |arguments, (contact, hash)| {
                arguments.add(contact)?;
                arguments.add(hash)?;
                arguments.add(now)
            },
        )
        .await
    }

    pub async fn tickets(&mut self, tickets: &[Ticket]) -> Result<()> {
        let mut properties = Vec::with_capacity(tickets.len());
        for ticket in tickets {
            properties
                .push(serde_json::to_string(&ticket.properties).expect("properties serialise"));
            for name in ticket.properties.keys() {
                if !self.property_names.contains(name) {
                    self.property_names.insert(name.clone());
                }
            }
        }
        let rows: Vec<(&Ticket, &String)> = tickets.iter().zip(&properties).collect();
        insert_many(
            &mut self.connection,
            &insert_head(self.staging, "INSERT INTO tickets (id, subject, content, pipeline_id, stage_id, priority, category, source,
                                  created_at, last_activity_at, properties) VALUES "),
            11,
            &rows,
            |arguments, (ticket, properties)| {
                arguments.add(&ticket.id)?;
                arguments.add(&ticket.subject)?;
                arguments.add(&ticket.content)?;
                arguments.add(&ticket.pipeline)?;
                arguments.add(&ticket.stage)?;
                arguments.add(&ticket.priority)?;
                arguments.add(&ticket.category)?;
                arguments.add(&ticket.source)?;
                arguments.add(timestamp_millis(&ticket.created_at))?;
                arguments.add(timestamp_millis(&ticket.last_activity_at))?;
                arguments.add(properties.as_str())
            },
        )
        .await?;
        let associations = |pick: fn(&Ticket) -> &Vec<String>| -> Vec<(&str, &str, i64)> {
            tickets
                .iter()
                .flat_map(|ticket| {
                    pick(ticket).iter().enumerate().map(|(position, other)| {
                        (ticket.id.as_str(), other.as_str(), position as i64)
                    })
                })
                .collect()
        };
        insert_many(
            &mut self.connection,
            &insert_head(
                self.staging,
                "INSERT INTO ticket_contacts (ticket_id, contact_id, position) VALUES ",
            ),
            3,
            &associations(|ticket| &ticket.contacts),
            bind_association,
        )
        .await?;
        insert_many(
            &mut self.connection,
            &insert_head(
                self.staging,
                "INSERT INTO ticket_companies (ticket_id, company_id, position) VALUES ",
            ),
            3,
            &associations(|ticket| &ticket.companies),
            bind_association,
        )
        .await?;
        insert_many(
            &mut self.connection,
            &insert_head(
                self.staging,
                "INSERT INTO ticket_cc (ticket_id, contact_id, position) VALUES ",
            ),
            3,
            &associations(|ticket| &ticket.cc),
            bind_association,
        )
        .await
    }

    pub async fn threads(&mut self, threads: &[Thread]) -> Result<()> {
        insert_many(
            &mut self.connection,
            &insert_head(
                self.staging,
                "INSERT INTO threads (id, ticket_id, channel_id, created_at) VALUES ",
            ),
            4,
            threads,
            |arguments, thread| {
                arguments.add(&thread.id)?;
                arguments.add(&thread.ticket)?;
                arguments.add(&thread.channel)?;
                arguments.add(timestamp_millis(&thread.created_at))
            },
        )
        .await?;
        let messages: Vec<(&str, i64, &crate::domain::model::Message)> = threads
            .iter()
            .flat_map(|thread| {
                thread
                    .messages
                    .iter()
                    .enumerate()
                    .map(|(position, message)| (thread.id.as_str(), position as i64, message))
            })
            .collect();
        insert_many(
            &mut self.connection,
            &insert_head(self.staging, "INSERT INTO messages (id, thread_id, position, type, direction, sender, text, created_at) VALUES "),
            8,
            &messages,
            |arguments, (thread, position, message)| {
                arguments.add(&message.id)?;
                arguments.add(*thread)?;
                arguments.add(*position)?;
                arguments.add(message.message_type.as_str())?;
                arguments.add(message.direction.as_str())?;
                arguments.add(&message.from)?;
                arguments.add(&message.text)?;
                arguments.add(timestamp_millis(&message.created_at))
            },
        )
        .await?;
        let attachments: Vec<(&str, &crate::domain::model::Attachment)> = messages
            .iter()
            .flat_map(|(_, _, message)| {
                message
                    .attachments
                    .iter()
                    .map(|attachment| (message.id.as_str(), attachment))
            })
            .collect();
        insert_many(
            &mut self.connection,
            &insert_head(
                self.staging,
                "INSERT INTO attachments (message_id, name, content_type, size, data) VALUES ",
            ),
            5,
            &attachments,
            |arguments, (message, attachment)| {
                let data = attachment.data.as_deref().unwrap_or_default();
                arguments.add(*message)?;
                arguments.add(&attachment.name)?;
                arguments.add(&attachment.content_type)?;
                arguments.add(data.len() as i64)?;
                arguments.add(data)
            },
        )
        .await
    }

    /// Makes everything written visible at once.
    pub async fn commit(mut self) -> Result<()> {
        self.save_property_names().await?;
        for (_, create) in &self.deferred_indexes {
            sqlx::query(create).execute(&mut self.connection).await?;
        }
        for (_, create) in &self.deferred_triggers {
            sqlx::query(create).execute(&mut self.connection).await?;
        }
        sqlx::query("UPDATE data_version SET version = version + 1")
            .execute(&mut self.connection)
            .await?;
        sqlx::query("COMMIT").execute(&mut self.connection).await?;
        self.connection.close().await?;
        Ok(())
    }

    /// Abandons everything written (also what dropping does, when the connection closes).
    pub async fn rollback(mut self) -> Result<()> {
        sqlx::query("ROLLBACK")
            .execute(&mut self.connection)
            .await?;
        self.connection.close().await?;
        Ok(())
    }
}
