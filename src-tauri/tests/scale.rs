//! The Customers and Visibility views in the real window (Xvfb + tauri-driver): a contact's actions
//! (preview as, explain, send a sign-in email, unlock a contact locked out by failed sign-ins), the tables
//! scrolled by keyboard with the sign-in column in view; and, on demand (`--ignored`, `bench/scale.sh`), how long the window is blocked while the
//! views open and scroll through 100,000 contacts.

mod common;

use common::*;
use fantoccini::Locator;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;

async fn demo_workspace(dir: &Path) -> PathBuf {
    let path = dir.join("demo.portal");
    portal::app::workspace_files::create(&path, true)
        .await
        .expect("the demo workspace")
        .close()
        .await;
    path
}

#[tokio::test]
async fn customers_contact_actions_and_keyboard_scrolling() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(dir.path()).await;
    let session = start(&workspace, "scale-actions").await;
    let ui = Ui {
        client: &session.client,
        shots: &session.shots,
    };
    let outcome = contact_actions(&ui, &workspace).await;
    if outcome.is_err() {
        let _ = ui.shot("customers-actions-failure").await;
    }
    let _ = session.client.clone().close().await;
    if let Err(message) = outcome {
        panic!("{message}\n(driver log: {})", session.driver_log.display());
    }
}

async fn contact_actions(ui: &Ui<'_>, workspace: &Path) -> Result<(), String> {
    ui.client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("h1"))
        .await
        .map_err(err)?;
    ui.section("customers").await?;
    ui.wait_text("[data-testid='contacts']", Duration::from_secs(60), |t| {
        t.contains("Can sign in")
    })
    .await?;
    // At the default window size the sign-in column is in view, not cut off.
    let cut = ui.run("const done = arguments[0]; const badge = document.querySelector(\"[data-testid='contacts'] .badge\");
         const table = document.querySelector(\"[data-testid='contacts']\").getBoundingClientRect();
         const box = badge.getBoundingClientRect();
         done(box.right > Math.min(table.right, window.innerWidth) + 0.5 || box.width === 0);",
        vec![],
    )
    .await?;
    check_eq("the sign-in column is cut off", cut, json!(false))?;
    // The table scrolls by keyboard: its scroll region takes focus and moves with Page Down.
    let region = ui
        .client
        .find(Locator::Css("[data-testid='contacts'] [role='region']"))
        .await
        .map_err(err)?;
    let label = region.attr("aria-label").await.map_err(err)?;
    if !label.is_some_and(|label| label.starts_with("Contacts")) {
        return Err("the contacts' scroll region has no label".into());
    }
    ui.run("document.querySelector(\"[data-testid='contacts'] [role='region']\").focus(); arguments[0](true);",
        vec![],
    )
    .await?;
    region.send_keys("\u{E00F}\u{E00F}").await.map_err(err)?; // Page Down, twice
    ui.wait_js(
        "the table to scroll by keyboard",
        "document.querySelector(\"[data-testid='contacts'] [role='region']\").scrollTop > 0",
        Duration::from_secs(20),
    )
    .await?;

    // Pick Ana (search narrows the table in the engine).
    let email = "ana.ito0@acme.example";
    ui.type_into("[data-testid='contacts-search']", "ana.ito0")
        .await?;
    ui.wait_js(
        "the search to narrow the table",
        "document.querySelectorAll(\"[data-testid='contacts'] [data-index]\").length === 1",
        Duration::from_secs(20),
    )
    .await?;
    ui.click("[data-testid='contacts'] button.link").await?;
    ui.wait_text(
        "[data-testid='contact-card']",
        Duration::from_secs(10),
        |t| t.contains(email),
    )
    .await?;
    // Explain: the "Why?" of her simulated login.
    ui.click("[data-action='explain']").await?;
    ui.wait_text(
        "[data-testid='explain-access']",
        Duration::from_secs(10),
        |t| t.contains("Can sign in"),
    )
    .await?;
    // Send a sign-in email: it lands in the outbox.
    let before = outbox_to(workspace, email).await?;
    ui.click("[data-action='send-sign-in']").await?;
    ui.wait_text("[data-sonner-toast]", Duration::from_secs(10), |t| {
        t.contains("in the outbox")
    })
    .await?;
    let after = outbox_to(workspace, email).await?;
    check_eq("emails to Ana in the outbox", after, before + 1)?;
    ui.shot("customers-actions").await?;
    // Preview as: the Preview renders the portal as her.
    ui.click("[data-action='preview-as']").await?;
    ui.wait_js("the preview as Ana",
        "[...document.querySelectorAll('iframe')].some((f) => (f.srcdoc || '').includes('ana.ito0@acme.example'))", Duration::from_secs(20))
    .await
}

