//! The leak lint over a workspace (spec 10.6): loads what `rules::lint` reads and runs it. The command
//! line's `portal lint`, the desktop's Visibility view and its setup checklist call this.

use crate::app::matrix::AuditData;
use crate::app::progress::{Progress, Silent, Unit};
use crate::domain::rules::lint::{self, LintCode, LintFinding, LintInput};
use crate::{Result, Workspace};
use serde::{Deserialize, Serialize};
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
    progress.stage("Loading the workspace", Unit::Items("records"), None);
    let settings = workspace.settings().await?;
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
