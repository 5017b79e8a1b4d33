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

    /// The report as a view shows it: the counts whole, and at most `limit` findings of each code.
    /// A large workspace has a hundred thousand findings; sending them all to the desktop window
    /// blocked it for more than half a second, and the view lists only the first of each code.
    pub fn first_of_each_code(mut self, limit: usize) -> LintReport {
        let mut kept: std::collections::HashMap<LintCode, usize> = std::collections::HashMap::new();
        self.findings.retain(|finding| {
            let seen = kept.entry(finding.code).or_default();
            *seen += 1;
            *seen <= limit
        });
        self
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
