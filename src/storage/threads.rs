//! Threads (conversations), their messages in conversation order, and attachments (bytes in the database,
//! loaded only for download and export).

use super::tickets::{bound, companies_json, RELATED_TO_CONTACT};
use super::{Result, StorageError, Workspace};
use crate::domain::model::Contact;
use crate::domain::model::{
    from_millis, timestamp_millis, Attachment, Direction, Message, MessageType, Thread,
};
use sqlx::SqliteConnection;
use std::collections::HashMap;

type ThreadRow = (String, Option<String>, String, i64);
type MessageRow = (String, String, String, String, String, String, i64);
type AttachmentRow = (String, i64, String, String, i64, Option<Vec<u8>>);

/// An attachment with its bytes, as served for download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    pub id: i64,
    pub message_id: String,
    pub thread_id: String,
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

async fn load_where(
    connection: &mut SqliteConnection,
    related: &str,
    binds: &[&str],
    with_bytes: bool,
) -> Result<Vec<Thread>> {
    let threads_sql = format!(
        "SELECT id, ticket_id, channel_id, created_at FROM threads WHERE ticket_id IN ({related}) ORDER BY rowid"
    );
    let messages_sql = format!(
        "SELECT m.thread_id, m.id, m.type, m.direction, m.sender, m.text, m.created_at FROM messages m
         JOIN threads t ON t.id = m.thread_id WHERE t.ticket_id IN ({related}) ORDER BY m.thread_id, m.position"
    );
    let data_column = if with_bytes { "a.data" } else { "NULL" };
    let attachments_sql = format!(
        "SELECT a.message_id, a.id, a.name, a.content_type, a.size, {data_column} FROM attachments a
         JOIN messages m ON m.id = a.message_id JOIN threads t ON t.id = m.thread_id
         WHERE t.ticket_id IN ({related}) ORDER BY a.id"
    );
    let threads: Vec<ThreadRow> = bound(&threads_sql, binds)
        .fetch_all(&mut *connection)
        .await?;
    let messages: Vec<MessageRow> = bound(&messages_sql, binds)
        .fetch_all(&mut *connection)
        .await?;
    let attachments: Vec<AttachmentRow> = bound(&attachments_sql, binds)
        .fetch_all(&mut *connection)
        .await?;
    assemble(threads, messages, attachments)
}

fn assemble(
    threads: Vec<ThreadRow>,
    messages: Vec<MessageRow>,
    attachments: Vec<AttachmentRow>,
) -> Result<Vec<Thread>> {
    let mut by_message: HashMap<String, Vec<Attachment>> = HashMap::new();
    for (message, id, name, content_type, size, data) in attachments {
        by_message.entry(message).or_default().push(Attachment {
            id,
            name,
            content_type,
            size: size as usize,
            data,
        });
    }
    let mut by_thread: HashMap<String, Vec<Message>> = HashMap::new();
    for (thread, id, message_type, direction, from, text, created_at) in messages {
        let message_type = MessageType::parse(&message_type)
            .ok_or_else(|| StorageError::Corrupt(format!("message type \"{message_type}\"")))?;
        let direction = Direction::parse(&direction)
            .ok_or_else(|| StorageError::Corrupt(format!("message direction \"{direction}\"")))?;
        let attachments = by_message.remove(&id).unwrap_or_default();
        by_thread.entry(thread).or_default().push(Message {
            id,
            message_type,
            direction,
            from,
            text,
            created_at: from_millis(created_at),
            attachments,
        });
    }
    Ok(threads
        .into_iter()
        .map(|(id, ticket, channel, created_at)| {
            let messages = by_thread.remove(&id).unwrap_or_default();
            Thread {
                id,
                ticket,
                channel,
                created_at: from_millis(created_at),
                messages,
            }
        })
        .collect())
}

pub async fn insert_in(connection: &mut SqliteConnection, thread: &Thread) -> Result<()> {
    sqlx::query(
        "INSERT INTO threads (id, ticket_id, channel_id, created_at) VALUES (?1, ?2, ?3, ?4)",
    )
    .bind(&thread.id)
    .bind(&thread.ticket)
    .bind(&thread.channel)
    .bind(timestamp_millis(&thread.created_at))
    .execute(&mut *connection)
    .await?;
    for (position, message) in thread.messages.iter().enumerate() {
        insert_message_in(&mut *connection, &thread.id, position as i64, message).await?;
    }
    Ok(())
}

