//! The what-if panel asks for the impact of every edit of the draft; on a large workspace loading every
//! contact and ticket dominates (seconds), while comparing is much cheaper. This keeps the loaded data
//! (and the thread activities, once needed) between calls, and reloads when the workspace's data changed:
//! a fingerprint of row counts and the latest ticket activity, checked on every call in a few
//! milliseconds to a few hundred (1,000,000 tickets). Settings are not part of the data: they are the
//! parameters of each comparison; the saved settings' matrix is kept too, so each edit of the draft
//! computes only the draft's half.

use crate::audit::{self, AuditData, AuditRow};
use crate::rules::ThreadActivity;
use crate::settings::Settings;
use crate::what_if::{self, Impact};
use crate::{Result, Workspace};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Mutex;

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

type Fingerprint = (i64, i64, i64, i64, i64, i64, i64, i64, i64);

struct Entry {
    /// Which workspace (its file) and which state of its data.
    workspace: String,
    fingerprint: Fingerprint,
    data: Arc<AuditData>,
    threads: Option<Arc<HashMap<String, Vec<ThreadActivity>>>>,
    /// The matrix of the saved settings it was computed for: every draft is compared with it.
    saved_matrix: Option<(Settings, Arc<Vec<AuditRow>>)>,
}

/// Loaded what-if data, reused while the workspace's data is unchanged.
#[derive(Default)]
pub struct ImpactCache {
    entry: Mutex<Option<Entry>>,
}

async fn fingerprint(workspace: &Workspace) -> Result<Fingerprint> {
    sqlx::query_as::<_, Fingerprint>(FINGERPRINT)
        .fetch_one(workspace.pool())
        .await
        .map_err(|error| crate::storage::StorageError::from(error).into())
}

impl ImpactCache {
    pub fn new() -> ImpactCache {
        ImpactCache::default()
    }

    /// Forgets the loaded data (e.g. when another workspace is opened).
    pub async fn clear(&self) {
        *self.entry.lock().await = None;
    }

    /// `what_if::impact` of `draft` against the saved settings of `workspace` (named by `key`, e.g. its
    /// path), loading the data only when it is not cached or the workspace's data changed.
    pub async fn impact(
        &self,
        workspace: &Workspace,
        key: &str,
        draft: &Settings,
    ) -> Result<Impact> {
        let saved = workspace.settings().await?;
        let current = fingerprint(workspace).await?;
        let mut entry = self.entry.lock().await;
        let fresh = entry
            .as_ref()
            .is_some_and(|entry| entry.workspace == key && entry.fingerprint == current);
        if !fresh {
            *entry = Some(Entry {
                workspace: key.to_string(),
                fingerprint: current,
                data: Arc::new(AuditData::load(workspace).await?),
                threads: None,
                saved_matrix: None,
            });
        }
        let cached = entry.as_mut().expect("filled above");
        let threads = if saved.thread_shown != draft.thread_shown {
            if cached.threads.is_none() {
                cached.threads = Some(Arc::new(workspace.thread_activities().await?));
            }
            cached.threads.clone().expect("filled above")
        } else {
            Arc::new(HashMap::new())
        };
        let data = cached.data.clone();
        let before = match &cached.saved_matrix {
            Some((settings, matrix)) if *settings == saved => matrix.clone(),
            _ => {
                let (settings, loaded) = (saved.clone(), data.clone());
                let matrix = Arc::new(
                    tokio::task::spawn_blocking(move || audit::matrix(&settings, &loaded))
                        .await
                        .expect("the matrix does not panic"),
                );
                cached.saved_matrix = Some((saved.clone(), matrix.clone()));
                matrix
            }
        };
        drop(entry);
        let draft = draft.clone();
        Ok(tokio::task::spawn_blocking(move || {
            what_if::compare_with_saved_matrix(&saved, &before, &draft, &data, &threads)
        })
        .await
        .expect("the comparison does not panic"))
    }
}
