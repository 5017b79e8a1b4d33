//! The knowledge base (spec sections 1 and 6): the published articles' titles, each linking to the
//! article's page, for visitors and customers alike, served only while the portal shows it (the header
//! links here then).

use super::Answer;
use crate::domain::rules;
use crate::site::render::{article_link, Frame, Page};
use crate::web::extract::{SignedIn, SiteOf};
use crate::web::{App, WebError};
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

pub(super) fn routes() -> Router<App> {
    Router::new()
        .route("/{slug}/knowledge-base", get(knowledge_base))
        .route("/{slug}/knowledge-base/{article}", get(article))
}

async fn knowledge_base(SiteOf(site): SiteOf, current: Option<SignedIn>) -> Answer {
    if !rules::knowledge_base_shown(&site.settings, &site.catalog) {
        return Err(WebError::NotFound);
    }
    let articles = site
        .catalog
        .kb_articles
        .iter()
        .filter(|article| article.published)
        .map(|article| article_link(&site.settings, article))
        .collect();
    let frame = current.map_or_else(Frame::default, |current| current.frame);
    Ok(site.page(StatusCode::OK, &Page::KnowledgeBase(articles), &frame))
}

/// One published article; an unpublished or unknown one is not found.
async fn article(
    SiteOf(site): SiteOf,
    current: Option<SignedIn>,
    Path((_, id)): Path<(String, String)>,
) -> Answer {
    if !rules::knowledge_base_shown(&site.settings, &site.catalog) {
        return Err(WebError::NotFound);
    }
    let article = site
        .catalog
        .kb_articles
        .iter()
        .find(|article| article.published && article.id == id)
        .ok_or(WebError::NotFound)?;
    let frame = current.map_or_else(Frame::default, |current| current.frame);
    Ok(site.page(
        StatusCode::OK,
        &Page::Article(article_link(&site.settings, article)),
        &frame,
    ))
}
