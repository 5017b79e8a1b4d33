//! The workspace file: one SQLite database per workspace, created and migrated forward with the embedded
//! migrations, in WAL mode with foreign keys on. Each submodule reads and writes one noun; this module opens
//! the file, refuses files that are not workspaces, and defines the storage error every caller maps once.

pub mod bulk;
pub mod catalog;
pub mod contacts;
pub mod engagements;
pub mod logins;
pub mod outbox;
pub mod sessions;
pub mod settings;
pub mod snapshots;
pub mod threads;
pub mod tickets;
pub mod tokens;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Written into the SQLite header ("PRTL") so that a workspace is recognised before anything touches it.
pub const APPLICATION_ID: i64 = 0x5052_544C;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{0} is not a Portal Studio workspace; it was left untouched")]
    NotAWorkspace(PathBuf),
    #[error("{0} was written by a newer Portal Studio; update the app to open it")]
    NewerVersion(PathBuf),
    #[error("{0} does not exist")]
    Missing(PathBuf),
    #[error("the workspace {0} already holds data; pass --replace to overwrite it")]
    NotEmpty(PathBuf),
    #[error("{0}")]
    Conflict(String),
    #[error("could not read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not migrate the workspace: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

impl StorageError {
    /// Whether the write failed only because other writers held the workspace longer than the busy
    /// timeout (SQLite's BUSY or LOCKED, or no free connection in time): trying again later can work.
    pub fn is_busy(&self) -> bool {
        match self {
            StorageError::Database(sqlx::Error::PoolTimedOut) => true,
            StorageError::Database(sqlx::Error::Database(error)) => error
                .code()
                .and_then(|code| code.parse::<i64>().ok())
                // The primary result code is the low byte of an extended one (517 is BUSY_SNAPSHOT).
                .is_some_and(|code| matches!(code & 0xff, 5 | 6)),
            _ => false,
        }
    }
}

/// A write transaction on the workspace (`Workspace::write`). The storage modules' `*_in` functions take
/// it (as a connection) so a use-case can make several writes land together; dropping it without
/// `commit` rolls everything back.
pub struct Tx(sqlx::Transaction<'static, sqlx::Sqlite>);

impl Tx {
    pub async fn commit(self) -> Result<()> {
        Ok(self.0.commit().await?)
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

const FINGERPRINT: &str = "SELECT \
    (SELECT count(*) FROM tickets), \
    (SELECT coalesce(max(last_activity_at), 0) FROM tickets), \
    (SELECT count(*) FROM contacts), \
    (SELECT count(*) FROM companies), \
    (SELECT count(*) FROM list_memberships), \
    (SELECT count(*) FROM ticket_contacts), \
    (SELECT count(*) FROM ticket_companies), \
    (SELECT count(*) FROM threads), \
    (SELECT count(*) FROM messages)";

/// Row counts and the latest ticket activity: changes whenever the workspace's data does (settings
/// aside), cheaply enough to check before reusing data loaded earlier.
pub type DataFingerprint = (i64, i64, i64, i64, i64, i64, i64, i64, i64);

/// An open workspace. Cloning shares the connection pool.
#[derive(Clone, Debug)]
pub struct Workspace {
    pool: SqlitePool,
    path: PathBuf,
    /// Whether this is a pinned reader (`Workspace::pinned_reader`): its one connection holds a read
    /// transaction, and every read goes through it.
    pinned: bool,
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What is at `path` before we open it.
enum Existing {
    Nothing,
    EmptyFile,
    Sqlite,
}

fn inspect(path: &Path) -> Result<Existing> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(source) => {
            return Err(StorageError::Io {
                path: path.into(),
                source,
            })
        }
    };
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(count) => read += count,
            Err(source) => {
                return Err(StorageError::Io {
                    path: path.into(),
                    source,
                })
            }
        }
    }
    match read {
        0 => Ok(Existing::EmptyFile),
        16 if &header == SQLITE_HEADER => Ok(Existing::Sqlite),
        _ => Err(StorageError::NotAWorkspace(path.into())),
    }
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::from_str("sqlite://")
        .expect("static options parse")
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("cache_size", "-65536")
        .pragma("temp_store", "memory")
}

impl Workspace {
    /// Opens the workspace at `path`, creating it when `create` is set and nothing is there yet, and
    /// migrating an older workspace forward. Anything that is not a workspace is refused untouched.
    pub async fn open(path: &Path, create: bool) -> Result<Workspace> {
        match inspect(path)? {
            Existing::Nothing | Existing::EmptyFile if !create => {
                return Err(StorageError::Missing(path.into()))
            }
            Existing::Nothing | Existing::EmptyFile => {}
            Existing::Sqlite => Self::check_is_workspace(path).await?,
        }
        // Connections a burst of load opened (each with its files and up to 64 MiB of page cache) are
        // closed again after a minute unused.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .idle_timeout(Duration::from_secs(60))
            .connect_with(options(path).create_if_missing(true))
            .await?;
        let workspace = Workspace {
            pool,
            path: path.into(),
            pinned: false,
        };
        workspace.migrate().await?;
        Ok(workspace)
    }

