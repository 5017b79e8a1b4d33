// Generates the Tauri context (config, ACL, embedded assets) for the shell.
//
// NOTE: `tauri.conf.json` points `frontendDist` at `../ui/dist`, which is embedded into the binary
// at compile time. Build the UI first (`npm --prefix ui ci && npm --prefix ui run build`); if the
// directory is missing, tauri-codegen panics with "The `frontendDist` configuration is set to ...".
fn main() {
    // Declaring the app's own commands turns on access control for them: each command gets an
    // `allow-<command>` permission that a capability in `capabilities/` must grant to a window.
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_version",
        "open_log_folder",
        "workspace_info",
        "new_workspace",
        "open_workspace",
        "import_bundle",
        "export_bundle",
        "cancel_work",
        "cancel_reads",
        "work_progress",
        "portal_url",
        "open_portal",
        "get_settings",
        "settings_options",
        "validate_settings",
        "checklist",
        "save_settings",
        "set_enabled",
        "history",
        "undo",
        "customer_page",
        "customer_companies",
        "send_sign_in_email",
        "unlock_contact",
        "contact_choices",
        "outbox",
        "inbox",
        "ticket_timeline",
        "contact_timeline",
        "preview_page",
        "open_preview_in_browser",
        "shipped_template",
        "contrast_warnings",
        "check_image",
        "reply_as",
        "submit_form_as",
        "pull_setup",
        "start_pull",
        "pull_progress",
        "cancel_pull",
        "forget_pull_token",
        "matrix_page",
        "what_if_overview",
        "what_if_changes",
        "export_audit_csv",
        "prepare_what_if",
        "explain_contact",
        "lint_findings",
        "checklist_warnings",
        "snapshots",
        "save_snapshot",
        "compare_snapshots",
        "change_visibility",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("failed to run tauri-build");
}
