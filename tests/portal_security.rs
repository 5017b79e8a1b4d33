//! The portal's safety rules over real HTTP: other people's tickets and attachments look exactly like
//! missing ones, every POST needs its form token, values are escaped, sessions expire on the server,
//! repeated failed sign-ins are throttled, cookies are HttpOnly and SameSite, and nothing tells whether an
//! address has an account.

mod portal_support;

use portal::domain::model::{Attachment, Direction, Message, MessageType, Thread, Ticket};
use portal::web::{PortalServer, ServerOptions};
use portal_support::*;

#[tokio::test]
async fn another_contacts_ticket_answers_exactly_like_a_missing_one() {
    let portal = acme().await;
    // 1005 is Globex's (dan); ana is at Acme.
    let client = signed_in(&portal, "ana@acme.example").await;
    let (other_status, other) = get_text(&client, &portal.url("/1005")).await;
    let (missing_status, missing) = get_text(&client, &portal.url("/99999")).await;
    assert_eq!(other_status, 404);
    assert_eq!(missing_status, 404);
    assert_eq!(other, missing);
}

#[tokio::test]
async fn another_contacts_attachment_answers_exactly_like_a_missing_one() {
    let mut data = acme_data();
    // Give dan's ticket 1005 an attachment on its shown message.
    let thread = data
        .threads
        .iter_mut()
        .find(|thread| thread.ticket.as_deref() == Some("1005"))
        .unwrap();
    thread.messages[0].attachments.push(Attachment {
        id: 0,
        name: "secret.txt".into(),
        content_type: "text/plain".into(),
        size: 6,
        data: Some(b"secret".to_vec()),
    });
    let portal = start(data).await;
    let dan = signed_in(&portal, "dan@globex.example").await;
    let (_, page) = get_text(&dan, &portal.url("/1005")).await;
    let link = attribute_values(&page, "href")
        .into_iter()
        .find(|href| href.contains("/attachments/"))
        .expect("dan sees the attachment link");
    let (status, body) = get_text(&dan, &format!("{}{link}", portal.origin)).await;
    assert_eq!((status, body.as_str()), (200, "secret"));

    let ana = signed_in(&portal, "ana@acme.example").await;
    let (other_status, other) = get_text(&ana, &format!("{}{link}", portal.origin)).await;
    let (missing_status, missing) = get_text(&ana, &portal.url("/1005/attachments/987654")).await;
    assert_eq!((other_status, missing_status), (404, 404));
    assert_eq!(other, missing);
}

