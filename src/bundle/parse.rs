//! Streaming reads of a bundle: the serde visitors both passes share, and pass one's scan.

use super::*;
use crate::domain::model::{parse_timestamp, Thread, Ticket};
use crate::domain::settings::Settings;
use base64::Engine;
use serde::Deserialize;
use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

// ---- Reading ----
//
// A bundle of a million tickets is about a gigabyte of JSON: it is never held in memory whole, nor
// parsed into a tree. It is read twice, as a stream. Pass one (`check`) keeps the small sections
// (settings, companies, contacts, the catalog) and, of tickets and threads, only their ids, checking
// everything that needs no other section. Pass two (`stream`) checks the references of tickets and
// threads against every id, and hands them out in chunks for writing while no problem has been found.
// Problems are reported in document order, each with its JSON path.

/// Where a bundle is read from. A bundle is read twice, so this is something that can be read again,
/// not a stream.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    Text(&'a str),
    File(&'a std::path::Path),
    /// A file whose bytes read so far are counted in the atomic (for a progress bar).
    CountedFile(&'a std::path::Path, &'a AtomicU64),
}

/// A reader that adds the bytes it reads to a counter another thread may watch.
pub(super) struct Counting<'a, R> {
    pub(super) inner: R,
    pub(super) read: &'a AtomicU64,
}

impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let count = self.inner.read(buffer)?;
        self.read.fetch_add(count as u64, Ordering::Relaxed);
        Ok(count)
    }
}

/// Tickets or threads handed out by `stream`, in document order.
#[derive(Debug)]
pub enum Chunk {
    Tickets(Vec<Ticket>),
    Threads(Vec<Thread>),
}

/// Records per chunk handed out by `stream`.
pub(super) const CHUNK_RECORDS: usize = 2_000;

/// An error raised inside the parse to stop it (the sink declined more chunks); never reported.
pub(super) const CANCELLED: &str = "\u{0}import cancelled";

pub(super) type IdSet = HashSet<Box<str>>;

/// A problem with where it sorts: the top-level key it is under, the element's index, then discovery.
pub(super) struct Located {
    pub(super) section: &'static str,
    pub(super) index: usize,
    pub(super) problem: BundleProblem,
}

/// Collects problems while the document is checked.
#[derive(Default)]
pub(super) struct Problems(pub(super) Vec<Located>);

impl Problems {
    pub(super) fn add(
        &mut self,
        section: &'static str,
        index: usize,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.0.push(Located {
            section,
            index,
            problem: BundleProblem {
                path: path.into(),
                message: message.into(),
            },
        });
    }

    pub(super) fn timestamp(
        &mut self,
        section: &'static str,
        index: usize,
        path: impl FnOnce() -> String,
        text: &str,
    ) -> chrono::DateTime<chrono::Utc> {
        match parse_timestamp(text) {
            Ok(at) => at,
            Err(_) => {
                self.add(
                    section,
                    index,
                    path(),
                    format!(
                        "bad timestamp \"{text}\" (expected RFC 3339, e.g. 2025-03-01T09:30:00Z)"
                    ),
                );
                chrono::DateTime::default()
            }
        }
    }

    /// Records `id` of element `index` of `section`, reporting it when it is empty or taken.
    pub(super) fn unique_id(
        &mut self,
        section: &'static str,
        index: usize,
        path: impl FnOnce() -> String,
        id: &str,
        seen: &mut IdSet,
    ) {
        if id.is_empty() {
            self.add(section, index, format!("{}.id", path()), "the id is empty");
        } else if !seen.insert(id.into()) {
            self.add(
                section,
                index,
                format!("{}.id", path()),
                format!("duplicate id \"{id}\""),
            );
        }
    }

