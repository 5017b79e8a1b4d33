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

/// The first path segments under the portal's slug that its own pages use (`web::routes` checks that
/// every route it serves is listed). A ticket whose id is one of them cannot be addressed as
/// `/{slug}/{id}`, nor can one whose id is `.` or `..`, which browsers resolve away even when encoded.
pub const RESERVED_SEGMENTS: [&str; 10] = [
    "assets",
    "knowledge-base",
    "login",
    "logout",
    "new",
    "password-reset",
    "register",
    "sso",
    "ticket",
    "welcome",
];

/// The path of ticket `id` under the portal's base (`/{slug}/`), followed by `rest` (`reply`,
/// `attachments/3`, or nothing for the ticket's page). An ordinary id is its own path segment
/// (`1042/reply`); an id that a page of the portal or a browser would take for something else goes in
/// the query of the `ticket` route (`ticket/reply?id=new`), so every ticket has a link that opens it.
pub fn ticket_path(id: &str, rest: &str) -> String {
    let encoded = percent_encode(id);
    let addressable = !(id.is_empty()
        || id == "."
        || id == ".."
        || RESERVED_SEGMENTS.contains(&id.to_ascii_lowercase().as_str()));
    match (addressable, rest.is_empty()) {
        (true, true) => encoded,
        (true, false) => format!("{encoded}/{rest}"),
        (false, true) => format!("ticket?id={encoded}"),
        (false, false) => format!("ticket/{rest}?id={encoded}"),
    }
}

/// `ticket_path` followed by a query parameter `name` (e.g. `sent=1`), with the right separator.
pub fn ticket_path_with(id: &str, rest: &str, parameter: &str) -> String {
    let path = ticket_path(id, rest);
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}{parameter}")
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

    #[test]
    fn ticket_paths_address_every_id() {
        assert_eq!(ticket_path("1042", ""), "1042");
        assert_eq!(ticket_path("a/b", "reply"), "a%2Fb/reply");
        assert_eq!(ticket_path("new", ""), "ticket?id=new");
        assert_eq!(
            ticket_path("..", "attachments/3"),
            "ticket/attachments/3?id=.."
        );
        assert_eq!(
            ticket_path_with("Login", "", "sent=1"),
            "ticket?id=Login&sent=1"
        );
        assert_eq!(ticket_path_with("7", "", "sent=1"), "7?sent=1");
    }
}
