//! The customer portal's words in every shipped language. Each language is one flat JSON file in
//! `locales/` (key → text, `{name}` marks a value filled in at run time), embedded in the binary so a
//! portal never depends on files next to it. Templates call `t("key")`, emails call `text`/`format`; a key
//! missing in a language falls back to English rather than showing a bare key, and a test keeps every
//! language complete.

use std::collections::HashMap;
use std::sync::LazyLock;

/// (language, file contents) for every shipped language; English first, as the fallback.
const SOURCES: [(&str, &str); 5] = [
    ("en", include_str!("../../locales/en.json")),
    ("de", include_str!("../../locales/de.json")),
    ("es", include_str!("../../locales/es.json")),
    ("fi", include_str!("../../locales/fi.json")),
    ("ko", include_str!("../../locales/ko.json")),
];

type Catalog = HashMap<String, String>;

static CATALOGS: LazyLock<HashMap<&'static str, Catalog>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(language, text)| {
            let catalog: Catalog = serde_json::from_str(text)
                .unwrap_or_else(|error| panic!("locales/{language}.json is not valid: {error}"));
            (*language, catalog)
        })
        .collect()
});

/// The shipped languages, English first.
pub fn languages() -> Vec<&'static str> {
    SOURCES.iter().map(|(language, _)| *language).collect()
}

/// Every key of one language (for completeness checks).
pub fn keys(language: &str) -> Vec<String> {
    let mut keys: Vec<String> = CATALOGS
        .get(language)
        .map(|catalog| catalog.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// The text for `key` in `language`, else in English, else the key itself (visible, so it gets noticed).
pub fn text<'a>(language: &str, key: &'a str) -> &'a str
where
    'static: 'a,
{
    CATALOGS
        .get(language)
        .and_then(|catalog| catalog.get(key))
        .or_else(|| CATALOGS.get("en").and_then(|catalog| catalog.get(key)))
        .map_or(key, String::as_str)
}

/// `text` with `{name}` placeholders replaced by `values`.
pub fn format(language: &str, key: &str, values: &[(&str, &str)]) -> String {
    let mut result = text(language, key).to_string();
    for (name, value) in values {
        result = result.replace(&format!("{{{name}}}"), value);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_exactly_the_english_keys() {
        let english = keys("en");
        assert!(!english.is_empty());
        for language in languages() {
            let theirs = keys(language);
            let missing: Vec<&String> = english.iter().filter(|k| !theirs.contains(k)).collect();
            let extra: Vec<&String> = theirs.iter().filter(|k| !english.contains(k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{language}: missing {missing:?}, extra {extra:?}"
            );
        }
    }

    #[test]
    fn placeholders_match_across_languages() {
        let placeholders = |text: &str| {
            let mut names: Vec<String> = text
                .split('{')
                .skip(1)
                .filter_map(|part| part.split_once('}').map(|(name, _)| name.to_string()))
                .collect();
            names.sort();
            names
        };
        for key in keys("en") {
            let english = placeholders(text("en", &key));
            for language in languages() {
                assert_eq!(
                    placeholders(text(language, &key)),
                    english,
                    "{language}: placeholders of {key}"
                );
            }
        }
    }

    #[test]
    fn unknown_keys_fall_back() {
        assert_eq!(text("de", "no.such.key"), "no.such.key");
        assert_eq!(format("en", "no {x}", &[("x", "y")]), "no y");
    }
}
