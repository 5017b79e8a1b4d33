//! Who may sign in (spec section 2). The decision depends on the access mode, the contact's lists and
//! whether single sign-on is configured; it does not depend on whether the portal is enabled, because admin
//! previews and `portal view-as` answer "what would this contact get" for a portal not yet switched on.

use crate::domain::model::{Catalog, Contact};
use crate::domain::settings::{AccessMode, Settings};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDecision {
    pub allowed: bool,
    pub reason: String,
}

impl AccessDecision {
    /// `Err(reason)` when denied: for callers that refuse with their own error.
    pub fn into_result(self) -> Result<(), String> {
        if self.allowed {
            Ok(())
        } else {
            Err(self.reason)
        }
    }
}

fn allowed(reason: String) -> AccessDecision {
    AccessDecision {
        allowed: true,
        reason,
    }
}

fn denied(reason: String) -> AccessDecision {
    AccessDecision {
        allowed: false,
        reason,
    }
}

/// Names of the access lists the contact belongs to, in the settings' order.
fn access_lists_of<'a>(
    settings: &Settings,
    catalog: &'a Catalog,
    contact: &Contact,
) -> Vec<&'a str> {
    settings
        .access
        .lists
        .iter()
        .filter(|list| contact.lists.contains(list))
        .filter_map(|list| catalog.list(list).map(|list| list.name.as_str()))
        .collect()
}

fn list_names(settings: &Settings, catalog: &Catalog) -> String {
    let names: Vec<&str> = settings
        .access
        .lists
        .iter()
        .map(|id| {
            catalog
                .list(id)
                .map_or(id.as_str(), |list| list.name.as_str())
        })
        .collect();
    if names.is_empty() {
        "none chosen".into()
    } else {
        names.join(", ")
    }
}

fn membership_decision(
    settings: &Settings,
    catalog: &Catalog,
    contact: &Contact,
) -> AccessDecision {
    let lists = access_lists_of(settings, catalog, contact);
    match lists.len() {
        0 => denied(format!(
            "not a member of any access list ({})",
            list_names(settings, catalog)
        )),
        1 => allowed(format!("member of list {}", lists[0])),
        _ => allowed(format!("member of lists {}", lists.join(", "))),
    }
}

/// Whether `contact` may sign in to the portal under `settings`, and why.
pub fn may_sign_in(settings: &Settings, catalog: &Catalog, contact: &Contact) -> AccessDecision {
    match settings.access.mode {
        AccessMode::SelfRegistration => {
            allowed("self-registration is open to everyone".to_string())
        }
        AccessMode::Lists => membership_decision(settings, catalog, contact),
        AccessMode::SsoAll | AccessMode::SsoLists if settings.sso.is_none() => {
            denied("single sign-on is the only way in and it is not configured".to_string())
        }
        AccessMode::SsoAll => allowed("every single sign-on user may sign in".to_string()),
        AccessMode::SsoLists => {
            let decision = membership_decision(settings, catalog, contact);
            AccessDecision {
                reason: format!("single sign-on; {}", decision.reason),
                ..decision
            }
        }
    }
}
