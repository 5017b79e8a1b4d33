//! The `portal` command line: thin over the engine. Each subcommand parses its arguments, calls one engine
//! operation and prints the answer; errors print as one clear message with exit code 2 (1 for a failing
//! `check`), so QA can script it.

use crate::generate::{self, Generate};
use crate::logging::{self, LogFormat};
use crate::printable::printable;
use crate::progress::{self, Mode, Reporter};
use clap::{Parser, Subcommand, ValueEnum};
use portal::app::progress::Unit;
use portal::app::pull::{self, KindProgress, PullKind, PullOptions, PullReport, Pulled};
use portal::app::snapshots::{self, SnapshotDiff};
use portal::app::{demo, lint, matrix, settings_admin, transfer, view_as, workspace_files};
use portal::domain::rules::{ContactView, View};
use portal::domain::settings::{checklist, leak_lint_warning};
use portal::storage::default_workspace_path;
use portal::vendor::{self, ApiFlavor, RetryPolicy, Token, VendorError};
use portal::{Error, Workspace};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "portal",
    version,
    about = "Portal Studio: an offline customer-portal engine"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How log lines on standard error look (what is logged: RUST_LOG)
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Show no progress on standard error (a bar at a terminal, plain lines otherwise)
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a workspace from a bundle (validated first; nothing is written on error)
    Import {
        /// The bundle file (JSON, see docs/bundle-format.md)
        bundle: PathBuf,
        /// Workspace file to create (or, with --replace, overwrite)
        #[arg(long)]
        workspace: PathBuf,
        /// Overwrite a workspace that already holds data
        #[arg(long)]
        replace: bool,
    },
    /// Write the workspace as a bundle (no passwords or secrets)
    Export {
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// File to write; standard output when absent
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Show, change, list the history of, or undo portal settings
    Settings {
        #[command(subcommand)]
        action: SettingsAction,
    },
    /// Print the setup checklist and the leak lint's warning; exits 1 while anything blocks enabling
    /// the portal (the warning never does)
    Check {
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
    /// Show exactly what one contact sees, with the reason for every decision
    ///
    /// The table shows control characters in subjects and names escaped (\x1b, \n), so data cannot
    /// drive the terminal; --format json gives the text exactly as stored.
    ViewAs {
        /// The contact's email address
        email: String,
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// Which of the contact's views to show (default: the portal's default view)
        #[arg(long, value_enum)]
        view: Option<ViewArgument>,
        /// Output format
        #[arg(long, value_enum, default_value = "table")]
        format: ViewFormat,
    },
    /// The visibility matrix: every contact and view, sign-in and visible tickets
    ///
    /// In CSV, a cell that starts with =, +, -, @, a tab or a carriage return gets a leading ' so that
    /// a spreadsheet shows it as text instead of running it as a formula.
    Audit {
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value = "csv")]
        format: AuditFormat,
    },
    /// Serve the customer portal on 127.0.0.1; prints the portal's URL when it is ready
    Serve {
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// Port to listen on; 0 picks a free one (the URL printed has the real port)
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Open the portal in the system browser once it is ready
        #[arg(long)]
        open: bool,
        /// Connections served at once; more wait until one closes
        #[arg(long, default_value_t = portal::web::ServerOptions::default().max_connections)]
        max_connections: usize,
        /// Seconds a connection may take to send a request's headers before it is closed
        #[arg(long, default_value_t = portal::web::ServerOptions::default().header_read_timeout.as_secs())]
        header_timeout: u64,
        /// Address of a reverse proxy in front of the portal whose X-Forwarded-For names the client
        /// (repeat for a chain); the per-address sign-in limit then counts each client, not the proxy
        #[arg(long = "trusted-proxy", value_name = "ADDRESS")]
        trusted_proxies: Vec<std::net::IpAddr>,
    },
    /// Read a help desk account over its REST API into a workspace. The access token comes from
    /// HUBSPOT_ACCESS_TOKEN (or standard input with --token-stdin), never from an argument. Exits 1 when
    /// the pull stopped (the workspace untouched; --resume continues it), 2 for a usage error
    Pull {
        /// The workspace to write: a new file, or with --replace an existing workspace
        #[arg(long)]
        workspace: PathBuf,
        /// The vendor's API address; plain http is accepted only for a loopback address
        #[arg(long, default_value = vendor::DEFAULT_API_BASE)]
        api_base: String,
        /// Which family of API paths to call: the dated 2026-03 paths or the legacy v3/v4 ones
        #[arg(long, value_enum, default_value = "2026-03")]
        api_version: ApiVersion,
        /// Replace the help-desk data of an existing workspace, keeping its settings with their
        /// history, portal logins (matched by email), outbox, forms, articles and menus
        #[arg(long)]
        replace: bool,
        /// Continue the interrupted pull of this workspace where it stopped
        #[arg(long)]
        resume: bool,
        /// How the summary on standard output looks
        #[arg(long, value_enum, default_value = "table")]
        format: ViewFormat,
        /// Read the access token from standard input instead of HUBSPOT_ACCESS_TOKEN
        #[arg(long)]
        token_stdin: bool,
    },
    /// List data shapes that show tickets to people the author probably did not mean (the leak lint);
    /// exits 1 when there is a finding
    Lint {
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value = "table")]
        format: ViewFormat,
    },
    /// Save, list and compare visibility snapshots: every contact and view, sign-in, visible tickets
    /// and the thread each shows
    Snapshot {
        #[command(subcommand)]
        action: SnapshotAction,
    },
    /// Write a realistic demo workspace, generated deterministically from a seed
    Demo {
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// How many contacts to generate
        #[arg(long, default_value_t = 40)]
        contacts: usize,
        /// How many tickets to generate (each with its conversation)
        #[arg(long, default_value_t = 160)]
        tickets: usize,
        /// Seed of the generator: the same seed and sizes always give the same workspace
        #[arg(long, default_value_t = demo::DEFAULT_SEED)]
        seed: u64,
        /// Overwrite a workspace that already holds data
        #[arg(long)]
        replace: bool,
    },
    /// Shell completions and man pages, made from these definitions (for packaging)
    #[command(hide = true)]
    Generate {
        #[command(subcommand)]
        what: Generate,
    },
}

