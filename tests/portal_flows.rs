//! Every customer flow of the portal over real HTTP (spec sections 2, 5 and 6): signing in and out,
//! registration, invitations, password reset, single sign-on, the ticket list's filters, replies with
//! attachments, the support form, the header and branding, languages, templates and the off switch.

mod portal_support;

use portal::domain::model::{Contact, Ticket};
use portal::web::ServerOptions;
use portal_support::*;

fn link_in(body: &str) -> String {
    body.split_whitespace()
        .find(|word| word.starts_with("http"))
        .expect("the email has a link")
        .to_string()
}

/// The same link on this test's server (emails written by the server already point at it).
fn local(portal: &Portal, link: &str) -> String {
    let path = &link[link.find("/tickets").expect("a portal link")..];
    format!("{}{path}", portal.origin)
}

/// The acme portal and a client signed in as `email`.
async fn acme_signed_in(email: &str) -> (Portal, reqwest::Client) {
    let portal = acme().await;
    let client = signed_in(&portal, email).await;
    (portal, client)
}

/// Asks for a password reset for `email` through the form, as `visitor`.
async fn request_reset(
    visitor: &reqwest::Client,
    portal: &Portal,
    email: &str,
) -> reqwest::Response {
    let csrf = csrf_from(visitor, &portal.url("/password-reset")).await;
    visitor
        .post(portal.url("/password-reset"))
        .form(&[("csrf", csrf.as_str()), ("email", email)])
        .send()
        .await
        .unwrap()
}

/// The stage of ticket `id` as stored.
async fn stage_of(portal: &Portal, id: &str) -> String {
    portal.workspace.ticket(id).await.unwrap().unwrap().stage
}

/// The record of ticket `id` in `data`, to change before the portal starts.
fn ticket_in<'a>(data: &'a mut portal::domain::model::WorkspaceData, id: &str) -> &'a mut Ticket {
    data.tickets
        .iter_mut()
        .find(|ticket| ticket.id == id)
        .unwrap()
}

async fn post_reply(
    client: &reqwest::Client,
    portal: &Portal,
    ticket: &str,
    text: &str,
    file: Option<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let csrf = csrf_from(client, &portal.url(&format!("/{ticket}"))).await;
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("text", text.to_string());
    if let Some((name, bytes)) = file {
        form = form.part(
            "attachment",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_string())
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    }
    client
        .post(portal.url(&format!("/{ticket}/reply")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

// ---- Signing in and out ----

#[tokio::test]
async fn sign_out_ends_the_session() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let (_, list) = get_text(&ana, &portal.base).await;
    assert!(list.contains("Sign out"));
    let csrf = csrf_in(&list);
    let response = ana
        .post(portal.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("You are signed out"));
    let after = ana.get(&portal.base).send().await.unwrap();
    assert!(after.url().path().ends_with("/login"));
}

#[tokio::test]
async fn register_here_is_offered_only_with_self_registration() {
    let portal = acme().await;
    let visitor = client();
    let (_, login) = get_text(&visitor, &portal.url("/login")).await;
    assert!(!login.contains("Register here"));
    let (status, page) = get_text(&visitor, &portal.url("/register")).await;
    assert_eq!(status, 403);
    assert!(page.contains("Access denied"));

    set_setting(&portal, "access.mode", "self_registration").await;
    let (_, login) = get_text(&visitor, &portal.url("/login")).await;
    assert!(login.contains("Register here"));
    let (status, page) = get_text(&visitor, &portal.url("/register")).await;
    assert_eq!(status, 200);
    assert!(page.contains("We use your data only to answer your support requests."));
    assert!(page.contains("I agree to the processing of my data"));
    assert!(page.contains("type=\"checkbox\" name=\"consent\""));
}

#[tokio::test]
async fn self_registration_needs_consent_and_a_confirmed_email() {
    let portal = acme().await;
    set_setting(&portal, "access.mode", "self_registration").await;
    let visitor = client();
    let register = |consent: bool| {
        let visitor = visitor.clone();
        let url = portal.url("/register");
        async move {
            let csrf = csrf_from(&visitor, &url).await;
            let mut form = vec![
                ("csrf", csrf),
                ("email", "zoe@newco.example".to_string()),
                ("password", "a long enough password".to_string()),
            ];
            if consent {
                form.push(("consent", "yes".to_string()));
            }
            visitor.post(&url).form(&form).send().await.unwrap()
        }
    };
    let refused = register(false).await;
    assert_eq!(refused.status(), 400);
    let page = refused.text().await.unwrap();
    assert!(page.contains("Please tick the box"));
    assert!(
        page.contains("zoe@newco.example"),
        "the typed address is kept"
    );
    assert!(portal.outbox().await.is_empty());

    let accepted = register(true).await;
    assert_eq!(accepted.status(), 200);
    assert!(accepted.text().await.unwrap().contains("Check your email"));
    let outbox = portal.outbox().await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to_address, "zoe@newco.example");
    // Not signed in before the address is confirmed.
    let (_, denied) = get_text(&visitor, &portal.base).await;
    assert!(denied.contains("name=\"password\""));

    let confirmed = visitor
        .get(local(&portal, &link_in(&outbox[0].body)))
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.url().as_str(), portal.base);
    assert!(confirmed.text().await.unwrap().contains("No tickets yet."));
    // The chosen password works from now on.
    let again = client();
    let response = sign_in(
        &again,
        &portal,
        "zoe@newco.example",
        "a long enough password",
    )
    .await;
    assert_eq!(response.url().as_str(), portal.base);
}

#[tokio::test]
async fn registering_a_registered_address_changes_nothing_and_reads_the_same() {
    let portal = acme().await;
    set_setting(&portal, "access.mode", "self_registration").await;
    let visitor = client();
    let response = register(&visitor, &portal, "ana@acme.example", "attacker password 1").await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("Check your email"));
    let outbox = portal.outbox().await;
    assert_eq!(outbox.len(), 1);
    assert!(outbox[0].body.contains("already have an account"));
    // Ana's password is unchanged.
    signed_in(&portal, "ana@acme.example").await;
}

