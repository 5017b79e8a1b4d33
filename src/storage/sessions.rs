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

    /// The session for `token` if it has been active within `idle_minutes` (0 = no limit), as last
    /// recorded. An expired session is deleted. Reading writes nothing: activity is recorded in batches
    /// (`record_activity`), so that signed-in pages do not queue for the write lock.
    pub async fn session(&self, token: &str, idle_minutes: u32) -> Result<Option<Session>> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT contact_id, csrf_token, last_seen_at FROM sessions WHERE token_hash = ?1",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some((contact_id, csrf_token, last_seen_at)) = row else {
            return Ok(None);
        };
        if idle_minutes > 0 && now_millis() - last_seen_at > i64::from(idle_minutes) * 60_000 {
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
