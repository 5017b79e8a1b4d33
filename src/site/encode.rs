//! Small encoders the customer pages need: for URLs, HTML outside templates, and cache-busting asset
//! names. They live here, not in `web`, because the renderer and the designer's preview use them too.

use sha2::{Digest, Sha256};

/// Percent-encodes everything but unreserved characters (for query values and path segments).
pub fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The same escaping minijinja applies to template values.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

/// Eight hex digits of SHA-256, for cache-busting asset URLs.
pub fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(4)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoders() {
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
        assert_eq!(escape_html("<a href='x'>"), "&lt;a href=&#x27;x&#x27;&gt;");
        assert_eq!(short_hash("theme").len(), 8);
    }
}
