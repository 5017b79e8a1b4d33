//! What a settings draft would change, before it is saved: which contacts gain or lose access, which
//! tickets appear or disappear for whom, and which tickets would show a different conversation. Both
//! sides come from the same rules as the live portal (the audit matrix), computed for saved and draft.

use crate::audit::{self, AuditData, AuditRow};
use crate::rules::{self, View};
use crate::settings::{diff, SettingChange, Settings};
use crate::{Result, Workspace};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
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

/// Compares the matrices of `saved` and `draft` (pure; `threads` are every ticket's thread activities).
pub fn compare(
    saved: &Settings,
    draft: &Settings,
    data: &AuditData,
    threads: &HashMap<String, Vec<rules::ThreadActivity>>,
) -> Impact {
    let before = audit::matrix(saved, data);
    let after = audit::matrix(draft, data);
    let (before_rows, after_rows) = (default_rows(&before), default_rows(&after));
    let mut impact = Impact {
        settings_changed: diff(saved, draft),
        access_gained: Vec::new(),
        access_lost: Vec::new(),
        ticket_lists: Vec::new(),
        threads: Vec::new(),
    };
    let mut visible_in_both = BTreeSet::new();
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
        let old_set: BTreeSet<&String> = old.visible_tickets.iter().collect();
        let new_set: BTreeSet<&String> = new.visible_tickets.iter().collect();
        visible_in_both.extend(new.visible_tickets.iter().filter(|id| old_set.contains(id)));
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
    // Thread choice depends only on `thread_shown` and the catalog, so only that setting can change it.
    if saved.thread_shown != draft.thread_shown {
        for ticket in visible_in_both {
            let Some(activities) = threads.get(ticket.as_str()) else {
                continue;
            };
            let shown = |settings: &Settings| {
                rules::choose_among(settings, &data.catalog, activities)
                    .shown
                    .map(|(id, _)| id)
            };
            let (before, after) = (shown(saved), shown(draft));
            if before != after {
                impact.threads.push(ThreadChange {
                    ticket: ticket.clone(),
                    before,
                    after,
                });
            }
        }
    }
    impact
}

/// The impact of saving `draft` instead of the workspace's saved settings.
pub async fn impact(workspace: &Workspace, draft: &Settings) -> Result<Impact> {
    let saved = workspace.settings().await?;
    let data = AuditData::load(workspace).await?;
    let threads = if saved.thread_shown != draft.thread_shown {
        workspace.thread_activities().await?
    } else {
        HashMap::new()
    };
    Ok(compare(&saved, draft, &data, &threads))
}
