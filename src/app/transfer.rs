//! A workspace in and out as a whole: created from a bundle (streamed, with progress, cancellable) or
//! from the demo data, and exported as a bundle (streamed, written atomically). The command line and the
//! desktop app both go through here.

use crate::app::progress::{Progress, Silent, Unit};
use crate::app::snapshots::{self, Before};
use crate::app::{demo, preview};
use crate::bundle;
use crate::domain::model::{Catalog, WorkspaceData};
use crate::domain::passwords;
use crate::domain::settings::Settings;
use crate::storage::StorageError;
use crate::{Error, Result, Workspace};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use ts_rs::TS;

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
    refuse_broken_templates(&data.settings, &data.catalog())?;
    let hashes = hash_passwords(&data.passwords);
    let written = replace_with(
        workspace_path,
        replace,
        Before::Import,
        |workspace| async move {
            workspace.replace_all(data, &hashes).await?;
            Ok(true)
        },
    )
    .await?;
    Ok(written.expect("an import that is not cancelled commits"))
}

/// The check `settings set` makes, made on a bundle's settings too: template overrides that do not
/// compile (or render with sample data) are refused, each named by its JSON path, so a broken template
/// cannot arrive by bundle.
fn refuse_broken_templates(settings: &Settings, catalog: &Catalog) -> Result<()> {
    let broken = preview::template_errors(settings, catalog);
    if broken.is_empty() {
        return Ok(());
    }
    Err(bundle::BundleError::Invalid(
        broken
            .iter()
            .map(|error| bundle::BundleProblem {
                path: format!("settings.templates.{}", error.template),
                message: error.refusal(),
            })
            .collect(),
    )
    .into())
}

/// Returns the memory a bulk write freed to the operating system. glibc keeps what is freed in its
/// arenas (one per thread that allocated: the argon2 hashing threads with 19 MiB of working memory per
/// hash, the bundle reader, the runtime's workers) and gives it back only when asked, so after creating
/// the demo workspace or an import the desktop app went on holding ~350 MB it no longer used.
pub fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
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
/// `replace`, and runs `write`, which replaces its content in one transaction and says whether it
/// committed (false: it was cancelled and rolled back; then this gives None).
///
/// A new workspace is written under a temporary name in the same directory and renamed into place once
/// its transaction committed and the file is synced, as exports are: a failure, a cancel or a `kill -9`
/// never leaves a workspace at `workspace_path` that looks whole but holds nothing. An existing one is
/// replaced inside one transaction, so it keeps its data unless the write commits; what its contacts
/// saw before is kept as an automatic visibility snapshot first (spec 10.6; `before` says why).
async fn replace_with<F, Fut>(
    workspace_path: &Path,
    replace: bool,
    before: Before,
    write: F,
) -> Result<Option<Workspace>>
where
    F: FnOnce(Workspace) -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    let new_file = std::fs::metadata(workspace_path).map_or(true, |metadata| metadata.len() == 0);
    if new_file {
        return write_new(workspace_path, write).await;
    }
    let workspace = Workspace::open(workspace_path, false).await?;
    if !replace && !workspace.is_empty().await? {
        workspace.close().await;
        return Err(StorageError::NotEmpty(workspace_path.into()).into());
    }
    if let Err(error) = snapshots::take_automatic(&workspace, before).await {
        // The snapshot is a record for comparing; a workspace too damaged to compute one can still be
        // replaced.
        tracing::warn!(error = %error, "no visibility snapshot before replacing the workspace");
    }
    match write(workspace.clone()).await {
        Ok(true) => Ok(Some(workspace)),
        Ok(false) => {
            workspace.close().await;
            Ok(None)
        }
        Err(error) => {
            workspace.close().await;
            Err(error)
        }
    }
}

/// The temporary name a new workspace is written under: hidden, in the same directory (so the rename
/// is atomic), unique to this process.
fn staging_path(workspace_path: &Path) -> std::path::PathBuf {
    let name = workspace_path
        .file_name()
        .map_or_else(|| "workspace".into(), |name| name.to_string_lossy());
    workspace_path.with_file_name(format!(".{name}.{}.importing", std::process::id()))
}

