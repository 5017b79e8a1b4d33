//! The knowledge base (spec sections 1 and 6): the published articles' titles, for visitors and
//! customers alike, served only while the portal shows it (the header links here then).

use super::Answer;
use crate::domain::rules;
use crate::site::render::{Frame, Page};
use crate::web::extract::{SignedIn, SiteOf};
use crate::web::{App, WebError};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

pub(super) fn routes() -> Router<App> {
    Router::new().route("/{slug}/knowledge-base", get(knowledge_base))
}

async fn knowledge_base(SiteOf(site): SiteOf, current: Option<SignedIn>) -> Answer {
    if !rules::knowledge_base_shown(&site.settings, &site.catalog) {
        return Err(WebError::NotFound);
    }
    let titles = site
        .catalog
        .kb_articles
        .iter()
        .filter(|article| article.published)
        .map(|article| article.title.clone())
        .collect();
    let frame = current.map_or_else(Frame::default, |current| current.frame);
    Ok(site.page(StatusCode::OK, &Page::KnowledgeBase(titles), &frame))
}
