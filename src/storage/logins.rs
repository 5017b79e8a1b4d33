//! Failed password sign-ins per account, in the workspace (`login_failures`): counted before the
//! password is checked, within a window that starts at the first failure; reaching the limit locks the
//! account until the window ends. A right password, or an administrator's unlock, deletes the count.

use super::{now_millis, Result};
use sqlx::SqliteConnection;

/// How many attempts an account may have within a window, and how long that window is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimit {
    pub attempts: i64,
    pub window_millis: i64,
}

/// Counts one attempt on `account` at `now`, or answers when the account's lock ends (milliseconds
/// since the epoch) and counts nothing. Run it in a write transaction that took the lock up front, so
/// simultaneous attempts are counted one after the other: at most `limit.attempts` of them pass.
pub async fn count_attempt_in(
    connection: &mut SqliteConnection,
    account: &str,
    now: i64,
    limit: AttemptLimit,
) -> Result<Result<(), i64>> {
    // Counts whose window has passed lock nothing: forget them, so guesses at many addresses do not
    // pile up in the file.
    sqlx::query("DELETE FROM login_failures WHERE first_at <= ?1 AND account <> ?2")
        .bind(now - limit.window_millis)
        .bind(account)
        .execute(&mut *connection)
        .await?;
    let known: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT failures, first_at, locked_until FROM login_failures WHERE account = ?1",
    )
    .bind(account)
    .fetch_optional(&mut *connection)
    .await?;
    if let Some(until) = known
        .and_then(|(_, _, until)| until)
        .filter(|until| *until > now)
    {
        return Ok(Err(until));
    }
    // A count whose window has passed (or whose lock has ended) starts again with this attempt.
    let (failures, first_at) = match known {
        Some((failures, first_at, None)) if first_at + limit.window_millis > now => {
            (failures + 1, first_at)
        }
        _ => (1, now),
    };
    let locked_until = (failures >= limit.attempts).then_some(first_at + limit.window_millis);
    sqlx::query(
        "INSERT INTO login_failures (account, failures, first_at, locked_until) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (account) DO UPDATE SET failures = ?2, first_at = ?3, locked_until = ?4",
    )
    .bind(account)
    .bind(failures)
    .bind(first_at)
    .bind(locked_until)
    .execute(connection)
    .await?;
    Ok(Ok(()))
}

/// Forgets the account's failures and lifts its lock; answers whether there was anything to forget.
pub async fn clear_in(connection: &mut SqliteConnection, account: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM login_failures WHERE account = ?1")
        .bind(account)
        .execute(connection)
        .await?;
    Ok(done.rows_affected() > 0)
}

impl crate::Workspace {
    /// Every account locked now, with the time its lock ends (milliseconds since the epoch).
    pub async fn locked_accounts(&self) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT account, locked_until FROM login_failures WHERE locked_until > ?1",
        )
        .bind(now_millis())
        .fetch_all(self.pool())
        .await?)
    }
}
