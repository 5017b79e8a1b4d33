//! The one test of "is this an email address", used by the bundle import, registration, password reset
//! and single sign-on alike: an address one of them accepts and another refuses would give a contact
//! who imports but can never sign in.

/// A plausible email address: `local@host.tld`, at most 254 characters, one `@`, no spaces, control
/// characters or characters that only appear in display-name syntax (`<a>@x.y`), and a domain with a dot
/// that neither starts nor ends with one (`ana@acme.example.` is refused) and has no empty label.
pub fn is_valid(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"@".contains(c);
    !local.is_empty()
        && text.len() <= 254
        && !local.chars().any(forbidden)
        && !domain.chars().any(forbidden)
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty())
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn ordinary_addresses_are_valid() {
        assert!(is_valid("ana@acme.example"));
        assert!(is_valid("ana.lopez+portal@mail.acme.example"));
        assert!(is_valid("o'brien@acme.example"));
    }

    #[test]
    fn a_domain_ending_in_a_dot_is_refused() {
        assert!(!is_valid("ana@acme.example."));
        assert!(!is_valid("ana@.acme.example"));
        assert!(!is_valid("ana@acme..example"));
    }

    #[test]
    fn display_name_brackets_are_refused() {
        assert!(!is_valid("<a>@acme.example"));
        assert!(!is_valid("Ana <ana@acme.example>"));
    }

    #[test]
    fn addresses_without_one_at_a_local_part_or_a_dotted_domain_are_refused() {
        assert!(!is_valid("ana"));
        assert!(!is_valid("@acme.example"));
        assert!(!is_valid("ana@localhost"));
        assert!(!is_valid("ana@b@acme.example"));
    }

    #[test]
    fn spaces_and_control_characters_are_refused() {
        assert!(!is_valid("a na@acme.example"));
        assert!(!is_valid("ana@acme.example\n"));
        assert!(!is_valid("ana\t@acme.example"));
    }

    #[test]
    fn addresses_longer_than_254_characters_are_refused() {
        let long = format!("{}@acme.example", "a".repeat(250));
        assert!(!is_valid(&long));
    }
}
