//! The outbox: every email the portal would send (invitations, password resets, reply notifications).
//! Nothing leaves the machine; the desktop app shows them.

use super::{now_millis, Result, Workspace};
use crate::domain::model::{format_timestamp, from_millis};
use serde::{Deserialize, Serialize};
use sqlx::{Arguments, SqliteConnection};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OutboxEmail {
    #[ts(type = "number")]
    pub id: i64,
    pub created_at: String,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub contact_id: Option<String>,
    pub ticket_id: Option<String>,
}

/// A new email to queue.
pub struct NewEmail<'a> {
    pub kind: &'a str,
    pub to_address: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub contact_id: Option<&'a str>,
    pub ticket_id: Option<&'a str>,
}

pub async fn queue_in(connection: &mut SqliteConnection, email: &NewEmail<'_>) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO outbox (created_at, kind, to_address, subject, body, contact_id, ticket_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(now_millis())
    .bind(email.kind)
    .bind(email.to_address)
    .bind(email.subject)
    .bind(email.body)
    .bind(email.contact_id)
    .bind(email.ticket_id)
    .execute(connection)
    .await?
    .last_insert_rowid())
}

/// Queues every one of `emails`, in order, with batched inserts.
pub async fn queue_many_in(
    connection: &mut SqliteConnection,
    emails: &[NewEmail<'_>],
) -> Result<()> {
    let now = now_millis();
    super::bulk::insert_many(
        connection,
        "INSERT INTO outbox (created_at, kind, to_address, subject, body, contact_id, ticket_id) VALUES ",
        7,
        emails,
        |arguments, email| {
            arguments.add(now)?;
            arguments.add(email.kind)?;
            arguments.add(email.to_address)?;
            arguments.add(email.subject)?;
            arguments.add(email.body)?;
            arguments.add(email.contact_id)?;
            arguments.add(email.ticket_id)
        },
    )
    .await
}

/// How many emails of `kind` were queued for `to_address` (in any letter case) since `since_millis`, to
/// limit what one address can be sent.
pub async fn sent_since_in(
    connection: &mut SqliteConnection,
    to_address: &str,
    kind: &str,
    since_millis: i64,
) -> Result<usize> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE to_address = ?1 COLLATE NOCASE AND kind = ?2 AND created_at >= ?3",
    )
    .bind(to_address.trim())
    .bind(kind)
    .bind(since_millis)
    .fetch_one(connection)
    .await?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

type OutboxRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

impl Workspace {
    /// The outbox, newest first.
    pub async fn outbox(&self) -> Result<Vec<OutboxEmail>> {
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "SELECT id, created_at, kind, to_address, subject, body, contact_id, ticket_id
             FROM outbox ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, at, kind, to_address, subject, body, contact_id, ticket_id)| OutboxEmail {
                    id,
                    created_at: format_timestamp(&from_millis(at)),
                    kind,
                    to_address,
                    subject,
                    body,
                    contact_id,
                    ticket_id,
                },
            )
            .collect())
    }
}
