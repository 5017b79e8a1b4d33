//! The what-if panel asks for the impact of every edit of the draft; on a large workspace loading every
//! contact and ticket dominates (seconds), while comparing is much cheaper. This keeps the loaded data
//! (only the ticket properties the filters read; the thread activities once needed) between calls, and
//! reloads when the workspace's data changed:
//! a fingerprint of row counts and the latest ticket activity, checked on every call in a few
//! milliseconds to a few hundred (1,000,000 tickets). Settings are not part of the data: they are the
//! parameters of each comparison; the saved settings' matrix is kept too, so each edit of the draft
//! computes only the draft's half.

use crate::app::matrix::{self, AuditData, AuditRow};
use crate::app::what_if::{self, Impact};
use crate::domain::rules::ThreadActivity;
use crate::domain::settings::Settings;
use crate::{Result, Workspace};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::Mutex;

use crate::storage::DataFingerprint as Fingerprint;

struct Entry {
    /// Which state of the workspace's data.
    fingerprint: Fingerprint,
    /// The ticket properties loaded: those the filters of the settings asked about so far read.
    properties: BTreeSet<String>,
    data: Arc<AuditData>,
    threads: Option<Arc<HashMap<String, Vec<ThreadActivity>>>>,
    /// The matrix of the saved settings it was computed for: every draft is compared with it.
    saved_matrix: Option<(Settings, Arc<Vec<AuditRow>>)>,
}

/// Loaded what-if data of one workspace, reused while its data is unchanged. Keep one per open
/// workspace (the desktop keeps it with the workspace, so closing the workspace drops it).
#[derive(Default)]
pub struct ImpactCache {
    entry: Mutex<Option<Entry>>,
}

async fn fingerprint(workspace: &Workspace) -> Result<Fingerprint> {
    Ok(workspace.data_fingerprint().await?)
}

/// The ticket properties the filters of `settings` read.
fn filter_properties(settings: &Settings) -> impl Iterator<Item = String> + '_ {
    settings
        .ticket_filters
        .iter()
        .map(|filter| filter.property.clone())
}

impl ImpactCache {
    pub fn new() -> ImpactCache {
        ImpactCache::default()
    }

    /// The cached entry with at least the ticket properties `settings` need, (re)loaded when missing,
    /// stale, or short of a property. Loading only what filters
    /// read (not every ticket's text) is what keeps the first what-if of a large workspace fast.
    async fn entry_for<'a>(
        slot: &'a mut Option<Entry>,
        workspace: &Workspace,
        settings: &[&Settings],
    ) -> Result<&'a mut Entry> {
        let current = fingerprint(workspace).await?;
        let mut needed: BTreeSet<String> = settings
            .iter()
            .flat_map(|settings| filter_properties(settings))
            .collect();
        let reusable = slot.as_ref().filter(|entry| entry.fingerprint == current);
        let complete = reusable.is_some_and(|entry| needed.is_subset(&entry.properties));
        if !complete {
            // Same data but a new property: keep what was loaded before in the set, and the saved matrix.
            let (saved_matrix, threads) = match reusable {
                Some(entry) => {
                    needed.extend(entry.properties.iter().cloned());
                    (entry.saved_matrix.clone(), entry.threads.clone())
                }
                None => (None, None),
            };
            let names: Vec<&str> = needed.iter().map(String::as_str).collect();
            let data = AuditData::load_properties(workspace, &names).await?;
            *slot = Some(Entry {
                fingerprint: current,
                properties: needed,
                data: Arc::new(data),
                threads,
                saved_matrix,
            });
        }
        Ok(slot.as_mut().expect("filled above"))
    }

    /// The saved settings' matrix (every contact and view), computed once per saved settings and state
    /// of the data. The visibility view shows it, and every what-if compares a draft with it, so showing
    /// the view (or opening the settings) prepares the what-if: the thread activities a change of the
    /// shown thread needs are read meanwhile too.
    pub async fn saved_matrix(&self, workspace: &Workspace) -> Result<Arc<Vec<AuditRow>>> {
        let saved = workspace.settings().await?;
        let mut slot = self.entry.lock().await;
        let cached = Self::entry_for(&mut slot, workspace, &[&saved]).await?;
        Self::saved_matrix_and_threads(cached, workspace, &saved, true).await
    }

    /// The saved settings' matrix, with the thread activities read meanwhile when `want_threads` and
    /// they are not cached yet.
    async fn saved_matrix_and_threads(
        cached: &mut Entry,
        workspace: &Workspace,
        saved: &Settings,
        want_threads: bool,
    ) -> Result<Arc<Vec<AuditRow>>> {
        if !want_threads || cached.threads.is_some() {
            return Ok(Self::saved_matrix_of(cached, saved).await);
        }
        let (matrix, threads) = tokio::join!(
            Self::saved_matrix_of(cached, saved),
            workspace.thread_activities_of_multi_thread_tickets()
        );
        cached.threads = Some(Arc::new(threads?));
        Ok(matrix)
    }

    async fn saved_matrix_of(cached: &mut Entry, saved: &Settings) -> Arc<Vec<AuditRow>> {
        match &cached.saved_matrix {
            Some((settings, matrix)) if settings == saved => matrix.clone(),
            _ => {
                let (settings, data) = (saved.clone(), cached.data.clone());
                let matrix = Arc::new(
                    tokio::task::spawn_blocking(move || matrix::matrix(&settings, &data))
                        .await
                        .expect("the matrix does not panic"),
                );
                cached.saved_matrix = Some((saved.clone(), matrix.clone()));
                matrix
            }
        }
    }

    /// `what_if::impact` of `draft` against the saved settings of `workspace`, loading the data only
    /// when it is not cached or the workspace's data changed.
    pub async fn impact(&self, workspace: &Workspace, draft: &Settings) -> Result<Impact> {
        let saved = workspace.settings().await?;
        let mut slot = self.entry.lock().await;
        let cached = Self::entry_for(&mut slot, workspace, &[&saved, draft]).await?;
        let thread_choice_changes = saved.thread_shown != draft.thread_shown;
        let before =
            Self::saved_matrix_and_threads(cached, workspace, &saved, thread_choice_changes)
                .await?;
        let threads = if thread_choice_changes {
            cached.threads.clone().expect("read above")
        } else {
            Arc::new(HashMap::new())
        };
        let data = cached.data.clone();
        drop(slot);
        let draft = draft.clone();
        let key = workspace.fingerprint_key().await?;
        Ok(tokio::task::spawn_blocking(move || {
            what_if::compare_with_saved_matrix(&saved, &before, &draft, &data, &threads, &key)
        })
        .await
        .expect("the comparison does not panic"))
    }
}
