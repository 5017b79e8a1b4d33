//! Progress on standard error, the way Rust command lines show it: a bar (indicatif) when standard error
//! is a terminal, a plain line every few seconds otherwise (a log file, CI, a pipe), nothing with the
//! global `--quiet`. Standard output keeps the command's answer, so scripts are unaffected.
//!
//! How a command uses it:
//!
//! - `cli::execute` makes one `Reporter` per command (`Reporter::with_mode(Mode::detect(quiet))`) and
//!   hands it to the command in an `Arc`;
//! - for an engine operation that takes a `portal::app::progress::Progress`, pass the reporter: each stage
//!   the engine starts becomes a bar (or lines), ended by the next stage or by `Reporter::finish`;
//! - for counts a command keeps itself (e.g. one per object kind, side by side), call
//!   `Reporter::task(label, unit, total)`, then `Task::inc` as work is done and `Task::finish` once it
//!   is over. Several tasks show at once, one bar each.
//!
//! Plain lines read `Writing the bundle: 1,200 of 5,000 records (24 %), 800/s, about 5s left`, one per
//! task every `LINE_INTERVAL`, and `Writing the bundle: done, 5,000 records in 6s` at the end.

use indicatif::{
    HumanBytes, HumanCount, HumanDuration, MultiProgress, ProgressBar, ProgressDrawTarget,
    ProgressState, ProgressStyle,
};
use portal::app::progress::{Progress, Unit};
use portal::app::transfer::{ImportProgress, ImportStep};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often a plain progress line is written for a running task.
const LINE_INTERVAL: Duration = Duration::from_secs(2);

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Redrawn bars, for a person at a terminal.
    Bars,
    /// A line when a task starts, every `LINE_INTERVAL` while it runs, and when it is done.
    Lines,
    /// Nothing.
    Quiet,
}

impl Mode {
    /// Nothing when `quiet`; bars when standard error is a terminal; plain lines otherwise.
    pub fn detect(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bars
        } else {
            Mode::Lines
        }
    }
}

/// Shows the progress of one command (see the module's documentation).
pub struct Reporter {
    mode: Mode,
    bars: MultiProgress,
    /// The stage begun through the `Progress` trait, if any.
    current: Mutex<Option<Task>>,
}

impl Reporter {
    pub fn with_mode(mode: Mode) -> Reporter {
        let target = match mode {
            Mode::Bars => ProgressDrawTarget::stderr(),
            Mode::Lines | Mode::Quiet => ProgressDrawTarget::hidden(),
        };
        Reporter {
            mode,
            bars: MultiProgress::with_draw_target(target),
            current: Mutex::new(None),
        }
    }

    /// How this reporter shows progress.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The bars being drawn (in `Mode::Bars`), for writing other lines around them.
    pub fn bars(&self) -> Option<MultiProgress> {
        (self.mode == Mode::Bars).then(|| self.bars.clone())
    }

    /// Starts a task of its own, shown beside any others until `Task::finish`. A task dropped without
    /// `finish` (the work failed) gets no "done" line; its bar stays as it was, showing where it stopped.
    pub fn task(&self, label: impl Into<String>, unit: Unit, total: Option<u64>) -> Task {
        let label = label.into();
        let bar = match self.mode {
            Mode::Bars => {
                let bar = self.bars.add(ProgressBar::with_draw_target(
                    total,
                    ProgressDrawTarget::hidden(),
                ));
                bar.set_style(bar_style(unit, total));
                bar.set_prefix(label.clone());
                if let Unit::Items(noun) = unit {
                    bar.set_message(noun);
                }
                if total.is_none() {
                    bar.enable_steady_tick(Duration::from_millis(120));
                }
                bar
            }
            // Hidden, the bar still keeps the position, the rate and the time left for the lines.
            Mode::Lines | Mode::Quiet => {
                ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden())
            }
        };
        let task = Task {
            bar,
            label,
            unit,
            mode: self.mode,
            bars: self.bars.clone(),
            next_line: AtomicU64::new(LINE_INTERVAL.as_millis() as u64),
            started: Instant::now(),
            counted: AtomicBool::new(false),
            time_left_given: AtomicBool::new(false),
        };
        if self.mode == Mode::Lines {
            eprintln!("{}", task.start_line());
        }
        task
    }

    /// Ends, as done, the stage last begun through `Progress::stage`.
    pub fn finish(&self) {
        if let Some(task) = self.current.lock().expect("progress lock").take() {
            task.finish();
        }
    }
}