/// Removes what imports into `workspace_path` that were killed left behind (their temporary files),
/// where the process that wrote them is known to be gone: on Linux, where `/proc` says so. Elsewhere
/// they stay (hidden, never at the target path).
fn remove_abandoned_staging(workspace_path: &Path) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let (Some(directory), Some(name)) = (workspace_path.parent(), workspace_path.file_name())
    else {
        return;
    };
    let directory = if directory.as_os_str().is_empty() {
        Path::new(".")
    } else {
        directory
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        let Some((pid, suffix)) = rest.split_once(".importing") else {
            continue;
        };
        let abandoned = pid.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        });
        if abandoned && ["", "-wal", "-shm", "-journal"].contains(&suffix) {
            tracing::info!("removing {file}, left by an import that did not finish");
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

async fn write_new<F, Fut>(workspace_path: &Path, write: F) -> Result<Option<Workspace>>
where
    F: FnOnce(Workspace) -> Fut,
    Fut: std::future::Future<Output = Result<bool>>,
{
    remove_abandoned_staging(workspace_path);
    let staging = staging_path(workspace_path);
    remove_workspace_files(&staging);
    let io_error = |source| Error::Io {
        path: workspace_path.into(),
        source,
    };
    let outcome = async {
        let workspace = Workspace::open(&staging, true).await?;
        let committed = match write(workspace.clone()).await {
            // The file alone must hold the workspace before it moves: write the log back into it.
            Ok(true) => workspace
                .checkpoint()
                .await
                .map(|()| true)
                .map_err(Error::from),
            other => other,
        };
        workspace.close().await;
        if !committed? {
            return Ok(None);
        }
        if std::fs::metadata(side_file(&staging, "-wal")).is_ok_and(|wal| wal.len() > 0) {
            return Err(io_error(std::io::Error::other(
                "the new workspace's log was not written back into it",
            )));
        }
        std::fs::File::open(&staging)
            .and_then(|file| file.sync_all())
            .and_then(|()| std::fs::rename(&staging, workspace_path))
            .map_err(io_error)?;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(side_file(&staging, suffix));
        }
        if let Some(directory) = workspace_path.parent() {
            // Make the rename itself durable (best effort: not every platform opens directories).
            let directory = if directory.as_os_str().is_empty() {
                Path::new(".")
            } else {
                directory
            };
            if let Ok(directory) = std::fs::File::open(directory) {
                let _ = directory.sync_all();
            }
        }
        Ok(Some(Workspace::open(workspace_path, false).await?))
    }
    .await;
    if !matches!(outcome, Ok(Some(_))) {
        remove_workspace_files(&staging);
    }
    outcome
}

/// The file SQLite keeps next to `path` (`-wal`, `-shm`).
fn side_file(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut file = path.as_os_str().to_owned();
    file.push(suffix);
    file.into()
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
    write_demo_with_progress(workspace_path, seed, size, replace, &Silent).await
}

/// `write_demo`, counting the tickets written in `progress` (one stage, "Writing demo tickets").
pub async fn write_demo_with_progress(
    workspace_path: &Path,
    seed: u64,
    size: demo::DemoSize,
    replace: bool,
    progress: &dyn Progress,
) -> Result<Workspace> {
    let mut generator = demo::DemoGenerator::new(seed, size);
    let hashes = generator.password_hashes();
    let head = std::mem::take(&mut generator.head);
    let written = replace_with(
        workspace_path,
        replace,
        Before::Demo,
        |workspace| async move {
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
            progress.stage(
                "Writing demo tickets",
                Unit::Items("tickets"),
                Some(size.tickets as u64),
            );
            while let Some((tickets, threads)) = receiver.recv().await {
                write.tickets(&tickets).await?;
                write.threads(&threads).await?;
                progress.advance(tickets.len() as u64);
            }
            producer.join().expect("the demo generator panicked");
            write.commit().await?;
            Ok(true)
        },
    )
    .await?;
    Ok(written.expect("a demo that is not cancelled commits"))
}

fn remove_workspace_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

/// Writes the workspace as a bundle to `out` and gives `out` back, streaming: tickets and threads are
/// read a page at a time while the previous page is written, so memory stays bounded whatever the
/// workspace's size. On an error `out` may hold an incomplete bundle (`export_file` removes it).
pub async fn export_to<W: std::io::Write + Send + 'static>(
    workspace: &Workspace,
    out: W,
) -> Result<W> {
    export_to_with_progress(workspace, out, Arc::new(Silent)).await
}

