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
    // "Open in browser" runs $BROWSER (the `webbrowser` crate's first choice): `true` stands in for a
    // browser, and the test fetches the address the app shows instead.
    std::env::set_var("BROWSER", "true");
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
            let _ = std::fs::write(ui.shots.join("last-preview.html"), &last);
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

/// Replaces the template editor's text as a paste would (CodeMirror reads the input events).
async fn set_editor(ui: &Ui<'_>, text: &str) -> Result<(), String> {
    ui.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(fantoccini::Locator::Css(
            "[data-testid=template-editor] .cm-content",
        ))
        .await
        .map_err(err)?;
    ui.client
        .execute(
            "const c = document.querySelector('[data-testid=template-editor] .cm-content'); c.focus(); \
             document.execCommand('selectAll'); document.execCommand('insertText', false, arguments[0]);",
            vec![json!(text)],
        )
        .await
        .map_err(err)?;
    Ok(())
}

/// The line number beside the editor's error marker in the gutter, and the text the error underlines.
async fn marked_error(ui: &Ui<'_>) -> Result<(String, String), String> {
    let script = r#"
        const editor = document.querySelector('[data-testid=template-editor]');
        const marker = editor && editor.querySelector('.cm-lint-marker-error');
        const ranges = editor ? [...editor.querySelectorAll('.cm-lintRange-error')] : [];
        if (!marker || ranges.length === 0) return null;
        const top = marker.getBoundingClientRect().top;
        let best = null;
        for (const cell of editor.querySelectorAll('.cm-lineNumbers .cm-gutterElement')) {
            const distance = Math.abs(cell.getBoundingClientRect().top - top);
            if (cell.textContent.trim() !== '' && (best === null || distance < best.distance))
                best = { distance, line: cell.textContent.trim() };
        }
        return [best ? best.line : '', ranges.map((range) => range.textContent).join('')];
    "#;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = ui.client.execute(script, vec![]).await.map_err(err)?;
        if let Some([line, text]) = value.as_array().map(Vec::as_slice) {
            return Ok((
                line.as_str().unwrap_or_default().to_string(),
                text.as_str().unwrap_or_default().to_string(),
            ));
        }
        if Instant::now() > deadline {
            return Err("no error marker in the editor's gutter".into());
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The drawn width of the first preview frame and its scale.
async fn frame_size(ui: &Ui<'_>) -> Result<(f64, String), String> {
    let value = ui
        .client
        .execute(
            "const f = document.querySelector('iframe[data-testid=preview-frame]'); \
             return [f.getBoundingClientRect().width, f.dataset.scale];",
            vec![],
        )
        .await
        .map_err(err)?;
    let pair = value.as_array().ok_or("no frame")?;
    Ok((
        pair[0].as_f64().unwrap_or_default(),
        pair[1].as_str().unwrap_or_default().to_string(),
    ))
}

/// Waits until the first frame's sandbox lets forms submit (`allow`) or not, and its page is loaded.
async fn wait_forms_live(ui: &Ui<'_>, allow: bool) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let sandbox = ui
            .attribute("iframe[data-testid=preview-frame]", "sandbox")
            .await?
            .unwrap_or_default();
        let html = wait_preview(ui, |_| true).await?;
        if sandbox.contains("allow-forms") == allow && html.contains("data-preview-note") != allow {
            // The frame loads its new page after the attribute changes.
            tokio::time::sleep(Duration::from_millis(400)).await;
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("frame forms live={allow}: sandbox {sandbox:?}"));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Inside the first preview frame, as the user would: types `fields` (css, text) and clicks `submit`.
async fn fill_in_frame(ui: &Ui<'_>, fields: &[(&str, &str)], submit: &str) -> Result<(), String> {
    let frame = ui
        .client
        .find(fantoccini::Locator::Css(
            "iframe[data-testid=preview-frame]",
        ))
        .await
        .map_err(err)?;
    frame
        .enter_frame()
        .await
        .map_err(|e| format!("entering the frame: {e}"))?;
    let outcome = async {
        // The frame runs the app's one script (it reports the form to the window).
        let ready = ui
            .client
            .execute(
                "return document.documentElement.getAttribute('data-frame-script');",
                vec![],
            )
            .await
            .map_err(err)?;
        check_eq("the frame's script", ready.as_str(), Some("ready"))?;
        for (css, text) in fields {
            let field = ui
                .client
                .find(fantoccini::Locator::Css(css))
                .await
                .map_err(|e| format!("{css} in the frame: {e}"))?;
            ui.client
                .execute(
                    "arguments[0].scrollIntoView({block: 'center', inline: 'center'}); arguments[0].focus();",
                    vec![serde_json::to_value(&field).map_err(err)?],
                )
                .await
                .map_err(err)?;
            if let Err(e) = field.send_keys(text).await {
                // WebKitWebDriver does not type into a frame of an opaque origin (the preview's sandbox):
                // put the text in as typing would.
                eprintln!("typing into {css} in the frame reported {e}; setting its value");
                ui.client
                    .execute(
                        "arguments[0].value = arguments[1]; \
                         arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                        vec![serde_json::to_value(&field).map_err(err)?, json!(text)],
                    )
                    .await
                    .map_err(err)?;
            }
        }
        let button = ui
            .client
            .find(fantoccini::Locator::Css(submit))
            .await
            .map_err(|e| format!("{submit} in the frame: {e}"))?;
        // WebKitWebDriver neither focuses nor clicks inside a frame of an opaque origin (the preview's
        // sandbox), so the button is pressed from the frame's page: the same activation, the same submit.
        ui.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();",
                vec![serde_json::to_value(&button).map_err(err)?],
            )
            .await
            .map_err(err)?;
        Ok::<(), String>(())
    }
    .await;
    // Back to the window's document (the frame's element stays; only its page was redrawn).
    ui.client.enter_parent_frame().await.map_err(err)?;
    outcome
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
    // Zoom: 100 % draws the desktop frame at its true 1280 px, 50 % at half, Fit within the stage.
    for (zoom, scale, width) in [("100", "1", 1280.0), ("50", "0.5", 640.0)] {
        ui.click(&format!("[data-zoom='{zoom}']")).await?;
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let (drawn, shown) = frame_size(ui).await?;
            if shown == scale && (drawn - width).abs() < 1.5 {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "zoom {zoom}: frame drawn {drawn} px at scale {shown}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if zoom == "100" {
            ui.shot("designer-zoom-100").await?;
        }
    }
    ui.click("[data-zoom='fit']").await?;
    // Full window: the preview covers the window; Esc gives the window back.
    ui.click("[data-action=full-window]").await?;
    let covered = client
        .execute(
            "const r = document.querySelector('[data-testid=stage-column]').getBoundingClientRect(); \
             return r.left === 0 && r.top === 0 && r.width === window.innerWidth;",
            vec![],
        )
        .await
        .map_err(err)?;
    check_eq(
        "the full-window preview covers the window",
        covered.as_bool(),
        Some(true),
    )?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    ui.shot("designer-full-window").await?;
    client
        .find(fantoccini::Locator::Css("body"))
        .await
        .map_err(err)?
        .send_keys("\u{e00c}")
        .await
        .map_err(err)?;
    ui.wait_text("[data-action=full-window]", Duration::from_secs(5), |t| {
        t.trim() == "Full window"
    })
    .await?;
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
    // "Open in browser": the same draft preview at a loopback address of its own; unknown addresses 404.
    ui.click("[data-action=open-in-browser]").await?;
    // (The address is cut short on screen; its title holds it whole.)
    let deadline = Instant::now() + Duration::from_secs(10);
    let address = loop {
        let shown = ui
            .attribute("[data-testid=browser-url]", "title")
            .await
            .unwrap_or_default()
            .unwrap_or_default();
        if shown.starts_with("http://127.0.0.1:") && shown.contains("/preview/") {
            break shown;
        }
        if Instant::now() > deadline {
            return Err(format!("no browser preview address: {shown:?}"));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    let in_browser = reqwest::get(&address).await.map_err(err)?;
    check_eq("browser preview status", in_browser.status().as_u16(), 200)?;
    let in_browser = in_browser.text().await.map_err(err)?;
    if !in_browser.contains("--primary: #c2410c") || !in_browser.contains("ana@acme.example") {
        return Err("the browser preview does not show the draft as Ana".into());
    }
    let token = address.rsplit('/').next().unwrap_or_default();
    let guessed = address.replace(token, &"0".repeat(token.len()));
    check_eq(
        "a guessed preview address",
        reqwest::get(&guessed).await.map_err(err)?.status().as_u16(),
        404,
    )?;
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
    set_editor(ui, "<p>broken template</p>\n<p>{% for %}</p>").await?;
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
    // The editor marks it where it is: a gutter marker on line 2, the tag underlined.
    let (line, marked) = marked_error(ui).await?;
    check_eq("the gutter line of the error marker", line.as_str(), "2")?;
    check_eq("the text the error marks", marked.as_str(), "{% for %}")?;
    // Save is offered only once every template compiles, and says why not.
    ui.wait_enabled("[data-action=save-settings]", false)
        .await?;
    ui.wait_text("[data-testid=save-blocked]", Duration::from_secs(5), |t| {
        t.contains("\"login\" does not compile at line 2")
    })
    .await?;
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
    // Side by side with the shipped default.
    js_click(ui, "[data-action=compare-default]").await?;
    ui.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(fantoccini::Locator::Css(
            "[data-testid=template-editor-diff] .cm-mergeView",
        ))
        .await
        .map_err(err)?;
    ui.shot("designer-compare-default").await?;
    js_click(ui, "[data-action=compare-default]").await?;
    ui.click("[data-action=reset-template]").await?;
    ui.wait_enabled("[data-action=save-settings]", true).await?;

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
    // The changes by kind, each a group of the shared GroupedTable.
    client
        .execute(
            "document.querySelector('[data-testid=what-if]').scrollIntoView();",
            vec![],
        )
        .await
        .map_err(err)?;
    ui.shot("designer-what-if-changes").await?;
    // The row may sit below the fold; click it as the user would after scrolling to it.
    client
        .execute(
            "const row = document.querySelector(\"[data-row-contact='ana@acme.example']\"); row.scrollIntoView(); row.click();",
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
    // Acting happens in the frame itself, at true size: the ticket page's reply form first.
    js_click(ui, "[data-width='1280']").await?;
    js_click(ui, "[data-zoom='100']").await?;
    select(ui, "[data-testid=page-picker]", "detail").await?;
    // Her newest ticket (the list's first) is open, so its page has the reply form.
    select(ui, "[data-testid=ticket-picker]", &expected_ids[0]).await?;
    // Without the tick the frame's forms are inert, dimmed and say so.
    wait_forms_live(ui, false).await?;
    let reply_action = format!("{}&#x2f;reply", expected_ids[0]);
    let inert = wait_preview(ui, |html| html.contains(&reply_action)).await?;
    if !inert.contains("data-preview-note") || !inert.contains("this form does not send") {
        return Err("the inert reply form does not say why it does not send".into());
    }
    js_click(ui, "[data-testid=act-as]").await?;
    wait_forms_live(ui, true).await?;
    fill_in_frame(
        ui,
        &[("textarea[name=text]", "Sent from inside the preview")],
        "form[action$='/reply'] button[type=submit]",
    )
    .await?;
    ui.wait_text("[data-testid=act-result]", Duration::from_secs(10), |t| {
        t.contains("Reply sent as")
    })
    .await?;
    wait_preview(ui, |html| html.contains("Sent from inside the preview")).await?;
    ui.shot("designer-act-as-reply").await?;
    // Then the support form: the new ticket opens in the frame.
    select(ui, "[data-testid=page-picker]", "form").await?;
    wait_forms_live(ui, true).await?;
    wait_preview(ui, |html| {
        html.contains("Previewing as") && html.contains("name=\"subject\"")
    })
    .await?;
    fill_in_frame(
        ui,
        &[
            ("input[name=subject]", "Toner empty"),
            (
                "textarea[name=content]",
                "The printer on floor 2 is out of toner.",
            ),
        ],
        "form[action$='/new'] button[type=submit]",
    )
    .await?;
    let notice = ui
        .wait_text(
            "[data-testid=act-result]",
            Duration::from_secs(10),
            |text| text.contains("created as"),
        )
        .await?;
    let created = notice
        .split('#')
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .ok_or_else(|| format!("no ticket id in {notice:?}"))?
        .to_string();
    wait_preview(ui, |html| {
        html.contains("Toner empty") && html.contains("data-message-id")
    })
    .await?;
    ui.shot("designer-act-as-created").await?;
    js_click(ui, "[data-testid=act-as]").await?;
    select(ui, "[data-testid=page-picker]", "list").await?;
    js_click(ui, "[data-zoom='fit']").await?;
    wait_preview(ui, |html| {
        attribute_values(html, "data-ticket-id").contains(&created)
    })
    .await?;
    ui.shot("designer-act-as-list").await?;
    Ok(())
}
