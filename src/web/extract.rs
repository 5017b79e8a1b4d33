//! What every portal request needs before its handler runs, as axum extractors: the portal's site for
//! the slug in the path (`SiteOf`), the signed-in customer (`SignedIn`, or `Option<SignedIn>` where a
//! visitor is welcome too), and for pages shown before sign-in the visitor's form token and cookie
//! (`Visitor`), and the client's address (`ClientAddress`). A handler that names one gets it or never runs: the refusal (not found, not available,
//! sign in first) is answered by `error_pages` like any other `WebError`.

use super::cache::KnownSession;
use super::security::{self, cookie, FORM_COOKIE, SESSION_COOKIE};
use super::site::Site;
use super::{App, WebError};
use crate::app::customer::{self, Customer};
use crate::site::render::{Frame, Viewer};
use crate::storage::sessions::new_token;
use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The portal's site for a request to `/{slug}/…`: not found under another slug, not available while
/// off. One request sees one snapshot of the settings, however many extractors ask.
pub(crate) struct SiteOf(pub Arc<Site>);

impl FromRequestParts<App> for SiteOf {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, WebError> {
        if let Some(site) = parts.extensions.get::<Arc<Site>>() {
            return Ok(SiteOf(site.clone()));
        }
        let Path(params) =
            <Path<HashMap<String, String>> as FromRequestParts<App>>::from_request_parts(
                parts, app,
            )
            .await
            .map_err(|_| WebError::NotFound)?;
        let slug = params.get("slug").ok_or(WebError::NotFound)?;
        let site = app.sites.get().await?;
        if &site.settings.slug != slug {
            return Err(WebError::NotFound);
        }
        if !site.settings.enabled {
            return Err(WebError::NotAvailable);
        }
        parts.extensions.insert(site.clone());
        Ok(SiteOf(site))
    }
}

/// A signed-in customer and the frame their pages carry (their name and the session's form token).
pub(crate) struct SignedIn {
    pub customer: Arc<Customer>,
    pub frame: Frame,
}

impl SignedIn {
    /// Whether a posted form carries this session's token.
    pub fn check_form(&self, token: &str) -> Result<(), WebError> {
        if security::same(&self.frame.csrf, token) {
            Ok(())
        } else {
            Err(WebError::FormExpired)
        }
    }
}

impl FromRequestParts<App> for SignedIn {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, WebError> {
        let SiteOf(site) = SiteOf::from_request_parts(parts, app).await?;
        let token = cookie(&parts.headers, SESSION_COOKIE)
            .ok_or(WebError::SignInRequired { expired: false })?;
        signed_in(app, &site, token).await
    }
}

/// The customer signed in with the session `token`, or sign in first (again, when it has ended).
async fn signed_in(app: &App, site: &Site, token: String) -> Result<SignedIn, WebError> {
    let idle_minutes = site.settings.idle_timeout_minutes;
    let verify = {
        let (app, token) = (app.clone(), token.clone());
        move |seen_here| async move { verify_session(&app, &token, idle_minutes, seen_here).await }
    };
    let version = app.data.current().await;
    let known = app
        .sessions
        .get_or_verify(&token, version, idle_minutes, verify)
        .await?
        .ok_or(WebError::SignInRequired { expired: true })?;
    let frame = Frame {
        viewer: Some(Viewer {
            name: known.customer.contact.display_name(),
            email: known.customer.contact.email.clone(),
        }),
        csrf: known.csrf,
    };
    Ok(SignedIn {
        customer: known.customer,
        frame,
    })
}

/// The frame of the customer whose session cookie is `token`, for pages answered outside a handler (a
/// page not found): the header keeps their name, the navigation and Sign out. A visitor's frame (nobody
/// shown as signed in) without a cookie or when the session cannot be verified.
pub(crate) async fn frame_of(app: &App, site: &Site, token: Option<String>) -> Frame {
    match token {
        Some(token) => signed_in(app, site, token)
            .await
            .map_or_else(|_| Frame::default(), |current| current.frame),
        None => Frame::default(),
    }
}

/// For pages open to visitors too: None when nobody is signed in or the session cannot be verified.
impl OptionalFromRequestParts<App> for SignedIn {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Option<Self>, Infallible> {
        Ok(
            <SignedIn as FromRequestParts<App>>::from_request_parts(parts, app)
                .await
                .ok(),
        )
    }
}

