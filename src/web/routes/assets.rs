//! The branding files (spec section 6): the theme stylesheet, the logo and the favicon (a generated one
//! when the branding has none). Their URLs carry a version, so browsers may keep them for a day.

use super::Answer;
use crate::site::render;
use crate::web::extract::SiteOf;
use crate::web::{App, WebError};
use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

pub(super) fn routes() -> Router<App> {
    Router::new().route("/{slug}/assets/{asset}", get(asset))
}

async fn asset(SiteOf(site): SiteOf, Path((_, asset)): Path<(String, String)>) -> Answer {
    use base64::Engine;
    if asset == "theme.css" {
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/css; charset=utf-8"),
                ),
                // The URL carries a version: a changed theme gets a new URL.
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ),
                (
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ),
            ],
            site.renderer.theme_css().to_string(),
        )
            .into_response());
    }
    let image = match asset.as_str() {
        "logo" => site.settings.branding.logo.as_ref(),
        "favicon" => site.settings.branding.favicon.as_ref(),
        _ => None,
    };
    let (content_type, bytes) = match image {
        Some(image) => (
            HeaderValue::from_str(&image.content_type).map_err(|_| WebError::NotFound)?,
            base64::engine::general_purpose::STANDARD
                .decode(&image.data_base64)
                .map_err(|_| WebError::NotFound)?,
        ),
        // A portal without a favicon of its own gets one made from its title and colour.
        None if asset == "favicon" => (
            HeaderValue::from_static("image/svg+xml"),
            render::default_favicon(&site.settings).into_bytes(),
        ),
        None => return Err(WebError::NotFound),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            // The URL carries a version: a changed image gets a new URL.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            // An SVG opened on its own must not run scripts.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
            ),
        ],
        bytes,
    )
        .into_response())
}