    /// Ids of every element of `section`, reporting empty and duplicate ones.
    pub(super) fn unique<'a>(
        &mut self,
        section: &'static str,
        ids: impl Iterator<Item = &'a str>,
    ) -> IdSet {
        let mut seen = IdSet::default();
        for (index, id) in ids.enumerate() {
            self.unique_id(
                section,
                index,
                || format!("{section}[{index}]"),
                id,
                &mut seen,
            );
        }
        seen
    }

    pub(super) fn reference(
        &mut self,
        section: &'static str,
        index: usize,
        path: impl FnOnce() -> String,
        kind: &str,
        id: &str,
        known: &IdSet,
    ) {
        if !known.contains(id) {
            self.add(section, index, path(), format!("unknown {kind} \"{id}\""));
        }
    }

    /// Reports an id listed again in one record's list of references (`"contacts": ["ana", "ana"]`),
    /// at the repeat's path: the workspace keeps each link once.
    pub(super) fn no_repeats(
        &mut self,
        section: &'static str,
        index: usize,
        path: impl Fn(usize) -> String,
        kind: &str,
        ids: &[String],
    ) {
        let mut first = std::collections::HashMap::with_capacity(ids.len());
        for (position, id) in ids.iter().enumerate() {
            if let std::collections::hash_map::Entry::Occupied(earlier) = first.entry(id.as_str()) {
                let earlier = *earlier.get();
                self.add(
                    section,
                    index,
                    path(position),
                    format!("{kind} \"{id}\" is listed twice (first at [{earlier}])"),
                );
            } else {
                first.insert(id.as_str(), position);
            }
        }
    }

    /// The problems in document order (sections as they occur in `order`, then element index).
    pub(super) fn sorted(mut self, order: &[&'static str]) -> Vec<BundleProblem> {
        let rank = |section: &str| {
            order
                .iter()
                .position(|name| *name == section)
                .unwrap_or(order.len())
        };
        // Stable: problems of one element keep the order they were found in.
        self.0
            .sort_by_key(|located| (rank(located.section), located.index));
        self.0.into_iter().map(|located| located.problem).collect()
    }
}

/// What a pass does with the document's sections.
pub(super) trait Pass {
    /// Whether the small sections are kept (pass one) or skipped (pass two).
    fn keeps_head(&self) -> bool;
    fn head(&mut self) -> &mut HeadRecords;
    /// `false` stops the parse.
    fn ticket(&mut self, index: usize, record: TicketRecord) -> bool;
    fn thread(&mut self, index: usize, record: ThreadRecord) -> bool;
}

/// The small sections as read, and the order of the top-level keys.
#[derive(Default)]
pub(super) struct HeadRecords {
    pub(super) order: Vec<&'static str>,
    pub(super) format: Option<serde_json::Value>,
    pub(super) version: Option<serde_json::Value>,
    pub(super) settings: Option<Settings>,
    pub(super) companies: Vec<CompanyRecord>,
    pub(super) lists: Vec<ListRecord>,
    pub(super) contacts: Vec<ContactRecord>,
    pub(super) pipelines: Vec<PipelineRecord>,
    pub(super) inboxes: Vec<InboxRecord>,
    pub(super) channels: Vec<ChannelRecord>,
    pub(super) forms: Vec<FormRecord>,
    pub(super) kb_articles: Vec<ArticleRecord>,
    pub(super) menus: Vec<MenuRecord>,
}

pub(super) struct DocumentVisitor<'p, P>(pub(super) &'p mut P);

/// A top-level key that is unknown or repeated: fails as its value is read.
enum RootKeyProblem<'k> {
    Unknown(&'k str),
    Duplicate(&'static str),
}

impl<'de> serde::de::DeserializeSeed<'de> for RootKeyProblem<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
        use serde::de::Error;
        Err(match self {
            RootKeyProblem::Unknown(key) => D::Error::unknown_field(key, SECTIONS),
            RootKeyProblem::Duplicate(name) => D::Error::duplicate_field(name),
        })
    }
}

