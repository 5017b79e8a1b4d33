//! What an administrator does to a workspace as a whole: create it from a bundle, export it, and change
//! its settings (validated against the workspace's data, recorded in the history, undoable).

use crate::app::{demo, preview};
use crate::bundle;
use crate::domain::model::WorkspaceData;
use crate::domain::passwords;
use crate::domain::settings::{self, Settings};
use crate::storage::{self, StorageError};
use crate::{Error, Result, Workspace};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use ts_rs::TS;

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
    let bytes = export_to(workspace, Vec::new()).await?;
    Ok(String::from_utf8(bytes).expect("a bundle is UTF-8"))
}

/// Writes the workspace as a bundle to `out` and gives `out` back, streaming: tickets and threads are
/// read a page at a time while the previous page is written, so memory stays bounded whatever the
/// workspace's size. On an error `out` may hold an incomplete bundle (`export_file` removes it).
pub async fn export_to<W: std::io::Write + Send + 'static>(
    workspace: &Workspace,
    mut out: W,
) -> Result<W> {
    let (head, pages) = workspace.export_snapshot().await?;
    let (tickets, mut ticket_pages) = tokio::sync::mpsc::channel(2);
    let (threads, mut thread_pages) = tokio::sync::mpsc::channel(2);
    // The writer is synchronous (serde): it runs off the async threads, fed through the channels.
    let writer = tokio::task::spawn_blocking(move || {
        bundle::write_to(
            &mut out,
            &head,
            std::iter::from_fn(|| ticket_pages.blocking_recv()),
            std::iter::from_fn(|| thread_pages.blocking_recv()),
        )
        .map(|()| out)
    });
    let (read, written) = tokio::join!(pages.send(tickets, threads), writer);
    read?;
    written
        .expect("the bundle writer panicked")
        .map_err(|source| Error::Io {
            path: "the exported bundle".into(),
            source,
        })
}

/// Exports the workspace to the file `path`, written under a temporary name and renamed when complete,
/// so that a failed export never leaves a bundle that looks whole.
pub async fn export_file(workspace: &Workspace, path: &Path) -> Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let io_error = |source| Error::Io {
        path: path.into(),
        source,
    };
    let file = std::fs::File::create(&partial).map_err(io_error)?;
    let outcome = match export_to(workspace, file).await {
        Ok(file) => file
            .sync_all()
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(io_error),
        Err(error) => Err(error),
    };
    if outcome.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    outcome
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportSummary {
    pub contacts: usize,
    pub companies: usize,
    pub tickets: usize,
    pub threads: usize,
}

/// Creates (or, with `replace`, overwrites) the workspace at `workspace_path` from the bundle file at
/// `bundle_path`, streaming: the bundle is read twice (checked, then written in chunks inside one
/// transaction) and never held in memory whole. Any problem names its JSON path and writes nothing: a
/// new file is removed, an existing workspace keeps its data (the transaction rolls back).
pub async fn import_file(
    workspace_path: &Path,
    bundle_path: &Path,
    replace: bool,
) -> Result<(Workspace, ImportSummary)> {
    import_file_with_progress(
        workspace_path,
        bundle_path,
        replace,
        Arc::new(ImportProgress::default()),
    )
    .await
}

/// How far a running import is, for a progress bar: updated by the import, read by anyone holding it.
#[derive(Debug, Default)]
pub struct ImportProgress {
    /// 0 checking (pass one), 1 writing (pass two), 2 finishing (indexes, commit).
    step: AtomicU8,
    /// Bytes of the bundle read in the current pass, and the bundle's size.
    read: AtomicU64,
    size: AtomicU64,
}

/// A moment of an import as the user reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImportStatus {
    /// "Checking the bundle", "Writing the workspace" or "Building indexes".
    pub step: String,
    /// 0.0 to 1.0 over the whole import.
    pub fraction: f64,
}

impl ImportProgress {
    pub fn status(&self) -> ImportStatus {
        let size = self.size.load(Ordering::Relaxed).max(1) as f64;
        let within = (self.read.load(Ordering::Relaxed) as f64 / size).min(1.0);
        // Each pass reads the whole bundle; the second also writes, so it takes longer.
        let (step, fraction) = match self.step.load(Ordering::Relaxed) {
            0 => ("Checking the bundle", 0.4 * within),
            1 => ("Writing the workspace", 0.4 + 0.5 * within),
            _ => ("Building indexes", 0.9),
        };
        ImportStatus {
            step: step.into(),
            fraction,
        }
    }

    fn start(&self, step: u8) {
        self.read.store(0, Ordering::Relaxed);
        self.step.store(step, Ordering::Relaxed);
    }
}