async fn outbox_to(path: &Path, email: &str) -> Result<usize, String> {
    let workspace = portal::Workspace::open(path, false).await.map_err(err)?;
    let emails = workspace.outbox().await.map_err(err)?;
    workspace.close().await;
    Ok(emails.iter().filter(|e| e.to_address == email).count())
}

/// Locks the contact with `email` out as repeated wrong passwords on the portal would.
async fn lock_out(path: &Path, email: &str) {
    let workspace = portal::Workspace::open(path, false).await.unwrap();
    let throttle = portal::app::accounts::LoginThrottle::default();
    let key = portal::app::accounts::throttle_key(email);
    while let Ok(attempt) = throttle.begin(&workspace, &key, None).await.unwrap() {
        drop(attempt); // a failed attempt
    }
    workspace.close().await;
}

async fn locks(path: &Path) -> Result<usize, String> {
    let workspace = portal::Workspace::open(path, false).await.map_err(err)?;
    let locks = portal::app::accounts::sign_in_locks(&workspace)
        .await
        .map_err(err)?;
    workspace.close().await;
    Ok(locks.len())
}

#[tokio::test]
async fn customers_shows_a_locked_contact_and_unlock_lets_them_in() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = demo_workspace(dir.path()).await;
    let email = "ana.ito0@acme.example";
    lock_out(&workspace, email).await;
    let session = start(&workspace, "scale-unlock").await;
    let ui = Ui {
        client: &session.client,
        shots: &session.shots,
    };
    let outcome = async {
        ui.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css("h1"))
            .await
            .map_err(err)?;
        ui.section("customers").await?;
        ui.wait_text("[data-testid='contacts']", Duration::from_secs(60), |t| {
            t.contains("Can sign in")
        })
        .await?;
        ui.type_into("[data-testid='contacts-search']", "ana.ito0")
            .await?;
        // Her row says she is locked; her card says until when and offers Unlock.
        ui.wait_js("Ana's row to show her lock",
            &format!("document.querySelector(\"[data-testid='contacts'] [data-locked='{email}']\")"), Duration::from_secs(20))
        .await?;
        ui.click("[data-testid='contacts'] button.link").await?;
        ui.wait_text(
            "[data-testid='contact-locked']",
            Duration::from_secs(10),
            |t| t.contains("until") && t.contains("UTC"),
        )
        .await?;
        ui.shot("customers-locked").await?;
        ui.click("[data-action='unlock']").await?;
        ui.wait_text("[data-sonner-toast]", Duration::from_secs(10), |t| {
            t.contains("may sign in again")
        })
        .await?;
        ui.wait_js("the lock to leave the card and the row",
            "!document.querySelector(\"[data-testid='contact-locked']\") && !document.querySelector('[data-locked]') && !document.querySelector(\"[data-action='unlock']\")", Duration::from_secs(20))
        .await?;
        check_eq("locked accounts in the workspace", locks(&workspace).await?, 0)
    }
    .await;
    if outcome.is_err() {
        let _ = ui.shot("customers-unlock-failure").await;
    }
    let _ = session.client.clone().close().await;
    if let Err(message) = outcome {
        panic!("{message}\n(driver log: {})", session.driver_log.display());
    }
}