impl Progress for Reporter {
    fn stage(&self, label: &str, unit: Unit, total: Option<u64>) {
        let mut current = self.current.lock().expect("progress lock");
        if let Some(previous) = current.take() {
            previous.finish();
        }
        *current = Some(self.task(label, unit, total));
    }

    fn advance(&self, count: u64) {
        if let Some(task) = &*self.current.lock().expect("progress lock") {
            task.inc(count);
        }
    }
}

impl Drop for Reporter {
    /// A stage still running when the reporter goes (the command failed) ends without a "done" line.
    fn drop(&mut self) {
        if let Ok(mut current) = self.current.lock() {
            current.take();
        }
    }
}

/// One counter on standard error: a bar, or its plain lines (see `Reporter::task`).
pub struct Task {
    bar: ProgressBar,
    label: String,
    unit: Unit,
    mode: Mode,
    bars: MultiProgress,
    /// Milliseconds after `started` when the next plain line is due.
    next_line: AtomicU64,
    started: Instant,
    /// Whether anything was counted yet (a bar without a total shows counts from then on).
    counted: AtomicBool,
    /// Whether the bar shows the time left its owner gives (`show_time_left`).
    time_left_given: AtomicBool,
}

impl Task {
    /// `count` more units are done.
    pub fn inc(&self, count: u64) {
        self.bar.inc(count);
        self.counting();
    }

    fn counting(&self) {
        match self.mode {
            Mode::Bars => {
                if self.bar.length().is_none()
                    && self.bar.position() > 0
                    && !self.counted.swap(true, Ordering::Relaxed)
                {
                    self.bar.set_style(counting_style(self.unit));
                }
            }
            Mode::Lines => self.maybe_line(),
            Mode::Quiet => {}
        }
    }

    /// Shows `seconds` as the bar's time left, with `rate` (units a second), instead of indicatif's own
    /// guess from the recent rate: a pull counts its time left against the pacer's budget as well
    /// (`portal::app::pull::time_left`), and the bar shows the same figure as its plain lines and the
    /// desktop. Only a bar of items with a total has a time left.
    pub fn show_time_left(&self, rate: f64, seconds: Option<f64>) {
        let (Mode::Bars, Unit::Items(noun), Some(_)) = (self.mode, self.unit, self.bar.length())
        else {
            return;
        };
        if !self.time_left_given.swap(true, Ordering::Relaxed) {
            self.bar.set_style(given_time_left_style());
        }
        let left = seconds.map_or(String::new(), |seconds| {
            format!(
                ", about {} left",
                HumanDuration(Duration::from_secs_f64(seconds.max(0.0)))
            )
        });
        self.bar
            .set_message(format!("{noun} ({}/s{left})", HumanCount(rate as u64)));
    }

    /// Ends the task as done: the bar is replaced by (or the lines end with) `label: done, N in T`.
    pub fn finish(self) {
        let line = self.done_line();
        match self.mode {
            Mode::Bars => {
                self.bar.finish_and_clear();
                self.bars.remove(&self.bar);
                let _ = self.bars.println(line);
            }
            Mode::Lines => eprintln!("{line}"),
            Mode::Quiet => {}
        }
    }

    /// Writes a plain line when one is due.
    fn maybe_line(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        let due = self.next_line.load(Ordering::Relaxed);
        // Of several threads advancing at once, the one that moves the deadline writes the line.
        if now >= due
            && self
                .next_line
                .compare_exchange(
                    due,
                    now + LINE_INTERVAL.as_millis() as u64,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            eprintln!("{}", self.progress_line());
        }
    }

    fn amount(&self, count: u64) -> String {
        match self.unit {
            Unit::Bytes => HumanBytes(count).to_string(),
            Unit::Items(noun) => format!("{} {noun}", HumanCount(count)),
        }
    }

    fn start_line(&self) -> String {
        match self.bar.length() {
            Some(total) => format!("{}: {}", self.label, self.amount(total)),
            None => format!("{}…", self.label),
        }
    }

    fn progress_line(&self) -> String {
        let done = self.bar.position();
        let rate = self.bar.per_sec();
        let rate = match self.unit {
            Unit::Bytes => format!("{}/s", HumanBytes(rate as u64)),
            Unit::Items(_) => format!("{}/s", HumanCount(rate as u64)),
        };
        match self.bar.length() {
            Some(total) if total > 0 => {
                let done_text = match self.unit {
                    Unit::Bytes => HumanBytes(done).to_string(),
                    Unit::Items(_) => HumanCount(done).to_string(),
                };
                format!(
                    "{}: {done_text} of {} ({} %), {rate}, about {} left",
                    self.label,
                    self.amount(total),
                    done * 100 / total,
                    HumanDuration(self.bar.eta())
                )
            }
            _ => format!("{}: {}, {rate}", self.label, self.amount(done)),
        }
    }

