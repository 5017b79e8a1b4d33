//! An account locked by repeated failed sign-ins stays locked where the portal's data is, in the
//! workspace: a restarted server and a second server on the same workspace refuse it too, and an
//! administrator's Unlock (the desktop's Customers view, through `accounts::unlock`) lets the contact in.

mod portal_support;

use portal::app::accounts;
use portal::web::{PortalServer, ServerOptions};
use portal_support::*;

const ANA: &str = "ana@acme.example";

/// Fails Ana's sign-in up to the limit: the next try, even with her password, is refused.
async fn lock_ana(portal: &Portal) {
    let visitor = client();
    for _ in 0..ServerOptions::default().max_failed_logins {
        let response = sign_in(&visitor, portal, ANA, "wrong password").await;
        assert_eq!(response.status(), 401);
    }
}

/// Ana's own password, tried on the server at `base`: the status of the answer.
async fn ana_signs_in_at(base: &str) -> u16 {
    let visitor = client();
    let login = format!("{base}/login");
    let csrf = csrf_from(&visitor, &login).await;
    visitor
        .post(&login)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", ANA),
            ("password", acme_password(ANA).as_str()),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn another_server(portal: &Portal) -> PortalServer {
    PortalServer::start(portal.workspace.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_locked_account_stays_locked_after_the_server_restarts() {
    let portal = acme().await;
    lock_ana(&portal).await;
    // The server stops; its workspace (and the directory it is in) stays.
    let Portal {
        server, workspace, ..
    } = portal;
    server.shutdown().await;
    let restarted = PortalServer::start(workspace.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert_eq!(ana_signs_in_at(&restarted.url()).await, 429);
    restarted.shutdown().await;
    workspace.close().await;
}

#[tokio::test]
async fn a_locked_account_is_locked_on_every_server_of_the_workspace() {
    let portal = acme().await;
    let second = another_server(&portal).await;
    lock_ana(&portal).await;
    assert_eq!(ana_signs_in_at(&second.url()).await, 429);
    second.shutdown().await;
}

#[tokio::test]
async fn the_customers_view_sees_a_locked_account_with_the_end_of_its_lock() {
    let portal = acme().await;
    lock_ana(&portal).await;
    let locks = accounts::sign_in_locks(&portal.workspace).await.unwrap();
    let until = locks[ANA];
    let now = chrono::Utc::now().timestamp_millis();
    assert!(
        until > now && until <= now + 15 * 60_000,
        "{until} vs {now}"
    );
}

#[tokio::test]
async fn unlock_lets_a_locked_contact_sign_in_at_once() {
    let portal = acme().await;
    lock_ana(&portal).await;
    assert_eq!(ana_signs_in_at(&portal.base).await, 429);
    assert!(accounts::unlock(&portal.workspace, "ana").await.unwrap());
    assert_eq!(ana_signs_in_at(&portal.base).await, 200);
    assert!(accounts::sign_in_locks(&portal.workspace)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn unlocking_an_unknown_contact_is_refused_by_name() {
    let portal = acme().await;
    let refused = accounts::unlock(&portal.workspace, "nobody").await;
    assert!(matches!(
        refused,
        Err(accounts::AccountError::UnknownContact(id)) if id == "nobody"
    ));
}