/// Appends `message` to a thread at `position` (see `next_position_in`).
pub async fn insert_message_in(
    connection: &mut SqliteConnection,
    thread_id: &str,
    position: i64,
    message: &Message,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO messages (id, thread_id, position, type, direction, sender, text, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(&message.id)
    .bind(thread_id)
    .bind(position)
    .bind(message.message_type.as_str())
    .bind(message.direction.as_str())
    .bind(&message.from)
    .bind(&message.text)
    .bind(timestamp_millis(&message.created_at))
    .execute(&mut *connection)
    .await?;
    for attachment in &message.attachments {
        let data = attachment.data.as_deref().unwrap_or_default();
        sqlx::query(
            "INSERT INTO attachments (message_id, name, content_type, size, data) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&message.id)
        .bind(&attachment.name)
        .bind(&attachment.content_type)
        .bind(data.len() as i64)
        .bind(data)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

pub async fn next_position_in(connection: &mut SqliteConnection, thread_id: &str) -> Result<i64> {
    let highest: Option<i64> =
        sqlx::query_scalar("SELECT max(position) FROM messages WHERE thread_id = ?1")
            .bind(thread_id)
            .fetch_one(connection)
            .await?;
    Ok(highest.map_or(0, |position| position + 1))
}

/// `Workspace::threads_of_ticket` inside a transaction.
pub async fn threads_of_ticket_in(
    connection: &mut SqliteConnection,
    ticket_id: &str,
) -> Result<Vec<Thread>> {
    load_where(connection, "SELECT ?1", &[ticket_id], false).await
}

impl Workspace {
    /// Threads of every ticket the contact is related to (`tickets_related_to`), with messages (no
    /// bytes).
    pub async fn threads_related_to(&self, contact: &Contact) -> Result<Vec<Thread>> {
        let mut connection = self.pool.acquire().await?;
        let companies = companies_json(contact);
        let binds = [contact.id.as_str(), companies.as_str()];
        load_where(&mut connection, RELATED_TO_CONTACT, &binds, false).await
    }

    /// Threads of one ticket, with messages (no bytes).
    pub async fn threads_of_ticket(&self, ticket_id: &str) -> Result<Vec<Thread>> {
        let mut connection = self.pool.acquire().await?;
        load_where(&mut connection, "SELECT ?1", &[ticket_id], false).await
    }

    /// Every thread with messages and attachment bytes, in workspace order (for export).
    pub async fn threads(&self) -> Result<Vec<Thread>> {
        let mut connection = self.pool.acquire().await?;
        let threads: Vec<ThreadRow> = sqlx::query_as(
            "SELECT id, ticket_id, channel_id, created_at FROM threads ORDER BY rowid",
        )
        .fetch_all(&mut *connection)
        .await?;
        let messages: Vec<MessageRow> = sqlx::query_as(
            "SELECT thread_id, id, type, direction, sender, text, created_at FROM messages
             ORDER BY thread_id, position",
        )
        .fetch_all(&mut *connection)
        .await?;
        let attachments = sqlx::query_as(
            "SELECT message_id, id, name, content_type, size, data FROM attachments ORDER BY id",
        )
        .fetch_all(&mut *connection)
        .await?;
        assemble(threads, messages, attachments)
    }

    pub async fn attachment(&self, id: i64) -> Result<Option<StoredAttachment>> {
        let row: Option<(i64, String, String, String, String, Vec<u8>)> = sqlx::query_as(
            "SELECT a.id, a.message_id, m.thread_id, a.name, a.content_type, a.data FROM attachments a
             JOIN messages m ON m.id = a.message_id WHERE a.id = ?1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(id, message_id, thread_id, name, content_type, data)| StoredAttachment {
                id,
                message_id,
                thread_id,
                name,
                content_type,
                data,
            },
        ))
    }
}

impl Workspace {
    /// The threads of every ticket that has more than one, as the thread choice sees them (no message
    /// bodies), by ticket id: the only tickets whose shown thread a setting can change. One aggregate
    /// query, so comparing thread choices across a whole workspace stays cheap.
    pub async fn thread_activities_of_multi_thread_tickets(
        &self,
    ) -> Result<HashMap<String, Vec<crate::domain::rules::ThreadActivity>>> {
        // One JSON array built by SQLite rather than a result row per thread: sqlx hands every row
        // across threads, which made reading half a million of them take seconds.
        let (json,): (String,) = sqlx::query_as(
            "SELECT json_group_array(json_array(ticket_id, id, channel_id, created_at, latest))
             FROM (SELECT t.ticket_id, t.id, t.channel_id, t.created_at,
                          (SELECT max(m.created_at) FROM messages m WHERE m.thread_id = t.id) AS latest
                   FROM threads t
                   WHERE t.ticket_id IN (SELECT ticket_id FROM threads WHERE ticket_id IS NOT NULL
                                         GROUP BY ticket_id HAVING count(*) > 1)
                   ORDER BY t.rowid)",
        )
        .fetch_one(&self.pool)
        .await?;
        let rows: Vec<(String, String, String, i64, Option<i64>)> = serde_json::from_str(&json)
            .map_err(|error| StorageError::Corrupt(format!("thread activities: {error}")))?;
        let mut by_ticket: HashMap<String, Vec<crate::domain::rules::ThreadActivity>> =
            HashMap::new();
        for (ticket, id, channel, created_at, latest) in rows {
            by_ticket
                .entry(ticket)
                .or_default()
                .push(crate::domain::rules::ThreadActivity {
                    id,
                    channel,
                    created_at: from_millis(created_at),
                    latest_activity: from_millis(latest.unwrap_or(created_at)),
                });
        }
        Ok(by_ticket)
    }
}
