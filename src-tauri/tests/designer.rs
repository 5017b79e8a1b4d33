//! End-to-end test of the designer, simulated login and what-if through the real window (Xvfb +
//! tauri-driver + WebKitWebDriver), on a workspace imported from the acme fixture.
//!
//! Run: `npm --prefix ui run build && cargo test -p portal-studio --test designer -- --nocapture`.
//! Screenshots: `target/screenshots/designer-*.png`. `PORTAL_STUDIO_SKIP_DESKTOP_E2E=1` skips.

mod common;

use common::{check_eq, err, tauri_invoke, Ui};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The engine's test fixtures (tests/fixtures/ at the repository root).
fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

#[tokio::test]
async fn designer_preview_what_if_through_the_window() {
    if std::env::var_os("PORTAL_STUDIO_SKIP_DESKTOP_E2E").is_some() {
        eprintln!("desktop e2e skipped: PORTAL_STUDIO_SKIP_DESKTOP_E2E is set");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("acme.portal");
    let bundle = std::fs::read_to_string(fixtures().join("acme.bundle.json")).unwrap();
    let data = portal::bundle::read(&bundle).unwrap();
    drop(
        portal::app::transfer::import(&workspace, &data, false)
            .await
            .unwrap(),
    );
    let session = common::start(&workspace, "designer").await;
    let ui = Ui {
        client: &session.client,
        shots: &session.shots,
    };
    let outcome = check(&ui).await;
    if outcome.is_err() {
        let _ = ui.shot("designer-failure").await;
    }
    let closed = session.client.clone().close().await;
    if let Err(message) = outcome {
        panic!("{message}\n(driver log: {})", session.driver_log.display());
    }
    closed.expect("closing the WebDriver session");
}

/// The values of ` attribute="..."` in `html`, in order.
fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

/// The first preview iframe's document once it satisfies `want`.
async fn wait_preview(ui: &Ui<'_>, want: impl Fn(&str) -> bool) -> Result<String, String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let html = ui
            .client
            .execute(
                "const f = document.querySelector('iframe[data-testid=preview-frame]'); return f ? f.srcdoc : '';",
                vec![],
            )
            .await
            .map_err(err)?;
        let html = html.as_str().unwrap_or_default().to_string();
        if want(&html) {
            return Ok(html);
        }
        if Instant::now() > deadline {
            let last = html;
            return Err(format!(
                "the preview never matched; last {} chars: {}",
                last.len(),
                &last[..last.len().min(600)]
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Scrolls the element into view and clicks it (WebKit refuses clicks on elements under the sticky toolbar).
async fn js_click(ui: &Ui<'_>, css: &str) -> Result<(), String> {
    ui.client
        .execute(
            "const e = document.querySelector(arguments[0]); if (!e) return false; e.scrollIntoView({block: 'center'}); e.click(); return true;",
            vec![json!(css)],
        )
        .await
        .map_err(err)?
        .as_bool()
        .filter(|clicked| *clicked)
        .map(|_| ())
        .ok_or_else(|| format!("no {css} to click"))
}

async fn select(ui: &Ui<'_>, css: &str, value: &str) -> Result<(), String> {
    ui.type_into(css, value).await
}

async fn live(url: &str) -> Result<String, String> {
    reqwest::get(url)
        .await
        .map_err(err)?
        .text()
        .await
        .map_err(err)
}

async fn check(ui: &Ui<'_>) -> Result<(), String> {
    let client = ui.client;
    ui.wait_text("[data-testid=portal-url]", Duration::from_secs(60), |t| {
        t.starts_with("http")
    })
    .await?;
    let portal_url = ui
        .wait_text("[data-testid=portal-url]", Duration::from_secs(5), |_| true)
        .await?;
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("acme.expected.json")).unwrap(),
    )
    .unwrap();
    let ana_case = expected["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["contact"] == "ana@acme.example" && case["view"] == "organization")
        .ok_or("no organization case for Ana")?
        .clone();
    let expected_ids: Vec<String> = ana_case["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();

    // 1. Preview as Ana: her list shows exactly the expected tickets, with the banner.
    ui.section("preview").await?;
    ui.type_into("[data-testid=contact-search]", "acme").await?;
    ui.click("button[data-contact='ana@acme.example']").await?;
    let html = wait_preview(ui, |html| {
        html.contains("Previewing as")
            && html.contains("ana@acme.example")
            && html.contains("data-ticket-id")
    })
    .await?;
    check_eq(
        "tickets in the preview as Ana",
        attribute_values(&html, "data-ticket-id"),
        expected_ids.clone(),
    )?;
    ui.shot("designer-preview-as-ana").await?;
    // Every ticket page shows the expected messages.
    select(ui, "[data-testid=page-picker]", "detail").await?;
    for ticket in ana_case["tickets"].as_array().unwrap() {
        let id = ticket["id"].as_str().unwrap();
        let messages: Vec<String> = ticket["thread"]["messages"]
            .as_array()
            .map(|m| m.iter().map(|m| m.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        select(ui, "[data-testid=ticket-picker]", id).await?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let html = wait_preview(ui, |_| true).await?;
            let shown = attribute_values(&html, "data-message-id");
            if shown == messages {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "ticket {id}: messages {shown:?}, expected {messages:?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
    ui.shot("designer-ticket-page-as-ana").await?;
    select(ui, "[data-testid=page-picker]", "list").await?;

    // 2. A draft primary colour reaches the preview before saving, not the live portal.
    ui.click("button[data-tab=design]").await?;
    let started = Instant::now();
    ui.type_into("[data-testid=primary_color]", "#c2410c")
        .await?;
    wait_preview(ui, |html| html.contains("--primary: #c2410c")).await?;
    eprintln!("draft colour in the preview after {:?}", started.elapsed());
    let css = live(&format!("{portal_url}/assets/theme.css")).await?;
    if !css.contains("--primary: #0b5fff") || css.contains("#c2410c") {
        return Err(format!(
            "the live portal's theme changed: {}",
            &css[..css.len().min(200)]
        ));
    }
    ui.shot("designer-draft-colour").await?;
    // A low-contrast colour gets the WCAG warning with its ratio.
    ui.type_into("[data-testid=primary_color]", "#aaaaaa")
        .await?;
    ui.wait_text(
        "[data-testid=contrast-warning]",
        Duration::from_secs(5),
        |t| t.contains("2.32") && t.contains("AA"),
    )
    .await?;
    ui.shot("designer-contrast-warning").await?;

    // 3. A template syntax error shows its line (and column); the preview keeps the last good render and
    // the live portal is unchanged.
    let before_error = wait_preview(ui, |html| html.contains("--primary: #aaaaaa")).await?;
    select(ui, "[data-testid=template-picker]", "login").await?;
    ui.type_into(
        "[data-testid=template-editor]",
        "<p>broken template</p>\n<p>{% for %}</p>",
    )
    .await?;
    let message = ui
        .wait_text(
            "[data-testid=template-error]",
            Duration::from_secs(5),
            |t| t.contains("Line 2"),
        )
        .await?;
    if !message.contains("column") {
        return Err(format!("no column in {message:?}"));
    }
    ui.wait_text(
        "[data-testid=template-errors]",
        Duration::from_secs(5),
        |t| t.contains("login.html · line 2"),
    )
    .await?;
    let after = wait_preview(ui, |_| true).await?;
    if after.contains("broken template") || after != before_error {
        return Err("the preview did not keep the last good render".into());
    }
    let login = live(&portal_url).await?;
    if login.contains("broken template") || !login.contains("<form") {
        return Err("the live portal serves the draft template".into());
    }
    ui.shot("designer-template-error").await?;
    ui.click("[data-action=reset-template]").await?;

    // Drop the draft (nothing was saved) and confirm the saved settings still hold the shipped colour.
    let settings = tauri_invoke(client, "get_settings", json!({})).await?;
    check_eq(
        "saved primary colour",
        settings["branding"]["primary_color"].as_str(),
        Some("#0b5fff"),
    )?;
    ui.click("button[data-tab=page]").await?;

    // 4. What-if: ticket permissions company → contact lists what Ana and Ben lose.
    ui.section("visibility").await?;
    ui.wait_text("[data-testid=matrix]", Duration::from_secs(20), |t| {
        t.contains("ana@acme.example")
    })
    .await?;
    select(ui, "[data-testid=draft-ticket-permissions]", "contact").await?;
    let ana = ui
        .wait_text(
            "[data-lost-contact='ana@acme.example']",
            Duration::from_secs(10),
            |t| t.contains("#1003"),
        )
        .await?;
    let ben = ui
        .wait_text(
            "[data-lost-contact='ben@acme.example']",
            Duration::from_secs(10),
            |t| t.contains("#1001"),
        )
        .await?;
    for (who, text, ids) in [
        ("Ana", &ana, ["1007", "1008", "1003"]),
        ("Ben", &ben, ["1007", "1001", "1008"]),
    ] {
        for id in ids {
            if !text.contains(&format!("#{id}")) {
                return Err(format!("{who} should lose #{id}: {text:?}"));
            }
        }
    }
    // The row may sit below the fold; click it as the user would after scrolling to it.
    client
        .execute(
            "const row = document.querySelector(\"tr[data-row-contact='ana@acme.example']\"); row.scrollIntoView(); row.click();",
            vec![],
        )
        .await
        .map_err(err)?;
    ui.wait_text(
        "[data-testid=explain-access]",
        Duration::from_secs(10),
        |t| t.contains("Can sign in"),
    )
    .await?;
    ui.shot("designer-what-if").await?;

    // 5. Discard the draft; the three widths side by side, on a system page (login) as example data.
    js_click(ui, "[data-action=discard-draft]").await?;
    ui.wait_text(
        "[data-testid=what-if-empty]",
        Duration::from_secs(10),
        |_| true,
    )
    .await?;
    ui.section("preview").await?;
    js_click(ui, "[data-layout=side]").await?;
    select(ui, "[data-testid=page-picker]", "login").await?;
    wait_preview(ui, |html| {
        html.contains("type=\"password\"") || html.contains("login")
    })
    .await?;
    let frames = client
        .execute(
            "return [...document.querySelectorAll('iframe[data-testid=preview-frame]')].map(f => f.dataset.width).join(',');",
            vec![],
        )
        .await
        .map_err(err)?;
    check_eq("preview widths", frames.as_str(), Some("1280,768,390"))?;
    ui.shot("designer-side-by-side-login").await?;

    // 6. The Preview kept its contact across the trip to Visibility; acting as Ana, the support form
    //    really creates her ticket, which her list then shows.
    let ana_class = ui
        .attribute("button[data-contact='ana@acme.example']", "class")
        .await?
        .unwrap_or_default();
    if !ana_class.split_whitespace().any(|class| class == "active") {
        return Err(format!(
            "back in Preview, Ana is no longer chosen ({ana_class:?})"
        ));
    }
    select(ui, "[data-testid=page-picker]", "form").await?;
    js_click(ui, "[data-testid=act-as]").await?;
    ui.type_into(
        "[data-testid=act-form] [data-field=subject] input",
        "Toner empty",
    )
    .await?;
    ui.type_into(
        "[data-testid=act-form] [data-field=content] textarea",
        "The printer on floor 2 is out of toner.",
    )
    .await?;
    wait_preview(ui, |html| {
        html.contains("Previewing as") && html.contains("name=\"subject\"")
    })
    .await?;
    ui.client
        .execute(
            "document.querySelector('[data-testid=act-form]').scrollIntoView({block: 'end'});",
            vec![],
        )
        .await
        .map_err(err)?;
    ui.shot("designer-act-as-form").await?;
    js_click(ui, "[data-action=act-submit-form]").await?;
    let notice = ui
        .wait_text("[data-sonner-toast]", Duration::from_secs(10), |text| {
            text.contains("created as ana@acme.example")
        })
        .await?;
    let created = notice
        .split('#')
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or_else(|| format!("no ticket id in {notice:?}"))?
        .to_string();
    js_click(ui, "[data-testid=act-as]").await?;
    select(ui, "[data-testid=page-picker]", "list").await?;
    wait_preview(ui, |html| {
        attribute_values(html, "data-ticket-id").contains(&created)
    })
    .await?;
    ui.shot("designer-act-as-created").await?;
    Ok(())
}