/// `import_file`, reporting how far it is in `progress`.
pub async fn import_file_with_progress(
    workspace_path: &Path,
    bundle_path: &Path,
    replace: bool,
    progress: Arc<ImportProgress>,
) -> Result<(Workspace, ImportSummary)> {
    let size = std::fs::metadata(bundle_path).map_or(0, |metadata| metadata.len());
    progress.size.store(size, Ordering::Relaxed);
    progress.start(0);
    let source = bundle_path.to_path_buf();
    let counter = progress.clone();
    let checked =
        blocking(move || bundle::check(bundle::Source::CountedFile(&source, &counter.read)))
            .await?;
    if checked.has_problems() {
        // Complete the list of problems (pass two adds those of references) and stop.
        let source = bundle_path.to_path_buf();
        blocking(move || bundle::stream(bundle::Source::File(&source), &checked, |_| false))
            .await?;
        unreachable!("a bundle with problems does not stream");
    }
    let summary = ImportSummary {
        contacts: checked.head.contacts.len(),
        companies: checked.head.companies.len(),
        tickets: checked.ticket_count,
        threads: checked.thread_count,
    };
    let hashes = hash_passwords(&checked.head.passwords);
    let source = bundle_path.to_path_buf();
    let workspace = replace_with(workspace_path, replace, |workspace| async move {
        let mut write = workspace.begin_replace().await?;
        let head = &checked.head;
        write.settings(&head.settings).await?;
        write.catalog(&head.catalog()).await?;
        write.companies(&head.companies).await?;
        write.contacts(&head.contacts).await?;
        write.password_hashes(&hashes).await?;
        let (chunks, mut received) = tokio::sync::mpsc::channel(4);
        progress.start(1);
        let counter = progress.clone();
        let reader = std::thread::spawn(move || {
            let source = bundle::Source::CountedFile(&source, &counter.read);
            bundle::stream(source, &checked, |chunk| {
                chunks.blocking_send(chunk).is_ok()
            })
        });
        while let Some(chunk) = received.recv().await {
            match chunk {
                bundle::Chunk::Tickets(tickets) => write.tickets(&tickets).await?,
                bundle::Chunk::Threads(threads) => write.threads(&threads).await?,
            }
        }
        match reader.join().expect("the bundle reader panicked") {
            Ok(()) => {
                progress.start(2);
                write.commit().await?
            }
            Err(error) => {
                write.rollback().await?;
                return Err(error.into());
            }
        }
        Ok(())
    })
    .await?;
    Ok((workspace, summary))
}

/// Runs CPU-bound `work` off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, bundle::BundleError> + Send + 'static,
) -> Result<T> {
    Ok(tokio::task::spawn_blocking(work)
        .await
        .expect("bundle reading panicked")?)
}

/// Problems with `settings` against this workspace's data (empty = can be saved), template overrides
/// that do not compile included (as errors of `templates.<name>`).
pub async fn validate_settings(
    workspace: &Workspace,
    settings: &Settings,
) -> Result<Vec<settings::FieldError>> {
    let catalog = workspace.catalog().await?;
    let mut problems = settings::validate(settings, &catalog);
    problems.extend(
        preview::template_errors(settings, &catalog)
            .iter()
            .map(preview::TemplateError::field_error),
    );
    Ok(problems)
}

/// Saves `settings` if they are valid, as one history entry. Returns the entry id (None: nothing changed).
/// Template overrides that do not compile are refused with `Error::TemplatesDoNotCompile` and nothing is
/// written, so the live portal keeps serving its templates.
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
    let catalog = workspace.catalog().await?;
    let problems = settings::validate(settings, &catalog);
    if !problems.is_empty() {
        return Err(Error::InvalidSettings(problems));
    }
    let broken = preview::template_errors(settings, &catalog);
    if !broken.is_empty() {
        return Err(Error::TemplatesDoNotCompile(broken));
    }
    let mut transaction = workspace.write().await?;
    let entry = storage::settings::save_in(&mut transaction, settings, changed_by, undoes).await?;
    if entry.is_some() {
        // Spec section 2: saving a `lists` portal invites listed contacts without a login, with the save.
        let origin = crate::app::accounts::public_origin(settings);
        crate::app::accounts::invite_listed_contacts_in(&mut transaction, settings, &origin)
            .await?;
    }
    transaction.commit().await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_progress_moves_through_checking_writing_and_finishing() {
        let progress = ImportProgress::default();
        progress.size.store(1000, Ordering::Relaxed);
        progress.start(0);
        progress.read.store(500, Ordering::Relaxed);
        assert_eq!(progress.status().step, "Checking the bundle");
        assert!((progress.status().fraction - 0.2).abs() < 1e-9);
        progress.start(1);
        assert!((progress.status().fraction - 0.4).abs() < 1e-9);
        progress.read.store(1000, Ordering::Relaxed);
        assert_eq!(progress.status().step, "Writing the workspace");
        assert!((progress.status().fraction - 0.9).abs() < 1e-9);
        progress.start(2);
        assert_eq!(progress.status().step, "Building indexes");
    }
}