#[derive(Subcommand, Debug)]
enum SettingsAction {
    /// Print the settings as JSON
    Show {
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
    /// Set one setting by dotted key, e.g. `branding.primary_color '#0b5fff'`
    Set {
        /// Dotted key of the setting, e.g. branding.primary_color (see `portal settings show`)
        key: String,
        /// The new value: JSON (a number, true, a list…) or else plain text
        value: String,
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
    /// Every saved change, newest first
    History {
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
    /// Revert a history entry (the latest when no id is given)
    Undo {
        /// Id of the history entry to revert (see `portal settings history`)
        entry: Option<i64>,
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum SnapshotAction {
    /// Save what every contact sees now under a name
    Save {
        /// The snapshot's name (not a number: numbers name snapshots by id)
        name: String,
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
    },
    /// Every snapshot, newest first: named ones and those taken before each settings save, undo,
    /// import and pull
    List {
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value = "table")]
        format: ViewFormat,
    },
    /// What changed for each contact and view from snapshot A to snapshot B (or now); exits 1 when
    /// anything changed
    Diff {
        /// The earlier snapshot: its name or number (see `portal snapshot list`)
        a: String,
        /// The later snapshot: its name or number; the workspace now when absent
        b: Option<String>,
        /// Workspace file (default: the demo workspace in your data directory, created on first use)
        #[arg(long)]
        workspace: Option<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value = "table")]
        format: ViewFormat,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ViewArgument {
    /// The contact's own tickets
    Mine,
    /// Every ticket of the contact's company
    Organization,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ViewFormat {
    /// Aligned columns with the reason for every decision, for people
    Table,
    /// The view-as JSON of docs/bundle-format.md, for scripts
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ApiVersion {
    /// The dated paths (`/crm/objects/2026-03/...`), current since 2026
    #[value(name = "2026-03")]
    Dated,
    /// The legacy paths (`/crm/v3/...`, `/crm/v4/...`), supported until 2027
    Legacy,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum AuditFormat {
    /// One row per contact and view, for a spreadsheet
    Csv,
    /// An array of rows, for scripts
    Json,
}

/// Opens the named workspace, or the default one (created with demo data on first use).
async fn open(workspace: Option<PathBuf>) -> Result<Workspace, Error> {
    match workspace {
        Some(path) => Ok(Workspace::open(&path, false).await?),
        None => open_default().await,
    }
}

pub async fn open_default() -> Result<Workspace, Error> {
    let path = default_workspace_path();
    if !path.exists() {
        eprintln!("Creating the demo workspace at {}", path.display());
    }
    workspace_files::open_or_create_demo(&path).await
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    // Plain progress lines would break a log collector's JSON lines on standard error.
    let mode = match progress::Mode::detect(cli.quiet) {
        progress::Mode::Lines if cli.log_format == LogFormat::Json => progress::Mode::Quiet,
        mode => mode,
    };
    let reporter = Arc::new(Reporter::with_mode(mode));
    // The portal logs each request; other commands keep standard error for warnings and errors.
    let default_level = match cli.command {
        Command::Serve { .. } => tracing::level_filters::LevelFilter::INFO,
        _ => tracing::level_filters::LevelFilter::WARN,
    };
    // Held to the end of `run`: dropping it writes the log lines still queued.
    let log_writer = logging::install(cli.log_format, default_level, reporter.bars());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts");
    let outcome = runtime.block_on(execute(cli.command, reporter));
    // The log lines still queued go out before the error that ends the command.
    drop(log_writer);
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// Runs `command`, showing the progress of long work through `reporter`.
async fn execute(command: Command, reporter: Arc<Reporter>) -> Result<ExitCode, Error> {
    match command {
        Command::Import {
            bundle,
            workspace,
            replace,
        } => {
            let status = Arc::new(transfer::ImportProgress::default());
            let cancel = Arc::new(transfer::CancelToken::default());
            let interrupt = cancel_on_interrupt(cancel.clone());
            let import = transfer::import_file_with_progress(
                &workspace,
                &bundle,
                replace,
                status.clone(),
                &cancel,
            );
            let imported = progress::show_import(&reporter, &status, import).await;
            interrupt.abort();
            let (opened, summary) = match imported? {
                transfer::Imported::Workspace(opened, summary) => (opened, summary),
                transfer::Imported::Cancelled => {
                    eprintln!(
                        "Import interrupted: nothing was written to {}",
                        workspace.display()
                    );
                    return Ok(ExitCode::from(130));
                }
            };
            reporter.finish();
            opened.close().await;
            println!(
                "Imported {} contacts, {} companies, {} tickets and {} threads into {}",
                summary.contacts,
                summary.companies,
                summary.tickets,
                summary.threads,
                workspace.display()
            );
        }
        Command::Export { workspace, out } => {
            let workspace = open(workspace).await?;
            match out {
                Some(path) => {
                    transfer::export_file_with_progress(&workspace, &path, reporter.clone()).await?
                }
                None => {
                    use std::io::Write;
                    let mut stdout = transfer::export_to_with_progress(
                        &workspace,
                        std::io::stdout(),
                        reporter.clone(),
                    )
                    .await?;
                    let _ = writeln!(stdout);
                }
            }
            reporter.finish();
        }
        Command::Settings { action } => return settings_command(action).await,
        Command::Lint { workspace, format } => {
            let workspace = open(workspace).await?;
            let report = lint::lint_with_progress(&workspace, &*reporter).await?;
            reporter.finish();
            match format {
                ViewFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("a lint report serialises")
                ),
                ViewFormat::Table => print!("{}", lint_table(&report)),
            }
            return Ok(if report.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        Command::Snapshot { action } => return snapshot_command(action, reporter).await,
        Command::Generate { what } => generate::run(what)?,
        Command::Check { workspace } => {
            let workspace = open(workspace).await?;
            let settings = workspace.settings().await?;
            let items = checklist(&settings, &workspace.catalog().await?);
            // Spec 10.6: the leak lint's findings warn, as the desktop's checklist does; they never
            // block enabling, so they leave the exit code alone.
            let report = lint::lint_with_progress(&workspace, &*reporter).await?;
            reporter.finish();
            for item in &items {
                let mark = if item.passed { "ok  " } else { "TODO" };
                println!("[{mark}] {:<14} {}", item.label, item.message);
            }
            if let Some(warning) = leak_lint_warning(&report.findings) {
                println!("[warn] {:<14} {}", warning.label, warning.message);
                println!("       {:<14} `portal lint` lists them", "");
            }
            let passed = items.iter().all(|item| item.passed);
            println!(
                "{}",
                match (passed, settings.enabled) {
                    (true, true) => "The portal is enabled.",
                    (true, false) => "Ready: the portal can be enabled.",
                    (false, _) => "The portal cannot be enabled until every item passes.",
                }
            );
            return Ok(if passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        Command::ViewAs {
            email,
            workspace,
            view,
            format,
        } => {
            let workspace = open(workspace).await?;
            let view = view.map(|view| match view {
                ViewArgument::Mine => View::Mine,
                ViewArgument::Organization => View::Organization,
            });
            let answer = view_as::view_as(&workspace, &email, view).await?;
            match format {
                ViewFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&answer).expect("a view serialises")
                ),
                ViewFormat::Table => print!("{}", view_table(&answer)),
            }
        }
        Command::Audit { workspace, format } => {
            let workspace = open(workspace).await?;
            let rows = matrix::audit_with_progress(&workspace, &*reporter).await?;
            reporter.finish();
            match format {
                AuditFormat::Csv => print!("{}", matrix::to_csv(&rows)),
                AuditFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).expect("rows serialise")
                ),
            }
        }
        Command::Serve {
            workspace,
            port,
            open: open_browser,
            max_connections,
            header_timeout,
            trusted_proxies,
        } => {
            let workspace = open(workspace).await?;
            let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let options = portal::web::ServerOptions {
                max_connections,
                header_read_timeout: std::time::Duration::from_secs(header_timeout.max(1)),
                trusted_proxies,
                ..Default::default()
            };
            let server = portal::web::PortalServer::start_with(workspace, address, options)
                .await
                .map_err(|error| Error::Serve(error.to_string()))?;
            println!("{}", server.url());
            tracing::info!(url = %server.url(), "serving the customer portal; press Ctrl+C to stop");
            if open_browser {
                if let Err(error) = webbrowser::open(&server.url()) {
                    eprintln!(
                        "Could not open a browser ({error}); open {} yourself.",
                        server.url()
                    );
                }
            }
            use std::io::Write;
            let _ = std::io::stdout().flush();
            stop_requested().await;
            server.shutdown().await;
        }
        Command::Pull {
            workspace,
            api_base,
            api_version,
            replace,
            resume,
            format,
            token_stdin,
        } => {
            let token = read_token(token_stdin)?;
            let options = PullOptions {
                workspace,
                api_base,
                flavor: match api_version {
                    ApiVersion::Dated => ApiFlavor::Dated,
                    ApiVersion::Legacy => ApiFlavor::Legacy,
                },
                replace,
                resume,
                policy: retry_policy(),
            };
            return pull_command(options, token, format, reporter).await;
        }
        Command::Demo {
            workspace,
            contacts,
            tickets,
            seed,
            replace,
        } => {
            let path = workspace.unwrap_or_else(default_workspace_path);
            workspace_files::create_parent_dir(&path)?;
            let size = demo::DemoSize { contacts, tickets };
            let opened =
                transfer::write_demo_with_progress(&path, seed, size, replace, &*reporter).await?;
            reporter.finish();
            opened.close().await;
            println!(
                "Wrote a demo workspace with {} contacts and {} tickets to {} (password for signing in: {})",
                contacts,
                tickets,
                path.display(),
                demo::DEMO_PASSWORD
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The access token: from standard input with `--token-stdin`, else from HUBSPOT_ACCESS_TOKEN.
fn read_token(from_stdin: bool) -> Result<Token, Error> {
    let text = if from_stdin {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|source| {
            Error::Io {
                path: "standard input".into(),
                source,
            }
        })?;
        text
    } else {
        std::env::var("HUBSPOT_ACCESS_TOKEN").unwrap_or_default()
    };
    Token::new(&text).ok_or_else(|| {
        VendorError::Setup(if from_stdin {
            "no access token on standard input".into()
        } else {
            "no access token: set HUBSPOT_ACCESS_TOKEN or pass --token-stdin".into()
        })
        .into()
    })
}

/// The client's patience. PORTAL_PULL_RETRY_WAIT_MS shortens every wait before a retry, and
/// PORTAL_PULL_TIMEOUT_MS the time a request may take (for tests against a local stub).
fn retry_policy() -> RetryPolicy {
    let mut policy = RetryPolicy::default();
    let millis = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|value| value.parse::<u64>().ok())
            .map(std::time::Duration::from_millis)
    };
    if let Some(wait) = millis("PORTAL_PULL_RETRY_WAIT_MS") {
        policy.backoff = wait;
        policy.rate_limit_wait = wait;
    }
    if let Some(timeout) = millis("PORTAL_PULL_TIMEOUT_MS") {
        policy.timeout = timeout;
    }
    policy
}

/// A pull's progress on standard error, the way `reporter` shows progress: a bar per object kind at a
/// terminal; otherwise plain lines, one per kind at most every second and one when it is done (with the
/// rate and, where the vendor gives a total, the time left); nothing with `--quiet`.
struct PullProgress {
    reporter: Arc<Reporter>,
    last: std::sync::Mutex<std::collections::HashMap<PullKind, std::time::Instant>>,
    /// The bar of each kind being read, with the count it shows.
    bars: std::sync::Mutex<std::collections::HashMap<PullKind, (progress::Task, u64)>>,
}

impl PullProgress {
    fn new(reporter: Arc<Reporter>) -> PullProgress {
        PullProgress {
            reporter,
            last: Default::default(),
            bars: Default::default(),
        }
    }

    fn bar(&self, progress: &KindProgress) {
        let mut bars = self.bars.lock().expect("the progress lock");
        let (task, shown) = bars.entry(progress.kind).or_insert_with(|| {
            let unit = match progress.kind {
                PullKind::Catalog => Unit::Items("records"),
                kind => Unit::Items(kind.label()),
            };
            (
                self.reporter
                    .task(progress.kind.label(), unit, progress.total),
                0,
            )
        });
        task.inc(progress.done.saturating_sub(*shown));
        *shown = (*shown).max(progress.done);
        task.show_time_left(progress.rate(), progress.seconds_left());
        if progress.finished {
            if let Some((task, _)) = bars.remove(&progress.kind) {
                task.finish();
            }
        }
    }
}

fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut text = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

impl PullReport for PullProgress {
    fn progress(&self, progress: &KindProgress) {
        match self.reporter.mode() {
            Mode::Quiet => return,
            Mode::Bars => return self.bar(progress),
            Mode::Lines => {}
        }
        let now = std::time::Instant::now();
        {
            let mut last = self.last.lock().expect("the progress lock");
            if !progress.finished
                && last
                    .get(&progress.kind)
                    .is_some_and(|at| now.duration_since(*at).as_secs_f64() < 1.0)
            {
                return;
            }
            last.insert(progress.kind, now);
        }
        let mut line = format!("{}: {}", progress.kind.label(), thousands(progress.done));
        if progress.finished {
            line.push_str(&format!(
                " in {:.1} s ({:.0}/s)",
                progress.seconds,
                progress.rate()
            ));
        } else {
            if let Some(total) = progress.total {
                line.push_str(&format!(" of {}", thousands(total)));
            }
            line.push_str(&format!(" ({:.0}/s", progress.rate()));
            if let Some(left) = progress.seconds_left() {
                line.push_str(&format!(", about {left:.0} s left"));
            }
            line.push(')');
        }
        if let Some(detail) = &progress.detail {
            line.push_str("; ");
            line.push_str(detail);
        }
        eprintln!("{line}");
    }

    fn note(&self, text: &str) {
        match (self.reporter.mode(), self.reporter.bars()) {
            (Mode::Quiet, _) => {}
            (_, Some(bars)) => {
                let _ = bars.println(text);
            }
            (_, None) => eprintln!("{text}"),
        }
    }
}

async fn pull_command(
    options: PullOptions,
    token: Token,
    format: ViewFormat,
    reporter: Arc<Reporter>,
) -> Result<ExitCode, Error> {
    let cancel = std::sync::Arc::new(transfer::CancelToken::default());
    let on_interrupt = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("Stopping after the current page…");
                cancel.cancel();
            }
        })
    };
    let report = PullProgress::new(reporter.clone());
    let outcome = pull::pull(&options, token, &report, &cancel).await;
    reporter.finish();
    on_interrupt.abort();
    let summary = match outcome {
        Ok(Pulled::Done(summary)) => summary,
        Ok(Pulled::Cancelled) => {
            eprintln!(
                "The pull stopped; {} is untouched. Continue it with --resume.",
                options.workspace.display()
            );
            return Ok(ExitCode::from(1));
        }
        Err(error @ Error::Pull(_)) if matches!(&error, Error::Pull(inner) if inner.is_usage()) => {
            return Err(error)
        }
        Err(error @ Error::Vendor(VendorError::Setup(_))) => return Err(error),
        // A target that is not a workspace (or a newer one) is the user's to fix, not a stopped pull.
        Err(
            error @ Error::Storage(
                portal::storage::StorageError::NotAWorkspace(_)
                | portal::storage::StorageError::NewerVersion(_),
            ),
        ) => return Err(error),
        Err(error) => {
            eprintln!("error: {error}");
            let resumable = pull::has_interrupted_pull(&options.workspace);
            eprintln!(
                "The pull stopped; {} is untouched.{}",
                options.workspace.display(),
                if resumable {
                    " Continue it with --resume."
                } else {
                    ""
                }
            );
            return Ok(ExitCode::from(1));
        }
    };
    match format {
        ViewFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&summary).expect("a summary serialises")
        ),
        ViewFormat::Table => print!("{}", pull_table(&summary)),
    }
    Ok(ExitCode::SUCCESS)
}

fn pull_table(summary: &pull::PullSummary) -> String {
    let counts = &summary.counts;
    let mut text = format!(
        "Pulled into {} in {:.1} s: {} requests, {} retries, {} rate-limited{}\n",
        summary.workspace.display(),
        summary.seconds,
        thousands(summary.requests),
        thousands(summary.retries),
        thousands(summary.rate_limited),
        if summary.resumed { " (resumed)" } else { "" }
    );
    let mut rows = vec![vec!["KIND".to_string(), "COUNT".into(), "NOTE".into()]];
    let mut row = |kind: &str, count: u64, note: String| {
        rows.push(vec![kind.to_string(), thousands(count), note]);
    };
    row("companies", counts.companies, String::new());
    row(
        "contacts",
        counts.contacts,
        if counts.contacts_without_email > 0 {
            format!("{} without an email skipped", counts.contacts_without_email)
        } else {
            String::new()
        },
    );
    row(
        "lists",
        counts.lists,
        format!("{} memberships", thousands(counts.list_memberships)),
    );
    row(
        "pipelines",
        counts.pipelines,
        format!("{} stages", counts.stages),
    );
    row(
        "tickets",
        counts.tickets,
        if counts.tickets_without_pipeline + summary.tickets_without_stage > 0 {
            format!(
                "{} without a listed pipeline or stage left out",
                counts.tickets_without_pipeline + summary.tickets_without_stage
            )
        } else {
            String::new()
        },
    );
    row("inboxes", counts.inboxes, String::new());
    row(
        "channels",
        counts.channels + counts.unlisted_channels,
        [
            (counts.unlisted_channels > 0)
                .then(|| format!("{} not listed (on no inbox)", counts.unlisted_channels)),
            (counts.channels_of_other_kinds > 0)
                .then(|| format!("{} of other kinds as CHAT", counts.channels_of_other_kinds)),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; "),
    );
    row("threads", counts.threads, String::new());
    row(
        "messages",
        counts.messages,
        if counts.entries_not_messages > 0 {
            format!(
                "{} other thread entries skipped",
                counts.entries_not_messages
            )
        } else {
            String::new()
        },
    );
    text.push_str(&columns(&rows));
    if summary.replaced {
        text.push_str(&format!(
            "Kept the settings, their history, the outbox and {} portal logins ({} without a pulled contact)\n",
            summary.logins_kept, summary.logins_dropped
        ));
    }
    if let Some(changes) = &summary.visibility {
        text.push_str(&format!(
            "Visibility against the replaced workspace: {} ticket views appeared, {} disappeared, for {} contacts\n",
            thousands(changes.tickets_shown),
            thousands(changes.tickets_hidden),
            thousands(changes.contacts_seeing_changes.len() as u64)
        ));
        for (label, contacts) in [
            ("may now sign in", &changes.may_now_sign_in),
            ("may no longer sign in", &changes.may_no_longer_sign_in),
        ] {
            if !contacts.is_empty() {
                let shown: Vec<&str> = contacts.iter().take(10).map(String::as_str).collect();
                let more = contacts.len().saturating_sub(shown.len());
                text.push_str(&format!(
                    "  {label}: {}{}\n",
                    shown.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ));
            }
        }
        text.push_str(
            "  (settings naming lists, inboxes or pipelines that are gone: portal check)\n",
        );
    }
    if summary.dangling_references > 0 {
        text.push_str(&format!(
            "Left out {} associations or memberships naming records that were not read\n",
            summary.dangling_references
        ));
    }
    text
}

async fn snapshot_command(
    action: SnapshotAction,
    reporter: Arc<Reporter>,
) -> Result<ExitCode, Error> {
    match action {
        SnapshotAction::Save { name, workspace } => {
            let workspace = open(workspace).await?;
            let saved = snapshots::save_named(&workspace, &name, &*reporter).await?;
            reporter.finish();
            println!(
                "Saved snapshot #{} \"{}\": {} contacts, {} visible tickets, {} bytes",
                saved.id,
                printable(&name),
                thousands(saved.contacts as u64),
                thousands(saved.tickets as u64),
                thousands(saved.bytes as u64)
            );
        }
        SnapshotAction::List { workspace, format } => {
            let workspace = open(workspace).await?;
            let list = snapshots::list(&workspace).await?;
            match format {
                ViewFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&list).expect("snapshots serialise")
                ),
                ViewFormat::Table => {
                    if list.is_empty() {
                        println!("No snapshots yet.");
                    }
                    for snapshot in &list {
                        println!(
                            "{:<6} {:<28} {}  {:>8} contacts {:>10} tickets {:>12} bytes",
                            format!("#{}", snapshot.id),
                            printable(&snapshots::label(snapshot))
                                .trim_start_matches(&format!("#{} ", snapshot.id))
                                .to_string(),
                            snapshot.created_at,
                            thousands(snapshot.contacts as u64),
                            thousands(snapshot.tickets as u64),
                            thousands(snapshot.bytes as u64)
                        );
                    }
                }
            }
        }
        SnapshotAction::Diff {
            a,
            b,
            workspace,
            format,
        } => {
            let workspace = open(workspace).await?;
            let before = snapshots::find(&workspace, &a).await?;
            let after = match &b {
                Some(b) => Some(snapshots::find(&workspace, b).await?),
                None => None,
            };
            let diff =
                snapshots::compare(&workspace, &before, after.as_ref(), None, &*reporter).await?;
            reporter.finish();
            match format {
                ViewFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&diff).expect("a diff serialises")
                ),
                ViewFormat::Table => print!("{}", diff_table(&diff)),
            }
            return Ok(if diff.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One block per finding (names and subjects escaped), then the counts per code.
fn lint_table(report: &lint::LintReport) -> String {
    let mut text = String::new();
    for finding in &report.findings {
        text.push_str(&format!(
            "{}\n  what: {}\n  who:  {}\n  fix:  {}\n",
            finding.code.as_str(),
            printable(&finding.summary),
            printable(&finding.who_sees),
            printable(&finding.fix)
        ));
    }
    if !report.findings.is_empty() {
        text.push('\n');
    }
    for count in &report.counts {
        text.push_str(&format!(
            "{:>8}  {}\n",
            thousands(count.count),
            count.code.as_str()
        ));
    }
    text.push_str(&if report.is_clean() {
        "No findings.\n".to_string()
    } else {
        format!("{} findings.\n", thousands(report.findings.len() as u64))
    });
    text
}

/// Ids for a line of the diff table: at most 20, then how many more.
fn id_list(sign: char, ids: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut text: Vec<String> = ids
        .iter()
        .take(SHOWN)
        .map(|id| format!("{sign}{id}"))
        .collect();
    if ids.len() > SHOWN {
        text.push(format!("(and {} more)", ids.len() - SHOWN));
    }
    text.join(" ")
}

fn diff_table(diff: &SnapshotDiff) -> String {
    let mut text = format!(
        "From {} to {}\n",
        printable(&diff.before.label),
        printable(&diff.after.label)
    );
    for change in &diff.changes {
        let view = change.view.map_or("", View::as_str);
        let mut parts = Vec::new();
        match (change.present_before, change.present_after) {
            (false, true) => parts.push("new contact".to_string()),
            (true, false) => parts.push("contact removed".to_string()),
            _ => {}
        }
        match (change.can_sign_in_before, change.can_sign_in_after) {
            (false, true) => parts.push("may now sign in".to_string()),
            (true, false) => parts.push("may no longer sign in".to_string()),
            _ => {}
        }
        if !change.gained.is_empty() {
            parts.push(format!("gained {}", id_list('+', &change.gained)));
        }
        if !change.lost.is_empty() {
            parts.push(format!("lost {}", id_list('-', &change.lost)));
        }
        for thread in &change.threads_changed {
            parts.push(format!(
                "ticket {} shows {} instead of {}",
                thread.ticket,
                thread.after.as_deref().unwrap_or("no thread"),
                thread.before.as_deref().unwrap_or("no thread")
            ));
        }
        let who = if view.is_empty() {
            change.contact.clone()
        } else {
            format!("{} ({view})", change.contact)
        };
        text.push_str(&format!(
            "  {}: {}\n",
            printable(&who),
            printable(&parts.join("; "))
        ));
    }
    if diff.is_empty() {
        text.push_str("No change: every contact sees what they saw.\n");
    } else {
        text.push_str(&format!(
            "{} contacts changed: {} sign-ins, {} tickets gained, {} lost, {} shown threads changed\n",
            thousands(diff.contacts_changed),
            thousands(diff.sign_in_changed),
            thousands(diff.tickets_gained),
            thousands(diff.tickets_lost),
            thousands(diff.threads_changed)
        ));
    }
    text
}

async fn settings_command(action: SettingsAction) -> Result<ExitCode, Error> {
    let who = settings_admin::current_user();
    match action {
        SettingsAction::Show { workspace } => {
            let workspace = open(workspace).await?;
            let settings = workspace.settings().await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&portal::domain::settings::without_secrets(&settings))
                    .expect("settings serialise")
            );
        }
        SettingsAction::Set {
            key,
            value,
            workspace,
        } => {
            let workspace = open(workspace).await?;
            let saved = settings_admin::set_setting_then(&workspace, &key, &value, &who).await?;
            match saved.entry {
                Some(entry) => println!("Saved {key} (history entry #{entry})"),
                None => println!("{key} already has that value; nothing changed"),
            }
            finish_snapshot(saved.snapshot).await;
        }
        SettingsAction::History { workspace } => {
            let workspace = open(workspace).await?;
            let history = workspace.history().await?;
            if history.is_empty() {
                println!("No changes yet.");
            }
            for entry in history {
                println!(
                    "#{} {} by {}: {}",
                    entry.id, entry.changed_at, entry.changed_by, entry.summary
                );
                for change in entry.changes {
                    println!("    {}: {} -> {}", change.key, change.before, change.after);
                }
            }
        }
        SettingsAction::Undo { entry, workspace } => {
            let workspace = open(workspace).await?;
            let saved = settings_admin::undo_then(&workspace, entry, &who).await?;
            match saved.entry {
                Some(new_entry) => println!("Undone (history entry #{new_entry})"),
                None => println!("Nothing to undo: the settings already have those values"),
            }
            finish_snapshot(saved.snapshot).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Computes the visibility snapshot taken before a settings change, after the change was saved and
/// reported: the process cannot leave it to the background, which ends with it. A failure costs only
/// the snapshot (logged by `compute`); the change stands.
async fn finish_snapshot(snapshot: Option<snapshots::PendingSnapshot>) {
    if let Some(snapshot) = snapshot {
        tracing::debug!(
            snapshot = snapshot.id(),
            "computing the visibility snapshot before the change"
        );
        let _ = snapshot.compute().await;
    }
}

/// Cancels `cancel` on Ctrl+C (instead of killing the process half-way), until the task is aborted.
fn cancel_on_interrupt(cancel: Arc<transfer::CancelToken>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    })
}

/// Waits for Ctrl+C, or (on Unix) the SIGTERM that service managers and scripts send.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Aligns rows of cells into columns separated by two spaces. Cells are shown `printable`: a ticket
/// subject cannot send escape sequences to the terminal or break the table.
fn columns(rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| printable(cell)).collect())
        .collect();
    let widths: Vec<usize> = (0..rows.first().map_or(0, Vec::len))
        .map(|column| {
            rows.iter()
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for row in rows {
        let mut line = String::new();
        for (column, cell) in row.iter().enumerate() {
            if column + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[column] - cell.chars().count() + 2));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// The view for people: who, whether and why they may sign in, then visible and hidden tickets.
pub fn view_table(answer: &ContactView) -> String {
    let mut text = format!(
        "{}: {} ({})\n",
        printable(&answer.contact),
        if answer.can_sign_in {
            "can sign in"
        } else {
            "cannot sign in"
        },
        printable(&answer.access_reason)
    );
    let views: Vec<String> = answer
        .views
        .iter()
        .map(|view| {
            if Some(*view) == answer.view {
                format!("[{}]", view.as_str())
            } else {
                view.as_str().to_string()
            }
        })
        .collect();
    text.push_str(&format!(
        "Views: {}\n\n",
        if views.is_empty() {
            "no switch (own tickets only)".to_string()
        } else {
            views.join(" ")
        }
    ));
    let mut rows = vec![vec![
        "TICKET".to_string(),
        "STATUS".into(),
        "LAST ACTIVITY".into(),
        "SUBJECT".into(),
        "THREAD".into(),
        "MESSAGES".into(),
        "WHY".into(),
    ]];
    for ticket in &answer.tickets {
        rows.push(vec![
            ticket.id.clone(),
            ticket.status.clone(),
            ticket.last_activity_at.clone(),
            ticket.subject.clone(),
            ticket
                .thread
                .as_ref()
                .map_or("-".into(), |thread| thread.id.clone()),
            ticket.thread.as_ref().map_or("-".into(), |thread| {
                thread
                    .messages
                    .iter()
                    .map(|message| message.id.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            }),
            ticket.reason.clone(),
        ]);
    }
    text.push_str(&format!("Visible tickets ({}):\n", answer.tickets.len()));
    text.push_str(&columns(&rows));
    for ticket in &answer.tickets {
        for hidden in &ticket.hidden_threads {
            text.push_str(&format!(
                "  {} thread {} hidden: {}\n",
                printable(&ticket.id),
                printable(&hidden.id),
                printable(&hidden.reason)
            ));
        }
        for hidden in &ticket.hidden_messages {
            text.push_str(&format!(
                "  {} message {} hidden: {}\n",
                printable(&ticket.id),
                printable(&hidden.id),
                printable(&hidden.reason)
            ));
        }
    }
    if !answer.hidden_tickets.is_empty() {
        text.push_str(&format!(
            "\nHidden tickets ({}):\n",
            answer.hidden_tickets.len()
        ));
        let mut rows = vec![vec!["TICKET".to_string(), "WHY".into()]];
        for hidden in &answer.hidden_tickets {
            rows.push(vec![hidden.id.clone(), hidden.reason.clone()]);
        }
        text.push_str(&columns(&rows));
    }
    text
}
