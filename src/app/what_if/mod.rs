//! What a settings draft would change, before it is saved: which contacts gain or lose access, which
//! tickets appear or disappear for whom, and which tickets would show a different conversation. Both
//! sides come from the same rules as the live portal (the audit matrix), computed for saved and draft.

pub mod cache;

use crate::app::matrix::{self, AuditData, AuditRow};
use crate::app::read_models::{compare_text, SortKey, Table, TableQuery, TableRow};
use crate::domain::rules::{self, View};
use crate::domain::settings::{shown_diff, FingerprintKey, SettingChange, Settings};
use crate::{Result, Workspace};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccessChange {
    pub contact: String,
    pub name: String,
    pub reason_before: String,
    pub reason_after: String,
}

/// Tickets that appear in or vanish from one contact's default list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TicketListChange {
    pub contact: String,
    pub name: String,
    pub view_before: Option<View>,
    pub view_after: Option<View>,
    pub appeared: Vec<String>,
    pub disappeared: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ThreadChange {
    pub ticket: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Impact {
    pub settings_changed: Vec<SettingChange>,
    pub access_gained: Vec<AccessChange>,
    pub access_lost: Vec<AccessChange>,
    pub ticket_lists: Vec<TicketListChange>,
    pub threads: Vec<ThreadChange>,
}

/// The first row of each contact: their default list (organization view where there is a switch).
fn default_rows(rows: &[AuditRow]) -> HashMap<&str, &AuditRow> {
    let mut first = HashMap::new();
    for row in rows {
        first.entry(row.contact.as_str()).or_insert(row);
    }
    first
}

/// Compares the matrices of `saved` and `draft` (pure; `threads` are the thread activities of every
/// ticket with more than one thread, needed only when the draft changes `thread_shown`).
pub fn compare(
    saved: &Settings,
    draft: &Settings,
    data: &AuditData,
    threads: &HashMap<String, Vec<rules::ThreadActivity>>,
    key: &FingerprintKey,
) -> Impact {
    let before = matrix::matrix(saved, data);
    compare_with_saved_matrix(saved, &before, draft, data, threads, key)
}

/// `compare` with the saved settings' matrix already computed: an editor asks about many drafts against
/// the same saved settings, so the caller can keep that half of the work.
pub fn compare_with_saved_matrix(
    saved: &Settings,
    before: &[AuditRow],
    draft: &Settings,
    data: &AuditData,
    threads: &HashMap<String, Vec<rules::ThreadActivity>>,
    key: &FingerprintKey,
) -> Impact {
    // Which thread a ticket shows never decides whether it is visible: a draft that changes only that
    // has the saved matrix, and on a large workspace computing it again is most of the work.
    let only_thread_choice = {
        let mut masked = draft.clone();
        masked.thread_shown = saved.thread_shown;
        masked == *saved
    };
    let computed;
    let after: &[AuditRow] = if only_thread_choice {
        before
    } else {
        computed = matrix::matrix(draft, data);
        &computed
    };
    let (before_rows, after_rows) = (default_rows(before), default_rows(after));
    let mut impact = Impact {
        settings_changed: shown_diff(saved, draft, key),
        access_gained: Vec::new(),
        access_lost: Vec::new(),
        ticket_lists: Vec::new(),
        threads: Vec::new(),
    };
    for contact in &data.contacts {
        let (Some(old), Some(new)) = (
            before_rows.get(contact.email.as_str()),
            after_rows.get(contact.email.as_str()),
        ) else {
            continue;
        };
        let access = AccessChange {
            contact: contact.email.clone(),
            name: contact.display_name(),
            reason_before: old.access_reason.clone(),
            reason_after: new.access_reason.clone(),
        };
        match (old.can_sign_in, new.can_sign_in) {
            (false, true) => impact.access_gained.push(access),
            (true, false) => impact.access_lost.push(access),
            _ => {}
        }
        if old.visible_tickets != new.visible_tickets {
            let old_set: HashSet<&String> = old.visible_tickets.iter().collect();
            let new_set: HashSet<&String> = new.visible_tickets.iter().collect();
            if old_set != new_set {
                impact.ticket_lists.push(TicketListChange {
                    contact: contact.email.clone(),
                    name: contact.display_name(),
                    view_before: old.view,
                    view_after: new.view,
                    appeared: new
                        .visible_tickets
                        .iter()
                        .filter(|id| !old_set.contains(id))
                        .cloned()
                        .collect(),
                    disappeared: old
                        .visible_tickets
                        .iter()
                        .filter(|id| !new_set.contains(id))
                        .cloned()
                        .collect(),
                });
            }
        }
    }
    // Thread choice depends only on `thread_shown` and the catalog, so only that setting can change it,
    // and only on tickets with more than one thread.
    if saved.thread_shown != draft.thread_shown {
        let seen_before: HashSet<&str> = before
            .iter()
            .flat_map(|row| row.visible_tickets.iter().map(String::as_str))
            .collect();
        let seen_after: HashSet<&str> = after
            .iter()
            .flat_map(|row| row.visible_tickets.iter().map(String::as_str))
            .collect();
        let mut changed: Vec<ThreadChange> = threads
            .iter()
            .filter(|(ticket, activities)| {
                activities.len() > 1
                    && seen_before.contains(ticket.as_str())
                    && seen_after.contains(ticket.as_str())
            })
            .filter_map(|(ticket, activities)| {
                let before = rules::shown_thread_id(saved, &data.catalog, activities);
                let after = rules::shown_thread_id(draft, &data.catalog, activities);
                (before != after).then(|| ThreadChange {
                    ticket: ticket.clone(),
                    before: before.map(str::to_string),
                    after: after.map(str::to_string),
                })
            })
            .collect();
        changed.sort_by(|a, b| a.ticket.cmp(&b.ticket));
        impact.threads = changed;
    }
    impact
}

/// The impact of saving `draft` instead of the workspace's saved settings.
pub async fn impact(workspace: &Workspace, draft: &Settings) -> Result<Impact> {
    let saved = workspace.settings().await?;
    // Only what the filters of either side read: the tickets' texts are never needed.
    let mut properties: Vec<&str> = saved
        .ticket_filters
        .iter()
        .chain(&draft.ticket_filters)
        .map(|filter| filter.property.as_str())
        .collect();
    properties.sort_unstable();
    properties.dedup();
    let data = AuditData::load_properties(workspace, &properties).await?;
    let threads = if saved.thread_shown != draft.thread_shown {
        workspace
            .thread_activities_of_multi_thread_tickets()
            .await?
    } else {
        HashMap::new()
    };
    let key = workspace.fingerprint_key().await?;
    Ok(compare(&saved, draft, &data, &threads, &key))
}

/// What kind of change a what-if row is: its group in the desktop's what-if table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ChangeKind {
    AccessLost,
    TicketsLost,
    AccessGained,
    TicketsGained,
    Threads,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::AccessLost => "access_lost",
            ChangeKind::TicketsLost => "tickets_lost",
            ChangeKind::AccessGained => "access_gained",
            ChangeKind::TicketsGained => "tickets_gained",
            ChangeKind::Threads => "threads",
        }
    }
}

