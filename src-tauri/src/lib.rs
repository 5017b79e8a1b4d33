//! Portal Studio desktop shell: a Tauri v2 window around the admin UI in `../ui`, over the engine crate
//! (`portal`). At start it opens the last workspace (or creates the demo workspace on first run) and
//! serves its customer portal in-process on a free loopback port.

pub mod commands;
pub mod error;
pub mod keychain;
pub mod state;

use state::Studio;
use tauri::Manager;

/// The shell's crate version, e.g. `"0.1.0"`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The log file's size at which it is rotated, and how many rotated files are kept beside it.
const LOG_FILE_BYTES: u128 = 2_000_000;
const LOG_FILES_KEPT: usize = 4;

/// The app's log: the terminal and a rotating file in the app's log directory (`open_log_folder`).
/// The engine and the shell log through `tracing`, whose events reach this logger through the `log`
/// facade (tracing's "log" feature); `RUST_LOG`-style filtering is by level here.
fn logging() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_log::Builder::new()
        .rotation_strategy(tauri_plugin_log::RotationStrategy::KeepSome(LOG_FILES_KEPT))
        .max_file_size(LOG_FILE_BYTES)
        .level(log::LevelFilter::Info)
        // Every statement at info would drown the log; slow statements still come at warn.
        .level_for("sqlx", log::LevelFilter::Warn)
        .build()
}

/// Builds and runs the desktop application. Blocks until the last window closes.
pub fn run() {
    tauri::Builder::default()
        .plugin(logging())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .setup(|app| {
            let last_file = if std::env::var_os(state::WORKSPACE_ENV).is_some() {
                None
            } else {
                app.path()
                    .app_config_dir()
                    .ok()
                    .map(|dir| dir.join("last-workspace"))
            };
            let path = state::startup_path(last_file.as_deref());
            let (studio, mut guard) = Studio::new(last_file, Some(app.handle().clone()));
            studio.remember(&path);
            app.manage(studio);
            // Opening (or creating the demo) may take a while: commands wait on the lock meanwhile.
            tauri::async_runtime::spawn(async move {
                *guard = state::open_startup(path).await;
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_version,
            commands::open_log_folder,
            commands::workspace::workspace_info,
            commands::workspace::new_workspace,
            commands::workspace::open_workspace,
            commands::workspace::import_bundle,
            commands::workspace::export_bundle,
            commands::workspace::cancel_work,
            commands::cancel_reads,
            commands::workspace::work_progress,
            commands::portal::portal_url,
            commands::portal::open_portal,
            commands::settings::get_settings,
            commands::settings::settings_options,
            commands::settings::validate_settings,
            commands::settings::checklist,
            commands::settings::save_settings,
            commands::settings::set_enabled,
            commands::settings::history,
            commands::settings::undo,
            commands::customers::customer_page,
            commands::customers::customer_companies,
            commands::customers::send_sign_in_email,
            commands::customers::unlock_contact,
            commands::customers::contact_choices,
            commands::messages::outbox,
            commands::messages::inbox,
            commands::messages::ticket_timeline,
            commands::messages::contact_timeline,
            commands::preview::preview_page,
            commands::preview::shipped_template,
            commands::preview::contrast_warnings,
            commands::preview::check_image,
            commands::preview::open_preview_in_browser,
            commands::preview::reply_as,
            commands::preview::submit_form_as,
            commands::pull::pull_setup,
            commands::pull::start_pull,
            commands::pull::pull_progress,
            commands::pull::cancel_pull,
            commands::pull::forget_pull_token,
            commands::visibility::matrix_page,
            commands::visibility::what_if_overview,
            commands::visibility::what_if_changes,
            commands::visibility::export_audit_csv,
            commands::visibility::prepare_what_if,
            commands::visibility::explain_contact,
            commands::snapshots::lint_findings,
            commands::snapshots::checklist_warnings,
            commands::snapshots::snapshots,
            commands::snapshots::save_snapshot,
            commands::snapshots::compare_snapshots,
            commands::snapshots::change_visibility,
        ])
        .run(tauri::generate_context!())
        .expect("error while running Portal Studio");
}