/// The session for `token` as the workspace has it, with its customer; None when it is unknown, ended
/// or idle too long (by the later of the workspace's record and `seen_here`, this server's own, which
/// it records in batches: `record_activity`), or its contact is gone.
async fn verify_session(
    app: &App,
    token: &str,
    idle_minutes: u32,
    seen_here: Option<i64>,
) -> Result<Option<KnownSession>, WebError> {
    let Some(session) = app
        .workspace
        .session(token, idle_minutes, seen_here)
        .await?
    else {
        return Ok(None);
    };
    let Some(customer) = customer::by_id(&app.workspace, &session.contact_id).await? else {
        return Ok(None);
    };
    Ok(Some(KnownSession {
        csrf: session.csrf_token,
        customer: Arc::new(customer),
        last_seen_at: session.last_seen_at,
    }))
}

/// A visitor who is not signed in: the frame for their pages, with a form token bound to their form
/// cookie, and that cookie to set when they arrived without one.
pub(crate) struct Visitor {
    pub frame: Frame,
    /// The form cookie the request carried.
    cookie: Option<String>,
    /// The new form cookie, when the request carried none.
    set_cookie: Option<HeaderValue>,
    app: App,
}

impl Visitor {
    /// Whether a posted form carries the token of the form cookie the browser sent.
    pub fn check_form(&self, token: &str) -> Result<(), WebError> {
        if self.app.forms.verify(self.cookie.as_deref(), token) {
            Ok(())
        } else {
            Err(WebError::FormExpired)
        }
    }

    /// `response`, setting the visitor's new form cookie if they had none (the token on the page is
    /// bound to it).
    pub fn keep(&self, mut response: Response) -> Response {
        if let Some(cookie) = &self.set_cookie {
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie.clone());
        }
        response
    }
}

impl FromRequestParts<App> for Visitor {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Infallible> {
        let existing = cookie(&parts.headers, FORM_COOKIE);
        let (value, set_cookie) = match &existing {
            Some(value) => (value.clone(), None),
            None => {
                let value = new_token();
                let set = security::set_cookie(FORM_COOKIE, &value);
                (value, Some(set))
            }
        };
        Ok(Visitor {
            frame: Frame {
                viewer: None,
                csrf: app.forms.token(&value),
            },
            cookie: existing,
            set_cookie,
            app: app.clone(),
        })
    }
}

/// The address of the client a request comes from: the peer's, or, when the peer is one of the
/// trusted reverse proxies (`ServerOptions::trusted_proxies`), the address its `X-Forwarded-For` names.
/// The per-address login limit counts by it.
pub(crate) struct ClientAddress(pub IpAddr);

impl FromRequestParts<App> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip())
            .unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED));
        Ok(ClientAddress(client_address(
            peer,
            &parts.headers,
            &app.trusted_proxies,
        )))
    }
}

/// `peer` itself unless it is a trusted proxy. From a trusted proxy: the right-most address of
/// `X-Forwarded-For` that is not a trusted proxy too (each proxy appends the address it received from;
/// what lies left of the first untrusted hop was written by the client and proves nothing), or the
/// peer when the header names no such address.
pub(crate) fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(address) if trusted.contains(&address) => continue,
            Ok(address) => return address,
            // A hop that is not an address cannot be trusted, nor can anything left of it.
            Err(_) => return peer,
        }
    }
    peer
}

#[cfg(test)]
mod tests {
    use super::client_address;
    use axum::http::HeaderMap;
    use std::net::IpAddr;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let headers = forwarded(&["203.0.113.7"]);
        assert_eq!(
            client_address(ip("198.51.100.1"), &headers, &[ip("127.0.0.1")]),
            ip("198.51.100.1")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &headers, &[]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_as_the_right_most_untrusted_hop() {
        let proxies = [ip("127.0.0.1"), ip("10.0.0.2")];
        // The client wrote 1.2.3.4 itself; the proxies appended what they saw.
        let headers = forwarded(&["1.2.3.4, 203.0.113.7", "10.0.0.2"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &headers, &proxies),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_trusted_proxy_without_a_usable_header_is_the_client() {
        let proxies = [ip("127.0.0.1")];
        assert_eq!(
            client_address(ip("127.0.0.1"), &HeaderMap::new(), &proxies),
            ip("127.0.0.1")
        );
        let garbled = forwarded(&["203.0.113.7, not-an-address"]);
        assert_eq!(
            client_address(ip("127.0.0.1"), &garbled, &proxies),
            ip("127.0.0.1")
        );
    }
}