/// One change of an `Impact` as a table row: a contact who loses or gains access, a contact whose list
/// loses or gains tickets, or a ticket that shows another thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChangeRow {
    pub kind: ChangeKind,
    /// The contact's email, or the ticket's id for a thread change.
    pub key: String,
    /// The contact's name (the ticket's id for a thread change).
    pub name: String,
    /// The tickets that disappear or appear (the first `CHANGE_TICKETS` on a page).
    pub tickets: Vec<String>,
    /// How many tickets the change moves (0 for access and thread changes).
    #[ts(type = "number")]
    pub count: usize,
    /// Why, for an access change (the reason after); "before → after" for a thread change.
    pub detail: String,
}

/// How many tickets of a change a table page carries.
pub const CHANGE_TICKETS: usize = 50;

/// Every change of `impact`, as rows (in the order of `ChangeKind`, then as the impact lists them).
pub fn change_rows(impact: &Impact) -> Vec<ChangeRow> {
    let access = |kind, change: &AccessChange| ChangeRow {
        kind,
        key: change.contact.clone(),
        name: change.name.clone(),
        tickets: Vec::new(),
        count: 0,
        detail: change.reason_after.clone(),
    };
    let tickets = |kind, change: &TicketListChange, ids: &[String]| ChangeRow {
        kind,
        key: change.contact.clone(),
        name: change.name.clone(),
        tickets: ids.to_vec(),
        count: ids.len(),
        detail: String::new(),
    };
    let mut rows: Vec<ChangeRow> = impact
        .access_lost
        .iter()
        .map(|change| access(ChangeKind::AccessLost, change))
        .collect();
    rows.extend(
        impact
            .ticket_lists
            .iter()
            .filter(|change| !change.disappeared.is_empty())
            .map(|change| tickets(ChangeKind::TicketsLost, change, &change.disappeared)),
    );
    rows.extend(
        impact
            .access_gained
            .iter()
            .map(|change| access(ChangeKind::AccessGained, change)),
    );
    rows.extend(
        impact
            .ticket_lists
            .iter()
            .filter(|change| !change.appeared.is_empty())
            .map(|change| tickets(ChangeKind::TicketsGained, change, &change.appeared)),
    );
    rows.extend(impact.threads.iter().map(|change| ChangeRow {
        kind: ChangeKind::Threads,
        key: change.ticket.clone(),
        name: change.ticket.clone(),
        tickets: vec![change.ticket.clone()],
        count: 1,
        detail: format!(
            "{} → {}",
            change.before.as_deref().unwrap_or("none"),
            change.after.as_deref().unwrap_or("none")
        ),
    }));
    rows
}

