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
/// and `page_title My portal` both work. A number or boolean where the setting is text is read as that
/// text: ids pulled from the help desk are digits (`default_inbox 4400001`). Validation against the data
/// is the caller's next step.
pub fn with_value(settings: &Settings, key: &str, value: &str) -> Result<Settings, EditError> {
    let parsed: serde_json::Value = serde_json::from_str(value)
        .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
    let scalar = parsed.is_number() || parsed.is_boolean();
    match with_parsed_value(settings, key, parsed) {
        // Neither reading fits: the first reading's message is the one that explains.
        Err(error @ EditError::BadValue { .. }) if scalar => {
            with_parsed_value(settings, key, serde_json::Value::String(value.to_string()))
                .map_err(|_| error)
        }
        outcome => outcome,
    }
}

fn with_parsed_value(
    settings: &Settings,
    key: &str,
    parsed: serde_json::Value,
) -> Result<Settings, EditError> {
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

/// How a secret appears in the settings history and in every change shown: never in clear, only as a
/// short fingerprint, enough to see that it changed and to recognise the same secret again.
const SECRET_MARKER_PREFIX: &str = "[secret withheld; fingerprint sha256:";

/// The key a workspace makes its secrets' fingerprints with (storage keeps one per workspace, made at
/// random). Keyed, a fingerprint shown or printed cannot be used to confirm a guessed secret by anyone
/// without the workspace file, which holds the secret itself anyway.
#[derive(Clone, PartialEq, Eq)]
pub struct FingerprintKey(Vec<u8>);

impl FingerprintKey {
    pub fn new(bytes: Vec<u8>) -> FingerprintKey {
        FingerprintKey(bytes)
    }
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("FingerprintKey(withheld)")
    }
}

/// The marker that stands for `secret` where it is shown or kept in history: the first 8 hex digits of
/// the HMAC-SHA256 of the secret under the workspace's `key` (with a fixed label, so the digest is used
/// for nothing else). Eight digits are enough to notice a change.
pub fn secret_marker(key: &FingerprintKey, secret: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(&key.0).expect("HMAC takes a key of any length");
    mac.update(b"portal-studio sso secret fingerprint\0");
    mac.update(secret.as_bytes());
    let digest: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("{SECRET_MARKER_PREFIX}{digest}]")
}

/// Whether `value` is a `secret_marker` rather than a secret.
pub fn is_secret_marker(value: &str) -> bool {
    value.starts_with(SECRET_MARKER_PREFIX)
}

/// The settings as shown in a change list and kept in history: secrets replaced by their marker
/// (a value that already is a marker is left as it is).
pub fn with_secrets_fingerprinted(settings: &Settings, key: &FingerprintKey) -> Settings {
    let mut settings = settings.clone();
    if let Some(SsoConfiguration::Jwt {
        secret: Some(secret),
        ..
    }) = &mut settings.sso
    {
        if !is_secret_marker(secret) {
            *secret = secret_marker(key, secret);
        }
    }
    settings
}

/// `diff` for people: secrets show as their fingerprint marker.
pub fn shown_diff(before: &Settings, after: &Settings, key: &FingerprintKey) -> Vec<SettingChange> {
    diff(
        &with_secrets_fingerprinted(before, key),
        &with_secrets_fingerprinted(after, key),
    )
}

/// An undo would need a secret that history no longer holds.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "this change replaced the SSO shared secret, and history keeps only its fingerprint \
     ({fingerprint}), never the secret: set the secret again with `portal settings set sso.secret ...` \
     (or in the settings editor) instead of undoing"
)]
pub struct SecretNotKept {
    pub fingerprint: String,
}

fn jwt_secret(settings: &Settings) -> Option<&str> {
    match &settings.sso {
        Some(SsoConfiguration::Jwt { secret, .. }) => secret.as_deref(),
        _ => None,
    }
}

/// Undo support. `restored` is the current settings with an entry's fields set back to their history
/// values, so its SSO secret may be a fingerprint marker. The marker becomes the current secret when
/// that is the same secret (same fingerprint), or when the entry did not change the secret (its `after`
/// carries the same marker: the secret is not part of what is undone). Otherwise the undo would bring
/// back a secret nobody kept, and it is refused.
pub fn restore_secret(
    restored: &mut Settings,
    entry_after: &Settings,
    current: &Settings,
    key: &FingerprintKey,
) -> Result<(), SecretNotKept> {
    let current_secret = jwt_secret(current).map(str::to_string);
    let entry_after_secret = jwt_secret(entry_after).map(str::to_string);
    let Some(SsoConfiguration::Jwt {
        secret: Some(kept), ..
    }) = &mut restored.sso
    else {
        return Ok(());
    };
    if !is_secret_marker(kept) {
        return Ok(());
    }
    let entry_kept_it = entry_after_secret
        .as_deref()
        .map(|after| with_marker(after, key) == *kept)
        .unwrap_or(false);
    match current_secret {
        Some(current) if entry_kept_it || secret_marker(key, &current) == *kept => {
            *kept = current;
            Ok(())
        }
        _ => Err(SecretNotKept {
            fingerprint: kept
                .trim_start_matches(SECRET_MARKER_PREFIX)
                .trim_end_matches(']')
                .to_string(),
        }),
    }
}

