//! What a settings draft would change, before it is saved: which contacts gain or lose access, which
//! tickets appear or disappear for whom, and which tickets would show a different conversation. Both
//! sides come from the same rules as the live portal (the audit matrix), computed for saved and draft.

pub mod cache;

use crate::app::matrix::{self, AuditData, AuditRow};
use crate::domain::rules::{self, View};
use crate::domain::settings::{shown_diff, SettingChange, Settings};
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
) -> Impact {
    let before = matrix::matrix(saved, data);
    compare_with_saved_matrix(saved, &before, draft, data, threads)
}

/// `compare` with the saved settings' matrix already computed: an editor asks about many drafts against
/// the same saved settings, so the caller can keep that half of the work.
pub fn compare_with_saved_matrix(
    saved: &Settings,
    before: &[AuditRow],
    draft: &Settings,
    data: &AuditData,
    threads: &HashMap<String, Vec<rules::ThreadActivity>>,
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
        settings_changed: shown_diff(saved, draft),
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
    Ok(compare(&saved, draft, &data, &threads))
}
