//! The help desk's access token in the system keychain, only when the user asks for it ("Remember in the
//! system keychain" in the pull dialog): the Secret Service on Linux, Keychain on macOS, the Credential
//! Manager on Windows (the `keyring` crate). One entry per API address, so a token for a test stub never
//! stands in for the real account's. When no keychain can be reached (no Secret Service running), the
//! dialog says so and pulls work as before; the token then lives only as long as the pull.
//!
//! Keychain calls block (D-Bus round trips), so they run on the blocking pool, with a time limit: a
//! keychain that does not answer counts as unavailable. Errors never carry the token.

use std::time::Duration;

/// The keychain entries' service name: the app's identifier.
const SERVICE: &str = "studio.portal.desktop";
/// How long a keychain may take to answer.
const PATIENCE: Duration = Duration::from_secs(5);

fn user(api_base: &str) -> String {
    format!("help-desk-token {}", api_base.trim().trim_end_matches('/'))
}

/// Whether the platform's keychain can be used; Err says why not, for people (the cause goes to the
/// log, once).
fn platform() -> Result<(), String> {
    static LOGGED: std::sync::Once = std::sync::Once::new();
    keyring::Entry::store_status()
        .as_ref()
        .map(|_| ())
        .map_err(|error| {
            LOGGED.call_once(|| tracing::info!("no system keychain: {}", described(error)));
            "no system keychain (such as the Secret Service) is running".to_string()
        })
}

/// An error's words, never a secret's bytes (`BadEncoding` and `BadDataFormat` carry them).
fn described(error: &keyring_core::Error) -> String {
    match error {
        keyring_core::Error::BadEncoding(_) | keyring_core::Error::BadDataFormat(..) => {
            "the saved token is not readable".into()
        }
        other => other.to_string(),
    }
}

fn entry(api_base: &str) -> Result<keyring_core::Entry, String> {
    keyring_core::Entry::new(SERVICE, &user(api_base)).map_err(|error| described(&error))
}

/// The token saved for `api_base` in the default store, if any.
fn read_in_store(api_base: &str) -> Result<Option<String>, String> {
    match entry(api_base)?.get_password() {
        Ok(token) => Ok(Some(token)),
        Err(keyring_core::Error::NoEntry) => Ok(None),
        Err(error) => Err(described(&error)),
    }
}

fn save_in_store(api_base: &str, token: &str) -> Result<(), String> {
    entry(api_base)?
        .set_password(token)
        .map_err(|error| described(&error))
}

fn forget_in_store(api_base: &str) -> Result<(), String> {
    match entry(api_base)?.delete_credential() {
        Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
        Err(error) => Err(described(&error)),
    }
}

/// Runs a keychain call on the blocking pool, within `PATIENCE`.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    match tokio::time::timeout(PATIENCE, tokio::task::spawn_blocking(call)).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join)) => Err(format!("the keychain call failed: {join}")),
        Err(_) => Err(format!(
            "the system keychain did not answer within {} s",
            PATIENCE.as_secs()
        )),
    }
}

/// Whether a keychain can be used here; Err says why not.
pub async fn available() -> Result<(), String> {
    blocking(platform).await
}

/// The token remembered for `api_base`, if any.
pub async fn read(api_base: &str) -> Result<Option<String>, String> {
    let api_base = api_base.to_string();
    blocking(move || {
        platform()?;
        read_in_store(&api_base)
    })
    .await
}

/// Remembers `token` for `api_base` (replacing one saved before).
pub async fn save(api_base: &str, token: String) -> Result<(), String> {
    let api_base = api_base.to_string();
    blocking(move || {
        platform()?;
        save_in_store(&api_base, &token)
    })
    .await
}

/// Forgets the token saved for `api_base` (nothing saved is fine).
pub async fn forget(api_base: &str) -> Result<(), String> {
    let api_base = api_base.to_string();
    blocking(move || {
        platform()?;
        forget_in_store(&api_base)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_token_is_kept_per_api_address_until_forgotten() {
        keyring_core::set_default_store(keyring_core::mock::Store::new().unwrap());
        let stub = "http://127.0.0.1:4010/";
        let vendor = "https://api.hubapi.com";
        assert_eq!(read_in_store(stub).unwrap(), None);

        save_in_store(stub, "pat-na1-stub").unwrap();
        assert_eq!(
            read_in_store("http://127.0.0.1:4010").unwrap().as_deref(),
            Some("pat-na1-stub"),
            "the same address with or without its final slash"
        );
        assert_eq!(read_in_store(vendor).unwrap(), None);

        forget_in_store(stub).unwrap();
        assert_eq!(read_in_store(stub).unwrap(), None);
        forget_in_store(stub).expect("forgetting twice is fine");
    }

    #[test]
    fn keychain_errors_never_show_the_secret() {
        let error = keyring_core::Error::BadEncoding(b"pat-na1-secret".to_vec());
        let text = described(&error);
        assert!(!text.contains("pat-na1-secret"), "{text}");
    }
}
