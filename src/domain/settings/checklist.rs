//! The setup checklist that gates the enable switch (spec section 1, "enabled").

use super::*;
use crate::domain::model::Catalog;

/// One line of the setup checklist (spec section 1, "enabled").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChecklistItem {
    pub key: String,
    pub label: String,
    pub passed: bool,
    pub message: String,
}

/// What must hold before the portal can be enabled: a valid own domain, access configured, consent set for
/// self-registration, and a default inbox.
pub fn checklist(settings: &Settings, catalog: &Catalog) -> Vec<ChecklistItem> {
    let mut items = Vec::new();
    let domain = match &settings.domain {
        None => Err("no domain is set".to_string()),
        Some(domain) => match domain_problem(domain) {
            Some(message) => Err(format!("domain: {message}")),
            None => Ok(format!("published on {domain}")),
        },
    };
    items.push(item("domain", "Domain", domain));

    let access = match settings.access.mode {
        AccessMode::SelfRegistration => Ok("anyone may register".to_string()),
        mode => {
            let mut result = Ok(String::new());
            if mode.uses_lists() {
                let known: Vec<&str> = settings
                    .access
                    .lists
                    .iter()
                    .filter_map(|id| catalog.list(id).map(|list| list.name.as_str()))
                    .collect();
                result = if settings.access.lists.is_empty() {
                    Err("no access list is chosen".to_string())
                } else if known.len() != settings.access.lists.len() {
                    Err("an access list does not exist".to_string())
                } else {
                    Ok(format!("members of {}", known.join(", ")))
                };
            }
            if mode.uses_sso() {
                let sso_ok = match &settings.sso {
                    None => Err("single sign-on is not configured".to_string()),
                    Some(SsoConfiguration::Saml { .. }) => Err(
                        "SAML sign-in is not yet supported: configure a JWT identity provider"
                            .to_string(),
                    ),
                    Some(SsoConfiguration::Jwt {
                        algorithm: JwtAlgorithm::HS256,
                        secret: None,
                        ..
                    }) => Err("the SSO shared secret is not set".to_string()),
                    Some(_) => Ok("single sign-on configured".to_string()),
                };
                result = match (result, sso_ok) {
                    (Err(message), _) | (_, Err(message)) => Err(message),
                    (Ok(lists), Ok(sso)) if lists.is_empty() => Ok(sso),
                    (Ok(lists), Ok(sso)) => Ok(format!("{sso}; {lists}")),
                };
            }
            result
        }
    };
    items.push(item("access", "Access", access));

    if settings.access.mode == AccessMode::SelfRegistration {
        let consent = if settings.consent.notice.trim().is_empty()
            || settings.consent.checkbox_label.trim().is_empty()
        {
            Err("self-registration needs a consent notice and checkbox label".to_string())
        } else {
            Ok("consent notice set".to_string())
        };
        items.push(item("consent", "Consent", consent));
    }

    let inbox = match &settings.default_inbox {
        None => Err("no default inbox is set".to_string()),
        Some(id) => match catalog.inbox(id) {
            None => Err(format!("default inbox \"{id}\" does not exist")),
            Some(inbox) => Ok(format!("replies go to {}", inbox.name)),
        },
    };
    items.push(item("default_inbox", "Default inbox", inbox));
    items
}

fn item(key: &str, label: &str, outcome: Result<String, String>) -> ChecklistItem {
    let passed = outcome.is_ok();
    ChecklistItem {
        key: key.into(),
        label: label.into(),
        passed,
        message: match outcome {
            Ok(message) | Err(message) => message,
        },
    }
}

/// A checklist line that warns without blocking the enable switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChecklistWarning {
    pub key: String,
    pub label: String,
    pub message: String,
}

/// Spec 10.6: the leak lint's findings, as a warning (None when there are none). It never blocks
/// enabling: the shapes it finds may be meant.
pub fn leak_lint_warning(
    findings: &[crate::domain::rules::lint::LintFinding],
) -> Option<ChecklistWarning> {
    if findings.is_empty() {
        return None;
    }
    let mut codes: Vec<&str> = findings
        .iter()
        .map(|finding| finding.code.as_str())
        .collect();
    codes.dedup();
    Some(ChecklistWarning {
        key: "leak_lint".into(),
        label: "Leak lint".into(),
        message: format!(
            "{} finding{} ({}): some tickets may be shown to people you did not mean; see Visibility",
            findings.len(),
            if findings.len() == 1 { "" } else { "s" },
            codes.join(", ")
        ),
    })
}
