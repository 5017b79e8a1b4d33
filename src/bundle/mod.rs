//! The JSON bundle (`bundle-format.md`): reading one into workspace data with every problem named by its
//! JSON path, and writing workspace data back out without secrets. Reading validates everything before
//! anything is written, so storage only ever receives a consistent workspace.
//!
//! `records` is the document as written on disk; `parse` reads it as a stream (the serde visitors both
//! passes share); `check` is pass one (the small sections, checked and converted); `stream` is pass two
//! (tickets and threads, checked against every id and handed out in chunks); `write` is the writer.

use serde::Serialize;

mod check;
mod parse;
mod records;
mod stream;
mod write;

pub use check::{check, Checked};
pub use parse::{Chunk, Source};
pub use stream::{read, stream};
pub use write::{write, write_to};
// The passes share the parser, the records and the problem list.
use {check::*, parse::*, records::*};

pub const FORMAT: &str = "portal-bundle";
pub const VERSION: u32 = 1;
/// An import lists at most this many problems; past that, more are only counted.
const MAX_LISTED_PROBLEMS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleProblem {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for BundleProblem {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(formatter, "{}", self.message)
        } else {
            write!(formatter, "{}: {}", self.path, self.message)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("the bundle is not JSON: {0}")]
    NotJson(String),
    #[error("{}", describe(.0))]
    Invalid(Vec<BundleProblem>),
}

fn describe(problems: &[BundleProblem]) -> String {
    let mut text = String::new();
    for (index, problem) in problems.iter().enumerate() {
        if index == MAX_LISTED_PROBLEMS {
            text.push_str(&format!(
                "\n... and {} more problems",
                problems.len() - MAX_LISTED_PROBLEMS
            ));
            break;
        }
        if index > 0 {
            text.push('\n');
        }
        text.push_str(&problem.to_string());
    }
    text
}

impl BundleError {
    pub fn problems(&self) -> Vec<BundleProblem> {
        match self {
            BundleError::NotJson(message) => vec![BundleProblem {
                path: String::new(),
                message: format!("not JSON: {message}"),
            }],
            BundleError::Invalid(problems) => problems.clone(),
        }
    }
}