impl<'de, P: Pass> serde::de::Visitor<'de> for DocumentVisitor<'_, P> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a bundle: a JSON object with \"format\": \"portal-bundle\"")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let pass = self.0;
        let mut seen: Vec<&'static str> = Vec::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            // Refused while reading the key's value, so that the problem's path names the key.
            let Some(&name) = SECTIONS.iter().find(|name| **name == key) else {
                return map.next_value_seed(RootKeyProblem::Unknown(&key));
            };
            if seen.contains(&name) {
                return map.next_value_seed(RootKeyProblem::Duplicate(name));
            }
            seen.push(name);
            if name == "tickets" {
                map.next_value_seed(Elements(pass, Pass::ticket))?;
                continue;
            }
            if name == "threads" {
                map.next_value_seed(Elements(pass, Pass::thread))?;
                continue;
            }
            if !pass.keeps_head() {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            let head = pass.head();
            head.order.push(name);
            match name {
                "format" => head.format = Some(map.next_value()?),
                "version" => head.version = Some(map.next_value()?),
                "settings" => head.settings = map.next_value()?,
                "companies" => head.companies = map.next_value()?,
                "lists" => head.lists = map.next_value()?,
                "contacts" => head.contacts = map.next_value()?,
                "pipelines" => head.pipelines = map.next_value()?,
                "inboxes" => head.inboxes = map.next_value()?,
                "channels" => head.channels = map.next_value()?,
                "forms" => head.forms = map.next_value()?,
                "kb_articles" => head.kb_articles = map.next_value()?,
                _ => head.menus = map.next_value()?,
            }
        }
        Ok(())
    }
}

impl<'de, P: Pass> serde::de::DeserializeSeed<'de> for DocumentVisitor<'_, P> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// The elements of `tickets` or `threads`, each handed to the pass as soon as it is read.
pub(super) struct Elements<'p, P, R>(&'p mut P, fn(&mut P, usize, R) -> bool);

impl<'de, P, R: Deserialize<'de>> serde::de::DeserializeSeed<'de> for Elements<'_, P, R> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, P, R: Deserialize<'de>> serde::de::Visitor<'de> for Elements<'_, P, R> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a sequence")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Elements(pass, each) = self;
        let mut index = 0;
        while let Some(record) = seq.next_element::<R>()? {
            if !each(pass, index, record) {
                return Err(serde::de::Error::custom(CANCELLED));
            }
            index += 1;
        }
        Ok(())
    }
}

/// Why a parse stopped.
pub(super) enum ParseFailure {
    /// The text is not JSON at all (syntax error or end of input).
    NotJson(String),
    /// The JSON does not have the bundle's shape: where and what.
    Shape(String, String),
    /// The document is not a JSON object.
    NotAnObject,
    Cancelled,
    Io(String),
}

/// Runs `pass` over the document at `source`. Paths are not tracked while all goes well (tracking every
/// value of a gigabyte bundle costs); a value of the wrong shape is located by reading again with
/// tracking, up to the error.
pub(super) fn parse<P: Pass>(source: Source, pass: &mut P) -> Result<(), ParseFailure> {
    match parse_with(source, pass, false) {
        // serde_json reports some values of the wrong type (null for an enum) as syntax errors:
        // locate those too, so that a JSON document's problem always names its path.
        Err(ParseFailure::Shape(_, _) | ParseFailure::NotJson(_)) => {
            match parse_with(source, &mut Locate::default(), true) {
                Err(
                    failure @ (ParseFailure::Shape(_, _)
                    | ParseFailure::NotAnObject
                    | ParseFailure::NotJson(_)),
                ) => Err(failure),
                // Only possible if the file changed in between.
                _ => Err(ParseFailure::Io(
                    "the bundle changed while it was being read".into(),
                )),
            }
        }
        outcome => outcome,
    }
}

/// A pass that only reads, to locate a shape error.
#[derive(Default)]
pub(super) struct Locate(pub(super) HeadRecords);

impl Pass for Locate {
    fn keeps_head(&self) -> bool {
        true
    }

    fn head(&mut self) -> &mut HeadRecords {
        &mut self.0
    }

    fn ticket(&mut self, _: usize, _: TicketRecord) -> bool {
        true
    }

    fn thread(&mut self, _: usize, _: ThreadRecord) -> bool {
        true
    }
}

