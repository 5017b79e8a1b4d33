//! Portal Studio desktop shell: a Tauri v2 window around the admin UI in `../ui`.
//!
//! The engine crate (`portal`) is linked in so later admin commands can call it directly;
//! for now the shell exposes only [`commands::app_version`], which proves the UI ⇄ Rust IPC path.

pub mod commands;

/// The shell's crate version, e.g. `"0.1.0"`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Builds and runs the desktop application. Blocks until the last window closes.
pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::app_version])
        .run(tauri::generate_context!())
        .expect("error while running Portal Studio");
}
