//! Tauri commands callable from the UI with `invoke("<name>")`.
//!
//! Each command must also be listed in `build.rs` (which generates its `allow-<name>` permission)
//! and granted to a window by a capability in `capabilities/`.
//!
//! Commands live in this module rather than the crate root: `#[tauri::command]` on a `pub fn`
//! at a crate root collides with the macros it exports there (E0255).

/// Returns the Portal Studio version shown in the UI's status bar, e.g. `"0.1.0"`.
#[tauri::command]
pub fn app_version() -> String {
    crate::VERSION.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_version_is_the_crate_version() {
        assert_eq!(app_version(), env!("CARGO_PKG_VERSION"));
        assert!(!app_version().is_empty());
    }
}