// ---- 100,000 contacts (bench/scale.sh) ----

/// Starts a heartbeat that records how late every 10 ms timer fires (a late timer is a blocked main
/// thread, in any engine; WebKit has no Long Tasks API) and, where supported, the long tasks.
const WATCH: &str = "
    const w = (window.__watch = { gaps: [], at: [], long: [], last: performance.now() });
    w.timer = setInterval(() => { const now = performance.now(); w.gaps.push(now - w.last); w.at.push(now); w.last = now; }, 10);
    if ((PerformanceObserver.supportedEntryTypes || []).includes('longtask')) {
      w.observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => w.long.push(e.duration)));
      w.observer.observe({ entryTypes: ['longtask'] });
    }
    arguments[0](true);";

/// Stops the heartbeat: the longest gap between two beats (ms), the gaps over 50 and 100 ms, and the
/// longest long task where the engine reports them.
const REPORT: &str = "
    const w = window.__watch; clearInterval(w.timer); if (w.observer) w.observer.disconnect();
    const gaps = w.gaps.slice(1);
    const worst = gaps.indexOf(Math.max(0, ...gaps));
    arguments[0]({ beats: gaps.length, max_gap: Math.max(0, ...gaps),
      worst_before_end: worst < 0 ? null : Math.round(performance.now() - w.at[worst + 1]), over_50: gaps.filter((g) => g > 50).length,
      over_100: gaps.filter((g) => g > 100).length,
      longtask: (PerformanceObserver.supportedEntryTypes || []).includes('longtask') ? Math.max(0, ...w.long) : null });";

/// Scrolls the region in `steps` jumps of a screen and a half, then to the end and back to the top,
/// waiting a frame and 40 ms each time; resolves when the rows on screen are loaded.
const SCROLL: &str = "
    const [css, steps, done] = arguments;
    const region = document.querySelector(css);
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const frame = () => new Promise((r) => requestAnimationFrame(r));
    (async () => {
      for (let i = 0; i < steps; i++) { region.scrollTop += region.clientHeight * 1.5; await frame(); await sleep(40); }
      region.scrollTop = region.scrollHeight; await frame(); await sleep(300);
      region.scrollTop = region.scrollHeight / 2; await frame(); await sleep(300);
      region.scrollTop = 0; await frame(); await sleep(300);
      const start = Date.now();
      while (region.textContent.includes('Loading…') && Date.now() - start < 20000) await sleep(50);
      done(region.scrollHeight);
    })();";

struct Figures {
    what: String,
    open_ms: u128,
    report: Value,
}

async fn measure_view(
    ui: &Ui<'_>,
    section: &str,
    table: &str,
    steps: u64,
) -> Result<Vec<Figures>, String> {
    let mut figures = Vec::new();
    ui.run(WATCH, vec![]).await?;
    let started = std::time::Instant::now();
    ui.section(section).await?;
    let region = format!("{table} [role='region']");
    // The engine computes the view's rows first (seconds at this size, off the window's thread).
    ui.wait_js(&format!("{section} to show its rows"),
        &format!(
            "document.querySelector(\"{region}\") && document.querySelector(\"{region} [data-index]\") && !document.querySelector(\"{region}\").textContent.includes('Loading…')"
        ), Duration::from_secs(600))
    .await?;
    let open_ms = started.elapsed().as_millis();
    let report = ui.run(REPORT, vec![]).await?;
    figures.push(Figures {
        what: format!("open {section}"),
        open_ms,
        report,
    });
    ui.run(WATCH, vec![]).await?;
    let started = std::time::Instant::now();
    ui.run(SCROLL, vec![json!(region), json!(steps)]).await?;
    let scroll_ms = started.elapsed().as_millis();
    let report = ui.run(REPORT, vec![]).await?;
    figures.push(Figures {
        what: format!("scroll {section} ({steps} screens, end, middle, top)"),
        open_ms: scroll_ms,
        report,
    });
    Ok(figures)
}

