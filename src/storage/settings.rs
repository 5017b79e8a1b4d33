//! The settings document and its change history. Every save is one history entry holding the whole
//! document before and after, so any entry can be shown as a diff and undone, even out of order.

use super::{now_millis, Result, StorageError, Workspace};
use crate::domain::model::{format_timestamp, from_millis};
use crate::domain::settings::{
    diff, restore_secret, shown_diff, with_secrets_fingerprinted, FingerprintKey, SettingChange,
    Settings,
};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HistoryEntry {
    #[ts(type = "number")]
    pub id: i64,
    pub changed_at: String,
    pub changed_by: String,
    pub summary: String,
    pub changes: Vec<SettingChange>,
    #[ts(type = "number | null")]
    pub undoes: Option<i64>,
}

type HistoryRow = (i64, i64, String, String, String, String, Option<i64>);

fn parse(document: &str) -> Result<Settings> {
    serde_json::from_str(document)
        .map_err(|error| StorageError::Corrupt(format!("settings document: {error}")))
}

pub async fn load_in(connection: &mut SqliteConnection) -> Result<Settings> {
    let document: Option<String> = sqlx::query_scalar("SELECT document FROM settings WHERE id = 1")
        .fetch_optional(connection)
        .await?;
    document.as_deref().map_or(Ok(Settings::default()), parse)
}

/// The key this workspace makes its secrets' fingerprints with (`migrations/0008_workspace_keys.sql`).
pub async fn fingerprint_key_in(connection: &mut SqliteConnection) -> Result<FingerprintKey> {
    let key: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT value FROM workspace_keys WHERE name = 'secret_fingerprint'")
            .fetch_optional(connection)
            .await?;
    key.map(FingerprintKey::new).ok_or_else(|| {
        StorageError::Corrupt("the workspace has no key for secrets' fingerprints".into())
    })
}

/// Writes `after` as the current settings and records the change; validation is the caller's job.
/// Returns the history entry id, or None when nothing changed.
pub async fn save_in(
    connection: &mut SqliteConnection,
    after: &Settings,
    changed_by: &str,
    undoes: Option<i64>,
) -> Result<Option<i64>> {
    let before = load_in(&mut *connection).await?;
    let changes = diff(&before, after);
    if changes.is_empty() {
        return Ok(None);
    }
    let keys: Vec<&str> = changes.iter().map(|change| change.key.as_str()).collect();
    let summary = match undoes {
        Some(entry) => format!("undo #{entry}: {}", keys.join(", ")),
        None => format!("changed {}", keys.join(", ")),
    };
    // History keeps secrets only as fingerprints (`with_secrets_fingerprinted`); the current document
    // alone holds them.
    let key = fingerprint_key_in(&mut *connection).await?;
    let before_document = serde_json::to_string(&with_secrets_fingerprinted(&before, &key))
        .expect("settings serialise");
    let after_document = serde_json::to_string(&with_secrets_fingerprinted(after, &key))
        .expect("settings serialise");
    sqlx::query(
        "INSERT INTO settings (id, document) VALUES (1, ?1)
         ON CONFLICT (id) DO UPDATE SET document = excluded.document",
    )
    .bind(serde_json::to_string(after).expect("settings serialise"))
    .execute(&mut *connection)
    .await?;
    let id = sqlx::query(
        "INSERT INTO settings_history (changed_at, changed_by, summary, before_document, after_document, undoes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(now_millis())
    .bind(changed_by)
    .bind(summary)
    .bind(before_document)
    .bind(after_document)
    .bind(undoes)
    .execute(&mut *connection)
    .await?
    .last_insert_rowid();
    Ok(Some(id))
}

impl Workspace {
    pub async fn settings(&self) -> Result<Settings> {
        let mut connection = self.pool.acquire().await?;
        load_in(&mut connection).await
    }

    /// The key this workspace makes its secrets' fingerprints with (the what-if shows a draft's).
    pub async fn fingerprint_key(&self) -> Result<FingerprintKey> {
        let mut connection = self.pool.acquire().await?;
        fingerprint_key_in(&mut connection).await
    }

    pub async fn history(&self) -> Result<Vec<HistoryEntry>> {
        let key = self.fingerprint_key().await?;
        let rows: Vec<HistoryRow> = sqlx::query_as(
            "SELECT id, changed_at, changed_by, summary, before_document, after_document, undoes
             FROM settings_history ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, at, by, summary, before, after, undoes)| {
                Ok(HistoryEntry {
                    id,
                    changed_at: format_timestamp(&from_millis(at)),
                    changed_by: by,
                    summary,
                    changes: shown_diff(&parse(&before)?, &parse(&after)?, &key),
                    undoes,
                })
            })
            .collect()
    }

    /// The settings with history entry `id` reverted: each field it changed goes back to its value before
    /// that entry, the rest stays as it is now.
    pub async fn settings_without_entry(&self, id: i64) -> Result<Settings> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT before_document, after_document FROM settings_history WHERE id = ?1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let (before, after) =
            row.ok_or_else(|| StorageError::Conflict(format!("there is no history entry #{id}")))?;
        let (before, after) = (parse(&before)?, parse(&after)?);
        let current = self.settings().await?;
        let mut document = serde_json::to_value(&current).expect("settings serialise");
        for change in diff(&before, &after) {
            let mut slot = &mut document;
            for part in change.key.split('.') {
                slot = &mut slot[part];
            }
            *slot = change.before;
        }
        let mut restored: Settings = serde_json::from_value(document)
            .map_err(|error| StorageError::Corrupt(format!("undo of #{id}: {error}")))?;
        // History holds secrets as fingerprints only: put the current secret back, or refuse.
        restore_secret(
            &mut restored,
            &after,
            &current,
            &self.fingerprint_key().await?,
        )
        .map_err(|refusal| StorageError::Conflict(format!("cannot undo #{id}: {refusal}")))?;
        Ok(restored)
    }
}

