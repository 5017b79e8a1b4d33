//! Single-use account links (invitations, registration confirmations and password resets). Only the
//! SHA-256 of a link's token is stored, so a copied workspace file cannot be used to take over an account;
//! a link is consumed in the same transaction that sets the password, so it works exactly once.

use super::sessions::{new_token, token_hash};
use super::{now_millis, Result};
use sqlx::{Arguments, SqliteConnection};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Set a first password: list invitations and self-registration confirmations.
    Invitation,
    PasswordReset,
}

impl TokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Invitation => "invitation",
            TokenPurpose::PasswordReset => "password_reset",
        }
    }
}

/// A link that is still usable: not used and not expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountToken {
    pub contact_id: String,
    /// For a registration confirmation, the password the visitor chose (argon2 hash).
    pub password_hash: Option<String>,
}

/// Creates a link for `contact_id` valid for `valid_for_minutes`; returns the token for the URL.
pub async fn issue_in(
    connection: &mut SqliteConnection,
    contact_id: &str,
    purpose: TokenPurpose,
    valid_for_minutes: i64,
    password_hash: Option<&str>,
) -> Result<String> {
    let token = new_token();
    let now = now_millis();
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, contact_id, purpose, created_at, expires_at, password_hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(token_hash(&token))
    .bind(contact_id)
    .bind(purpose.as_str())
    .bind(now)
    .bind(now + valid_for_minutes * 60_000)
    .bind(password_hash)
    .execute(connection)
    .await?;
    Ok(token)
}

/// Creates a link for each of `contact_ids` valid for `valid_for_minutes`, with batched inserts; returns
/// the tokens for the URLs in the same order.
pub async fn issue_many_in(
    connection: &mut SqliteConnection,
    contact_ids: &[&str],
    purpose: TokenPurpose,
    valid_for_minutes: i64,
) -> Result<Vec<String>> {
    let tokens: Vec<String> = contact_ids.iter().map(|_| new_token()).collect();
    let rows: Vec<(String, &str)> = tokens
        .iter()
        .map(|token| token_hash(token))
        .zip(contact_ids.iter().copied())
        .collect();
    let now = now_millis();
    let expires_at = now + valid_for_minutes * 60_000;
    super::bulk::insert_many(
        connection,
        "INSERT INTO account_tokens (token_hash, contact_id, purpose, created_at, expires_at) VALUES ",
        5,
        &rows,
        |arguments, (hash, contact_id)| {
            arguments.add(hash.as_str())?;
            arguments.add(*contact_id)?;
            arguments.add(purpose.as_str())?;
            arguments.add(now)?;
            arguments.add(expires_at)
        },
    )
    .await?;
    Ok(tokens)
}

/// The usable link for `token` and `purpose`, without consuming it (to show the set-password form).
pub async fn find_in(
    connection: &mut SqliteConnection,
    token: &str,
    purpose: TokenPurpose,
) -> Result<Option<AccountToken>> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT contact_id, password_hash FROM account_tokens
         WHERE token_hash = ?1 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3",
    )
    .bind(token_hash(token))
    .bind(purpose.as_str())
    .bind(now_millis())
    .fetch_optional(connection)
    .await?;
    Ok(row.map(|(contact_id, password_hash)| AccountToken {
        contact_id,
        password_hash,
    }))
}

impl crate::Workspace {
    /// `find_in` outside a transaction.
    pub async fn find_token(
        &self,
        token: &str,
        purpose: TokenPurpose,
    ) -> Result<Option<AccountToken>> {
        find_in(&mut *self.pool().acquire().await?, token, purpose).await
    }
}

/// Consumes the link: answers it only if it was usable, and marks it used so it never works again. One
/// statement checks and marks, so two requests racing with the same link cannot both succeed.
pub async fn consume_in(
    connection: &mut SqliteConnection,
    token: &str,
    purpose: TokenPurpose,
) -> Result<Option<AccountToken>> {
    let now = now_millis();
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "UPDATE account_tokens SET used_at = ?3
         WHERE token_hash = ?1 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3
         RETURNING contact_id, password_hash",
    )
    .bind(token_hash(token))
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(connection)
    .await?;
    Ok(row.map(|(contact_id, password_hash)| AccountToken {
        contact_id,
        password_hash,
    }))
}

/// Ends every session of the contact (after a password change, so a stolen session dies with it).
pub async fn end_sessions_of_in(connection: &mut SqliteConnection, contact_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE contact_id = ?1")
        .bind(contact_id)
        .execute(connection)
        .await?;
    Ok(())
}

/// Remembers a single sign-on token (by `key`: the issuer and its `jti`, or the whole token) until
/// `expires_at_millis`, when it would be refused as expired anyway. Answers whether this is its first use;
/// a second use while it is remembered is a replay. Only the key's SHA-256 is stored. Forgets expired
/// entries on the way, so the table holds only tokens that could still be replayed.
pub async fn first_sso_use_in(
    connection: &mut SqliteConnection,
    key: &str,
    expires_at_millis: i64,
) -> Result<bool> {
    let now = now_millis();
    sqlx::query("DELETE FROM sso_tokens_seen WHERE expires_at < ?1")
        .bind(now)
        .execute(&mut *connection)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO sso_tokens_seen (key_hash, expires_at) VALUES (?1, ?2)
         ON CONFLICT (key_hash) DO NOTHING",
    )
    .bind(token_hash(key))
    .bind(expires_at_millis.max(now))
    .execute(connection)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}
