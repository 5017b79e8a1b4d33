//! Load driver for concurrent portal writers (bench/writers.sh, issue 9): REPLIERS signed-in customers
//! reply as fast as they can for SECONDS, spread over one or more portal servers on the same workspace.
//! Each reply carries a unique text (`writers-RUN-REPLIER-N`); every acknowledged one (303 to the ticket
//! page) is written to `--acked` as `ticket<TAB>text`, so the script can count what reached the
//! workspace. At the end every replier reloads its tickets' pages and counts acknowledged replies that
//! the page does not show.
//!
//! Usage: cargo run --release --example writers -- --servers URL[,URL…] --emails FILE --password PW
//!        [--repliers 32] [--seconds 60] [--run ID] [--acked FILE]
//! A server URL is the portal's base (`http://127.0.0.1:PORT/slug`). Prints one `key: value` a line.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Options {
    servers: Vec<String>,
    emails: Vec<String>,
    password: String,
    repliers: usize,
    seconds: u64,
    run: String,
    acked: Option<String>,
}

fn options() -> Options {
    let mut args = std::env::args().skip(1);
    let mut options = Options {
        servers: Vec::new(),
        emails: Vec::new(),
        password: "portal-demo".into(),
        repliers: 32,
        seconds: 60,
        run: format!("{}", std::process::id()),
        acked: None,
    };
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--servers" => options.servers = value.split(',').map(str::to_string).collect(),
            "--emails" => {
                options.emails = std::fs::read_to_string(&value)
                    .expect("the emails file")
                    .lines()
                    .filter(|line| !line.trim().is_empty())
                    .map(|line| line.trim().to_string())
                    .collect()
            }
            "--password" => options.password = value,
            "--repliers" => options.repliers = value.parse().expect("--repliers N"),
            "--seconds" => options.seconds = value.parse().expect("--seconds N"),
            "--run" => options.run = value,
            "--acked" => options.acked = Some(value),
            other => panic!("unknown option {other}"),
        }
    }
    assert!(!options.servers.is_empty(), "--servers is required");
    assert!(!options.emails.is_empty(), "--emails is required");
    options
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client")
}

fn attribute_values(html: &str, attribute: &str) -> Vec<String> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_string()
        })
        .collect()
}

fn csrf_in(html: &str) -> Option<String> {
    let needle = "name=\"csrf\" value=\"";
    let at = html.find(needle)? + needle.len();
    Some(html[at..at + html[at..].find('"')?].to_string())
}

/// A customer signed in on `base` with up to three open tickets, or None when this email cannot.
async fn sign_in(
    base: &str,
    email: &str,
    password: &str,
) -> Option<(reqwest::Client, Vec<String>, String)> {
    let client = client();
    let login = client
        .get(format!("{base}/login"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let csrf = csrf_in(&login)?;
    let response = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .ok()?;
    if !response.status().is_redirection() {
        return None;
    }
    let list = client.get(base).send().await.ok()?;
    if list.status() != 200 {
        return None;
    }
    let list = list.text().await.ok()?;
    let csrf = csrf_in(&list)?;
    let mut open = Vec::new();
    for ticket in attribute_values(&list, "data-ticket-id") {
        let page = client
            .get(format!("{base}/{ticket}"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        if page.contains("name=\"text\"") {
            open.push(ticket);
        }
        if open.len() == 3 {
            break;
        }
    }
    (!open.is_empty()).then_some((client, open, csrf))
}

#[derive(Default)]
struct Tally {
    acked: Vec<(String, String)>,
    statuses: BTreeMap<u16, usize>,
    transport_errors: usize,
    latencies_ms: Vec<f64>,
    not_shown: usize,
}

#[tokio::main]
async fn main() {
    let options = Arc::new(options());
    let emails = Arc::new(Mutex::new(options.emails.clone()));
    let tally = Arc::new(Mutex::new(Tally::default()));
    // Everyone signs in first, then all start replying at once.
    let mut customers = Vec::new();
    for index in 0..options.repliers {
        let base = options.servers[index % options.servers.len()].clone();
        loop {
            let Some(email) = emails.lock().unwrap().pop() else {
                panic!("not enough emails that can sign in and have an open ticket");
            };
            if let Some(customer) = sign_in(&base, &email, &options.password).await {
                customers.push((base, customer));
                break;
            }
        }
    }
    eprintln!("{} repliers signed in", customers.len());
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.seconds);
    let mut tasks = Vec::new();
    for (index, (base, (client, tickets, csrf))) in customers.into_iter().enumerate() {
        let (tally, run) = (tally.clone(), options.run.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine: HashMap<String, Vec<String>> = HashMap::new();
            let mut number = 0usize;
            while Instant::now() < deadline {
                let ticket = &tickets[number % tickets.len()];
                let text = format!("writers-{run}-{index}-{number}");
                number += 1;
                let form = reqwest::multipart::Form::new()
                    .text("csrf", csrf.clone())
                    .text("text", text.clone());
                let sent = Instant::now();
                let response = client
                    .post(format!("{base}/{ticket}/reply"))
                    .multipart(form)
                    .send()
                    .await;
                let elapsed = sent.elapsed().as_secs_f64() * 1000.0;
                let mut tally = tally.lock().unwrap();
                tally.latencies_ms.push(elapsed);
                match response {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        *tally.statuses.entry(status).or_default() += 1;
                        if status == 303 {
                            tally.acked.push((ticket.clone(), text.clone()));
                            mine.entry(ticket.clone()).or_default().push(text);
                        }
                    }
                    Err(_) => tally.transport_errors += 1,
                }
            }
            // Every acknowledged reply must be on the ticket page the customer is shown.
            let mut not_shown = 0;
            for (ticket, texts) in &mine {
                let page = match client.get(format!("{base}/{ticket}")).send().await {
                    Ok(response) => response.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                };
                not_shown += texts
                    .iter()
                    .filter(|text| !page.contains(text.as_str()))
                    .count();
            }
            tally.lock().unwrap().not_shown += not_shown;
        }));
    }
    for task in tasks {
        task.await.expect("a replier panicked");
    }
    let elapsed = (deadline - started).as_secs_f64();
    let mut tally = tally.lock().unwrap();
    let total: usize = tally.statuses.values().sum::<usize>() + tally.transport_errors;
    let server_errors: usize = tally
        .statuses
        .iter()
        .filter(|(status, _)| **status >= 500)
        .map(|(_, count)| count)
        .sum();
    tally.latencies_ms.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        let latencies = &tally.latencies_ms;
        if latencies.is_empty() {
            0.0
        } else {
            latencies[((latencies.len() - 1) as f64 * p).round() as usize]
        }
    };
    println!("requests: {total}");
    println!("acknowledged: {}", tally.acked.len());
    println!(
        "replies_per_second: {:.1}",
        tally.acked.len() as f64 / elapsed
    );
    println!("server_errors: {server_errors}");
    println!("transport_errors: {}", tally.transport_errors);
    println!("statuses: {:?}", tally.statuses);
    println!(
        "latency_ms: p50 {:.1}, p99 {:.1}, max {:.1}",
        percentile(0.5),
        percentile(0.99),
        percentile(1.0)
    );
    println!("acknowledged_not_shown: {}", tally.not_shown);
    if let Some(path) = &options.acked {
        let mut file =
            std::io::BufWriter::new(std::fs::File::create(path).expect("the acked file"));
        for (ticket, text) in &tally.acked {
            writeln!(file, "{ticket}\t{text}").expect("writing the acked file");
        }
    }
}