pub(super) fn parse_with<P: Pass>(
    source: Source,
    pass: &mut P,
    track: bool,
) -> Result<(), ParseFailure> {
    fn run<'de, R: serde_json::de::Read<'de>, P: Pass>(
        read: R,
        pass: &mut P,
        tracked: bool,
    ) -> Result<(), ParseFailure> {
        let mut deserializer = serde_json::Deserializer::new(read);
        let mut track = serde_path_to_error::Track::new();
        let outcome = if tracked {
            serde::de::DeserializeSeed::deserialize(
                DocumentVisitor(pass),
                serde_path_to_error::Deserializer::new(&mut deserializer, &mut track),
            )
        } else {
            serde::de::DeserializeSeed::deserialize(DocumentVisitor(pass), &mut deserializer)
        }
        .and_then(|()| deserializer.end());
        let Err(error) = outcome else {
            return Ok(());
        };
        let path = track.path().to_string();
        let path = if path == "." { String::new() } else { path };
        Err(match error.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof
                if tracked && !path.is_empty() && path != "?" =>
            {
                ParseFailure::Shape(path, error.to_string())
            }
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                ParseFailure::NotJson(error.to_string())
            }
            serde_json::error::Category::Io => ParseFailure::Io(error.to_string()),
            serde_json::error::Category::Data if error.to_string().starts_with(CANCELLED) => {
                ParseFailure::Cancelled
            }
            serde_json::error::Category::Data
                if tracked && path.is_empty() && error.to_string().starts_with("invalid type") =>
            {
                ParseFailure::NotAnObject
            }
            serde_json::error::Category::Data => ParseFailure::Shape(path, error.to_string()),
        })
    }
    let io_failure = |path: &std::path::Path, error: std::io::Error| {
        ParseFailure::Io(format!("{}: {error}", path.display()))
    };
    match source {
        Source::Text(text) => run(serde_json::de::StrRead::new(without_bom(text)), pass, track),
        Source::File(path) => {
            let file = std::fs::File::open(path).map_err(|error| io_failure(path, error))?;
            let reader = skip_bom(std::io::BufReader::with_capacity(1 << 20, file))
                .map_err(|error| io_failure(path, error))?;
            run(serde_json::de::IoRead::new(reader), pass, track)
        }
        Source::CountedFile(path, read) => {
            let file = std::fs::File::open(path).map_err(|error| io_failure(path, error))?;
            let reader = std::io::BufReader::with_capacity(1 << 20, Counting { inner: file, read });
            let reader = skip_bom(reader).map_err(|error| io_failure(path, error))?;
            run(serde_json::de::IoRead::new(reader), pass, track)
        }
    }
}

/// A UTF-8 byte-order mark some editors write at the start of a file is not part of the JSON: it is
/// skipped.
const BOM: &str = "\u{feff}";

pub(super) fn without_bom(text: &str) -> &str {
    text.strip_prefix(BOM).unwrap_or(text)
}

pub(super) fn skip_bom<R: std::io::BufRead>(mut reader: R) -> std::io::Result<R> {
    if reader.fill_buf()?.starts_with(BOM.as_bytes()) {
        reader.consume(BOM.len());
    }
    Ok(reader)
}

/// The problem with the bundle's `format` and `version`, if any: reported alone, before anything else,
/// so that a bundle of another version gets that message rather than a confusing one about its fields.
pub(super) fn header_problem(
    format: Option<&serde_json::Value>,
    version: Option<&serde_json::Value>,
) -> Option<BundleProblem> {
    if format != Some(&serde_json::Value::String(FORMAT.into())) {
        return Some(BundleProblem {
            path: "format".into(),
            message: format!("expected \"{FORMAT}\""),
        });
    }
    match version {
        Some(serde_json::Value::Number(number)) if number.as_u64() == Some(VERSION as u64) => None,
        other => {
            let found = other.map_or("none".to_string(), |value| value.to_string());
            Some(BundleProblem {
                path: "version".into(),
                message: format!(
                    "unsupported bundle version {found}: this Portal Studio reads version {VERSION}"
                ),
            })
        }
    }
}

pub(super) fn single(problem: BundleProblem) -> BundleError {
    BundleError::Invalid(vec![problem])
}

