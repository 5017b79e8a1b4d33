//! The portal's small yes/no decisions about what a visitor is offered, kept here so that the live
//! portal, the designer's previews and the account code cannot answer them differently.

use crate::domain::model::Catalog;
use crate::domain::settings::{AccessMode, Settings};

/// Whether visitors may register themselves (spec section 2, `self_registration`): only then is the
/// registration page served, the login page's "Register here" link shown, and a registration accepted.
/// In every other mode contacts get their login through a list invitation or single sign-on.
pub fn registration_open(settings: &Settings) -> bool {
    settings.access.mode == AccessMode::SelfRegistration
}

/// Whether the portal shows its knowledge base (spec sections 1, 6 and 9, "knowledge base link"): the
/// setting is on and at least one article is published. The settings refuse the first without the
/// second, but an article can be unpublished after the setting was saved; the portal then shows no link
/// to an empty page and does not serve that page.
pub fn knowledge_base_shown(settings: &Settings, catalog: &Catalog) -> bool {
    settings.knowledge_base_link && catalog.has_published_article()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::KnowledgeBaseArticle;

    #[test]
    fn registration_open_only_in_self_registration_mode() {
        let mut settings = Settings::default();
        for (mode, open) in [
            (AccessMode::SelfRegistration, true),
            (AccessMode::Lists, false),
            (AccessMode::SsoAll, false),
            (AccessMode::SsoLists, false),
        ] {
            settings.access.mode = mode;
            assert_eq!(registration_open(&settings), open, "{mode:?}");
        }
    }

    #[test]
    fn knowledge_base_shown_only_when_the_link_is_on_and_an_article_is_published() {
        let article = |published| KnowledgeBaseArticle {
            id: "kb-1".into(),
            title: "Resetting your router".into(),
            published,
        };
        let published = Catalog {
            kb_articles: vec![article(false), article(true)],
            ..Catalog::default()
        };
        let only_drafts = Catalog {
            kb_articles: vec![article(false)],
            ..Catalog::default()
        };
        let mut settings = Settings {
            knowledge_base_link: true,
            ..Settings::default()
        };
        assert!(knowledge_base_shown(&settings, &published));
        assert!(!knowledge_base_shown(&settings, &only_drafts));
        assert!(!knowledge_base_shown(&settings, &Catalog::default()));
        settings.knowledge_base_link = false;
        assert!(!knowledge_base_shown(&settings, &published));
    }
}
