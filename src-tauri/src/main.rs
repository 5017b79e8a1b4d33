// Hide the extra console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // The admin UI is forms and tables: WebKitGTK's accelerated compositing buys it nothing, and its GL
    // layers (software GL where there is no GPU) cost about 85 MB of the web process at idle
    // (bench/desktop.sh). Set before any thread starts; an explicit setting in the environment wins.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
    portal_studio::run();
}
