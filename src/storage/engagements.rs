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
    pub message_id: Option<String>,
    pub summary: String,
}

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

type EngagementRow = (i64, i64, String, String, String, Option<String>, String);

fn engagement_from(row: EngagementRow) -> Engagement {
    let (id, at, kind, ticket_id, contact_id, message_id, summary) = row;
    Engagement {
        id,
        created_at: format_timestamp(&from_millis(at)),
        kind,
        ticket_id,
        contact_id,
        message_id,
        summary,
    }
}

const COLUMNS: &str = "id, created_at, kind, ticket_id, contact_id, message_id, summary";

impl Workspace {
    pub async fn ticket_timeline(&self, ticket_id: &str) -> Result<Vec<Engagement>> {
        let rows: Vec<EngagementRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM engagements WHERE ticket_id = ?1 ORDER BY id DESC"
        ))
        .bind(ticket_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(engagement_from).collect())
    }

    pub async fn contact_timeline(&self, contact_id: &str) -> Result<Vec<Engagement>> {
        let rows: Vec<EngagementRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM engagements WHERE contact_id = ?1 ORDER BY id DESC"
        ))
        .bind(contact_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(engagement_from).collect())
    }
}