/// History entries written before secrets were kept as fingerprints hold them in clear: rewrite those
/// (a data migration, run when a workspace opens; it writes only when such an entry exists). Freed
/// space is overwritten (`secure_delete`) so the old text does not linger in the file.
pub(super) async fn fingerprint_history_secrets(pool: &sqlx::SqlitePool) -> Result<()> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, before_document, after_document FROM settings_history
         WHERE json_extract(before_document, '$.sso.secret') IS NOT NULL
            OR json_extract(after_document, '$.sso.secret') IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let key = fingerprint_key_in(&mut *pool.acquire().await?).await?;
    let mut rewrites = Vec::new();
    for (id, before, after) in rows {
        let fingerprinted = |document: &str| -> Result<Option<String>> {
            let settings = parse(document)?;
            let kept = with_secrets_fingerprinted(&settings, &key);
            Ok((kept != settings)
                .then(|| serde_json::to_string(&kept).expect("settings serialise")))
        };
        let (new_before, new_after) = (fingerprinted(&before)?, fingerprinted(&after)?);
        if new_before.is_some() || new_after.is_some() {
            rewrites.push((id, new_before.unwrap_or(before), new_after.unwrap_or(after)));
        }
    }
    if rewrites.is_empty() {
        return Ok(());
    }
    let mut connection = pool.acquire().await?;
    sqlx::query("PRAGMA secure_delete = ON")
        .execute(&mut *connection)
        .await?;
    let mut transaction = sqlx::Connection::begin_with(&mut *connection, "BEGIN IMMEDIATE").await?;
    for (id, before, after) in &rewrites {
        sqlx::query(
            "UPDATE settings_history SET before_document = ?1, after_document = ?2 WHERE id = ?3",
        )
        .bind(before)
        .bind(after)
        .bind(id)
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    sqlx::query("PRAGMA secure_delete = OFF")
        .execute(&mut *connection)
        .await?;
    tracing::info!(
        entries = rewrites.len(),
        "settings history: secrets kept in clear were replaced by their fingerprints"
    );
    Ok(())
}
