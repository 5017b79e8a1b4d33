//! What-if benchmark (issue 5): the impact of an unsaved settings draft on the 1,000,000-ticket demo
//! workspace (`bench/engine.sh` writes it to bench/out/engine.portal), measured as the desktop app's
//! `what_if` command computes it: `what_if::impact(workspace, &draft)`. Target: under 5 s.
//!
//! Run: `bench/what_if.sh` (or `cargo run --release --example what_if -- <workspace>`).

use portal::app::matrix::AuditData;
use portal::app::what_if;
use portal::app::what_if::cache::ImpactCache;
use portal::domain::settings::{Settings, ThreadShown, TicketPermissions};
use portal::Workspace;
use std::path::PathBuf;
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("bench/out/engine.portal"));
    let workspace = Workspace::open(&path, false).await?;
    let saved = workspace.settings().await?;
    let flipped = |settings: &Settings| {
        let mut draft = settings.clone();
        draft.ticket_permissions = match settings.ticket_permissions {
            TicketPermissions::Company => TicketPermissions::Contact,
            TicketPermissions::Contact => TicketPermissions::Company,
        };
        draft
    };
    let drafts: Vec<(&str, Settings)> = vec![
        ("ticket permissions flipped", flipped(&saved)),
        ("shown thread flipped", {
            let mut draft = saved.clone();
            draft.thread_shown = match saved.thread_shown {
                ThreadShown::MostRecent => ThreadShown::Original,
                ThreadShown::Original => ThreadShown::MostRecent,
            };
            draft
        }),
    ];
    // Where the time goes: loading (once per workspace state; the app can keep it) vs comparing.
    let started = Instant::now();
    let data = AuditData::load_for(&workspace, &saved).await?;
    println!(
        "load contacts, tickets (filtered properties): {:>6.2} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let threads = workspace
        .thread_activities_of_multi_thread_tickets()
        .await?;
    println!(
        "load thread activities:                       {:>6.2} s",
        started.elapsed().as_secs_f64()
    );
    let key = workspace.fingerprint_key().await?;
    for (label, draft) in &drafts {
        let started = Instant::now();
        let impact = what_if::compare(&saved, draft, &data, &threads, &key);
        println!(
            "compare only, {label:<28} {:>6.2} s ({} lists change)",
            started.elapsed().as_secs_f64(),
            impact.ticket_lists.len()
        );
    }
    drop((data, threads));
    // As the desktop app computes it. Cold: the first edit arrives before anything was loaded.
    for (label, draft) in &drafts {
        let cache = ImpactCache::new();
        let started = Instant::now();
        let impact = cache.impact(&workspace, draft).await?;
        println!(
            "app, cold first what-if, {label:<28} {:>6.2} s ({} lists change, {} thread changes)",
            started.elapsed().as_secs_f64(),
            impact.ticket_lists.len(),
            impact.threads.len()
        );
    }
    // Prepared: opening Settings or Visibility loads the data and the saved matrix in the background.
    let cache = ImpactCache::new();
    let started = Instant::now();
    cache.saved_matrix(&workspace).await?;
    println!(
        "app, preparing on opening Settings/Visibility:          {:>6.2} s",
        started.elapsed().as_secs_f64()
    );
    for (label, draft) in &drafts {
        for call in ["first", "next"] {
            let started = Instant::now();
            let impact = cache.impact(&workspace, draft).await?;
            println!(
                "app, prepared, {label:<28} {call} what-if: {:>6.2} s ({} lists change, {} thread changes)",
                started.elapsed().as_secs_f64(),
                impact.ticket_lists.len(),
                impact.threads.len()
            );
        }
    }
    drop(cache);
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(2);
    for (label, draft) in drafts {
        for run in 1..=runs {
            let started = Instant::now();
            let impact = what_if::impact(&workspace, &draft).await?;
            let lost: usize = impact
                .ticket_lists
                .iter()
                .map(|change| change.disappeared.len())
                .sum();
            let gained: usize = impact
                .ticket_lists
                .iter()
                .map(|change| change.appeared.len())
                .sum();
            println!(
                "{label:<28} run {run}: {:>6.2} s  ({} contacts' lists change, {lost} ticket disappearances, {gained} appearances, {} access changes, {} thread changes)",
                started.elapsed().as_secs_f64(),
                impact.ticket_lists.len(),
                impact.access_gained.len() + impact.access_lost.len(),
                impact.threads.len(),
            );
        }
    }
    Ok(())
}
