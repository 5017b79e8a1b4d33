//! End-to-end test of the leak lint and visibility snapshots through the real window (spec 10.6): the
//! Visibility view lists the findings with links, the setup checklist warns, and the History view shows
//! what a saved change did to visibility and compares snapshots.
//!
//! Run: `npm --prefix ui run build && cargo test -p portal-studio --test leak_checks -- --nocapture`.
//! Screenshots: `target/screenshots/leak-*.png`. `PORTAL_STUDIO_SKIP_DESKTOP_E2E=1` skips.

mod common;

use common::{check_eq, err, tauri_invoke, Ui};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

#[tokio::test]
async fn leak_lint_and_snapshots_through_the_window() {
    if std::env::var_os("PORTAL_STUDIO_SKIP_DESKTOP_E2E").is_some() {
        eprintln!("desktop e2e skipped: PORTAL_STUDIO_SKIP_DESKTOP_E2E is set");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("findings.portal");
    let bundle = std::fs::read_to_string(fixtures().join("lint/findings.bundle.json")).unwrap();
    let data = portal::bundle::read(&bundle).unwrap();
    drop(
        portal::app::transfer::import(&workspace, &data, false)
            .await
            .unwrap(),
    );
    let session = common::start(&workspace, "leak_checks").await;
    let ui = Ui {
        client: &session.client,
        shots: &session.shots,
    };
    let outcome = check(&ui).await;
    if outcome.is_err() {
        let _ = ui.shot("leak-failure").await;
    }
    let closed = session.client.clone().close().await;
    if let Err(message) = outcome {
        panic!("{message}\n(driver log: {})", session.driver_log.display());
    }
    closed.expect("closing the WebDriver session");
}

async fn check(ui: &Ui<'_>) -> Result<(), String> {
    let wait = Duration::from_secs(20);
    // Visibility: the five findings, and a contact link narrows the matrix to that contact.
    ui.section("visibility").await?;
    ui.wait_text("[data-testid=lint-total]", wait, |text| {
        text == "5 findings"
    })
    .await?;
    ui.click(
        "[data-lint-code=contact-outside-ticket-company] [data-lint-contact='dan@globex.example']",
    )
    .await?;
    let search: String = ui
        .client
        .execute(
            "return document.querySelector('[data-testid=matrix-search]').value;",
            vec![],
        )
        .await
        .map_err(err)?
        .as_str()
        .unwrap_or_default()
        .into();
    check_eq(
        "matrix search after the link",
        search.as_str(),
        "dan@globex.example",
    )?;
    ui.client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .map_err(err)?;
    ui.shot("leak-visibility").await?;

    // The setup checklist warns without blocking.
    ui.section("setup-checklist").await?;
    ui.wait_text("[data-testid=checklist-warning]", wait, |text| {
        text.contains("Leak lint") && text.contains("5 findings")
    })
    .await?;
    ui.shot("leak-checklist").await?;

    // A saved change that takes company tickets away, then History shows what it did.
    tauri_invoke(ui.client, "save_snapshot", json!({ "name": "before" })).await?;
    let mut settings = tauri_invoke(ui.client, "get_settings", json!({})).await?;
    settings["ticket_permissions"] = json!("contact");
    tauri_invoke(ui.client, "save_settings", json!({ "draft": settings })).await?;
    ui.section("history").await?;
    ui.click("[data-testid=change-visibility] summary").await?;
    ui.wait_text("[data-testid=change-visibility]", wait, |text| {
        text.contains("contacts changed") && text.contains("−2003")
    })
    .await?;
    // Compare the named snapshot with now: the same change.
    ui.click("[data-action=compare]").await?;
    ui.wait_text("[data-testid=snapshot-compare]", wait, |text| {
        text.contains("From #1 before to now") || text.contains("contacts changed")
    })
    .await?;
    ui.shot("leak-history").await?;
    Ok(())
}
