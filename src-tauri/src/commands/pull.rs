//! The pull dialog ("Pull from the help desk…"): reads a help desk account over its REST API into the
//! open workspace's file (replacing its help-desk data and keeping its settings, logins and outbox, as
//! `portal pull --replace` does) or into a new file, with where each object kind stands
//! (`pull_progress`), Cancel (`cancel_pull`: what was read is kept beside the target for Resume, the
//! target untouched) and Resume (`start_pull` with `resume`).
//!
//! The token arrives with `start_pull` only, becomes a `vendor::Token` at once and lives as long as that
//! pull; it is never logged, written to the workspace or put in an error. Only when the user ticks
//! "Remember in the system keychain" is it saved there (`crate::keychain`), per API address.

use super::workspace::{open_file, same_file, switch};
use crate::error::CommandError;
use crate::keychain;
use crate::state::{OpenWorkspace, Studio};
use portal::app::pull::watch::{
    interrupted_pull, InterruptedPull, PullStatus, PullWatch, PulledSummary,
};
use portal::app::pull::{self, PullOptions, Pulled};
use portal::vendor::{ApiFlavor, RetryPolicy, Token, VendorError, DEFAULT_API_BASE};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tauri::State;
use ts_rs::TS;

/// What the dialog needs to know before a pull.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PullSetup {
    /// The file the pull goes into: the one asked about, else the open workspace's.
    pub target: String,
    /// The target is the open workspace (its help-desk data is replaced; settings are kept).
    pub into_open_workspace: bool,
    /// The vendor's public API address, used when the dialog's advanced field is empty.
    pub default_api_base: String,
    /// None when the system keychain can be used; else why not, in words.
    pub keychain_unavailable: Option<String>,
    /// A token is saved in the keychain for this API address.
    pub token_remembered: bool,
    /// An interrupted pull of the target waits to be resumed.
    pub interrupted: Option<InterruptedPull>,
}

/// A pull to start. (No `Debug`: it holds the token.)
#[derive(Clone, Deserialize, TS)]
#[ts(export)]
pub struct PullRequest {
    /// The access token, for this pull only. Empty: the one saved in the keychain for `api_base`.
    pub token: String,
    /// The file to pull into; None: the open workspace's.
    pub target: Option<String>,
    /// The vendor's API address; empty: its public one.
    pub api_base: String,
    /// Continue the interrupted pull of the target (with the options it was started with).
    pub resume: bool,
    /// Save the token in the system keychain (for this API address) once it has been accepted.
    pub remember: bool,
}

fn api_base_of(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        DEFAULT_API_BASE.to_string()
    } else {
        text.to_string()
    }
}

async fn open_path(studio: &State<'_, Studio>) -> Option<PathBuf> {
    studio
        .slot
        .lock()
        .await
        .as_ref()
        .ok()
        .map(|open| open.path.clone())
}

/// The target of a pull: `target`, else the open workspace's file; and whether it is the open one.
async fn target_of(
    studio: &State<'_, Studio>,
    target: Option<String>,
) -> Result<(PathBuf, bool), CommandError> {
    let open = open_path(studio).await;
    let target = match (target, &open) {
        (Some(path), _) if !path.trim().is_empty() => PathBuf::from(path),
        (_, Some(open)) => open.clone(),
        _ => {
            return Err(CommandError::NoWorkspaceOpen {
                message: "no workspace is open; choose a new file to pull into".into(),
            })
        }
    };
    let into_open = open.is_some_and(|open| same_file(&open, &target));
    Ok((target, into_open))
}

/// The target, the keychain and any interrupted pull, for the dialog.
#[tauri::command]
pub async fn pull_setup(
    studio: State<'_, Studio>,
    target: Option<String>,
    api_base: String,
) -> Result<PullSetup, CommandError> {
    let (target, into_open) = target_of(&studio, target).await?;
    let api_base = api_base_of(&api_base);
    let keychain_unavailable = keychain::available().await.err();
    let token_remembered =
        keychain_unavailable.is_none() && matches!(keychain::read(&api_base).await, Ok(Some(_)));
    // A pull running on this target holds its staging file: nothing to offer then.
    let interrupted = if studio.jobs.pull_status().is_some() {
        None
    } else {
        interrupted_pull(&target).await?
    };
    Ok(PullSetup {
        target: target.display().to_string(),
        into_open_workspace: into_open,
        default_api_base: DEFAULT_API_BASE.to_string(),
        keychain_unavailable,
        token_remembered,
        interrupted,
    })
}

/// The open workspace is closed while a pull works on its file (its portal stops meanwhile), so that
/// nothing holds the file the pull renames over.
async fn close_for_pull(studio: &State<'_, Studio>, target: &Path) {
    let previous = std::mem::replace(
        &mut *studio.slot.lock().await,
        Err(format!(
            "{} is closed while the help desk is pulled into it",
            target.display()
        )),
    );
    if let Ok(previous) = previous {
        studio.close(previous).await;
    }
}