#[tokio::test]
#[ignore = "needs a 100,000-contact workspace: bench/scale.sh"]
async fn views_stay_responsive_at_100k_contacts() {
    let workspace = PathBuf::from(
        std::env::var("PORTAL_SCALE_WORKSPACE")
            .expect("PORTAL_SCALE_WORKSPACE=<a large workspace>"),
    );
    // The app works on a copy: the what-if and sign-in emails never change the measured file.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("scale.portal");
    std::fs::copy(&workspace, &copy).unwrap();
    let session = start(&copy, "scale-100k").await;
    let ui = Ui {
        client: &session.client,
        shots: &session.shots,
    };
    let outcome = async {
        ui.client
            .wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::Css("h1"))
            .await
            .map_err(err)?;
        let mut figures = measure_view(&ui, "customers", "[data-testid='contacts']", 40).await?;
        ui.shot("scale-customers").await?;
        figures.extend(measure_view(&ui, "visibility", "[data-testid='matrix']", 40).await?);
        ui.shot("scale-visibility").await?;
        // The what-if of contact-only ticket permissions: counts first, then one kind scrolled.
        ui.run(WATCH, vec![]).await?;
        let started = std::time::Instant::now();
        ui.client
            .execute(
                "const s = document.querySelector('[data-testid=draft-ticket-permissions]');
                 s.value = 'contact'; s.dispatchEvent(new Event('change', { bubbles: true }));",
                vec![],
            )
            .await
            .map_err(err)?;
        ui.wait_text(
            "[data-testid='what-if-summary']",
            Duration::from_secs(300),
            |t| t.contains("lose tickets"),
        )
        .await?;
        let open_ms = started.elapsed().as_millis();
        figures.push(Figures {
            what: "what-if: compute and show the counts".into(),
            open_ms,
            report: ui.run(REPORT, vec![]).await?,
        });
        ui.run(WATCH, vec![]).await?;
        let started = std::time::Instant::now();
        ui.click("[data-group='tickets_lost'] [data-action='open-group']")
            .await?;
        let region = "[data-group='tickets_lost'] [role='region']";
        ui.wait_js("the lost tickets' rows",
            &format!("document.querySelector(\"{region} [data-index]\") && !document.querySelector(\"{region}\").textContent.includes('Loading…')"), Duration::from_secs(20))
        .await?;
        ui.run(SCROLL, vec![json!(region), json!(40)]).await?;
        figures.push(Figures {
            what: "what-if: open \"Lose tickets\" and scroll it".into(),
            open_ms: started.elapsed().as_millis(),
            report: ui.run(REPORT, vec![]).await?,
        });
        ui.shot("scale-what-if").await?;
        Ok::<_, String>(figures)
    }
    .await;
    let _ = session.client.clone().close().await;
    let figures = outcome.unwrap_or_else(|message| panic!("{message}"));
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("| step | wall ms | longest main-thread gap ms (ended ms before the step did) | gaps > 50 ms | gaps > 100 ms | heartbeats |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut worst: f64 = 0.0;
    for figure in &figures {
        let gap = figure.report["max_gap"].as_f64().unwrap_or(f64::NAN);
        worst = worst.max(gap);
        println!(
            "| {} | {} | {:.0} ({}) | {} | {} | {} |",
            figure.what,
            figure.open_ms,
            gap,
            figure.report["worst_before_end"],
            figure.report["over_50"],
            figure.report["over_100"],
            figure.report["beats"],
        );
    }
    println!("load average at the end: {}", load.trim());
    assert!(
        worst <= 100.0,
        "the window was blocked for {worst:.0} ms (more than 100 ms)"
    );
}