    /// A SQLite file is ours when it carries our application id, or is a database with no tables at all.
    async fn check_is_workspace(path: &Path) -> Result<()> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(SqliteConnectOptions::new().filename(path).read_only(true))
            .await
            .map_err(|_| StorageError::NotAWorkspace(path.into()))?;
        let application_id: i64 = sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(&pool)
            .await
            .map_err(|_| StorageError::NotAWorkspace(path.into()))?;
        let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master")
            .fetch_one(&pool)
            .await
            .map_err(|_| StorageError::NotAWorkspace(path.into()))?;
        pool.close().await;
        if application_id == APPLICATION_ID || (application_id == 0 && tables == 0) {
            Ok(())
        } else {
            Err(StorageError::NotAWorkspace(path.into()))
        }
    }

    async fn migrate(&self) -> Result<()> {
        match MIGRATOR.run(&self.pool).await {
            Ok(()) => {}
            Err(sqlx::migrate::MigrateError::VersionMissing(_)) => {
                return Err(StorageError::NewerVersion(self.path.clone()))
            }
            Err(error) => return Err(error.into()),
        }
        settings::fingerprint_history_secrets(&self.pool).await?;
        // Only written when it is not there yet: opening a workspace writes nothing to it (no header
        // change counter, no log) unless a migration has something to do, so an operation that is then
        // refused leaves the file byte for byte as it was.
        let application_id: i64 = sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(&self.pool)
            .await?;
        if application_id != APPLICATION_ID {
            sqlx::query(&format!("PRAGMA application_id = {APPLICATION_ID}"))
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// The connection pool, for the storage modules' own queries: SQL stays in `storage`.
    pub(in crate::storage) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The data's fingerprint now (`DataFingerprint`).
    pub async fn data_fingerprint(&self) -> Result<DataFingerprint> {
        Ok(sqlx::query_as(FINGERPRINT).fetch_one(&self.pool).await?)
    }

    /// The data version (migrations/0004_data_version.sql): it moves whenever contacts, companies, list
    /// memberships, tickets or their associations change, or a session is ended, whichever process
    /// writes. The portal compares it with the version its cached reads were made at.
    pub async fn data_version(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT version FROM data_version")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Starts a write transaction that takes the database's write lock up front (`BEGIN IMMEDIATE`),
    /// waiting for it up to the busy timeout. A deferred transaction that reads before it writes cannot
    /// upgrade once another writer has committed in WAL mode ("database is locked"); taking the lock first
    /// means concurrent writers queue instead of failing.
    pub async fn write(&self) -> Result<Tx> {
        Ok(Tx(self.pool.begin_with("BEGIN IMMEDIATE").await?))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A read-only view of the workspace as it is at this moment, kept while later writes commit: one
    /// connection inside a read transaction (in WAL mode SQLite keeps serving a reader the state it
    /// started with), through which every read of the returned workspace goes, whole-table reads
    /// included. For work that must see the state before a write but should not hold the write up
    /// (the visibility snapshot before a settings save). Writing through it fails; `close` ends it.
    pub async fn pinned_reader(&self) -> Result<Workspace> {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            // Its reads queue for the one connection; a whole-table read can hold it for a while.
            .acquire_timeout(Duration::from_secs(600))
            .connect_with(options(&self.path).read_only(true))
            .await?;
        // A deferred transaction takes its read snapshot at its first read: read at once.
        sqlx::query("BEGIN").execute(&pool).await?;
        sqlx::query_scalar::<_, i64>("SELECT version FROM data_version")
            .fetch_one(&pool)
            .await?;
        Ok(Workspace {
            pool,
            path: self.path.clone(),
            pinned: true,
        })
    }

    /// Whether this is a pinned reader: its reads queue for one connection, so reading two things at
    /// once gains nothing.
    pub fn is_pinned(&self) -> bool {
        self.pinned
    }

    /// Writes everything in the write-ahead log into the database file and empties the log
    /// (`wal_checkpoint(TRUNCATE)`), so the file alone holds the workspace (before it is moved).
    pub async fn checkpoint(&self) -> Result<()> {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.pool)
            .await?;
        if busy != 0 {
            return Err(StorageError::Conflict(format!(
                "{} is in use by another connection; its log could not be written back",
                self.path.display()
            )));
        }
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the workspace holds any CRM data or changed settings (importing over it needs --replace).
    pub async fn is_empty(&self) -> Result<bool> {
        let rows: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM contacts) + (SELECT count(*) FROM tickets)
                  + (SELECT count(*) FROM companies) + (SELECT count(*) FROM settings_history)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(rows == 0)
    }
}

/// The default workspace in the user's data directory, used when no --workspace is given.
pub fn default_workspace_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("portal-studio")
        .join("demo.portal")
}

pub(crate) fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_write_refused_because_another_writer_holds_the_lock_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.portal");
        let workspace = Workspace::open(&path, true).await.unwrap();
        let holder = workspace.write().await.unwrap();
        // A second connection that does not wait for the lock at all.
        let impatient = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options(&path).busy_timeout(Duration::ZERO))
            .await
            .unwrap();
        let refused = impatient
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map(|_| ())
            .map_err(StorageError::from)
            .expect_err("the lock is held");
        assert!(refused.is_busy(), "{refused}");
        assert!(!StorageError::Corrupt("x".into()).is_busy());
        drop(holder);
    }
}
