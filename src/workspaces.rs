//! What an administrator does to a workspace as a whole: create it from a bundle, export it, and change
//! its settings (validated against the workspace's data, recorded in the history, undoable).

use crate::bundle::{self, WorkspaceData};
use crate::settings::{self, Settings};
use crate::storage::{self, StorageError};
use crate::{demo, passwords, Error, Result, Workspace};
use std::path::Path;

/// Who made a change, for the settings history.
pub fn current_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "admin".into())
}

/// Reads and validates a bundle file.
pub fn read_bundle(path: &Path) -> Result<WorkspaceData> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    Ok(bundle::read(&text)?)
}

/// Creates (or, with `replace`, overwrites) the workspace at `workspace_path` from `data`. Nothing is
/// written unless all of it can be: a new file that fails is removed again.
pub async fn import(
    workspace_path: &Path,
    data: &WorkspaceData,
    replace: bool,
) -> Result<Workspace> {
    let hashes = hash_passwords(&data.passwords);
    replace_with(workspace_path, replace, |workspace| async move {
        workspace.replace_all(data, &hashes).await?;
        Ok(())
    })
    .await
}

/// Hashes bundle passwords (argon2 is deliberately slow: the work is spread over every core).
pub fn hash_passwords(passwords: &[(String, String)]) -> Vec<(String, String)> {
    let workers = std::thread::available_parallelism().map_or(2, usize::from);
    let chunk = passwords.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = passwords
            .chunks(chunk)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(contact, password)| (contact.clone(), passwords::hash(password)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("password hashing panicked"))
            .collect()
    })
}

/// Opens (creating if need be) the workspace at `workspace_path`, refuses a non-empty one unless
/// `replace`, and runs `write`, which replaces its content in one transaction. A file this call created
/// is removed again when anything fails.
async fn replace_with<F, Fut>(workspace_path: &Path, replace: bool, write: F) -> Result<Workspace>
where
    F: FnOnce(Workspace) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let existed = workspace_path.exists();
    let outcome = async {
        let workspace = Workspace::open(workspace_path, true).await?;
        if !replace && !workspace.is_empty().await? {
            workspace.close().await;
            return Err(StorageError::NotEmpty(workspace_path.into()).into());
        }
        if let Err(error) = write(workspace.clone()).await {
            workspace.close().await;
            return Err(error);
        }
        Ok::<_, Error>(workspace)
    }
    .await;
    if outcome.is_err() && !existed {
        remove_workspace_files(workspace_path);
    }
    outcome
}

/// Tickets (with their threads) generated and written per transaction chunk of a streamed demo.
const DEMO_CHUNK: usize = 5_000;

/// Writes a demo workspace of `size` from `seed` to `workspace_path` (see `replace_with`). Large demos
/// stream: tickets are generated on a thread of their own, chunk by chunk, while the previous chunk is
/// written, all in one transaction.
pub async fn write_demo(
    workspace_path: &Path,
    seed: u64,
    size: demo::DemoSize,
    replace: bool,
) -> Result<Workspace> {
    let mut generator = demo::DemoGenerator::new(seed, size);
    let hashes = generator.password_hashes();
    let head = std::mem::take(&mut generator.head);
    replace_with(workspace_path, replace, |workspace| async move {
        let mut write = workspace.begin_replace().await?;
        write.settings(&head.settings).await?;
        write.catalog(&head.catalog()).await?;
        write.companies(&head.companies).await?;
        write.contacts(&head.contacts).await?;
        write.password_hashes(&hashes).await?;
        // The generator picks contacts from `head`; give it back for the generating thread.
        generator.head = head;
        let (sender, mut receiver) = tokio::sync::mpsc::channel(2);
        let producer = std::thread::spawn(move || {
            while generator.remaining() > 0 {
                if sender
                    .blocking_send(generator.next_chunk(DEMO_CHUNK))
                    .is_err()
                {
                    break;
                }
            }
        });
        while let Some((tickets, threads)) = receiver.recv().await {
            write.tickets(&tickets).await?;
            write.threads(&threads).await?;
        }
        producer.join().expect("the demo generator panicked");
        write.commit().await?;
        Ok(())
    })
    .await
}

fn remove_workspace_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

pub async fn export(workspace: &Workspace) -> Result<String> {
    Ok(bundle::write(&workspace.export_data().await?))
}

/// Problems with `settings` against this workspace's data (empty = can be saved).
pub async fn validate_settings(
    workspace: &Workspace,
    settings: &Settings,
) -> Result<Vec<settings::FieldError>> {
    Ok(settings::validate(settings, &workspace.catalog().await?))
}

/// Saves `settings` if they are valid, as one history entry. Returns the entry id (None: nothing changed).
pub async fn save_settings(
    workspace: &Workspace,
    settings: &Settings,
    changed_by: &str,
) -> Result<Option<i64>> {
    save(workspace, settings, changed_by, None).await
}

async fn save(
    workspace: &Workspace,
    settings: &Settings,
    changed_by: &str,
    undoes: Option<i64>,
) -> Result<Option<i64>> {
    let problems = validate_settings(workspace, settings).await?;
    if !problems.is_empty() {
        return Err(Error::InvalidSettings(problems));
    }
    let mut transaction = workspace.pool().begin().await.map_err(StorageError::from)?;
    let entry = storage::settings::save_in(&mut transaction, settings, changed_by, undoes).await?;
    if entry.is_some() {
        // Spec section 2: saving a `lists` portal invites listed contacts without a login, with the save.
        let origin = crate::accounts::public_origin(settings);
        crate::accounts::invite_listed_contacts_in(&mut transaction, settings, &origin).await?;
    }
    transaction.commit().await.map_err(StorageError::from)?;
    Ok(entry)
}

/// Sets one setting by dotted key (`branding.primary_color`) and saves.
pub async fn set_setting(
    workspace: &Workspace,
    key: &str,
    value: &str,
    changed_by: &str,
) -> Result<Option<i64>> {
    let current = workspace.settings().await?;
    let changed = settings::with_value(&current, key, value)?;
    save(workspace, &changed, changed_by, None).await
}

/// Reverts history entry `entry` (the latest when None) as a new history entry.
pub async fn undo(
    workspace: &Workspace,
    entry: Option<i64>,
    changed_by: &str,
) -> Result<Option<i64>> {
    let entry = match entry {
        Some(entry) => entry,
        None => match workspace.history().await?.first() {
            Some(latest) => latest.id,
            None => return Err(StorageError::Conflict("there is nothing to undo".into()).into()),
        },
    };
    let reverted = workspace.settings_without_entry(entry).await?;
    save(workspace, &reverted, changed_by, Some(entry)).await
}
