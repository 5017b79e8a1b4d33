//! Edits by dotted key path (`portal settings set`), the difference between two versions (history), and
//! the copy without secrets that is shown and kept.

use super::*;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EditError {
    #[error("unknown setting \"{0}\"")]
    UnknownKey(String),
    #[error("{key}: {message}")]
    BadValue { key: String, message: String },
}

/// Returns settings with the value at the dotted `key` replaced. `value` is read as JSON when it parses
/// (numbers, booleans, null, lists, objects) and as a plain string otherwise, so `page_title "My portal"`
/// and `page_title My portal` both work. Validation against the data is the caller's next step.
pub fn with_value(settings: &Settings, key: &str, value: &str) -> Result<Settings, EditError> {
    let parsed: serde_json::Value = serde_json::from_str(value)
        .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
    let mut document = serde_json::to_value(settings).expect("settings serialise");
    let mut slot = &mut document;
    let parts: Vec<&str> = key.split('.').collect();
    for (depth, part) in parts.iter().enumerate() {
        let last = depth + 1 == parts.len();
        let object = match slot {
            serde_json::Value::Object(object) => object,
            serde_json::Value::Null if parts[0] == "templates" || parts[0] == "sso" => {
                *slot = serde_json::Value::Object(Default::default());
                slot.as_object_mut().expect("just made an object")
            }
            _ => return Err(EditError::UnknownKey(key.into())),
        };
        // Templates are a map: any of the known names may be added.
        let may_add = parts[0] == "templates" || parts[0] == "sso";
        if !object.contains_key(*part) && !may_add {
            return Err(EditError::UnknownKey(key.into()));
        }
        if last {
            object.insert(part.to_string(), parsed.clone());
            break;
        }
        slot = object
            .entry(part.to_string())
            .or_insert(serde_json::Value::Null);
    }
    serde_json::from_value(document).map_err(|error| EditError::BadValue {
        key: key.into(),
        message: error.to_string(),
    })
}

/// One changed field between two settings documents, for history and what-if summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SettingChange {
    pub key: String,
    #[ts(type = "unknown")]
    pub before: serde_json::Value,
    #[ts(type = "unknown")]
    pub after: serde_json::Value,
}

/// The top-level fields that differ (nested documents such as branding are compared one level down).
pub fn diff(before: &Settings, after: &Settings) -> Vec<SettingChange> {
    let before = serde_json::to_value(before).expect("settings serialise");
    let after = serde_json::to_value(after).expect("settings serialise");
    let mut changes = Vec::new();
    if let (Some(before), Some(after)) = (before.as_object(), after.as_object()) {
        for (key, old) in before {
            let new = &after[key];
            if old == new {
                continue;
            }
            match (old, new) {
                (serde_json::Value::Object(old_fields), serde_json::Value::Object(new_fields))
                    if key == "branding" || key == "access" || key == "consent" =>
                {
                    for (field, old_value) in old_fields {
                        let new_value = new_fields
                            .get(field)
                            .cloned()
                            .unwrap_or(serde_json::Value::Null);
                        if *old_value != new_value {
                            changes.push(SettingChange {
                                key: format!("{key}.{field}"),
                                before: old_value.clone(),
                                after: new_value,
                            });
                        }
                    }
                }
                _ => changes.push(SettingChange {
                    key: key.clone(),
                    before: old.clone(),
                    after: new.clone(),
                }),
            }
        }
    }
    changes
}

/// The settings as exported: identical but for secrets.
pub fn without_secrets(settings: &Settings) -> Settings {
    let mut settings = settings.clone();
    if let Some(SsoConfiguration::Jwt { secret, .. }) = &mut settings.sso {
        *secret = None;
    }
    settings
}
