//! The one error every command returns. It reaches the UI as `{ kind, message }` (plus the engine's own
//! kind for engine failures), typed in `ui/src/bindings/CommandError.ts`, so the UI decides by `kind` and
//! shows `message` to people. Engine errors convert with `?` and are logged here, once, with their cause.

use portal::ErrorKind;
use serde::Serialize;
use ts_rs::TS;

/// Why a command did not do what it was asked.
#[derive(Debug, Clone, PartialEq, Serialize, TS, thiserror::Error)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum CommandError {
    /// The engine refused or failed; `engine` says which way (a newer workspace, a bad bundle, …).
    #[error("{message}")]
    Engine { engine: ErrorKind, message: String },
    /// The user stopped the work; nothing was changed.
    #[error("{message}")]
    Cancelled { message: String },
    /// No workspace is open; `message` says why (it failed to open, or is still opening).
    #[error("{message}")]
    NoWorkspaceOpen { message: String },
    /// The shell refused the request before it reached the engine (e.g. overwriting the open workspace).
    #[error("{message}")]
    Refused { message: String },
    /// Something outside the engine failed: a background task, the system browser or file manager.
    #[error("{message}")]
    Failed { message: String },
}

impl CommandError {
    /// The user stopped the work (`cancel_work`, `cancel_reads`).
    pub fn cancelled(message: impl Into<String>) -> CommandError {
        CommandError::Cancelled {
            message: message.into(),
        }
    }

    pub fn refused(message: impl Into<String>) -> CommandError {
        CommandError::Refused {
            message: message.into(),
        }
    }

    /// A failure outside the engine, logged with its cause.
    pub fn failed(message: impl Into<String>) -> CommandError {
        let message = message.into();
        tracing::error!("command failed: {message}");
        CommandError::Failed { message }
    }

    /// An engine error with `context` before its message (e.g. which file was being opened).
    pub fn engine_in(context: &str, error: portal::Error) -> CommandError {
        match CommandError::from(error) {
            CommandError::Engine { engine, message } => CommandError::Engine {
                engine,
                message: format!("{context}: {message}"),
            },
            other => other,
        }
    }
}

impl From<portal::Error> for CommandError {
    fn from(error: portal::Error) -> CommandError {
        let engine = error.kind();
        // Refusals the user can fix (a bad draft, a foreign file) are expected; the rest are failures.
        match engine {
            ErrorKind::Storage | ErrorKind::Io | ErrorKind::Serve | ErrorKind::PullStopped => {
                tracing::error!(kind = ?engine, cause = ?error, "command failed: {error}")
            }
            _ => tracing::warn!(kind = ?engine, "command refused: {error}"),
        }
        CommandError::Engine {
            engine,
            message: error.to_string(),
        }
    }
}

impl From<portal::storage::StorageError> for CommandError {
    fn from(error: portal::storage::StorageError) -> CommandError {
        portal::Error::from(error).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portal::storage::StorageError;

    #[test]
    fn an_engine_error_reaches_the_ui_as_its_kind_the_engines_kind_and_message() {
        let error = CommandError::from(StorageError::NewerVersion("acme.portal".into()));
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({
                "kind": "engine",
                "engine": "newerVersion",
                "message": "acme.portal was written by a newer Portal Studio; update the app to open it",
            })
        );
    }

    #[test]
    fn cancellation_is_a_kind_not_a_message_to_compare() {
        let error = CommandError::cancelled("import cancelled: nothing was changed");
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({ "kind": "cancelled", "message": "import cancelled: nothing was changed" })
        );
    }

    #[test]
    fn no_workspace_open_says_why() {
        let error = CommandError::NoWorkspaceOpen {
            message: "the workspace is still opening".into(),
        };
        let value = serde_json::to_value(&error).unwrap();
        assert_eq!(value["kind"], "noWorkspaceOpen");
        assert_eq!(value["message"], "the workspace is still opening");
    }
}
