//! Portal sessions, kept server-side: the cookie carries a random token, the database only its SHA-256
//! hash, so a copied workspace file cannot be used to sign in. Expiry is the settings' idle timeout.

use super::{now_millis, Result, Workspace};
use sha2::{Digest, Sha256};

pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A random URL-safe token of 256 bits.
pub fn new_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub contact_id: String,
    pub csrf_token: String,
    pub last_seen_at: i64,
}

impl Workspace {
    /// Starts a session for the contact; returns the cookie token.
    pub async fn start_session(&self, contact_id: &str) -> Result<(String, Session)> {
        let token = new_token();
        let csrf_token = new_token();
        let now = now_millis();
        sqlx::query(
            "INSERT INTO sessions (token_hash, contact_id, csrf_token, created_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
        )
        .bind(token_hash(&token))
        .bind(contact_id)
        .bind(&csrf_token)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok((
            token,
            Session {
                contact_id: contact_id.into(),
                csrf_token,
                last_seen_at: now,
            },
        ))
    }

    /// The session for `token` if it has been active within `idle_minutes` (0 = no limit), by the later
    /// of what the workspace recorded and `seen_since_recorded`: when the caller itself last saw it used
    /// (a server records its sessions' activity in batches, `record_activity`, so the workspace lags
    /// behind it). An expired session is deleted. Reading writes nothing, so that signed-in pages do not
    /// queue for the write lock. `last_seen_at` is what the workspace recorded.
    pub async fn session(
        &self,
        token: &str,
        idle_minutes: u32,
        seen_since_recorded: Option<i64>,
    ) -> Result<Option<Session>> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT contact_id, csrf_token, last_seen_at FROM sessions WHERE token_hash = ?1",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some((contact_id, csrf_token, last_seen_at)) = row else {
            return Ok(None);
        };
        let last_active = seen_since_recorded.map_or(last_seen_at, |seen| seen.max(last_seen_at));
        if idle_minutes > 0 && now_millis() - last_active > i64::from(idle_minutes) * 60_000 {
            self.end_session(token).await?;
            return Ok(None);
        }
        Ok(Some(Session {
            contact_id,
            csrf_token,
            last_seen_at,
        }))
    }

    /// Records when sessions were last seen active, each given by its token's hash, in one write.
    /// A time never moves a session's activity back (another server may have recorded a later one),
    /// and an ended session stays ended.
    pub async fn record_activity(&self, seen: &[(String, i64)]) -> Result<()> {
        if seen.is_empty() {
            return Ok(());
        }
        let mut transaction = self.write().await?;
        for (hash, at) in seen {
            sqlx::query(
                "UPDATE sessions SET last_seen_at = max(last_seen_at, ?2) WHERE token_hash = ?1",
            )
            .bind(hash)
            .bind(at)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await
    }

    pub async fn end_session(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?1")
            .bind(token_hash(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workspace with one session whose recorded activity is `minutes_ago` old.
    async fn session_recorded(minutes_ago: i64) -> (tempfile::TempDir, Workspace, String) {
        let dir = tempfile::tempdir().unwrap();
        let workspace = Workspace::open(&dir.path().join("w.portal"), true)
            .await
            .unwrap();
        sqlx::query("INSERT INTO contacts (id, email) VALUES ('c1', 'ana@example.com')")
            .execute(&workspace.pool)
            .await
            .unwrap();
        let (token, _) = workspace.start_session("c1").await.unwrap();
        sqlx::query("UPDATE sessions SET last_seen_at = ?1")
            .bind(now_millis() - minutes_ago * 60_000)
            .execute(&workspace.pool)
            .await
            .unwrap();
        (dir, workspace, token)
    }

    #[tokio::test]
    async fn a_session_used_recently_is_kept_though_its_recorded_activity_is_older_than_the_idle_timeout(
    ) {
        let (_dir, workspace, token) = session_recorded(20).await;
        let seen_a_minute_ago = Some(now_millis() - 60_000);
        let kept = workspace
            .session(&token, 15, seen_a_minute_ago)
            .await
            .unwrap();
        assert!(kept.is_some(), "the caller saw it used a minute ago");
    }

    #[tokio::test]
    async fn a_session_idle_past_the_timeout_by_every_account_is_ended() {
        let (_dir, workspace, token) = session_recorded(20).await;
        let seen_long_ago = Some(now_millis() - 16 * 60_000);
        assert!(workspace
            .session(&token, 15, seen_long_ago)
            .await
            .unwrap()
            .is_none());
        // Ended, not only refused: even a later use cannot bring it back.
        assert!(workspace
            .session(&token, 15, Some(now_millis()))
            .await
            .unwrap()
            .is_none());
    }
}
