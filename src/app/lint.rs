//! The leak lint over a workspace (spec 10.6): loads what `rules::lint` reads and runs it. The command
//! line's `portal lint`, the desktop's Visibility view and its setup checklist call this; the desktop
//! through a `LintCache`, so that both views opened pay for one lint.

use crate::app::matrix::AuditData;
use crate::app::progress::{Progress, Silent, Unit};
use crate::domain::rules::lint::{self, LintCode, LintFinding, LintInput};
use crate::domain::settings::Settings;
use crate::storage::DataFingerprint;
use crate::{Result, Workspace};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use ts_rs::TS;

/// How many findings of one code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LintCount {
    pub code: LintCode,
    #[ts(type = "number")]
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LintReport {
    /// Every code with its number of findings (zeros too), in the spec's order.
    pub counts: Vec<LintCount>,
    pub findings: Vec<LintFinding>,
}

impl LintReport {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// The report as a view shows it: the counts whole, and at most `limit` findings of each code.
    /// A large workspace has a hundred thousand findings; sending them all to the desktop window
    /// blocked it for more than half a second, and the view lists only the first of each code.
    pub fn first_of_each_code(&self, limit: usize) -> LintReport {
        let mut kept: std::collections::HashMap<LintCode, usize> = std::collections::HashMap::new();
        let findings = self
            .findings
            .iter()
            .filter(|finding| {
                let seen = kept.entry(finding.code).or_default();
                *seen += 1;
                *seen <= limit
            })
            .cloned()
            .collect();
        LintReport {
            counts: self.counts.clone(),
            findings,
        }
    }
}

/// Which state of a workspace a report was made for: its settings and its data. The data version
/// moves with every change of contacts, companies, tickets and their links (a property updated in
/// place by a pull included); the fingerprint with the threads and messages it does not cover.
#[derive(Clone, PartialEq)]
struct LintKey {
    settings: Settings,
    data_version: i64,
    fingerprint: DataFingerprint,
}

impl LintKey {
    async fn now(workspace: &Workspace) -> Result<LintKey> {
        Ok(LintKey {
            settings: workspace.settings().await?,
            data_version: workspace.data_version().await?,
            fingerprint: workspace.data_fingerprint().await?,
        })
    }
}

/// The last lint report of one workspace, kept while its settings and data stay as they were. The
/// desktop's Visibility view and setup checklist both ask for it, and on a workspace of a million
/// tickets each lint takes about 11 s. Keep one per open workspace, as the what-if cache is kept.
#[derive(Default)]
pub struct LintCache {
    /// Held while a lint runs, so that a second caller waits for its report instead of linting too.
    last: tokio::sync::Mutex<Option<(LintKey, Arc<LintReport>)>>,
    /// How many lints it has run: each is seconds of a large workspace.
    runs: AtomicU64,
}

impl LintCache {
    pub fn new() -> LintCache {
        LintCache::default()
    }

    /// The lint of `workspace` under its saved settings: the last report while the settings (a save or
    /// an undo changes them) and the data (an import, a pull, the portal's writes) are as it was made
    /// for, a new one otherwise.
    pub async fn report(&self, workspace: &Workspace) -> Result<Arc<LintReport>> {
        let mut last = self.last.lock().await;
        let key = LintKey::now(workspace).await?;
        if let Some((made_for, report)) = last.as_ref() {
            if *made_for == key {
                return Ok(report.clone());
            }
        }
        // Dropped first: a large workspace's report is held once, not twice, while the new one is made.
        *last = None;
        self.runs.fetch_add(1, Ordering::Relaxed);
        let report = Arc::new(lint_under(workspace, key.settings.clone(), &Silent).await?);
        *last = Some((key, report.clone()));
        Ok(report)
    }

    /// How many lints it has run.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }
}

/// The lint of the workspace under its saved settings.
pub async fn lint(workspace: &Workspace) -> Result<LintReport> {
    lint_with_progress(workspace, &Silent).await
}

/// `lint`, reporting its stages: loading the workspace, then checking (counted in tickets).
pub async fn lint_with_progress(
    workspace: &Workspace,
    progress: &dyn Progress,
) -> Result<LintReport> {
    let settings = workspace.settings().await?;
    lint_under(workspace, settings, progress).await
}

