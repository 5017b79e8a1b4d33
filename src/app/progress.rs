//! How far a long operation is, told while it runs. The engine reports to a `Progress`; each front end
//! shows it its own way (the command line: a bar or plain lines on standard error). Nothing here knows
//! about terminals.
//!
//! An operation goes through stages ("Loading the workspace", "Computing the matrix"); each stage counts
//! units of one kind, up to a total when it is known. The import reports through `transfer::ImportProgress`
//! instead (counters the desktop polls), which predates this.

/// What a stage counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Bytes of a file read or written.
    Bytes,
    /// Things of one kind, named in the plural ("contacts", "tickets").
    Items(&'static str),
}

/// Where an operation reports how far it is. Calls come from any thread (work is often split across
/// cores), so implementations must be cheap and thread-safe.
pub trait Progress: Send + Sync {
    /// A new stage begins, ending the previous one: `label` says what it does, `total` how many `unit`s
    /// it will count when that is known beforehand.
    fn stage(&self, label: &str, unit: Unit, total: Option<u64>);
    /// `count` more units of the current stage are done.
    fn advance(&self, count: u64);
}

/// Reports nowhere: for callers that do not show progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn stage(&self, _label: &str, _unit: Unit, _total: Option<u64>) {}
    fn advance(&self, _count: u64) {}
}

#[cfg(test)]
pub(crate) mod recording {
    use super::*;
    use std::sync::Mutex;

    /// A stage as recorded: its label, unit and total, and the units counted in it.
    pub type Stage = (String, Unit, Option<u64>, u64);

    /// Records what an operation reported, for tests.
    #[derive(Debug, Default)]
    pub struct Recorded {
        pub stages: Mutex<Vec<Stage>>,
    }

    impl Progress for Recorded {
        fn stage(&self, label: &str, unit: Unit, total: Option<u64>) {
            self.stages
                .lock()
                .unwrap()
                .push((label.to_string(), unit, total, 0));
        }
        fn advance(&self, count: u64) {
            let mut stages = self.stages.lock().unwrap();
            stages.last_mut().expect("a stage was started").3 += count;
        }
    }

    impl Recorded {
        pub fn stages(&self) -> Vec<Stage> {
            self.stages.lock().unwrap().clone()
        }
    }
}