#[tokio::test]
async fn saving_lists_mode_invites_listed_contacts_without_a_login() {
    let mut data = acme_data();
    data.contacts.push(Contact {
        id: "fay".into(),
        email: "fay@acme.example".into(),
        first_name: "Fay".into(),
        last_name: "Holm".into(),
        company: Some("acme".into()),
        lists: vec!["customers".into()],
        ..Contact::default()
    });
    let portal = start(data).await;
    assert!(portal.outbox().await.is_empty());
    set_setting(&portal, "page_title", "Acme Help").await;
    let outbox = portal.outbox().await;
    assert_eq!(outbox.len(), 1, "only fay is listed and has no login");
    assert_eq!(outbox[0].kind, "invitation");
    assert_eq!(outbox[0].to_address, "fay@acme.example");
    // Saving again does not invite twice.
    set_setting(&portal, "page_title", "Acme Support").await;
    assert_eq!(portal.outbox().await.len(), 1);

    let fay = client();
    let link = local(&portal, &link_in(&outbox[0].body));
    let (status, page) = get_text(&fay, &link).await;
    assert_eq!(status, 200);
    assert!(page.contains("Choose your password"));
    let csrf = csrf_in(&page);
    let token = link.split("token=").nth(1).unwrap().to_string();
    let response = fay
        .post(portal.url("/welcome"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("token", token.as_str()),
            ("password", "fay's new password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().as_str(), portal.base);
    let html = response.text().await.unwrap();
    assert!(
        ticket_ids(&html).contains(&"1007".to_string()),
        "fay sees Acme's tickets"
    );
    // The link worked once.
    let (status, page) = get_text(&client(), &link).await;
    assert_eq!(status, 400);
    assert!(page.contains("This link cannot be used"));
}

#[tokio::test]
async fn a_contact_on_two_of_the_portals_lists_is_invited_once() {
    let mut data = acme_data();
    data.settings.access.lists = vec!["customers".into(), "partners".into()];
    data.contacts.push(Contact {
        id: "fay".into(),
        email: "fay@acme.example".into(),
        first_name: "Fay".into(),
        last_name: "Holm".into(),
        company: Some("acme".into()),
        lists: vec!["customers".into(), "partners".into()],
        ..Contact::default()
    });
    let portal = start(data).await;
    set_setting(&portal, "page_title", "Acme Help").await;
    let to_fay = |outbox: Vec<portal::storage::outbox::OutboxEmail>| {
        outbox
            .iter()
            .filter(|email| email.to_address == "fay@acme.example")
            .count()
    };
    assert_eq!(to_fay(portal.outbox().await), 1);
    set_setting(&portal, "page_title", "Acme Support").await;
    assert_eq!(
        to_fay(portal.outbox().await),
        1,
        "an open invitation is not sent again"
    );
}

/// More listed contacts than one batch of inserts holds, so the invitations span several statements.
const MANY_LISTED: usize = 600;

#[tokio::test]
async fn every_listed_contact_without_a_login_gets_exactly_one_invitation_of_their_own() {
    use portal::app::accounts::link_email;
    use portal::storage::tokens::TokenPurpose;
    let mut data = acme_data();
    data.settings.access.lists = vec!["customers".into(), "partners".into()];
    let guest = |n: usize, lists: &[&str]| Contact {
        id: format!("guest{n}"),
        email: format!("guest{n}@acme.example"),
        first_name: format!("Guest{n}"),
        last_name: "Holm".into(),
        company: Some("acme".into()),
        lists: lists.iter().map(|list| list.to_string()).collect(),
        ..Contact::default()
    };
    let mut expected = std::collections::BTreeSet::new();
    for n in 0..MANY_LISTED {
        let lists: &[&str] = match n % 3 {
            0 => &["customers"],
            1 => &["partners", "customers"],
            _ => &["partners"],
        };
        data.contacts.push(guest(n, lists));
        expected.insert(format!("guest{n}@acme.example"));
    }
    // Neither on one of the portal's lists nor on any list: not invited.
    data.contacts.push(guest(MANY_LISTED, &["newsletter"]));
    data.contacts.push(guest(MANY_LISTED + 1, &[]));
    let portal = start(data).await;
    set_setting(&portal, "page_title", "Acme Help").await;
    let outbox = portal.outbox().await;
    let invited: Vec<&str> = outbox
        .iter()
        .filter(|email| email.kind == "invitation")
        .map(|email| email.to_address.as_str())
        .collect();
    assert_eq!(invited.len(), MANY_LISTED, "one invitation each");
    let invited_set: std::collections::BTreeSet<String> =
        invited.iter().map(|address| address.to_string()).collect();
    assert_eq!(invited_set, expected);
    // Each link opens the invitation of the contact it was sent to.
    for email in &outbox {
        let link = link_in(&email.body);
        let token = link.split("token=").nth(1).unwrap();
        let address = link_email(&portal.workspace, token, TokenPurpose::Invitation)
            .await
            .unwrap();
        assert_eq!(address, email.to_address);
    }
}

#[tokio::test]
async fn a_password_reset_link_sets_a_new_password_once() {
    let portal = acme().await;
    let visitor = client();
    request_reset(&visitor, &portal, "ana@acme.example").await;
    let outbox = portal.outbox().await;
    assert_eq!(outbox[0].kind, "password_reset");
    let link = local(&portal, &link_in(&outbox[0].body));
    let (status, page) = get_text(&visitor, &link).await;
    assert_eq!(status, 200);
    let token = link.split("token=").nth(1).unwrap().to_string();
    let response = visitor
        .post(portal.url("/password-reset/choose"))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("token", token.as_str()),
            ("password", "a brand new secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().as_str(), portal.base);
    let old = sign_in_with_bundle_password(&client(), &portal, "ana@acme.example").await;
    assert_eq!(old.status(), 401);
    let new = sign_in(&client(), &portal, "ana@acme.example", "a brand new secret").await;
    assert_eq!(new.status(), 200);
    let (status, _) = get_text(&client(), &link).await;
    assert_eq!(status, 400, "the link is single-use");
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let portal = acme().await;
    let visitor = client();
    request_reset(&visitor, &portal, "ana@acme.example").await;
    sqlx::query("UPDATE account_tokens SET expires_at = 0")
        .execute(&portal.sql().await)
        .await
        .unwrap();
    let link = local(&portal, &link_in(&portal.outbox().await[0].body));
    let (status, page) = get_text(&visitor, &link).await;
    assert_eq!(status, 400);
    assert!(page.contains("This link cannot be used"));
}

// ---- Single sign-on ----

const SECRET: &str = "a shared secret of enough length";

fn claims(email: &str, audience: &str, expires_in: i64) -> serde_json::Value {
    serde_json::json!({
        "email": email,
        "iss": "https://idp.acme.example",
        "aud": audience,
        "exp": chrono::Utc::now().timestamp() + expires_in,
    })
}

fn hs256(claims: &serde_json::Value, secret: &str) -> String {
    use jsonwebtoken::{encode, EncodingKey, Header};
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn configure_jwt(portal: &Portal, algorithm: &str, key_field: &str, key: &str, mode: &str) {
    let sso = serde_json::json!({
        "type": "jwt",
        "algorithm": algorithm,
        key_field: key,
        "issuer": "https://idp.acme.example",
        "audience": "acme-portal",
        "email_claim": "email",
    });
    set_setting(portal, "sso", &sso.to_string()).await;
    set_setting(portal, "access.mode", mode).await;
}

#[tokio::test]
async fn sso_signs_in_with_an_hs256_jwt_and_refuses_bad_tokens() {
    let portal = acme().await;
    configure_jwt(&portal, "HS256", "secret", SECRET, "sso_all").await;
    let (_, login) = get_text(&client(), &portal.url("/login")).await;
    assert!(login.contains("single sign-on"));
    assert!(!login.contains("name=\"password\""));

    for (token, why) in [
        (
            hs256(
                &claims("ana@acme.example", "acme-portal", 300),
                "another secret entirely",
            ),
            "wrong signature",
        ),
        (
            hs256(&claims("ana@acme.example", "acme-portal", -3600), SECRET),
            "expired",
        ),
        (
            hs256(&claims("ana@acme.example", "someone-else", 300), SECRET),
            "wrong audience",
        ),
        ("not.a.jwt".to_string(), "garbage"),
    ] {
        let visitor = client();
        let response = visitor
            .get(portal.url(&format!("/sso?jwt={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{why}");
        let after = visitor.get(&portal.base).send().await.unwrap();
        assert!(after.url().path().ends_with("/login"), "{why}: no session");
    }

    let ana = client();
    let token = hs256(&claims("ana@acme.example", "acme-portal", 300), SECRET);
    let response = ana
        .get(portal.url(&format!("/sso?jwt={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().as_str(), portal.base);
    let html = response.text().await.unwrap();
    assert_eq!(ticket_ids(&html), ["1007", "1001", "1008", "1003"]);
}

#[tokio::test]
async fn sso_signs_in_with_an_rs256_jwt() {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    let portal = acme().await;
    let public = include_str!("portal_support/jwt_test_public.pem");
    let private = include_str!("portal_support/jwt_test_private.pem");
    configure_jwt(&portal, "RS256", "public_key", public, "sso_all").await;
    let token = encode(
        &Header::new(Algorithm::RS256),
        &claims("dan@globex.example", "acme-portal", 300),
        &EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
    )
    .unwrap();
    let dan = client();
    let response = dan
        .get(portal.url(&format!("/sso?jwt={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().as_str(), portal.base);
    assert_eq!(ticket_ids(&response.text().await.unwrap()), ["1005"]);
    // An HS256 token (signed with the public key as secret) is not accepted by an RS256 portal.
    let forged = hs256(&claims("dan@globex.example", "acme-portal", 300), public);
    let response = client()
        .get(portal.url(&format!("/sso?jwt={forged}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn sso_lists_denies_contacts_outside_the_lists() {
    let portal = acme().await;
    configure_jwt(&portal, "HS256", "secret", SECRET, "sso_lists").await;
    let token = hs256(&claims("cara@acme.example", "acme-portal", 300), SECRET);
    let response = client()
        .get(portal.url(&format!("/sso?jwt={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.text().await.unwrap().contains("Access denied"));
}

#[tokio::test]
async fn saml_sign_in_says_it_is_not_yet_supported() {
    // A SAML portal cannot be enabled (the checklist says SAML is not yet supported), so this is what its
    // login page would show: rendered as the designer previews it.
    let data = acme_data();
    let mut settings = data.settings.clone();
    settings.enabled = false;
    settings.access.mode = portal::domain::settings::AccessMode::SsoAll;
    settings.sso = Some(portal::domain::settings::SsoConfiguration::Saml {
        entity_id: "https://idp.acme.example".into(),
        sso_url: "https://idp.acme.example/sso".into(),
        certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----".into(),
    });
    let preview = portal::site::render::render_preview(
        &settings,
        &data.catalog(),
        portal::site::PageKind::Login,
    );
    assert!(preview
        .html
        .contains("Sign-in with SAML is not yet supported"));
    assert!(!preview.html.contains("name=\"password\""));
    let checklist = portal::domain::settings::checklist(&settings, &data.catalog());
    assert!(checklist
        .iter()
        .any(|item| item.message.contains("SAML sign-in is not yet supported")));
}

// ---- The ticket list ----

#[tokio::test]
async fn the_list_filters_by_status_searches_and_sorts() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let ids = |query: &'static str| {
        let ana = ana.clone();
        let url = portal.url(query);
        async move { ticket_ids(&get_text(&ana, &url).await.1) }
    };
    assert_eq!(ids("?status=open").await, ["1007", "1001", "1008"]);
    assert_eq!(ids("?status=closed").await, ["1003"]);
    assert_eq!(ids("?status=all").await, ["1007", "1001", "1008", "1003"]);
    assert_eq!(ids("?q=1003").await, ["1003"]);
    let data = acme_data();
    let subject = &data
        .tickets
        .iter()
        .find(|t| t.id == "1008")
        .unwrap()
        .subject;
    let word = subject.split_whitespace().next().unwrap().to_lowercase();
    let found = ticket_ids(&get_text(&ana, &portal.url(&format!("?q={word}"))).await.1);
    assert!(found.contains(&"1008".to_string()), "search {word}");
    // Newest created first.
    let mut by_created: Vec<&Ticket> = data
        .tickets
        .iter()
        .filter(|t| ["1007", "1001", "1008", "1003"].contains(&t.id.as_str()))
        .collect();
    by_created.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    let expected: Vec<String> = by_created.iter().map(|t| t.id.clone()).collect();
    assert_eq!(ids("?sort=created").await, expected);
    // The filters keep the view.
    assert_eq!(ids("?view=mine&status=open").await, ["1001"]);
}

#[tokio::test]
async fn long_lists_are_paged() {
    let mut data = acme_data();
    let template = data
        .tickets
        .iter()
        .find(|t| t.id == "1006")
        .unwrap()
        .clone();
    for number in 0..30 {
        data.tickets.push(Ticket {
            id: format!("3{number:03}"),
            subject: format!("Generated {number}"),
            last_activity_at: template.last_activity_at + chrono::Duration::minutes(number + 1),
            ..template.clone()
        });
    }
    let portal = start(data).await;
    let eve = signed_in(&portal, "eve@freelance.example").await;
    let (_, first) = get_text(&eve, &portal.base).await;
    assert_eq!(ticket_ids(&first).len(), 25);
    assert_eq!(ticket_ids(&first)[0], "3029");
    assert!(first.contains("Page 1 of 2"));
    let next = attribute_values(&first, "href")
        .into_iter()
        .find(|href| href.contains("page=2"))
        .expect("a next link");
    let (_, second) = get_text(&eve, &format!("{}{next}", portal.origin)).await;
    assert_eq!(ticket_ids(&second).len(), 6);
    assert_eq!(ticket_ids(&second).last().unwrap(), "1006");
}

// ---- Replies ----

#[tokio::test]
async fn a_reply_joins_the_shown_thread_and_is_recorded_everywhere() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let (_, before) = get_text(&ana, &portal.url("/1001")).await;
    let before_ids = message_ids(&before);
    let response = post_reply(
        &ana,
        &portal,
        "1001",
        "The printer works again, thanks!",
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert!(response.url().as_str().contains("/tickets/1001"));
    let page = response.text().await.unwrap();
    let after_ids = message_ids(&page);
    assert_eq!(after_ids.len(), before_ids.len() + 1);
    assert_eq!(after_ids[..before_ids.len()], before_ids[..]);
    assert!(page.contains("The printer works again, thanks!"));
    assert!(page.contains("Your reply was sent."));
    // Shown thread th-2 got it.
    let threads = portal.workspace.threads_of_ticket("1001").await.unwrap();
    let th2 = threads.iter().find(|thread| thread.id == "th-2").unwrap();
    assert_eq!(&th2.messages.last().unwrap().id, after_ids.last().unwrap());
    // Last activity: 1001 now leads the list.
    let (_, list) = get_text(&ana, &portal.base).await;
    assert_eq!(ticket_ids(&list)[0], "1001");
    // Timeline and agents' notification.
    let timeline = portal.workspace.ticket_timeline("1001").await.unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].contact_id, "ana");
    let outbox = portal.outbox().await;
    assert_eq!(outbox[0].kind, "reply_notification");
    assert_eq!(outbox[0].to_address, "support@acme-support.example");
    assert!(outbox[0].body.contains("The printer works again"));
}

/// Ana sends `count` replies on `ticket` at the same time, through the engine; each must be
/// acknowledged, and every one of them must then be on the ticket's page.
async fn race_replies(portal: &Portal, ticket: &'static str, count: usize) {
    let settings = portal.workspace.settings().await.unwrap();
    let catalog = portal.workspace.catalog().await.unwrap();
    let ana = portal
        .workspace
        .contact_by_email("ana@acme.example")
        .await
        .unwrap()
        .unwrap();
    let replies: Vec<_> = (0..count)
        .map(|n| {
            let (workspace, settings, catalog, ana) = (
                portal.workspace.clone(),
                settings.clone(),
                catalog.clone(),
                ana.clone(),
            );
            tokio::spawn(async move {
                portal::app::conversations::reply(
                    &workspace,
                    &settings,
                    &catalog,
                    &portal::app::conversations::AttachmentPolicy::default(),
                    &ana,
                    ticket,
                    portal::app::conversations::NewReply {
                        text: format!("reply number {n}"),
                        upload: None,
                    },
                )
                .await
            })
        })
        .collect();
    for reply in replies {
        reply
            .await
            .expect("the task ran")
            .expect("the reply landed");
    }
    let client = signed_in(portal, "ana@acme.example").await;
    let (_, page) = get_text(&client, &portal.url(&format!("/{ticket}"))).await;
    for n in 0..count {
        assert!(
            page.contains(&format!("reply number {n}<")),
            "reply {n} is shown"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replies_sent_at_the_same_time_all_land() {
    // Each write takes the write lock up front, so writers that start together queue for it instead of
    // failing with "database is locked" (a deferred transaction that read first cannot upgrade once
    // another writer committed).
    let portal = acme().await;
    race_replies(&portal, "1001", 16).await;
}

#[tokio::test]
async fn what_customers_are_shown_moves_the_data_version_and_their_activity_does_not() {
    // Portal servers keep sessions and ticket reads until the data version moves, so every change a
    // customer could see must move it, whichever process writes, and mere activity must not (else
    // every page of every customer would be read again all the time).
    let portal = acme().await;
    let start = portal.workspace.data_version().await.unwrap();
    let ana = signed_in(&portal, "ana@acme.example").await;
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at + 60000")
        .execute(&portal.sql().await)
        .await
        .unwrap();
    assert_eq!(portal.workspace.data_version().await.unwrap(), start);

    post_reply(&ana, &portal, "1001", "Any news?", None).await;
    let replied = portal.workspace.data_version().await.unwrap();
    assert!(
        replied > start,
        "a reply changes the ticket's last activity"
    );

    sqlx::query("UPDATE contacts SET first_name = 'Anna' WHERE email = 'ana@acme.example'")
        .execute(&portal.sql().await)
        .await
        .unwrap();
    let renamed = portal.workspace.data_version().await.unwrap();
    assert!(renamed > replied, "a contact changed by another process");

    sqlx::query("DELETE FROM sessions")
        .execute(&portal.sql().await)
        .await
        .unwrap();
    let signed_out = portal.workspace.data_version().await.unwrap();
    assert!(signed_out > renamed, "sessions ended elsewhere");

    let count_triggers = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
            .fetch_one(&portal.sql().await)
            .await
            .unwrap()
    };
    let triggers_before = count_triggers().await;
    assert!(
        triggers_before >= 20,
        "every table customers' pages read has its triggers"
    );
    portal
        .workspace
        .replace_all(&acme_data(), &[])
        .await
        .unwrap();
    let imported = portal.workspace.data_version().await.unwrap();
    assert!(imported > signed_out, "a bulk write moves it once");
    assert_eq!(
        count_triggers().await,
        triggers_before,
        "a bulk write puts back the triggers it set aside"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_first_replies_start_exactly_one_thread() {
    // 1007 has no thread: the first reply starts one, and every reply racing it joins that thread
    // (a reply in a second thread would be acknowledged but never shown).
    let portal = acme().await;
    race_replies(&portal, "1007", 16).await;
    let threads = portal.workspace.threads_of_ticket("1007").await.unwrap();
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0].messages.len(), 16);
}

#[tokio::test]
async fn a_reply_on_a_ticket_without_a_thread_starts_one_in_the_default_inbox() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let (_, before) = get_text(&ana, &portal.url("/1007")).await;
    assert!(message_ids(&before).is_empty());
    let response = post_reply(&ana, &portal, "1007", "Any news on this?", None).await;
    let page = response.text().await.unwrap();
    assert_eq!(message_ids(&page).len(), 1);
    assert!(page.contains("Any news on this?"));
    let threads = portal.workspace.threads_of_ticket("1007").await.unwrap();
    let catalog = portal.workspace.catalog().await.unwrap();
    let new = threads
        .iter()
        .find(|thread| thread.messages.len() == 1)
        .unwrap();
    assert_eq!(
        catalog.channel(&new.channel).unwrap().inbox.as_deref(),
        Some("help"),
        "the default inbox"
    );
}

#[tokio::test]
async fn closed_tickets_are_read_only() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let (_, page) = get_text(&ana, &portal.url("/1003")).await;
    assert!(!page.contains("name=\"text\""), "no reply box");
    assert!(page.contains("This ticket is closed."));
    let csrf = session_csrf(&ana, &portal).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text("text", "reopen please");
    let response = ana
        .post(portal.url("/1003/reply"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let threads = portal.workspace.threads_of_ticket("1003").await.unwrap();
    assert!(threads
        .iter()
        .flat_map(|thread| &thread.messages)
        .all(|message| message.text != "reopen please"));
}

#[tokio::test]
async fn an_attached_file_can_be_downloaded_from_the_reply() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let response = post_reply(
        &ana,
        &portal,
        "1001",
        "Log attached.",
        Some(("printer-log.txt", b"paper jam at 09:14".to_vec())),
    )
    .await;
    let page = response.text().await.unwrap();
    assert!(page.contains("printer-log.txt"));
    let link = attribute_values(&page, "href")
        .into_iter()
        .find(|href| href.contains("/attachments/"))
        .unwrap();
    let download = ana
        .get(format!("{}{link}", portal.origin))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert!(download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        b"paper jam at 09:14"
    );
}

#[tokio::test]
async fn a_blocked_attachment_is_refused_and_the_typed_text_kept() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let response = post_reply(
        &ana,
        &portal,
        "1001",
        "Here is the tool",
        Some(("fix.exe", vec![0x4d, 0x5a])),
    )
    .await;
    assert_eq!(response.status(), 415);
    let page = response.text().await.unwrap();
    assert!(page.contains("cannot be attached"));
    assert!(page.contains(">Here is the tool</textarea>"));
    assert!(portal
        .workspace
        .ticket_timeline("1001")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_too_large_attachment_is_refused_and_the_typed_text_kept() {
    let options = ServerOptions {
        attachments: portal::app::conversations::AttachmentPolicy {
            max_bytes: 1024,
            ..Default::default()
        },
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    let ana = signed_in(&portal, "ana@acme.example").await;
    let response = post_reply(
        &ana,
        &portal,
        "1001",
        "Big log",
        Some(("big.log", vec![b'x'; 8 * 1024])),
    )
    .await;
    assert_eq!(response.status(), 413);
    let page = response.text().await.unwrap();
    assert!(page.contains("The attachment is too large"));
    assert!(page.contains(">Big log</textarea>"));
    assert!(portal
        .workspace
        .ticket_timeline("1001")
        .await
        .unwrap()
        .is_empty());
}

// ---- The support form ----

#[tokio::test]
async fn the_support_form_creates_a_ticket_and_lands_on_it() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let (_, list) = get_text(&ana, &portal.base).await;
    assert!(list.contains(">Submit a support ticket</a>"));
    let (status, form) = get_text(&ana, &portal.url("/new")).await;
    assert_eq!(status, 200);
    assert!(form.contains("Describe the problem"));
    let response = ana
        .post(portal.url("/new"))
        .form(&[
            ("csrf", csrf_in(&form).as_str()),
            ("subject", "Scanner jams"),
            ("content", "Every second page jams."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let ticket_id = response
        .url()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let page = response.text().await.unwrap();
    assert!(page.contains("Scanner jams"));
    assert!(page.contains("Every second page jams."));
    assert_eq!(message_ids(&page).len(), 1);

    let ticket = portal.workspace.ticket(&ticket_id).await.unwrap().unwrap();
    assert_eq!(
        (ticket.pipeline.as_str(), ticket.stage.as_str()),
        ("support", "new")
    );
    assert_eq!(ticket.contacts, ["ana"]);
    assert_eq!(ticket.companies, ["acme"]);
    let threads = portal
        .workspace
        .threads_of_ticket(&ticket_id)
        .await
        .unwrap();
    assert_eq!(threads.len(), 1);
    assert_eq!(
        threads[0].channel, "web-form",
        "the form inbox's FORM channel"
    );
    let (_, list) = get_text(&ana, &portal.base).await;
    assert_eq!(ticket_ids(&list)[0], ticket_id, "in the list at once");
    let timeline = portal.workspace.ticket_timeline(&ticket_id).await.unwrap();
    assert_eq!(timeline[0].kind, "form_submission");
}

#[tokio::test]
async fn the_support_form_requires_its_required_fields() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let csrf = csrf_from(&ana, &portal.url("/new")).await;
    let response = ana
        .post(portal.url("/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("subject", "Only a subject"),
            ("content", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let page = response.text().await.unwrap();
    assert!(page.contains("Please fill in: Describe the problem."));
    assert!(page.contains("value=\"Only a subject\""));
}

// ---- Header, branding, language, templates, switch ----

#[tokio::test]
async fn the_header_carries_title_menu_knowledge_base_and_branding() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let (_, list) = get_text(&ana, &portal.base).await;
    assert!(list.contains("<title>Support tickets · Acme Support</title>"));
    assert!(list.contains(">Home</a>") && list.contains(">Status page</a>"));
    assert!(list.contains(">Knowledge base</a>"));
    let (status, kb) = get_text(&ana, &portal.url("/knowledge-base")).await;
    assert_eq!(status, 200);
    assert!(kb.contains("Resetting the printer"), "published article");
    assert!(!kb.contains("Draft: VPN setup"), "unpublished article");
    let theme = attribute_values(&list, "href")
        .into_iter()
        .find(|href| href.contains("/assets/theme.css"))
        .expect("the theme stylesheet");
    let (_, css) = get_text(&ana, &format!("{}{theme}", portal.origin)).await;
    assert!(css.contains("--primary: #0b5fff;"));
    assert!(css.contains("--font: Inter, sans-serif;"));

    // A 1x1 PNG as logo and favicon.
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    let image =
        serde_json::json!({"name": "logo.png", "content_type": "image/png", "data_base64": png});
    set_setting(&portal, "branding.logo", &image.to_string()).await;
    set_setting(&portal, "branding.favicon", &image.to_string()).await;
    set_setting(&portal, "knowledge_base_link", "false").await;
    let (_, list) = get_text(&ana, &portal.base).await;
    assert!(!list.contains(">Knowledge base</a>"));
    let logo = attribute_values(&list, "src")
        .into_iter()
        .find(|src| src.contains("/assets/logo"))
        .expect("the logo");
    assert!(list.contains("rel=\"icon\""));
    let response = ana
        .get(format!("{}{logo}", portal.origin))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "image/png");
}

#[tokio::test]
async fn a_disabled_portal_shows_the_not_available_page() {
    let portal = acme().await;
    set_setting(&portal, "enabled", "false").await;
    for path in ["", "/login", "/1001"] {
        let (status, page) = get_text(&client(), &portal.url(path)).await;
        assert_eq!(status, 503, "{path}");
        assert!(page.contains("The portal is not available"));
    }
}

#[tokio::test]
async fn the_portal_speaks_its_configured_language() {
    let portal = acme().await;
    set_setting(&portal, "language", "de").await;
    let (_, login) = get_text(&client(), &portal.url("/login")).await;
    assert!(login.contains("lang=\"de\""));
    assert!(login.contains("Passwort vergessen?"));
    let ana = client();
    sign_in_with_bundle_password(&ana, &portal, "ana@acme.example").await;
    let (_, list) = get_text(&ana, &portal.base).await;
    assert!(list.contains(">Offen</span>") && list.contains(">Geschlossen</span>"));
    assert!(list.contains("Abmelden"));
    set_setting(&portal, "language", "ko").await;
    let (_, list) = get_text(&ana, &portal.base).await;
    assert!(list.contains("로그아웃"));
}

/// Writes `key` = `value` straight to storage, past the engine's checks: a workspace saved before
/// templates were checked on save, or edited by hand.
async fn store_unchecked(portal: &Portal, key: &str, value: &str) {
    let current = portal.workspace.settings().await.unwrap();
    let changed = portal::domain::settings::with_value(&current, key, value).unwrap();
    let mut connection = portal.sql().await.acquire().await.unwrap();
    portal::storage::settings::save_in(&mut connection, &changed, "by hand", None)
        .await
        .unwrap();
    portal.server.invalidate();
}

#[tokio::test]
async fn a_broken_template_never_blanks_the_portal() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    // Saving a template that does not compile is refused (the engine's rule); one that got into the
    // workspace anyway is replaced by the shipped template.
    for broken in [
        "{% for %}",
        "{% extends \"base\" %}{% block content %}{{ page.nothing.deeper.still }}{% endblock %}",
    ] {
        assert!(matches!(
            portal::app::settings_admin::set_setting(
                &portal.workspace,
                "templates.list",
                broken,
                "test"
            )
            .await,
            Err(portal::Error::TemplatesDoNotCompile(_))
        ));
    }
    // Does not parse.
    store_unchecked(&portal, "templates.list", "{% for %}").await;
    let (status, list) = get_text(&ana, &portal.base).await;
    assert_eq!(status, 200);
    assert_eq!(ticket_ids(&list), ["1007", "1001", "1008", "1003"]);
    // Parses but fails while rendering.
    store_unchecked(
        &portal,
        "templates.list",
        "{% extends \"base\" %}{% block content %}{{ page.nothing.deeper.still }}{% endblock %}",
    )
    .await;
    let (status, list) = get_text(&ana, &portal.base).await;
    assert_eq!(status, 200);
    assert_eq!(ticket_ids(&list), ["1007", "1001", "1008", "1003"]);
    // A working override is used, with the shared layout.
    set_setting(
        &portal,
        "templates.list",
        "{% extends \"base\" %}{% block content %}<p class=\"custom\">{{ page.list.rows|length }} custom</p>{% endblock %}",
    )
    .await;
    let (_, list) = get_text(&ana, &portal.base).await;
    assert!(list.contains("<p class=\"custom\">4 custom</p>"));
    assert!(list.contains("Sign out"));
}

#[tokio::test]
async fn settings_saved_elsewhere_reach_the_running_portal_within_a_second() {
    let portal = acme().await;
    // Saved as the CLI would, without telling the server.
    portal::app::settings_admin::set_setting(
        &portal.workspace,
        "page_title",
        "Acme Help Centre",
        "cli",
    )
    .await
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, login) = get_text(&client(), &portal.url("/login")).await;
    assert!(login.contains("<title>Sign in · Acme Help Centre</title>"));
}

#[tokio::test]
async fn other_paths_answer_not_found_and_the_root_leads_to_the_portal() {
    let portal = acme().await;
    let (status, page) = get_text(&client(), &format!("{}/elsewhere", portal.origin)).await;
    assert_eq!(status, 404);
    assert!(page.contains("Page not found"));
    let response = client()
        .get(format!("{}/", portal.origin))
        .send()
        .await
        .unwrap();
    assert!(response.url().path().ends_with("/tickets/login"));
}

#[tokio::test]
async fn portal_serve_prints_the_url_when_ready_and_serves_it() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("served.portal");
    portal::app::transfer::import(&path, &acme_data(), false)
        .await
        .unwrap()
        .close()
        .await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_portal"))
        .args(["serve", "--port", "0", "--workspace"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    let outcome = async {
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        assert!(url.ends_with("/tickets"), "{url}");
        assert!(!url.contains(":0/"), "the real port: {url}");
        let (status, page) = get_text(&client(), &format!("{url}/login")).await;
        assert_eq!(status, 200);
        assert!(page.contains("<title>Sign in · Acme Support</title>"));
    };
    let result = tokio::time::timeout(std::time::Duration::from_secs(20), outcome).await;
    let _ = child.kill();
    let _ = child.wait();
    result.expect("the served portal answers");
}

// ---- Writes that fail ----

/// Makes every insert into `table` fail, as a full disk or a broken file would, behind the server's back.
async fn refuse_inserts_into(portal: &Portal, table: &str) {
    sqlx::query(&format!(
        "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} \
         BEGIN SELECT RAISE(FAIL, 'simulated write failure'); END"
    ))
    .execute(&portal.sql().await)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_reply_that_cannot_be_saved_is_shown_again_with_its_text() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    refuse_inserts_into(&portal, "messages").await;
    let response = post_reply(
        &ana,
        &portal,
        "1001",
        "A long reply I typed carefully",
        None,
    )
    .await;
    assert_ne!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("could not be saved"));
    assert!(page.contains(">A long reply I typed carefully</textarea>"));
}

#[tokio::test]
async fn a_support_form_that_cannot_be_saved_is_shown_again_with_its_values() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    refuse_inserts_into(&portal, "tickets").await;
    let csrf = csrf_from(&ana, &portal.url("/new")).await;
    let response = ana
        .post(portal.url("/new"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("subject", "Scanner jams"),
            ("content", "Every second page jams."),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("could not be saved"));
    assert!(page.contains("value=\"Scanner jams\""));
    assert!(page.contains("Every second page jams.</textarea>"));
}

/// A form shown again after its write failed: not a success, the message, `kept` in the form and the
/// `password` typed, if any, nowhere on the page.
async fn assert_shown_again(response: reqwest::Response, kept: &str, password: Option<&str>) {
    assert_eq!(response.status(), 500, "a write error that is not busy");
    let page = response.text().await.unwrap();
    assert!(page.contains("could not be completed just now"), "{page}");
    assert!(page.contains(kept), "{kept} is kept: {page}");
    if let Some(password) = password {
        assert!(
            !page.contains(password),
            "the password is never shown again"
        );
    }
}

#[tokio::test]
async fn a_sign_in_that_cannot_be_saved_is_shown_again_with_the_address_typed() {
    let portal = acme().await;
    refuse_inserts_into(&portal, "sessions").await;
    let password = acme_password("ana@acme.example");
    let response = sign_in(&client(), &portal, "ana@acme.example", &password).await;
    assert_shown_again(response, "value=\"ana@acme.example\"", Some(&password)).await;
}

#[tokio::test]
async fn a_registration_that_cannot_be_saved_is_shown_again_with_what_was_typed() {
    let portal = acme().await;
    set_setting(&portal, "access.mode", "self_registration").await;
    refuse_inserts_into(&portal, "account_tokens").await;
    let visitor = client();
    let response = register(
        &visitor,
        &portal,
        "zoe@newco.example",
        "a long enough password",
    )
    .await;
    assert_shown_again(
        response,
        "value=\"zoe@newco.example\"",
        Some("a long enough password"),
    )
    .await;
    assert!(portal.outbox().await.is_empty());
}

#[tokio::test]
async fn a_reset_request_that_cannot_be_saved_is_shown_again_with_the_address_typed() {
    let portal = acme().await;
    refuse_inserts_into(&portal, "account_tokens").await;
    let response = request_reset(&client(), &portal, "ana@acme.example").await;
    assert_shown_again(response, "value=\"ana@acme.example\"", None).await;
    assert!(portal.outbox().await.is_empty());
}

#[tokio::test]
async fn a_new_password_that_cannot_be_saved_is_asked_for_again_with_the_same_link() {
    let portal = acme().await;
    let visitor = client();
    request_reset(&visitor, &portal, "ana@acme.example").await;
    let link = local(&portal, &link_in(&portal.outbox().await[0].body));
    let token = link.split("token=").nth(1).unwrap().to_string();
    let (_, page) = get_text(&visitor, &link).await;
    let choose = |csrf: String| {
        let (visitor, url, token) = (
            visitor.clone(),
            portal.url("/password-reset/choose"),
            token.clone(),
        );
        async move {
            visitor
                .post(url)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("token", token.as_str()),
                    ("password", "a brand new secret"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    refuse_inserts_into(&portal, "portal_logins").await;
    let refused = choose(csrf_in(&page)).await;
    assert_eq!(refused.status(), 500);
    let again = refused.text().await.unwrap();
    assert!(again.contains("could not be completed just now"));
    assert!(again.contains(&format!("name=\"token\" value=\"{token}\"")));
    assert!(!again.contains("a brand new secret"));

    sqlx::query("DROP TRIGGER refuse_portal_logins")
        .execute(&portal.sql().await)
        .await
        .unwrap();
    let saved = choose(csrf_in(&again)).await;
    assert_eq!(saved.url().as_str(), portal.base, "the link still works");
}

#[tokio::test]
async fn registering_an_existing_contacts_address_never_sets_the_registrants_password() {
    let mut data = acme_data();
    data.contacts.push(Contact {
        id: "zed".into(),
        email: "zed@acme.example".into(),
        first_name: "Zed".into(),
        last_name: "Moor".into(),
        company: Some("acme".into()),
        lists: vec!["customers".into()],
        ..Contact::default()
    });
    let portal = start(data).await;
    set_setting(&portal, "access.mode", "self_registration").await;
    // Someone registers Zed's address with a password of their own.
    let attacker = client();
    let response = register(
        &attacker,
        &portal,
        "zed@acme.example",
        "the attacker's password",
    )
    .await;
    assert!(response.text().await.unwrap().contains("Check your email"));
    let outbox = portal.outbox().await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to_address, "zed@acme.example");

    // Zed opens the link: he is asked for a password of his own, not signed in.
    let zed = client();
    let link = local(&portal, &link_in(&outbox[0].body));
    let response = zed.get(&link).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_ne!(response.url().as_str(), portal.base, "not signed in yet");
    let page = response.text().await.unwrap();
    assert!(page.contains("Choose your password"));
    let refused = sign_in(
        &client(),
        &portal,
        "zed@acme.example",
        "the attacker's password",
    )
    .await;
    assert_eq!(
        refused.status(),
        401,
        "the registrant's password opens nothing"
    );

    let token = link.split("token=").nth(1).unwrap().to_string();
    let response = zed
        .post(portal.url("/welcome"))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("token", token.as_str()),
            ("password", "zed's own password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.url().as_str(), portal.base);
    let refused = sign_in(
        &client(),
        &portal,
        "zed@acme.example",
        "the attacker's password",
    )
    .await;
    assert_eq!(refused.status(), 401);
    let own = sign_in(&client(), &portal, "zed@acme.example", "zed's own password").await;
    assert_eq!(own.url().as_str(), portal.base);
}

#[tokio::test]
async fn a_jwt_that_is_not_valid_yet_is_refused() {
    let portal = acme().await;
    configure_jwt(&portal, "HS256", "secret", SECRET, "sso_all").await;
    let mut later = claims("ana@acme.example", "acme-portal", 7200);
    later["nbf"] = serde_json::json!(chrono::Utc::now().timestamp() + 3600);
    let visitor = client();
    let response = visitor
        .get(portal.url(&format!("/sso?jwt={}", hs256(&later, SECRET))))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let after = visitor.get(&portal.base).send().await.unwrap();
    assert!(after.url().path().ends_with("/login"), "no session");
}

#[tokio::test]
async fn a_jwt_is_accepted_only_once() {
    let portal = acme().await;
    configure_jwt(&portal, "HS256", "secret", SECRET, "sso_all").await;
    let mut with_id = claims("ana@acme.example", "acme-portal", 300);
    with_id["jti"] = serde_json::json!("sign-in-1");
    let without_id = claims("ben@acme.example", "acme-portal", 300);
    for token in [hs256(&with_id, SECRET), hs256(&without_id, SECRET)] {
        let first = client()
            .get(portal.url(&format!("/sso?jwt={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(first.url().as_str(), portal.base, "the first use signs in");
        let replay = client();
        let response = replay
            .get(portal.url(&format!("/sso?jwt={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "a replayed token is refused");
        let after = replay.get(&portal.base).send().await.unwrap();
        assert!(after.url().path().ends_with("/login"), "no session");
    }
}

// ---- Attachment names ----

#[tokio::test]
async fn blocked_types_are_recognised_behind_trailing_dots_spaces_and_case() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    for name in [
        "run.exe.",
        "run.exe ",
        "RUN.EXE. .",
        "invoice.pdf.lnk",
        "disk.iso",
        "settings.reg",
        "site.url",
    ] {
        let response = post_reply(
            &ana,
            &portal,
            "1001",
            "Here is the file",
            Some((name, vec![0x4d, 0x5a])),
        )
        .await;
        assert_eq!(response.status(), 415, "{name:?}");
        let page = response.text().await.unwrap();
        assert!(page.contains("cannot be attached"), "{name:?}");
        assert!(page.contains(">Here is the file</textarea>"), "{name:?}");
    }
    assert!(portal
        .workspace
        .ticket_timeline("1001")
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_attachment_whose_name_holds_a_nul_is_refused_and_the_typed_text_kept() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let response = post_reply(
        &ana,
        &portal,
        "1001",
        "The log is attached",
        Some(("report\0.txt", b"paper jam".to_vec())),
    )
    .await;
    assert_eq!(response.status(), 400, "refused, not acknowledged");
    let page = response.text().await.unwrap();
    assert!(page.contains("rename the file"));
    assert!(page.contains(">The log is attached</textarea>"));
    assert!(portal
        .workspace
        .ticket_timeline("1001")
        .await
        .unwrap()
        .is_empty());
}

// ---- Ticket ids that look like the portal's own pages ----

/// The link of the list row for `id` (the first `href` after its `data-ticket-id`), unescaped.
fn row_link(html: &str, id: &str) -> String {
    let needle = " data-ticket-id=\"";
    let row = html
        .match_indices(needle)
        .map(|(at, _)| &html[at + needle.len()..])
        .find(|rest| unescape(&rest[..rest.find('"').unwrap()]) == id)
        .unwrap_or_else(|| panic!("{id:?} is listed"));
    let href = &row[row.find("href=\"").unwrap() + 6..];
    unescape(&href[..href.find('"').unwrap()])
}

#[tokio::test]
async fn every_listed_ticket_opens_itself_whatever_its_id() {
    let ids = [
        "new",
        "login",
        "logout",
        "register",
        "sso",
        "welcome",
        "password-reset",
        "knowledge-base",
        "ticket",
        "..",
        ".",
        "a/b",
        "50%",
        "what?",
    ];
    let mut data = acme_data();
    let model = ticket_in(&mut data, "1001").clone();
    for (n, id) in ids.iter().enumerate() {
        data.tickets.push(Ticket {
            id: id.to_string(),
            subject: format!("Look-alike number {n}"),
            ..model.clone()
        });
    }
    let portal = start(data).await;
    let ana = signed_in(&portal, "ana@acme.example").await;
    let (_, list) = get_text(&ana, &portal.base).await;
    for (n, id) in ids.iter().enumerate() {
        let link = row_link(&list, id);
        assert!(link.starts_with('/'), "{id:?}: {link}");
        let (status, page) = get_text(&ana, &format!("{}{link}", portal.origin)).await;
        assert_eq!(status, 200, "{id:?}: {link}");
        assert!(
            page.contains(&format!("Look-alike number {n}<")),
            "{id:?}: {link} opens its ticket"
        );
        // Its reply form posts to the same ticket.
        let action = attribute_values(&page, "action")
            .into_iter()
            .find(|action| action.contains("reply"))
            .unwrap_or_else(|| panic!("{id:?} has a reply form"));
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf_in(&page))
            .text("text", format!("a reply to look-alike {n}"))
            .part(
                "attachment",
                reqwest::multipart::Part::bytes(format!("note {n}").into_bytes())
                    .file_name(format!("note-{n}.txt"))
                    .mime_str("text/plain")
                    .unwrap(),
            );
        let response = ana
            .post(format!("{}{action}", portal.origin))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{id:?}: {action}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains(&format!("a reply to look-alike {n}<")),
            "{id:?}"
        );
        assert!(page.contains(&format!("Look-alike number {n}<")), "{id:?}");
        // And its attachment downloads from it.
        let download = attribute_values(&page, "href")
            .into_iter()
            .find(|href| href.contains("/attachments/"))
            .unwrap_or_else(|| panic!("{id:?} links its attachment"));
        let (status, body) = get_text(&ana, &format!("{}{download}", portal.origin)).await;
        assert_eq!(
            (status, body),
            (200, format!("note {n}")),
            "{id:?}: {download}"
        );
    }
}

// ---- Beyond the sources (portal-rules.md 10.1, 10.2) ----

#[tokio::test]
async fn a_ccd_contact_opens_and_replies_only_when_ccd_contacts_see_tickets() {
    let mut data = acme_data();
    ticket_in(&mut data, "1005").cc = vec!["ben".into()];
    let portal = start(data).await;
    let ben = signed_in(&portal, "ben@acme.example").await;
    let (status, _) = get_text(&ben, &portal.url("/1005")).await;
    assert_eq!(status, 404, "CC'd contacts do not see tickets by default");
    let (_, list) = get_text(&ben, &portal.url("?status=all")).await;
    assert!(!ticket_ids(&list).contains(&"1005".to_string()));

    set_setting(&portal, "cc_see_tickets", "true").await;
    let (_, list) = get_text(&ben, &portal.url("?status=all")).await;
    assert!(ticket_ids(&list).contains(&"1005".to_string()));
    let (_, mine) = get_text(&ben, &portal.url("?view=mine&status=all")).await;
    assert!(
        ticket_ids(&mine).contains(&"1005".to_string()),
        "a CC'd ticket is in every view"
    );
    let response = post_reply(&ben, &portal, "1005", "Copying myself in: same here", None).await;
    assert_eq!(response.status(), 200);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Copying myself in: same here"));
    let threads = portal.workspace.threads_of_ticket("1005").await.unwrap();
    let last = threads
        .iter()
        .flat_map(|thread| &thread.messages)
        .max_by_key(|message| message.created_at)
        .unwrap();
    assert_eq!(last.text, "Copying myself in: same here");
    assert_eq!(last.from, "ben@acme.example");
    assert_eq!(last.direction.as_str(), "INCOMING");
    let timeline = portal.workspace.ticket_timeline("1005").await.unwrap();
    assert_eq!(timeline[0].contact_id, "ben", "newest first");
}

#[tokio::test]
async fn the_organization_view_spans_every_company_in_the_associated_scope() {
    let mut data = acme_data();
    let ana = data
        .contacts
        .iter_mut()
        .find(|contact| contact.id == "ana")
        .unwrap();
    ana.companies = vec!["globex".into()];
    let portal = start(data).await;
    let ana = signed_in(&portal, "ana@acme.example").await;
    let (_, list) = get_text(&ana, &portal.url("?status=all")).await;
    assert!(!ticket_ids(&list).contains(&"1005".to_string()));
    set_setting(&portal, "company_scope", "associated").await;
    let (_, list) = get_text(&ana, &portal.url("?status=all")).await;
    let ids = ticket_ids(&list);
    assert!(
        ids.contains(&"1005".to_string()),
        "Globex's ticket: {ids:?}"
    );
    assert!(ids.contains(&"1007".to_string()), "Acme's ticket: {ids:?}");
    let (status, _) = get_text(&ana, &portal.url("/1005")).await;
    assert_eq!(status, 200);
    let (_, mine) = get_text(&ana, &portal.url("?view=mine&status=all")).await;
    assert!(!ticket_ids(&mine).contains(&"1005".to_string()));
}

// ---- Customers close their own tickets (portal-rules.md 10.3) ----

async fn post_close(
    client: &reqwest::Client,
    portal: &Portal,
    ticket: &str,
    csrf: &str,
) -> reqwest::Response {
    client
        .post(portal.url(&format!("/{ticket}/close")))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap()
}

/// The acme portal with customers closing their tickets, and a client signed in as `email`.
async fn closing_signed_in(email: &str) -> (Portal, reqwest::Client) {
    let portal = acme().await;
    set_setting(&portal, "customers_close_tickets", "true").await;
    let client = signed_in(&portal, email).await;
    (portal, client)
}

#[tokio::test]
async fn a_customer_closes_an_open_ticket_and_it_shows_on_the_timeline() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let (_, page) = get_text(&ana, &portal.url("/1001")).await;
    assert!(!page.contains("Close ticket"), "off by default");
    let csrf = csrf_in(&page);
    assert_eq!(post_close(&ana, &portal, "1001", &csrf).await.status(), 404);

    set_setting(&portal, "customers_close_tickets", "true").await;
    let (_, page) = get_text(&ana, &portal.url("/1001")).await;
    assert!(page.contains("Close ticket"));
    let before = portal.workspace.ticket("1001").await.unwrap().unwrap();
    let response = post_close(&ana, &portal, "1001", &csrf_in(&page)).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("Your ticket was closed."));
    assert!(
        !page.contains("Close ticket"),
        "a closed ticket offers no close"
    );
    assert!(page.contains("This ticket is closed."), "and is read-only");
    let after = portal.workspace.ticket("1001").await.unwrap().unwrap();
    assert_eq!(after.stage, "closed");
    assert!(after.last_activity_at > before.last_activity_at);
    let timeline = portal.workspace.ticket_timeline("1001").await.unwrap();
    assert_eq!(timeline[0].kind, "closed");
    assert_eq!(timeline[0].summary, "closed by the customer");
    assert_eq!(timeline[0].contact_id, "ana");
    let inbox = portal.workspace.inbox().await.unwrap();
    assert!(inbox
        .iter()
        .any(|item| item.ticket_id == "1001" && item.kind == "closed"));
}

#[tokio::test]
async fn closing_is_refused_on_a_closed_ticket() {
    let (portal, ben) = closing_signed_in("ben@acme.example").await;
    let (_, page) = get_text(&ben, &portal.url("/1003")).await;
    assert!(!page.contains("Close ticket"));
    let response = post_close(&ben, &portal, "1003", &csrf_in(&page)).await;
    assert_eq!(response.status(), 409);
    assert_eq!(stage_of(&portal, "1003").await, "closed");
}

#[tokio::test]
async fn closing_anyone_elses_ticket_answers_not_found_like_a_missing_one() {
    let (portal, dan) = closing_signed_in("dan@globex.example").await;
    let csrf = session_csrf(&dan, &portal).await;
    let foreign = post_close(&dan, &portal, "1001", &csrf).await;
    let missing = post_close(&dan, &portal, "9999", &csrf).await;
    assert_eq!(foreign.status(), 404);
    assert_eq!(missing.status(), 404);
    assert_eq!(foreign.text().await.unwrap(), missing.text().await.unwrap());
    assert_eq!(stage_of(&portal, "1001").await, "new");
}

#[tokio::test]
async fn closing_without_the_form_token_is_refused() {
    let (portal, ana) = closing_signed_in("ana@acme.example").await;
    let response = post_close(&ana, &portal, "1001", "forged").await;
    assert!(response.status().is_client_error(), "{}", response.status());
    assert_ne!(response.status(), 404);
    assert_eq!(stage_of(&portal, "1001").await, "new");
}

// ---- No dead ends: links, not found, trailing slashes, titles, favicon ----

fn title_of(html: &str) -> String {
    let start = html.find("<title>").expect("a <title>") + "<title>".len();
    let end = html[start..].find("</title>").expect("</title>");
    unescape(&html[start..start + end])
}

fn description_of(html: &str) -> String {
    let needle = "<meta name=\"description\" content=\"";
    let start = html.find(needle).expect("a meta description") + needle.len();
    unescape(&html[start..start + html[start..].find('"').unwrap()])
}

#[tokio::test]
async fn knowledge_base_titles_link_to_their_article() {
    let portal = acme().await;
    let visitor = client();
    let (_, kb) = get_text(&visitor, &portal.url("/knowledge-base")).await;
    let article = attribute_values(&kb, "href")
        .into_iter()
        .find(|href| href.contains("/knowledge-base/"))
        .expect("the article title is a link");
    assert!(kb.contains(">Resetting the printer</a>"), "{kb}");
    let (status, page) = get_text(&visitor, &format!("{}{article}", portal.origin)).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>Resetting the printer</h1>"));
    assert!(page.contains("All articles"), "a way back to the list");
    // Unpublished and unknown articles are not found.
    for id in ["kb-2", "no-such-article"] {
        let (status, _) = get_text(&visitor, &portal.url(&format!("/knowledge-base/{id}"))).await;
        assert_eq!(status, 404, "{id}");
    }
}

#[tokio::test]
async fn a_signed_in_customer_keeps_navigation_and_sign_out_on_a_page_not_found() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    for path in [
        "/no-such-ticket",
        "/knowledge-base/no-such-article",
        "/a/b/c",
    ] {
        let (status, page) = get_text(&ana, &portal.url(path)).await;
        assert_eq!(status, 404, "{path}");
        assert!(page.contains("Page not found"), "{path}");
        assert!(page.contains("Sign out"), "{path}: Sign out");
        assert!(page.contains(">Tickets</a>"), "{path}: the navigation");
        assert!(
            page.contains(">Knowledge base</a>"),
            "{path}: the navigation"
        );
    }
    // Sign out from there works (the page carries the session's form token).
    let (_, page) = get_text(&ana, &portal.url("/no-such-ticket")).await;
    let response = ana
        .post(portal.url("/logout"))
        .form(&[("csrf", csrf_in(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("You are signed out"));
    // A visitor's page not found shows no account.
    let (status, page) = get_text(&client(), &portal.url("/knowledge-base/no-such-article")).await;
    assert_eq!(status, 404);
    assert!(!page.contains("Sign out"));
}

#[tokio::test]
async fn a_trailing_slash_leads_to_the_page_without_it() {
    let portal = acme().await;
    let manual = manual_client();
    for (path, target) in [
        ("/", "/tickets"),
        ("/login/", "/tickets/login"),
        ("/knowledge-base/?x=1", "/tickets/knowledge-base?x=1"),
    ] {
        let response = manual
            .get(format!("{}{path}", portal.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 308, "{path}");
        assert_eq!(response.headers()["location"], target, "{path}");
    }
    let ana = signed_in(&portal, "ana@acme.example").await;
    let (status, list) = get_text(&ana, &format!("{}/", portal.base)).await;
    assert_eq!(status, 200);
    assert!(list.contains("Support tickets"));
    // Never a redirect to another site.
    let response = manual
        .get(format!("{}//elsewhere.example/", portal.origin))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn every_page_has_its_own_title_and_a_description() {
    let (portal, ana) = acme_signed_in("ana@acme.example").await;
    let visitor = client();
    let mut titles = Vec::new();
    for (who, path) in [
        (&visitor, "/login"),
        (&visitor, "/password-reset"),
        (&visitor, "/register"),
        (&visitor, "/knowledge-base"),
        (&visitor, "/knowledge-base/kb-1"),
        (&ana, ""),
        (&ana, "/1001"),
        (&ana, "/new"),
        (&ana, "/no-such-ticket"),
    ] {
        let (_, page) = get_text(who, &portal.url(path)).await;
        let title = title_of(&page);
        assert!(title.ends_with(" · Acme Support"), "{path}: {title}");
        assert!(!description_of(&page).trim().is_empty(), "{path}");
        titles.push(title);
    }
    let mut distinct = titles.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), titles.len(), "{titles:?}");
    assert!(titles.contains(&"Sign in · Acme Support".to_string()));
}

#[tokio::test]
async fn a_portal_without_a_favicon_serves_one_made_from_its_title_and_colour() {
    let portal = acme().await;
    let visitor = client();
    let (_, login) = get_text(&visitor, &portal.url("/login")).await;
    let icon = attribute_values(&login, "href")
        .into_iter()
        .find(|href| href.contains("/assets/favicon"))
        .expect("a favicon link without a branded favicon");
    let response = visitor
        .get(format!("{}{icon}", portal.origin))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    let svg = response.text().await.unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(
        svg.contains("#0b5fff") && svg.contains(">A</text>"),
        "{svg}"
    );
}

// ---- The admin's per-contact sign-in email (desktop Customers view) ----

#[tokio::test]
async fn an_admin_sends_a_reset_to_the_outbox_only_to_contacts_who_may_sign_in() {
    use portal::app::accounts::{self, AccountError, SignInEmail};
    let portal = acme().await;
    let contact_id = |email: &'static str| {
        let workspace = portal.workspace.clone();
        async move { workspace.contact_by_email(email).await.unwrap().unwrap().id }
    };
    let ana = contact_id("ana@acme.example").await;
    let before = portal.outbox().await.len();
    // Ana has a login: a password reset, with a link that opens the choose-a-password page.
    let sent = accounts::send_sign_in_email(&portal.workspace, &ana)
        .await
        .unwrap();
    assert_eq!(sent, SignInEmail::PasswordReset);
    let outbox = portal.outbox().await;
    assert_eq!(outbox.len(), before + 1);
    let email = &outbox[0];
    assert_eq!(email.to_address, "ana@acme.example");
    let link = local(&portal, &link_in(&email.body));
    let (status, page) = get_text(&client(), &link).await;
    assert_eq!(status, 200);
    assert!(page.contains("Choose a new password"));
    // Cara may not sign in: refused with the rule's reason, nothing queued.
    let cara = contact_id("cara@acme.example").await;
    let refused = accounts::send_sign_in_email(&portal.workspace, &cara).await;
    assert!(
        matches!(refused, Err(AccountError::AccessDenied(ref reason)) if !reason.is_empty()),
        "{refused:?}"
    );
    // The same bound as customers' own requests: three per address within the hour.
    for _ in 0..2 {
        accounts::send_sign_in_email(&portal.workspace, &ana)
            .await
            .unwrap();
    }
    let refused = accounts::send_sign_in_email(&portal.workspace, &ana).await;
    assert!(
        matches!(refused, Err(AccountError::TooManyEmails { .. })),
        "{refused:?}"
    );
    assert_eq!(portal.outbox().await.len(), before + 3);
}