/// `export_to`, counting the tickets and threads written in `progress` (one stage, "Writing the
/// bundle", in records). The writer runs on a thread of its own, hence the `Arc`.
pub async fn export_to_with_progress<W: std::io::Write + Send + 'static>(
    workspace: &Workspace,
    mut out: W,
    progress: Arc<dyn Progress>,
) -> Result<W> {
    let (head, pages) = workspace.export_snapshot().await?;
    progress.stage(
        "Writing the bundle",
        Unit::Items("records"),
        Some(pages.tickets + pages.threads),
    );
    let (tickets, mut ticket_pages) = tokio::sync::mpsc::channel(2);
    let (threads, mut thread_pages) = tokio::sync::mpsc::channel(2);
    // The writer is synchronous (serde): it runs off the async threads, fed through the channels. A page
    // counts once the writer takes it.
    let writer = tokio::task::spawn_blocking(move || {
        bundle::write_to(
            &mut out,
            &head,
            std::iter::from_fn(|| counted(ticket_pages.blocking_recv(), &*progress)),
            std::iter::from_fn(|| counted(thread_pages.blocking_recv(), &*progress)),
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

/// Counts a page of records in `progress` as it passes.
fn counted<T>(page: Option<Vec<T>>, progress: &dyn Progress) -> Option<Vec<T>> {
    if let Some(page) = &page {
        progress.advance(page.len() as u64);
    }
    page
}

/// Exports the workspace to the file `path`, written under a temporary name and renamed when complete,
/// so that a failed export never leaves a bundle that looks whole.
pub async fn export_file(workspace: &Workspace, path: &Path) -> Result<()> {
    export_file_with_progress(workspace, path, Arc::new(Silent)).await
}

/// `export_file`, reporting in `progress` as `export_to_with_progress` does.
pub async fn export_file_with_progress(
    workspace: &Workspace,
    path: &Path,
    progress: Arc<dyn Progress>,
) -> Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let io_error = |source| Error::Io {
        path: path.into(),
        source,
    };
    let file = std::fs::File::create(&partial).map_err(io_error)?;
    let outcome = match export_to_with_progress(workspace, file, progress).await {
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
    let imported = import_file_with_progress(
        workspace_path,
        bundle_path,
        replace,
        Arc::new(ImportProgress::default()),
        &CancelToken::default(),
    )
    .await?;
    match imported {
        Imported::Workspace(workspace, summary) => Ok((workspace, summary)),
        Imported::Cancelled => unreachable!("nobody holds the token to cancel this import"),
    }
}

/// A request to stop a running import, made from elsewhere (the desktop's Cancel button). The import
/// notices it between chunks, rolls its transaction back and removes a workspace file it created.
#[derive(Debug, Default)]
pub struct CancelToken {
    requested: AtomicBool,
    wake: tokio::sync::Notify,
}

impl CancelToken {
    pub fn cancel(&self) {
        self.requested.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Completes once `cancel` has been called.
    pub async fn cancelled(&self) {
        loop {
            // Created before the check, so a `cancel` between the two still wakes it.
            let woken = self.wake.notified();
            if self.is_cancelled() {
                return;
            }
            woken.await;
        }
    }
}

/// What an import that could be cancelled came to.
#[derive(Debug)]
pub enum Imported {
    Workspace(Workspace, ImportSummary),
    /// Stopped before it committed: nothing was written, and a workspace file it created was removed.
    Cancelled,
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

/// The steps of an import, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStep {
    /// Pass one: the bundle is read and checked; nothing is written.
    Checking,
    /// Pass two: the bundle is read again and written.
    Writing,
    /// Indexes are built and the transaction commits.
    Finishing,
}

impl ImportStep {
    pub fn label(self) -> &'static str {
        match self {
            ImportStep::Checking => "Checking the bundle",
            ImportStep::Writing => "Writing the workspace",
            ImportStep::Finishing => "Building indexes",
        }
    }
}

/// Where a running import is: its step, and the bytes of the bundle read in that step out of its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportPosition {
    pub step: ImportStep,
    pub read: u64,
    pub size: u64,
}

impl ImportProgress {
    pub fn position(&self) -> ImportPosition {
        let step = match self.step.load(Ordering::Relaxed) {
            0 => ImportStep::Checking,
            1 => ImportStep::Writing,
            _ => ImportStep::Finishing,
        };
        let size = self.size.load(Ordering::Relaxed);
        ImportPosition {
            step,
            read: self.read.load(Ordering::Relaxed).min(size),
            size,
        }
    }

    pub fn status(&self) -> ImportStatus {
        let position = self.position();
        let within = (position.read as f64 / position.size.max(1) as f64).min(1.0);
        // Each pass reads the whole bundle; the second also writes, so it takes longer.
        let fraction = match position.step {
            ImportStep::Checking => 0.4 * within,
            ImportStep::Writing => 0.4 + 0.5 * within,
            ImportStep::Finishing => 0.9,
        };
        ImportStatus {
            step: position.step.label().into(),
            fraction,
        }
    }

    fn start(&self, step: u8) {
        self.read.store(0, Ordering::Relaxed);
        self.step.store(step, Ordering::Relaxed);
    }
}

/// `import_file`, reporting how far it is in `progress` and stopping when `cancel` is cancelled (then
/// nothing is written: the transaction rolls back, and a workspace file this call created is removed).
pub async fn import_file_with_progress(
    workspace_path: &Path,
    bundle_path: &Path,
    replace: bool,
    progress: Arc<ImportProgress>,
    cancel: &CancelToken,
) -> Result<Imported> {
    let outcome = import_streamed(workspace_path, bundle_path, replace, progress, cancel).await;
    give_back_freed_memory();
    outcome
}

async fn import_streamed(
    workspace_path: &Path,
    bundle_path: &Path,
    replace: bool,
    progress: Arc<ImportProgress>,
    cancel: &CancelToken,
) -> Result<Imported> {
    let size = std::fs::metadata(bundle_path).map_or(0, |metadata| metadata.len());
    progress.size.store(size, Ordering::Relaxed);
    progress.start(0);
    let source = bundle_path.to_path_buf();
    let counter = progress.clone();
    // Checking writes nothing, so a cancel stops waiting for it at once (the reading thread runs out).
    let checked = tokio::select! {
        biased;
        () = cancel.cancelled() => return Ok(Imported::Cancelled),
        checked = blocking(move || {
            bundle::check(bundle::Source::CountedFile(&source, &counter.read))
        }) => checked?,
    };
    if checked.has_problems() {
        // Complete the list of problems (pass two adds those of references) and stop.
        let source = bundle_path.to_path_buf();
        blocking(move || bundle::stream(bundle::Source::File(&source), &checked, |_| false))
            .await?;
        unreachable!("a bundle with problems does not stream");
    }
    refuse_broken_templates(&checked.head.settings, &checked.head.catalog())?;
    let summary = ImportSummary {
        contacts: checked.head.contacts.len(),
        companies: checked.head.companies.len(),
        tickets: checked.ticket_count,
        threads: checked.thread_count,
    };
    let hashes = hash_passwords(&checked.head.passwords);
    if cancel.is_cancelled() {
        return Ok(Imported::Cancelled);
    }
    let source = bundle_path.to_path_buf();
    let stopped = AtomicBool::new(false);
    let stopped_ref = &stopped;
    let written = replace_with(
        workspace_path,
        replace,
        Before::Import,
        |workspace| async move {
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
            loop {
                let chunk = tokio::select! {
                    chunk = received.recv() => chunk,
                    () = cancel.cancelled() => {
                        stopped_ref.store(true, Ordering::SeqCst);
                        None
                    }
                };
                match chunk {
                    Some(bundle::Chunk::Tickets(tickets)) => write.tickets(&tickets).await?,
                    Some(bundle::Chunk::Threads(threads)) => write.threads(&threads).await?,
                    None => break,
                }
            }
            if stopped_ref.load(Ordering::SeqCst) {
                // The reader's next send fails, which ends it; what it read is thrown away.
                drop(received);
                let _ = reader.join();
                write.rollback().await?;
                return Ok(false);
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
            Ok(true)
        },
    )
    .await?;
    match written {
        Some(workspace) => Ok(Imported::Workspace(workspace, summary)),
        None => Ok(Imported::Cancelled),
    }
}

/// Runs CPU-bound `work` off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, bundle::BundleError> + Send + 'static,
) -> Result<T> {
    Ok(tokio::task::spawn_blocking(work)
        .await
        .expect("bundle reading panicked")?)
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

    fn demo_bundle(dir: &Path, contacts: usize, tickets: usize) -> std::path::PathBuf {
        let data = demo::generate(7, demo::DemoSize { contacts, tickets });
        let path = dir.join(format!("demo-{tickets}.json"));
        std::fs::write(&path, bundle::write(&data)).unwrap();
        path
    }

    /// Imports `bundle` into `workspace_path`, cancelling as soon as the import starts writing.
    async fn import_cancelled_while_writing(workspace_path: &Path, bundle: &Path) -> Imported {
        let progress = Arc::new(ImportProgress::default());
        let cancel = Arc::new(CancelToken::default());
        let watcher = {
            let (progress, cancel) = (progress.clone(), cancel.clone());
            tokio::spawn(async move {
                while progress.step.load(Ordering::Relaxed) == 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                cancel.cancel();
            })
        };
        let imported = import_file_with_progress(workspace_path, bundle, true, progress, &cancel)
            .await
            .unwrap();
        watcher.abort();
        imported
    }

    fn workspace_files(path: &Path) -> Vec<std::path::PathBuf> {
        ["", "-wal", "-shm"]
            .iter()
            .map(|suffix| {
                let mut file = path.as_os_str().to_owned();
                file.push(suffix);
                std::path::PathBuf::from(file)
            })
            .filter(|file| file.exists())
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_import_removes_the_workspace_file_it_created() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = demo_bundle(dir.path(), 500, 20_000);
        let target = dir.path().join("new.portal");

        let imported = import_cancelled_while_writing(&target, &bundle).await;
        assert!(matches!(imported, Imported::Cancelled), "{imported:?}");
        assert_eq!(workspace_files(&target), Vec::<std::path::PathBuf>::new());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_import_over_a_workspace_leaves_its_data_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("kept.portal");
        let small = demo::generate(
            3,
            demo::DemoSize {
                contacts: 5,
                tickets: 10,
            },
        );
        import(&target, &small, false).await.unwrap().close().await;
        let bundle = demo_bundle(dir.path(), 500, 20_000);

        let imported = import_cancelled_while_writing(&target, &bundle).await;
        assert!(matches!(imported, Imported::Cancelled), "{imported:?}");
        let kept = Workspace::open(&target, false).await.unwrap();
        assert_eq!(kept.contacts().await.unwrap().len(), 5);
        kept.close().await;
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn an_import_removes_what_a_killed_import_into_the_same_file_left() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("new.portal");
        // No process has this id (Linux ids stay below 2^22).
        let left = dir.path().join(".new.portal.999999999.importing");
        let left_journal = dir.path().join(".new.portal.999999999.importing-journal");
        let unrelated = dir.path().join(".other.portal.999999999.importing");
        for file in [&left, &left_journal, &unrelated] {
            std::fs::write(file, "partial").unwrap();
        }
        let small = demo::generate(
            3,
            demo::DemoSize {
                contacts: 5,
                tickets: 10,
            },
        );
        import(&target, &small, false).await.unwrap().close().await;
        assert!(target.exists());
        assert!(!left.exists() && !left_journal.exists());
        assert!(unrelated.exists(), "another target's files are not touched");
    }

    #[tokio::test]
    async fn a_cancel_before_the_import_starts_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = demo_bundle(dir.path(), 5, 10);
        let target = dir.path().join("never.portal");
        let cancel = CancelToken::default();
        cancel.cancel();

        let imported =
            import_file_with_progress(&target, &bundle, true, Default::default(), &cancel)
                .await
                .unwrap();
        assert!(matches!(imported, Imported::Cancelled), "{imported:?}");
        assert!(!target.exists());
    }

    #[tokio::test]
    async fn export_and_demo_report_every_record_they_write() {
        use crate::app::progress::recording::Recorded;
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("w.portal");
        let size = demo::DemoSize {
            contacts: 8,
            tickets: 30,
        };
        let written = Recorded::default();
        let workspace = write_demo_with_progress(&source, 3, size, false, &written)
            .await
            .unwrap();
        assert_eq!(
            written.stages(),
            vec![(
                "Writing demo tickets".to_string(),
                Unit::Items("tickets"),
                Some(30),
                30
            )]
        );

        let exported = Arc::new(Recorded::default());
        export_to_with_progress(&workspace, Vec::new(), exported.clone())
            .await
            .unwrap();
        let records = (workspace.tickets_for_rules(None).await.unwrap().len()
            + workspace.export_data().await.unwrap().threads.len()) as u64;
        assert_eq!(
            exported.stages(),
            vec![(
                "Writing the bundle".to_string(),
                Unit::Items("records"),
                Some(records),
                records
            )]
        );
        workspace.close().await;
    }

    #[tokio::test]
    async fn a_failed_export_leaves_the_previous_bundle_intact_and_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("w.portal");
        let small = demo::generate(
            3,
            demo::DemoSize {
                contacts: 5,
                tickets: 10,
            },
        );
        let workspace = import(&source, &small, false).await.unwrap();
        let target = dir.path().join("bundle.json");
        std::fs::write(&target, "the previous bundle").unwrap();
        // The workspace's file disappears under it: the export fails once it has begun.
        workspace.close().await;
        for file in workspace_files(&source) {
            std::fs::remove_file(file).unwrap();
        }

        assert!(export_file(&workspace, &target).await.is_err());
        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "the previous bundle"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("bundle"))
            .collect();
        assert_eq!(left, vec!["bundle.json".to_string()]);
    }
}
