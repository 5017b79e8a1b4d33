//! The web layer's protections: session and form cookies (HttpOnly, SameSite=Lax), CSRF tokens, and small
//! encoders. Signed-in forms carry the session's synchronizer token (kept server-side with the session);
//! forms shown before sign-in carry an HMAC of a random cookie under a per-server key (signed
//! double-submit), so a page on another site can neither read nor forge either.

use axum::http::{header, HeaderMap, HeaderValue};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SESSION_COOKIE: &str = "portal_session";
pub const FORM_COOKIE: &str = "portal_form";

/// The value of cookie `name` in the request, if present.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
        .filter(|value| !value.is_empty())
}

pub fn set_cookie(name: &str, value: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax"))
        .expect("cookie values are URL-safe base64")
}

pub fn clear_cookie(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    ))
    .expect("a static cookie")
}

/// Equality that takes as long whatever the first difference is.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |difference, (x, y)| difference | (x ^ y))
            == 0
}

/// Keys and checks the pre-sign-in form tokens.
pub struct FormSigner {
    key: [u8; 32],
}

impl Default for FormSigner {
    fn default() -> Self {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        FormSigner { key }
    }
}

impl FormSigner {
    /// The token forms carry for the browser holding cookie value `cookie`.
    pub fn token(&self, cookie: &str) -> String {
        use base64::Engine;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(b"portal-form:");
        mac.update(cookie.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn verify(&self, cookie: Option<&str>, token: &str) -> bool {
        cookie.is_some_and(|cookie| same(&self.token(cookie), token))
    }
}

/// A file name safe inside a Content-Disposition header.
pub fn download_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_. ()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.trim().is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_tokens_bind_to_their_cookie_and_key() {
        let signer = FormSigner::default();
        let token = signer.token("abc");
        assert!(signer.verify(Some("abc"), &token));
        assert!(!signer.verify(Some("abd"), &token));
        assert!(!signer.verify(None, &token));
        assert!(!FormSigner::default().verify(Some("abc"), &token));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; portal_session=xyz; b=2"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&headers, "c"), None);
    }

    #[test]
    fn download_names_keep_only_safe_characters() {
        assert_eq!(download_name("../evil\"name.txt"), ".._evil_name.txt");
    }
}