fn with_marker(secret: &str, key: &FingerprintKey) -> String {
    if is_secret_marker(secret) {
        secret.to_string()
    } else {
        secret_marker(key, secret)
    }
}

#[cfg(test)]
mod value_tests {
    use super::*;

    #[test]
    fn digits_where_the_setting_is_text_are_read_as_that_text() {
        let settings = with_value(&Settings::default(), "default_inbox", "4400001").unwrap();
        assert_eq!(settings.default_inbox.as_deref(), Some("4400001"));
    }

    #[test]
    fn digits_where_the_setting_is_a_number_stay_a_number() {
        let settings = with_value(&Settings::default(), "idle_timeout_minutes", "45").unwrap();
        assert_eq!(settings.idle_timeout_minutes, 45);
    }

    #[test]
    fn text_where_the_setting_is_a_number_is_refused_naming_the_key() {
        let error = with_value(&Settings::default(), "idle_timeout_minutes", "soon").unwrap_err();
        assert!(
            matches!(&error, EditError::BadValue { key, .. } if key == "idle_timeout_minutes"),
            "{error:?}"
        );
    }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    fn key() -> FingerprintKey {
        FingerprintKey::new(b"this workspace's key".to_vec())
    }

    fn jwt(secret: &str, issuer: &str) -> Settings {
        Settings {
            sso: Some(SsoConfiguration::Jwt {
                algorithm: JwtAlgorithm::HS256,
                secret: Some(secret.into()),
                public_key: None,
                issuer: issuer.into(),
                audience: "portal".into(),
                email_claim: "email".into(),
            }),
            ..Settings::default()
        }
    }

    #[test]
    fn a_shown_change_of_the_secret_names_its_fingerprint_not_the_secret() {
        let changes = shown_diff(&jwt("old-secret", "idp"), &jwt("new-secret", "idp"), &key());
        let text = serde_json::to_string(&changes).unwrap();
        assert!(
            !text.contains("old-secret") && !text.contains("new-secret"),
            "{text}"
        );
        assert!(
            text.contains(&secret_marker(&key(), "old-secret")),
            "{text}"
        );
        assert_ne!(
            secret_marker(&key(), "old-secret"),
            secret_marker(&key(), "new-secret")
        );
    }

    #[test]
    fn undoing_a_change_that_kept_the_secret_keeps_the_current_secret() {
        let entry_after = with_secrets_fingerprinted(&jwt("s1", "idp-2"), &key());
        let mut restored = with_secrets_fingerprinted(&jwt("s1", "idp-1"), &key());
        // The secret changed since: the undone entry did not touch it, so the current one stays.
        restore_secret(&mut restored, &entry_after, &jwt("s2", "idp-2"), &key()).unwrap();
        assert_eq!(restored, jwt("s2", "idp-1"));
    }

    #[test]
    fn undoing_a_secret_change_is_refused_unless_the_old_secret_is_the_current_one() {
        let entry_after = with_secrets_fingerprinted(&jwt("s2", "idp"), &key());
        let mut restored = with_secrets_fingerprinted(&jwt("s1", "idp"), &key());
        let refused = restore_secret(
            &mut restored.clone(),
            &entry_after,
            &jwt("s2", "idp"),
            &key(),
        );
        assert!(refused.is_err());
        restore_secret(&mut restored, &entry_after, &jwt("s1", "idp"), &key()).unwrap();
        assert_eq!(restored, jwt("s1", "idp"));
    }

    #[test]
    fn a_secret_fingerprint_depends_on_the_workspace_key_so_history_cannot_confirm_a_guess() {
        let other = FingerprintKey::new(b"another workspace's key".to_vec());
        assert_ne!(
            secret_marker(&key(), "guessable"),
            secret_marker(&other, "guessable")
        );
        // Without the key, the plain labelled SHA-256 of a guess is not the marker.
        use sha2::{Digest, Sha256};
        let mut plain = Sha256::new();
        plain.update(b"portal-studio sso secret fingerprint\0guessable");
        let plain: String = plain.finalize()[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!secret_marker(&key(), "guessable").contains(&plain));
        assert_eq!(format!("{:?}", key()), "FingerprintKey(withheld)");
    }
}

/// The settings of portal-rules.md section 10 with the value each has by default: a bundle leaves them
/// out (`for_bundle`), so a workspace that does not use them exports exactly what it did before.
const BEYOND_THE_SOURCES: [&str; 4] = [
    "company_view_rules",
    "company_scope",
    "cc_see_tickets",
    "customers_close_tickets",
];

/// The settings document as a bundle carries it (secrets are the caller's business): the settings of
/// section 10 are written only when they differ from their defaults.
pub fn for_bundle(settings: &Settings) -> serde_json::Value {
    let mut document = serde_json::to_value(settings).expect("settings serialise");
    let defaults = serde_json::to_value(Settings::default()).expect("settings serialise");
    if let serde_json::Value::Object(fields) = &mut document {
        for key in BEYOND_THE_SOURCES {
            if fields.get(key) == defaults.get(key) {
                fields.remove(key);
            }
        }
    }
    document
}