/// The lint of `workspace` under `settings` (its saved ones: the loaded data is chosen by them).
async fn lint_under(
    workspace: &Workspace,
    settings: Settings,
    progress: &dyn Progress,
) -> Result<LintReport> {
    progress.stage("Loading the workspace", Unit::Items("records"), None);
    // What the filters read, and the subject, which findings quote.
    let mut properties: Vec<&str> = settings
        .ticket_filters
        .iter()
        .map(|filter| filter.property.as_str())
        .collect();
    properties.push("subject");
    let data = AuditData::load_properties(workspace, &properties).await?;
    let threads = workspace.ticket_threads().await?;
    progress.stage(
        "Checking for leaks",
        Unit::Items("tickets"),
        Some(data.tickets.len() as u64),
    );
    let tickets = data.tickets.len() as u64;
    // CPU work: off the async threads.
    let findings = tokio::task::spawn_blocking(move || {
        lint::lint(&LintInput {
            settings: &settings,
            catalog: &data.catalog,
            contacts: &data.contacts,
            companies: &data.companies,
            tickets: &data.tickets,
            threads: &threads,
        })
    })
    .await
    .expect("the lint panicked");
    progress.advance(tickets);
    Ok(report(findings))
}

/// The report of `findings`, with a count per code.
pub fn report(findings: Vec<LintFinding>) -> LintReport {
    LintReport {
        counts: LintCode::ALL
            .iter()
            .map(|&code| LintCount {
                code,
                count: findings
                    .iter()
                    .filter(|finding| finding.code == code)
                    .count() as u64,
            })
            .collect(),
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(code: LintCode, ticket: &str) -> LintFinding {
        LintFinding {
            code,
            tickets: vec![ticket.to_string()],
            contacts: Vec::new(),
            companies: Vec::new(),
            summary: format!("ticket {ticket}"),
            who_sees: String::new(),
            seen_by: Vec::new(),
            seen_by_count: 0,
            fix: String::new(),
        }
    }

    /// A workspace imported from the lint's fixture with one finding of each code.
    async fn findings_workspace(dir: &tempfile::TempDir) -> Workspace {
        let bundle = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/lint/findings.bundle.json"),
        )
        .unwrap();
        let data = crate::bundle::read(&bundle).unwrap();
        crate::app::transfer::import(&dir.path().join("w.portal"), &data, false)
            .await
            .unwrap()
    }

    fn codes(report: &LintReport) -> Vec<LintCode> {
        report.findings.iter().map(|finding| finding.code).collect()
    }

    #[tokio::test]
    async fn the_cache_lints_once_until_the_settings_or_the_data_change() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = findings_workspace(&dir).await;
        let cache = LintCache::new();

        let first = cache.report(&workspace).await.unwrap();
        let second = cache.report(&workspace).await.unwrap();
        assert_eq!(cache.runs(), 1, "the second view gets the first's report");
        assert_eq!(first, second);
        assert_eq!(first.findings.len(), 5, "{:?}", codes(&first));

        // A save of the settings: nobody sees a company's tickets any more, and the findings say so.
        let mut settings = workspace.settings().await.unwrap();
        settings.ticket_permissions = crate::domain::settings::TicketPermissions::Contact;
        crate::app::settings_admin::save_settings(&workspace, &settings, "test")
            .await
            .unwrap();
        let saved = cache.report(&workspace).await.unwrap();
        assert_eq!(cache.runs(), 2);
        assert_eq!(codes(&saved), [LintCode::VisibleTicketWithoutConversation]);

        // An undo brings the company findings back.
        crate::app::settings_admin::undo(&workspace, None, "test")
            .await
            .unwrap();
        assert_eq!(*cache.report(&workspace).await.unwrap(), *first);
        assert_eq!(cache.runs(), 3);

        // New data (a pull or an import writes it): linted again, once.
        let mut write = workspace.write().await.unwrap();
        crate::storage::contacts::insert_contact_in(
            &mut write,
            &crate::domain::model::Contact {
                id: "gus".into(),
                email: "gus@acme.example".into(),
                company: Some("acme".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        write.commit().await.unwrap();
        cache.report(&workspace).await.unwrap();
        cache.report(&workspace).await.unwrap();
        assert_eq!(cache.runs(), 4);
    }

    #[test]
    fn a_view_gets_every_count_and_the_first_findings_of_each_code() {
        let spans = LintCode::TicketSpansCompanies;
        let orphan = LintCode::CompanyTicketWithoutContact;
        let report = LintReport {
            counts: vec![
                LintCount {
                    code: spans,
                    count: 3,
                },
                LintCount {
                    code: orphan,
                    count: 1,
                },
            ],
            findings: vec![
                finding(spans, "1"),
                finding(spans, "2"),
                finding(spans, "3"),
                finding(orphan, "4"),
            ],
        };
        let shown = report.clone().first_of_each_code(2);
        assert_eq!(shown.counts, report.counts, "the counts stay whole");
        let tickets: Vec<&str> = shown
            .findings
            .iter()
            .map(|finding| finding.tickets[0].as_str())
            .collect();
        assert_eq!(tickets, ["1", "2", "4"]);
        assert!(!shown.is_clean());
    }
}