pub(super) fn not_an_object() -> BundleError {
    single(BundleProblem {
        path: String::new(),
        message: "a bundle is a JSON object with \"format\": \"portal-bundle\"".into(),
    })
}

/// Turns a failed parse into the error to report; a shape problem is reported after the header's.
pub(super) fn failure(source: Source, failure: ParseFailure) -> BundleError {
    match failure {
        ParseFailure::NotJson(message) | ParseFailure::Io(message) => BundleError::NotJson(message),
        ParseFailure::NotAnObject => not_an_object(),
        ParseFailure::Cancelled => single(BundleProblem {
            path: String::new(),
            message: "the import was cancelled".into(),
        }),
        ParseFailure::Shape(path, message) => {
            if let Ok(header) = read_header(source) {
                if let Some(problem) =
                    header_problem(header.format.as_ref(), header.version.as_ref())
                {
                    return single(problem);
                }
            }
            // serde_json appends " at line L column C": keep it, it helps find the spot.
            single(BundleProblem { path, message })
        }
    }
}

pub(super) fn read_header(source: Source) -> Result<Header, serde_json::Error> {
    match source {
        Source::Text(text) => serde_json::from_str(without_bom(text)),
        Source::File(path) | Source::CountedFile(path, _) => {
            let file = std::fs::File::open(path).map_err(serde_json::Error::io)?;
            let reader = skip_bom(std::io::BufReader::with_capacity(1 << 20, file))
                .map_err(serde_json::Error::io)?;
            serde_json::from_reader(reader)
        }
    }
}

/// Pass one.
#[derive(Default)]
pub(super) struct Scan {
    pub(super) head: HeadRecords,
    pub(super) problems: Problems,
    pub(super) tickets: IdSet,
    pub(super) threads: IdSet,
    pub(super) messages: IdSet,
    pub(super) ticket_count: usize,
    pub(super) thread_count: usize,
    pub(super) property_names: BTreeSet<String>,
}

impl Pass for Scan {
    fn keeps_head(&self) -> bool {
        true
    }

    fn head(&mut self) -> &mut HeadRecords {
        &mut self.head
    }

    fn ticket(&mut self, index: usize, ticket: TicketRecord) -> bool {
        const SECTION: &str = "tickets";
        let path = || format!("tickets[{index}]");
        self.ticket_count += 1;
        self.problems
            .unique_id(SECTION, index, path, &ticket.id, &mut self.tickets);
        self.problems.timestamp(
            SECTION,
            index,
            || format!("{}.created_at", path()),
            &ticket.created_at,
        );
        self.problems.timestamp(
            SECTION,
            index,
            || format!("{}.last_activity_at", path()),
            &ticket.last_activity_at,
        );
        for name in ticket.properties.keys() {
            if !self.property_names.contains(name) {
                self.property_names.insert(name.clone());
            }
        }
        true
    }

    fn thread(&mut self, index: usize, thread: ThreadRecord) -> bool {
        const SECTION: &str = "threads";
        let path = || format!("threads[{index}]");
        self.thread_count += 1;
        self.problems
            .unique_id(SECTION, index, path, &thread.id, &mut self.threads);
        self.problems.timestamp(
            SECTION,
            index,
            || format!("{}.created_at", path()),
            &thread.created_at,
        );
        for (message_index, message) in thread.messages.iter().enumerate() {
            let message_path = || format!("{}.messages[{message_index}]", path());
            self.problems.unique_id(
                SECTION,
                index,
                message_path,
                &message.id,
                &mut self.messages,
            );
            self.problems.timestamp(
                SECTION,
                index,
                || format!("{}.created_at", message_path()),
                &message.created_at,
            );
            for (attachment_index, attachment) in message.attachments.iter().enumerate() {
                if base64::engine::general_purpose::STANDARD
                    .decode(&attachment.data_base64)
                    .is_err()
                {
                    self.problems.add(
                        SECTION,
                        index,
                        format!(
                            "{}.attachments[{attachment_index}].data_base64",
                            message_path()
                        ),
                        "not valid base64",
                    );
                }
            }
        }
        true
    }
}
