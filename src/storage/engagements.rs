//! Timeline entries: replies and form submissions customers made through the portal, shown on the
//! ticket's and the contact's timeline in the desktop app.

use super::{now_millis, Result, Workspace};
use crate::domain::model::{format_timestamp, from_millis};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Engagement {
    #[ts(type = "number")]
    pub id: i64,
    pub created_at: String,
    pub kind: String,
    pub ticket_id: String,
    pub contact_id: String,
    /// The contact's name (their address when the workspace has no name for them).
    pub contact_name: String,
    pub ticket_subject: String,
    pub message_id: Option<String>,
    pub summary: String,
}

/// A contact's display name in SQL (`Contact::display_name`): first and last name, else the address,
/// else the id of a contact the workspace no longer has.
const CONTACT_NAME: &str =
    "COALESCE(NULLIF(TRIM(c.first_name || ' ' || c.last_name), ''), c.email, e.contact_id)";

pub async fn record_in(
    connection: &mut SqliteConnection,
    kind: &str,
    ticket_id: &str,
    contact_id: &str,
    message_id: Option<&str>,
    summary: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO engagements (created_at, kind, ticket_id, contact_id, message_id, summary)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(now_millis())
    .bind(kind)
    .bind(ticket_id)
    .bind(contact_id)
    .bind(message_id)
    .bind(summary)
    .execute(connection)
    .await?;
    Ok(())
}

type EngagementRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
);

fn engagement_from(row: EngagementRow) -> Engagement {
    let (id, at, kind, ticket_id, contact_id, contact_name, ticket_subject, message_id, summary) =
        row;
    Engagement {
        id,
        created_at: format_timestamp(&from_millis(at)),
        kind,
        ticket_id,
        contact_id,
        contact_name,
        ticket_subject,
        message_id,
        summary,
    }
}

/// The timeline's columns, with the contact's name and the ticket's subject beside their ids.
fn timeline_query(filter: &str) -> String {
    format!(
        "SELECT e.id, e.created_at, e.kind, e.ticket_id, e.contact_id, {CONTACT_NAME},
                COALESCE(t.subject, ''), e.message_id, e.summary
         FROM engagements e
         LEFT JOIN contacts c ON c.id = e.contact_id
         LEFT JOIN tickets t ON t.id = e.ticket_id
         WHERE {filter} ORDER BY e.id DESC"
    )
}

impl Workspace {
    pub async fn ticket_timeline(&self, ticket_id: &str) -> Result<Vec<Engagement>> {
        let rows: Vec<EngagementRow> = sqlx::query_as(&timeline_query("e.ticket_id = ?1"))
            .bind(ticket_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(engagement_from).collect())
    }

    pub async fn contact_timeline(&self, contact_id: &str) -> Result<Vec<Engagement>> {
        let rows: Vec<EngagementRow> = sqlx::query_as(&timeline_query("e.contact_id = ?1"))
            .bind(contact_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(engagement_from).collect())
    }
}

/// A message a customer sent from the portal (a reply or a form submission), with where it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct InboxItem {
    #[ts(type = "number")]
    pub id: i64,
    pub created_at: String,
    pub kind: String,
    pub inbox: Option<String>,
    pub ticket_id: String,
    pub ticket_subject: String,
    pub contact_id: String,
    pub contact_email: String,
    /// The contact's name (their address when the workspace has no name for them).
    pub contact_name: String,
    pub summary: String,
    pub text: Option<String>,
}

type InboxRow = (
    i64,
    i64,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

impl Workspace {
    /// Every portal engagement, newest first, with its inbox (the channel's inbox of the message's
    /// thread).
    pub async fn inbox(&self) -> Result<Vec<InboxItem>> {
        let rows: Vec<InboxRow> = sqlx::query_as(&format!(
        "SELECT e.id, e.created_at, e.kind, i.name, e.ticket_id, COALESCE(t.subject, ''), e.contact_id,
                COALESCE(c.email, ''), {CONTACT_NAME}, e.summary, m.text
         FROM engagements e
         LEFT JOIN tickets t ON t.id = e.ticket_id
         LEFT JOIN contacts c ON c.id = e.contact_id
         LEFT JOIN messages m ON m.id = e.message_id
         LEFT JOIN threads th ON th.id = m.thread_id
         LEFT JOIN channels ch ON ch.id = th.channel_id
         LEFT JOIN inboxes i ON i.id = ch.inbox_id
         ORDER BY e.id DESC"
    ))
    .fetch_all(self.pool())
    .await?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    at,
                    kind,
                    inbox,
                    ticket_id,
                    subject,
                    contact_id,
                    email,
                    name,
                    summary,
                    text,
                )| {
                    InboxItem {
                        id,
                        created_at: format_timestamp(&from_millis(at)),
                        kind,
                        inbox,
                        ticket_id,
                        ticket_subject: subject,
                        contact_id,
                        contact_email: email,
                        contact_name: name,
                        summary,
                        text,
                    }
                },
            )
            .collect())
    }
}