#[tokio::test]
async fn a_post_without_its_form_token_is_refused() {
    let portal = acme().await;
    // Sign-in form without a token.
    let stranger = client();
    let response = stranger
        .post(portal.url("/login"))
        .form(&[
            ("email", "ana@acme.example"),
            ("password", acme_password("ana@acme.example").as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(stranger
        .get(&portal.base)
        .send()
        .await
        .unwrap()
        .url()
        .path()
        .ends_with("/login"));

    // A signed-in reply with a wrong token changes nothing.
    let ana = signed_in(&portal, "ana@acme.example").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", "forged")
        .text("text", "should not arrive");
    let response = ana
        .post(portal.url("/1001/reply"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let (_, page) = get_text(&ana, &portal.url("/1001")).await;
    assert!(!page.contains("should not arrive"));

    // Sign out needs the token too.
    let response = ana
        .post(portal.url("/logout"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let (status, _) = get_text(&ana, &portal.base).await;
    assert_eq!(status, 200, "still signed in");

    // And the support form.
    let response = ana
        .post(portal.url("/new"))
        .form(&[("subject", "x"), ("content", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn values_are_html_escaped() {
    let mut data = acme_data();
    let payload = "<script>alert(1)</script>";
    data.tickets.push(Ticket {
        id: "2001".into(),
        subject: payload.into(),
        content: format!("content {payload}"),
        properties: Default::default(),
        contacts: vec!["ana".into()],
        companies: vec![],
        ..data.tickets[0].clone()
    });
    data.threads.push(Thread {
        id: "th-xss".into(),
        ticket: Some("2001".into()),
        channel: "support-mail".into(),
        created_at: data.tickets[0].created_at,
        messages: vec![Message {
            id: "m-xss".into(),
            message_type: MessageType::Message,
            direction: Direction::Incoming,
            from: "\"><img src=x onerror=alert(1)>".into(),
            text: payload.into(),
            created_at: data.tickets[0].created_at,
            attachments: vec![],
        }],
    });
    let portal = start(data).await;
    let ana = signed_in(&portal, "ana@acme.example").await;
    for url in [portal.base.clone(), portal.url("/2001")] {
        let (_, html) = get_text(&ana, &url).await;
        assert!(!html.contains(payload), "{url} carries raw script");
        assert!(
            !html.contains("<img src=x"),
            "{url} carries a raw attribute break-out"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{url}"
        );
    }
}

#[tokio::test]
async fn a_session_ended_elsewhere_is_refused_once_the_server_has_re_read_it() {
    // Pages keep being served from a verified session for a moment past the refresh interval while the
    // server re-reads it in the background; the re-read then ends it.
    let options = ServerOptions {
        refresh_interval: std::time::Duration::from_millis(100),
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    let ana = signed_in(&portal, "ana@acme.example").await;
    sqlx::query("DELETE FROM sessions")
        .execute(&portal.sql().await)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    // This page may still be served: it starts the re-read.
    let _ = ana.get(portal.url("/1001")).send().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let response = ana.get(portal.url("/1001")).send().await.unwrap();
    assert!(
        response.url().path().ends_with("/login"),
        "{}",
        response.url()
    );
}

/// Server options under which a session is re-checked against the workspace after 100 ms.
fn recheck_often() -> ServerOptions {
    // The server re-checks a session against the workspace at most once per `max_age` while nothing
    // changes, and serves a verified one at most `stale_grace` longer while it re-checks.
    ServerOptions {
        refresh_interval: std::time::Duration::from_millis(100),
        stale_grace: std::time::Duration::from_millis(100),
        max_age: std::time::Duration::from_millis(100),
        ..Default::default()
    }
}

#[tokio::test]
async fn an_idle_session_expires_on_the_server_and_redirects_to_sign_in() {
    let portal = start_with(acme_data(), recheck_often()).await;
    let ana = signed_in(&portal, "ana@acme.example").await;
    // Two hours of inactivity against the fixture's 60-minute timeout, as the workspace records it; the
    // server that answers next has not seen the session since (it was restarted).
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 7200000")
        .execute(&portal.sql().await)
        .await
        .unwrap();
    let restarted = PortalServer::start_with(
        portal.workspace.clone(),
        "127.0.0.1:0".parse().unwrap(),
        recheck_often(),
    )
    .await
    .unwrap();
    let response = ana
        .get(format!("{}/1001", restarted.url()))
        .send()
        .await
        .unwrap();
    assert!(
        response.url().path().ends_with("/login"),
        "{}",
        response.url()
    );
    assert_eq!(response.url().query(), Some("expired=1"));
    let html = response.text().await.unwrap();
    assert!(html.contains("Your session has ended"));
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
        .fetch_one(&portal.sql().await)
        .await
        .unwrap();
    assert_eq!(sessions, 0, "the expired session is deleted");
    restarted.shutdown().await;
}

#[tokio::test]
async fn a_session_in_use_is_kept_while_the_workspace_has_not_recorded_its_activity_yet() {
    // Activity is recorded in batches: here the workspace's record lags two hours behind the server,
    // which saw the session a moment ago, and re-checks it against the workspace.
    let portal = start_with(
        acme_data(),
        ServerOptions {
            activity_interval: std::time::Duration::from_secs(3600),
            ..recheck_often()
        },
    )
    .await;
    let ana = signed_in(&portal, "ana@acme.example").await;
    let (status, _) = get_text(&ana, &portal.url("/1001")).await;
    assert_eq!(status, 200);
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 7200000")
        .execute(&portal.sql().await)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    for _ in 0..3 {
        let response = ana.get(portal.url("/1001")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.url().path().ends_with("/1001"),
            "{}",
            response.url()
        );
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn a_new_password_ends_the_contacts_other_sessions_at_once() {
    let portal = acme().await;
    let ana = signed_in(&portal, "ana@acme.example").await;
    let (status, _) = get_text(&ana, &portal.url("/1001")).await;
    assert_eq!(
        status, 200,
        "the session is verified and kept by the server"
    );
    let visitor = client();
    let csrf = csrf_from(&visitor, &portal.url("/password-reset")).await;
    visitor
        .post(portal.url("/password-reset"))
        .form(&[("csrf", csrf.as_str()), ("email", "ana@acme.example")])
        .send()
        .await
        .unwrap();
    let body = &portal.outbox().await[0].body;
    let link = body
        .split_whitespace()
        .find(|word| word.starts_with("http"))
        .unwrap();
    let token = link.split("token=").nth(1).unwrap();
    let (_, page) = get_text(&visitor, link).await;
    visitor
        .post(portal.url("/password-reset/choose"))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("token", token),
            ("password", "a brand new secret"),
        ])
        .send()
        .await
        .unwrap();
    let response = ana.get(portal.url("/1001")).send().await.unwrap();
    assert!(
        response.url().path().ends_with("/login"),
        "{}",
        response.url()
    );
}

#[tokio::test]
async fn a_session_in_use_is_marked_active_in_the_workspace() {
    let options = ServerOptions {
        activity_interval: std::time::Duration::from_millis(100),
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    let ana = signed_in(&portal, "ana@acme.example").await;
    // As if the last page were ten minutes ago (within the 60-minute timeout).
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at - 600000")
        .execute(&portal.sql().await)
        .await
        .unwrap();
    let (status, _) = get_text(&ana, &portal.base).await;
    assert_eq!(status, 200);
    let recorded_now = || async {
        let last_seen: i64 = sqlx::query_scalar("SELECT last_seen_at FROM sessions")
            .fetch_one(&portal.sql().await)
            .await
            .unwrap();
        chrono::Utc::now().timestamp_millis() - last_seen < 60_000
    };
    let mut waited = 0;
    while !recorded_now().await {
        assert!(waited < 200, "the page's activity is recorded");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled() {
    let portal = acme().await;
    let client = client();
    for _ in 0..5 {
        let response = sign_in(&client, &portal, "ana@acme.example", "wrong password").await;
        assert_eq!(response.status(), 401);
    }
    // Now even the right password is refused for a while.
    let response = sign_in_with_bundle_password(&client, &portal, "ana@acme.example").await;
    assert_eq!(response.status(), 429);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Too many failed attempts"));
    // Other addresses are not affected.
    let other = client_signed_in_ok(&portal, "ben@acme.example").await;
    assert!(other);
}

async fn client_signed_in_ok(portal: &Portal, email: &str) -> bool {
    let client = client();
    sign_in_with_bundle_password(&client, portal, email)
        .await
        .status()
        == 200
}

#[tokio::test]
async fn cookies_are_http_only_and_same_site_lax() {
    let portal = acme().await;
    let client = manual_client();
    let response = client.get(portal.url("/login")).send().await.unwrap();
    let form_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let csrf = csrf_in(&response.text().await.unwrap());
    assert!(form_cookie.contains("HttpOnly") && form_cookie.contains("SameSite=Lax"));
    let response = client
        .post(portal.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "ana@acme.example"),
            ("password", acme_password("ana@acme.example").as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let session_cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(session_cookie.starts_with("portal_session="));
    assert!(session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"));
}

#[tokio::test]
async fn wrong_password_and_unknown_address_read_the_same() {
    let portal = acme().await;
    let client = client();
    let wrong = sign_in(&client, &portal, "ana@acme.example", "not her password").await;
    let unknown = sign_in(&client, &portal, "nobody@acme.example", "not her password").await;
    assert_eq!(wrong.status(), unknown.status());
    let wrong = wrong.text().await.unwrap();
    let unknown = unknown.text().await.unwrap();
    assert!(wrong.contains("The email address or password is not correct."));
    assert!(unknown.contains("The email address or password is not correct."));
}

#[tokio::test]
async fn password_reset_answers_the_same_for_unknown_addresses() {
    let portal = acme().await;
    let client = client();
    let mut pages = Vec::new();
    for email in [
        "ana@acme.example",
        "nobody@acme.example",
        "cara@acme.example",
    ] {
        let csrf = csrf_from(&client, &portal.url("/password-reset")).await;
        let response = client
            .post(portal.url("/password-reset"))
            .form(&[("csrf", csrf.as_str()), ("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        pages.push(response.text().await.unwrap().replace(email, "EMAIL"));
    }
    assert_eq!(pages[0], pages[1]);
    assert_eq!(pages[0], pages[2]);
    // Only the known contact who may sign in got an email.
    let outbox = portal.outbox().await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to_address, "ana@acme.example");
}

#[tokio::test]
async fn pages_forbid_scripts_by_content_security_policy() {
    let portal = acme().await;
    let response = client().get(portal.url("/login")).send().await.unwrap();
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(policy.contains("default-src 'none'"));
    assert!(!policy.contains("script-src"));
}

#[tokio::test]
async fn the_server_refuses_to_listen_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let workspace =
        portal::app::transfer::import(&dir.path().join("w.portal"), &Default::default(), false)
            .await
            .unwrap();
    let outcome = portal::web::PortalServer::start(workspace, "0.0.0.0:0".parse().unwrap()).await;
    assert!(matches!(
        outcome,
        Err(portal::web::ServerError::NotLoopback(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_guesses_are_counted_before_any_is_checked() {
    let portal = acme().await;
    let limit = ServerOptions::default().max_failed_logins;
    let password = acme_password("ana@acme.example");
    // 48 visitors, each with a form token, guess at once; one of them has the right password.
    let mut guesses = Vec::new();
    for n in 0..48 {
        let visitor = client();
        let csrf = csrf_from(&visitor, &portal.url("/login")).await;
        let guess = if n == 47 {
            password.clone()
        } else {
            format!("guess number {n}")
        };
        guesses.push((visitor, csrf, guess));
    }
    let url = portal.url("/login");
    let answers: Vec<_> = guesses
        .into_iter()
        .map(|(visitor, csrf, guess)| {
            let url = url.clone();
            tokio::spawn(async move {
                visitor
                    .post(&url)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("email", "ana@acme.example"),
                        ("password", guess.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut checked = 0;
    for answer in answers {
        if answer.await.unwrap() != 429 {
            checked += 1;
        }
    }
    assert!(
        checked <= limit,
        "{checked} of 48 simultaneous guesses were checked; at most {limit} may be"
    );
}

#[tokio::test]
async fn spraying_many_accounts_from_one_address_is_throttled() {
    let options = ServerOptions {
        max_failed_logins_per_origin: 6,
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    let sprayer = client();
    // One wrong guess for each of many addresses: no address reaches its own limit.
    for n in 0..6 {
        let response = sign_in(
            &sprayer,
            &portal,
            &format!("someone{n}@acme.example"),
            "Summer2025!",
        )
        .await;
        assert_eq!(response.status(), 401);
    }
    let response = sign_in_with_bundle_password(&sprayer, &portal, "ben@acme.example").await;
    assert_eq!(response.status(), 429, "the address of origin is throttled");
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Too many failed attempts"));
}

/// A client whose requests say they were forwarded for `address`.
fn forwarded_for(address: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", address.parse().unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap()
}

async fn spray(client: &reqwest::Client, portal: &Portal, guesses: usize) {
    for n in 0..guesses {
        let email = format!("someone{n}@acme.example");
        let response = sign_in(client, portal, &email, "Summer2025!").await;
        assert_eq!(response.status(), 401);
    }
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_address_limit() {
    let options = ServerOptions {
        max_failed_logins_per_origin: 6,
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    let sprayer = forwarded_for("203.0.113.7");
    spray(&sprayer, &portal, 6).await;
    let ben = sign_in_with_bundle_password(&sprayer, &portal, "ben@acme.example").await;
    assert_eq!(ben.status(), 429, "the sprayer's own address is throttled");
    // Another customer behind the same proxy is not.
    let customer = forwarded_for("198.51.100.9");
    let ben = sign_in_with_bundle_password(&customer, &portal, "ben@acme.example").await;
    assert_eq!(ben.status(), 200);
}

#[tokio::test]
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    let options = ServerOptions {
        max_failed_logins_per_origin: 6,
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    spray(&forwarded_for("203.0.113.7"), &portal, 6).await;
    // Claiming another address does not escape the limit of the address the requests come from.
    let other = forwarded_for("198.51.100.9");
    let ben = sign_in_with_bundle_password(&other, &portal, "ben@acme.example").await;
    assert_eq!(ben.status(), 429);
}

#[tokio::test]
async fn reset_emails_for_one_address_are_limited() {
    let portal = acme().await;
    let limit = portal::app::accounts::MAX_ACCOUNT_EMAILS_PER_WINDOW;
    let visitor = client();
    let mut pages = Vec::new();
    for _ in 0..limit + 3 {
        let csrf = csrf_from(&visitor, &portal.url("/password-reset")).await;
        let response = visitor
            .post(portal.url("/password-reset"))
            .form(&[("csrf", csrf.as_str()), ("email", "ana@acme.example")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        pages.push(response.text().await.unwrap());
    }
    assert!(
        pages.windows(2).all(|pair| pair[0] == pair[1]),
        "every request reads the same"
    );
    assert_eq!(portal.outbox().await.len(), limit);
}

#[tokio::test]
async fn unconfirmed_registrations_for_one_address_are_limited() {
    let portal = acme().await;
    set_setting(&portal, "access.mode", "self_registration").await;
    let limit = portal::app::accounts::MAX_ACCOUNT_EMAILS_PER_WINDOW;
    let visitor = client();
    for _ in 0..limit + 3 {
        let response = register(
            &visitor,
            &portal,
            "zoe@newco.example",
            "a long enough password",
        )
        .await;
        assert_eq!(response.status(), 200);
        assert!(response.text().await.unwrap().contains("Check your email"));
    }
    assert_eq!(portal.outbox().await.len(), limit);
}

// ---- Connections ----

#[tokio::test]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let options = ServerOptions {
        header_read_timeout: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    let mut connection = tokio::net::TcpStream::connect(portal.server.address())
        .await
        .unwrap();
    connection
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: portal\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        connection.read_to_end(&mut answer),
    )
    .await;
    assert!(
        matches!(closed, Ok(Ok(_)) | Ok(Err(_))),
        "the server closes a connection whose headers never end"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundreds_of_idle_connections_do_not_keep_a_real_request_out() {
    use tokio::io::AsyncWriteExt;
    let options = ServerOptions {
        header_read_timeout: std::time::Duration::from_secs(1),
        max_connections: 64,
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    let mut idle = Vec::new();
    for n in 0..300 {
        let mut connection = tokio::net::TcpStream::connect(portal.server.address())
            .await
            .unwrap();
        if n % 2 == 0 {
            connection.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        }
        idle.push(connection);
    }
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        client().get(format!("{}/healthz", portal.origin)).send(),
    )
    .await
    .expect("the request is served while the idle connections are still open")
    .unwrap();
    assert_eq!(answer.status(), 200);
    drop(idle);
}

#[tokio::test]
async fn connections_past_the_limit_wait_for_a_free_place() {
    let options = ServerOptions {
        max_connections: 4,
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(
            tokio::net::TcpStream::connect(portal.server.address())
                .await
                .unwrap(),
        );
    }
    let url = format!("{}/healthz", portal.origin);
    let waiting = tokio::spawn(async move { client().get(url).send().await.unwrap().status() });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "a fifth connection is not served");
    idle.pop();
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), waiting)
        .await
        .expect("served once a place is free")
        .unwrap();
    assert_eq!(status, 200);
}

/// Sends a sign-in form's headers announcing `length` bytes of body, then `send` (the start of it), and
/// returns the connection.
async fn post_headers_then(portal: &Portal, length: usize, send: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut connection = tokio::net::TcpStream::connect(portal.server.address())
        .await
        .unwrap();
    let head = format!(
        "POST /tickets/login HTTP/1.1\r\nHost: portal\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    );
    connection.write_all(head.as_bytes()).await.unwrap();
    connection.write_all(send).await.unwrap();
    connection
}

/// Everything the server sends until it closes the connection; None if it keeps it open past a
/// generous limit.
async fn answer_until_closed(
    connection: &mut (impl tokio::io::AsyncRead + Unpin),
) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        connection.read_to_end(&mut answer),
    )
    .await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test]
async fn a_body_that_never_arrives_is_answered_408_and_the_connection_closed() {
    let options = ServerOptions {
        body_read_timeout: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    let mut connection = post_headers_then(&portal, 1000, b"email=ana").await;
    let answer = answer_until_closed(&mut connection)
        .await
        .expect("the server closes a connection whose body never arrives");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn a_trickled_body_is_cut_off_at_the_deadline_however_steadily_it_trickles() {
    use tokio::io::AsyncWriteExt;
    let options = ServerOptions {
        body_read_timeout: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    let connection = post_headers_then(&portal, 100_000, b"email=").await;
    let (mut reading, mut writing) = connection.into_split();
    // A byte every 100 ms: never idle for long, so only a deadline for the whole body stops it.
    let trickle = tokio::spawn(async move {
        while writing.write_all(b"a").await.is_ok() {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    });
    let answer = answer_until_closed(&mut reading).await;
    trickle.abort();
    let answer = answer.expect("the server closes a connection that trickles its body");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}