/// Opens `path` as the open workspace (after a pull into it, or into a new file that completed). When
/// it was closed for the pull and cannot be opened again, the window says why.
async fn reopen(studio: &State<'_, Studio>, path: &Path, closed: bool) -> Result<(), CommandError> {
    let opened = async {
        let workspace = open_file(path).await?;
        switch(
            studio,
            OpenWorkspace::start(workspace, path.to_path_buf()).await?,
        )
        .await
    }
    .await;
    match opened {
        Ok(_) => Ok(()),
        Err(error) => {
            if closed {
                *studio.slot.lock().await =
                    Err(format!("could not open {} again: {error}", path.display()));
            }
            Err(error)
        }
    }
}

/// Pulls the help desk the token opens into the target and opens it; see the module's description.
/// Cancelled: a `cancelled` error whose message says the target is untouched and Resume continues.
#[tauri::command]
pub async fn start_pull(
    studio: State<'_, Studio>,
    request: PullRequest,
) -> Result<PulledSummary, CommandError> {
    let PullRequest {
        token: typed,
        target,
        api_base,
        resume,
        remember,
    } = request;
    let (target, into_open) = target_of(&studio, target).await?;
    let api_base = api_base_of(&api_base);
    let (text, from_keychain) = if typed.trim().is_empty() {
        match keychain::read(&api_base).await {
            Ok(Some(saved)) => (saved, true),
            Ok(None) => return Err(CommandError::refused("paste the access token first")),
            Err(why) => {
                return Err(CommandError::refused(format!(
                    "paste the access token first ({why})"
                )))
            }
        }
    } else {
        (typed, false)
    };
    let token =
        Token::new(&text).ok_or_else(|| CommandError::refused("paste the access token first"))?;
    let interrupted = if resume {
        Some(interrupted_pull(&target).await?.ok_or_else(|| {
            CommandError::refused(format!(
                "there is no interrupted pull of {} to resume",
                target.display()
            ))
        })?)
    } else {
        None
    };
    // A resumed pull goes on with the options it was started with (the command line may have chosen
    // the legacy paths).
    let (flavor, replace, watch) = match &interrupted {
        Some(interrupted) => (
            interrupted.flavor(),
            interrupted.replace,
            PullWatch::resuming(interrupted),
        ),
        None => (ApiFlavor::Dated, target.exists(), PullWatch::new()),
    };
    let job = studio
        .jobs
        .start_pull(watch)
        .ok_or_else(|| CommandError::refused("a pull is already running"))?;
    if into_open {
        close_for_pull(&studio, &target).await;
    }
    let options = PullOptions {
        workspace: target.clone(),
        api_base: api_base.clone(),
        flavor,
        replace,
        resume,
        policy: RetryPolicy::default(),
    };
    let outcome = pull::pull(&options, token, job.watch.as_ref(), &job.cancel).await;
    studio.jobs.finish_pull();
    // The token is remembered once the vendor has accepted it (a 401 or 403 answers before anything).
    let accepted = !matches!(
        &outcome,
        Err(portal::Error::Vendor(
            VendorError::Unauthorized { .. } | VendorError::MissingScopes { .. }
        ))
    );
    if remember && accepted && !from_keychain {
        if let Err(why) = keychain::save(&api_base, text).await {
            tracing::warn!("the token could not be saved in the keychain: {why}");
        }
    }
    let reopened = match &outcome {
        Ok(Pulled::Done(_)) => reopen(&studio, &target, into_open).await,
        _ if into_open => reopen(&studio, &target, true).await,
        _ => Ok(()),
    };
    let summary = match outcome {
        Ok(Pulled::Done(summary)) => summary,
        Ok(Pulled::Cancelled) => {
            tracing::info!("the pull into {} was cancelled", target.display());
            return Err(CommandError::cancelled(format!(
                "The pull stopped; {} is untouched. Resume continues it where it stopped.",
                target.display()
            )));
        }
        Err(error) => return Err(error.into()),
    };
    reopened?;
    Ok(PulledSummary::from(summary.as_ref()))
}

/// Where the running pull stands; None when none runs.
#[tauri::command]
pub fn pull_progress(studio: State<'_, Studio>) -> Option<PullStatus> {
    studio.jobs.pull_status()
}

/// Stops the running pull after the page it is writing; true when one was running.
#[tauri::command]
pub fn cancel_pull(studio: State<'_, Studio>) -> bool {
    studio.jobs.cancel_pull()
}

/// Forgets the token saved in the keychain for `api_base`.
#[tauri::command]
pub async fn forget_pull_token(api_base: String) -> Result<(), CommandError> {
    keychain::forget(&api_base_of(&api_base))
        .await
        .map_err(|why| CommandError::failed(format!("the saved token could not be removed: {why}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_api_address_is_the_vendors_public_one() {
        assert_eq!(api_base_of("  "), DEFAULT_API_BASE);
        assert_eq!(
            api_base_of(" http://127.0.0.1:4010 "),
            "http://127.0.0.1:4010"
        );
    }
}