    fn done_line(&self) -> String {
        let done = self.bar.position();
        let took = HumanDuration(self.started.elapsed());
        if done == 0 && self.bar.length().is_none() {
            format!("{}: done in {took}", self.label)
        } else {
            format!("{}: done, {} in {took}", self.label, self.amount(done))
        }
    }
}

/// A bar with its total, or a spinner until something is counted (`counting_style` after that).
fn bar_style(unit: Unit, total: Option<u64>) -> ProgressStyle {
    style(match (unit, total) {
        (Unit::Bytes, Some(_)) => {
            "{spinner:.green} {prefix} [{bar:30.cyan/blue}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)"
        }
        (Unit::Items(_), Some(_)) => {
            "{spinner:.green} {prefix} [{bar:30.cyan/blue}] {human_pos}/{human_len} {msg} ({rate}, {eta} left)"
        }
        (_, None) => "{spinner:.green} {prefix}… {elapsed}",
    })
}

/// A bar of items whose rate and time left its owner writes into the message (`Task::show_time_left`).
fn given_time_left_style() -> ProgressStyle {
    style("{spinner:.green} {prefix} [{bar:30.cyan/blue}] {human_pos}/{human_len} {msg}")
}

/// A spinner with counts, for a task without a total that has counted something.
fn counting_style(unit: Unit) -> ProgressStyle {
    style(match unit {
        Unit::Bytes => "{spinner:.green} {prefix} {bytes} ({bytes_per_sec}) {elapsed}",
        Unit::Items(_) => "{spinner:.green} {prefix} {human_pos} {msg} ({rate}) {elapsed}",
    })
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .expect("the progress templates are valid")
        .progress_chars("=> ")
        // Whole units a second ("8,406/s"), like the plain lines; indicatif's `per_sec` has decimals.
        .with_key(
            "rate",
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{}/s", HumanCount(state.per_sec() as u64));
            },
        )
}

/// Shows a running import until `import` completes, reading its counters every 100 ms: each step
/// (checking the bundle, writing the workspace, building indexes) is a stage of `reporter`, counted in
/// bytes of the bundle. The last step is left running: the caller calls `Reporter::finish` when the
/// import succeeded.
pub async fn show_import<T>(
    reporter: &Reporter,
    status: &ImportProgress,
    import: impl std::future::Future<Output = T>,
) -> T {
    const STEPS: [ImportStep; 3] = [
        ImportStep::Checking,
        ImportStep::Writing,
        ImportStep::Finishing,
    ];
    let index = |step| STEPS.iter().position(|&known| known == step).unwrap_or(0);
    let total = |step, size| (step != ImportStep::Finishing).then_some(size);
    // The step shown and the bytes counted in it.
    let mut shown: Option<(ImportStep, u64)> = None;
    let mut update = || {
        let position = status.position();
        let counted = match shown {
            Some((step, counted)) if step == position.step => counted,
            previous => {
                // The steps before are over, each having read the whole bundle (a quick one may have
                // come and gone between two looks).
                let first = match previous {
                    Some((step, counted)) => {
                        let rest = total(step, position.size)
                            .unwrap_or(0)
                            .saturating_sub(counted);
                        if rest > 0 {
                            reporter.advance(rest);
                        }
                        index(step) + 1
                    }
                    None => 0,
                };
                for &step in STEPS.iter().take(index(position.step)).skip(first) {
                    let whole = total(step, position.size);
                    reporter.stage(step.label(), Unit::Bytes, whole);
                    if let Some(whole) = whole.filter(|&whole| whole > 0) {
                        reporter.advance(whole);
                    }
                }
                reporter.stage(
                    position.step.label(),
                    Unit::Bytes,
                    total(position.step, position.size),
                );
                0
            }
        };
        if position.read > counted {
            reporter.advance(position.read - counted);
        }
        shown = Some((position.step, position.read.max(counted)));
    };
    tokio::pin!(import);
    let mut ticks = tokio::time::interval(Duration::from_millis(100));
    let outcome = loop {
        tokio::select! {
            // The import first: its first poll sets the bundle's size before the first look.
            biased;
            outcome = &mut import => break outcome,
            _ = ticks.tick() => update(),
        }
    };
    update();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bar_template_is_valid() {
        for unit in [Unit::Bytes, Unit::Items("tickets")] {
            for total in [None, Some(10)] {
                bar_style(unit, total);
            }
            counting_style(unit);
        }
        given_time_left_style();
    }
}