impl TableRow for ChangeRow {
    fn search_text(&self) -> String {
        format!("{} {} {}", self.name, self.key, self.tickets.join(" "))
    }
    /// Whether the contact can sign in after the change, as far as the row tells.
    fn can_sign_in(&self) -> bool {
        self.kind != ChangeKind::AccessLost
    }
    fn group(&self) -> &str {
        self.kind.as_str()
    }
    fn compare(&self, other: &Self, sort: SortKey) -> std::cmp::Ordering {
        let by_name = || compare_text(&self.name, &other.name).then(self.key.cmp(&other.key));
        match sort {
            SortKey::Count => self.count.cmp(&other.count).then_with(by_name),
            _ => by_name(),
        }
    }
    fn for_page(&self) -> Self {
        ChangeRow {
            tickets: self.tickets.iter().take(CHANGE_TICKETS).cloned().collect(),
            ..self.clone()
        }
    }
}

/// A what-if as the desktop shows it first: what changed in the settings, and how many rows of each
/// kind (`ChangeKind`) the change table has; the rows come by page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImpactOverview {
    pub settings_changed: Vec<SettingChange>,
    #[ts(type = "number")]
    pub changes: usize,
    /// By kind, in `ChangeKind` order; kinds without rows are left out.
    pub groups: Vec<crate::app::read_models::GroupCount>,
}

/// The changes of `impact` as a table, and its overview.
pub fn change_table(impact: &Impact) -> (Table<ChangeRow>, ImpactOverview) {
    let table = Table::new(std::sync::Arc::new(change_rows(impact)));
    let counts = table
        .query(&TableQuery {
            with_groups: true,
            ..TableQuery::default()
        })
        .groups;
    let order = [
        ChangeKind::AccessLost,
        ChangeKind::TicketsLost,
        ChangeKind::AccessGained,
        ChangeKind::TicketsGained,
        ChangeKind::Threads,
    ];
    let groups = order
        .iter()
        .filter_map(|kind| counts.iter().find(|group| group.name == kind.as_str()))
        .cloned()
        .collect();
    let overview = ImpactOverview {
        settings_changed: impact.settings_changed.clone(),
        changes: table.len(),
        groups,
    };
    (table, overview)
}
