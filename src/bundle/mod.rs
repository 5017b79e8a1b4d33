//! The JSON bundle (`bundle-format.md`): reading one into workspace data with every problem named by its
//! JSON path, and writing workspace data back out without secrets. Reading validates everything before
//! anything is written, so storage only ever receives a consistent workspace.

use crate::domain::email;
use crate::domain::model::WorkspaceData;
use crate::domain::model::{
    format_timestamp, parse_timestamp, Attachment, Channel, ChannelType, Company, Contact,
    ContactList, Direction, Form, FormField, Inbox, InboxKind, KnowledgeBaseArticle, Menu,
    MenuItem, Message, MessageType, Pipeline, Stage, StageState, Thread, Ticket,
};
use crate::domain::settings::{self, Settings};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

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

// ---- The document as written on disk. Unknown keys are refused everywhere but in `properties`. ----

/// The document's top-level keys, in the order `write` puts them.
const SECTIONS: &[&str] = &[
    "format",
    "version",
    "settings",
    "companies",
    "lists",
    "contacts",
    "pipelines",
    "inboxes",
    "channels",
    "tickets",
    "threads",
    "forms",
    "kb_articles",
    "menus",
];

/// Only `format` and `version`, read first so that a bundle of another version gets that message rather
/// than a confusing one about its fields.
#[derive(Deserialize)]
struct Header {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompanyRecord {
    id: String,
    name: String,
    #[serde(default)]
    domain: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListRecord {
    id: String,
    name: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactRecord {
    id: String,
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    company: Option<String>,
    #[serde(default)]
    lists: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineRecord {
    id: String,
    label: String,
    #[serde(default)]
    stages: Vec<StageRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StageRecord {
    id: String,
    label: String,
    state: StageState,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InboxRecord {
    id: String,
    name: String,
    kind: InboxKind,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelRecord {
    id: String,
    #[serde(rename = "type")]
    channel_type: ChannelType,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    inbox: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TicketRecord {
    id: String,
    subject: String,
    #[serde(default)]
    content: String,
    pipeline: String,
    stage: String,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    source: Option<String>,
    created_at: String,
    last_activity_at: String,
    #[serde(default)]
    properties: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    contacts: Vec<String>,
    #[serde(default)]
    companies: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThreadRecord {
    id: String,
    #[serde(default)]
    ticket: Option<String>,
    channel: String,
    created_at: String,
    #[serde(default)]
    messages: Vec<MessageRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageRecord {
    id: String,
    #[serde(rename = "type")]
    message_type: MessageType,
    direction: Direction,
    from: String,
    #[serde(default)]
    text: String,
    created_at: String,
    #[serde(default)]
    attachments: Vec<AttachmentRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttachmentRecord {
    name: String,
    content_type: String,
    data_base64: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormRecord {
    id: String,
    name: String,
    #[serde(default)]
    inbox: Option<String>,
    pipeline: String,
    #[serde(default)]
    fields: Vec<FormFieldRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormFieldRecord {
    name: String,
    label: String,
    #[serde(default)]
    ticket_property: String,
    #[serde(default)]
    required: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArticleRecord {
    id: String,
    title: String,
    #[serde(default)]
    published: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MenuRecord {
    id: String,
    name: String,
    #[serde(default)]
    items: Vec<MenuItemRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MenuItemRecord {
    label: String,
    url: String,
}

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
struct Counting<'a, R> {
    inner: R,
    read: &'a AtomicU64,
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
const CHUNK_RECORDS: usize = 2_000;

/// An error raised inside the parse to stop it (the sink declined more chunks); never reported.
const CANCELLED: &str = "\u{0}import cancelled";

type IdSet = HashSet<Box<str>>;

/// A problem with where it sorts: the top-level key it is under, the element's index, then discovery.
struct Located {
    section: &'static str,
    index: usize,
    problem: BundleProblem,
}

/// Collects problems while the document is checked.
#[derive(Default)]
struct Problems(Vec<Located>);

impl Problems {
    fn add(
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

    fn timestamp(
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
    fn unique_id(
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
    fn unique<'a>(&mut self, section: &'static str, ids: impl Iterator<Item = &'a str>) -> IdSet {
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

    fn reference(
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

    /// The problems in document order (sections as they occur in `order`, then element index).
    fn sorted(mut self, order: &[&'static str]) -> Vec<BundleProblem> {
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
trait Pass {
    /// Whether the small sections are kept (pass one) or skipped (pass two).
    fn keeps_head(&self) -> bool;
    fn head(&mut self) -> &mut HeadRecords;
    /// `false` stops the parse.
    fn ticket(&mut self, index: usize, record: TicketRecord) -> bool;
    fn thread(&mut self, index: usize, record: ThreadRecord) -> bool;
}

/// The small sections as read, and the order of the top-level keys.
#[derive(Default)]
struct HeadRecords {
    order: Vec<&'static str>,
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
    settings: Option<Settings>,
    companies: Vec<CompanyRecord>,
    lists: Vec<ListRecord>,
    contacts: Vec<ContactRecord>,
    pipelines: Vec<PipelineRecord>,
    inboxes: Vec<InboxRecord>,
    channels: Vec<ChannelRecord>,
    forms: Vec<FormRecord>,
    kb_articles: Vec<ArticleRecord>,
    menus: Vec<MenuRecord>,
}

struct DocumentVisitor<'p, P>(&'p mut P);

impl<'de, P: Pass> serde::de::Visitor<'de> for DocumentVisitor<'_, P> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a bundle: a JSON object with \"format\": \"portal-bundle\"")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use serde::de::Error;
        let pass = self.0;
        let mut seen: Vec<&'static str> = Vec::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let Some(&name) = SECTIONS.iter().find(|name| **name == key) else {
                return Err(A::Error::unknown_field(&key, SECTIONS));
            };
            if seen.contains(&name) {
                return Err(A::Error::duplicate_field(name));
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
struct Elements<'p, P, R>(&'p mut P, fn(&mut P, usize, R) -> bool);

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
enum ParseFailure {
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
fn parse<P: Pass>(source: Source, pass: &mut P) -> Result<(), ParseFailure> {
    match parse_with(source, pass, false) {
        Err(ParseFailure::Shape(_, _)) => match parse_with(source, &mut Locate::default(), true) {
            Err(failure @ (ParseFailure::Shape(_, _) | ParseFailure::NotAnObject)) => Err(failure),
            // Only possible if the file changed in between.
            _ => Err(ParseFailure::Io(
                "the bundle changed while it was being read".into(),
            )),
        },
        outcome => outcome,
    }
}

/// A pass that only reads, to locate a shape error.
#[derive(Default)]
struct Locate(HeadRecords);

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

fn parse_with<P: Pass>(source: Source, pass: &mut P, track: bool) -> Result<(), ParseFailure> {
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
    match source {
        Source::Text(text) => run(serde_json::de::StrRead::new(text), pass, track),
        Source::File(path) => {
            let file = std::fs::File::open(path)
                .map_err(|error| ParseFailure::Io(format!("{}: {error}", path.display())))?;
            let reader = std::io::BufReader::with_capacity(1 << 20, file);
            run(serde_json::de::IoRead::new(reader), pass, track)
        }
        Source::CountedFile(path, read) => {
            let file = std::fs::File::open(path)
                .map_err(|error| ParseFailure::Io(format!("{}: {error}", path.display())))?;
            let reader = std::io::BufReader::with_capacity(1 << 20, Counting { inner: file, read });
            run(serde_json::de::IoRead::new(reader), pass, track)
        }
    }
}

/// The problem with the bundle's `format` and `version`, if any: reported alone, before anything else,
/// so that a bundle of another version gets that message rather than a confusing one about its fields.
fn header_problem(
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

fn single(problem: BundleProblem) -> BundleError {
    BundleError::Invalid(vec![problem])
}

fn not_an_object() -> BundleError {
    single(BundleProblem {
        path: String::new(),
        message: "a bundle is a JSON object with \"format\": \"portal-bundle\"".into(),
    })
}

/// Turns a failed parse into the error to report; a shape problem is reported after the header's.
fn failure(source: Source, failure: ParseFailure) -> BundleError {
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

fn read_header(source: Source) -> Result<Header, serde_json::Error> {
    match source {
        Source::Text(text) => serde_json::from_str(text),
        Source::File(path) | Source::CountedFile(path, _) => {
            let file = std::fs::File::open(path).map_err(serde_json::Error::io)?;
            serde_json::from_reader(std::io::BufReader::with_capacity(1 << 20, file))
        }
    }
}

/// Pass one.
#[derive(Default)]
struct Scan {
    head: HeadRecords,
    problems: Problems,
    tickets: IdSet,
    threads: IdSet,
    messages: IdSet,
    ticket_count: usize,
    thread_count: usize,
    property_names: BTreeSet<String>,
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

/// Ids every reference of tickets and threads is checked against.
#[derive(Default)]
struct Known {
    companies: IdSet,
    contacts: IdSet,
    pipelines: IdSet,
    stages: HashMap<String, IdSet>,
    channels: IdSet,
    tickets: IdSet,
}

/// A bundle that passed pass one: its small sections as workspace data, and what pass two needs.
pub struct Checked {
    /// Everything but tickets and threads (which `stream` hands out).
    pub head: WorkspaceData,
    pub ticket_count: usize,
    pub thread_count: usize,
    order: Vec<&'static str>,
    known: Known,
    problems: Problems,
}

impl Checked {
    /// Whether pass one found problems (`stream` then only completes the list).
    pub fn has_problems(&self) -> bool {
        !self.problems.0.is_empty()
    }
}

/// Pass one over the bundle at `source` (see the section comment). An error here is final: not JSON,
/// a wrong format or version, or a value of the wrong shape. Other problems are collected and reported
/// by `stream`, together with those of the references of tickets and threads.
pub fn check(source: Source) -> Result<Checked, BundleError> {
    let mut scan = Scan::default();
    parse(source, &mut scan).map_err(|error| failure(source, error))?;
    let Scan {
        head: records,
        mut problems,
        tickets,
        ticket_count,
        thread_count,
        property_names,
        ..
    } = scan;
    if let Some(problem) = header_problem(records.format.as_ref(), records.version.as_ref()) {
        return Err(single(problem));
    }
    let order = records.order.clone();
    let (head, mut known) = check_head(records, property_names, &mut problems);
    known.tickets = tickets;
    Ok(Checked {
        head,
        ticket_count,
        thread_count,
        order,
        known,
        problems,
    })
}

/// Checks the small sections against each other and turns them into workspace data.
fn check_head(
    records: HeadRecords,
    property_names: BTreeSet<String>,
    problems: &mut Problems,
) -> (WorkspaceData, Known) {
    let companies = problems.unique("companies", records.companies.iter().map(|c| c.id.as_str()));
    let lists = problems.unique("lists", records.lists.iter().map(|l| l.id.as_str()));
    let contacts = problems.unique("contacts", records.contacts.iter().map(|c| c.id.as_str()));
    let pipelines = problems.unique("pipelines", records.pipelines.iter().map(|p| p.id.as_str()));
    let inboxes = problems.unique("inboxes", records.inboxes.iter().map(|i| i.id.as_str()));
    let channels = problems.unique("channels", records.channels.iter().map(|c| c.id.as_str()));
    problems.unique("forms", records.forms.iter().map(|f| f.id.as_str()));
    problems.unique(
        "kb_articles",
        records.kb_articles.iter().map(|a| a.id.as_str()),
    );
    problems.unique("menus", records.menus.iter().map(|m| m.id.as_str()));
    let mut stages = HashMap::new();
    for (index, pipeline) in records.pipelines.iter().enumerate() {
        let mut stage_ids = IdSet::default();
        for (stage_index, stage) in pipeline.stages.iter().enumerate() {
            problems.unique_id(
                "pipelines",
                index,
                || format!("pipelines[{index}].stages[{stage_index}]"),
                &stage.id,
                &mut stage_ids,
            );
        }
        if pipeline.stages.is_empty() {
            problems.add(
                "pipelines",
                index,
                format!("pipelines[{index}].stages"),
                "a pipeline needs at least one stage",
            );
        }
        stages.insert(pipeline.id.clone(), stage_ids);
    }
    let mut emails = HashSet::new();
    for (index, contact) in records.contacts.iter().enumerate() {
        let path = || format!("contacts[{index}]");
        if !email::is_valid(&contact.email) {
            problems.add(
                "contacts",
                index,
                format!("{}.email", path()),
                format!("\"{}\" is not an email address", contact.email),
            );
        } else if !emails.insert(contact.email.to_lowercase()) {
            problems.add(
                "contacts",
                index,
                format!("{}.email", path()),
                format!("duplicate email \"{}\"", contact.email),
            );
        }
        if let Some(company) = &contact.company {
            problems.reference(
                "contacts",
                index,
                || format!("{}.company", path()),
                "company",
                company,
                &companies,
            );
        }
        for (list_index, list) in contact.lists.iter().enumerate() {
            problems.reference(
                "contacts",
                index,
                || format!("{}.lists[{list_index}]", path()),
                "list",
                list,
                &lists,
            );
        }
        if contact.password.as_deref().is_some_and(str::is_empty) {
            problems.add(
                "contacts",
                index,
                format!("{}.password", path()),
                "the password is empty",
            );
        }
    }
    for (index, channel) in records.channels.iter().enumerate() {
        if let Some(inbox) = &channel.inbox {
            problems.reference(
                "channels",
                index,
                || format!("channels[{index}].inbox"),
                "inbox",
                inbox,
                &inboxes,
            );
        }
    }
    for (index, form) in records.forms.iter().enumerate() {
        if let Some(inbox) = &form.inbox {
            problems.reference(
                "forms",
                index,
                || format!("forms[{index}].inbox"),
                "inbox",
                inbox,
                &inboxes,
            );
        }
        problems.reference(
            "forms",
            index,
            || format!("forms[{index}].pipeline"),
            "pipeline",
            &form.pipeline,
            &pipelines,
        );
    }
    for (index, menu) in records.menus.iter().enumerate() {
        for (item_index, item) in menu.items.iter().enumerate() {
            if let Some(message) = settings::menu_url_problem(&item.url) {
                problems.add(
                    "menus",
                    index,
                    format!("menus[{index}].items[{item_index}].url"),
                    message,
                );
            }
        }
    }
    let head = head_data(records);
    // Settings refer to lists, inboxes, forms, menus and properties: check them against this bundle.
    let mut catalog = head.catalog();
    catalog.custom_properties = property_names.into_iter().collect();
    for problem in settings::validate(&head.settings, &catalog) {
        problems.add(
            "settings",
            0,
            format!("settings.{}", problem.field),
            problem.message,
        );
    }
    let known = Known {
        companies,
        contacts,
        pipelines,
        stages,
        channels,
        tickets: IdSet::default(),
    };
    (head, known)
}

fn head_data(records: HeadRecords) -> WorkspaceData {
    WorkspaceData {
        settings: records.settings.unwrap_or_default(),
        companies: records
            .companies
            .into_iter()
            .map(|company| Company {
                id: company.id,
                name: company.name,
                domain: company.domain,
            })
            .collect(),
        lists: records
            .lists
            .into_iter()
            .map(|list| ContactList {
                id: list.id,
                name: list.name,
            })
            .collect(),
        passwords: records
            .contacts
            .iter()
            .filter_map(|contact| Some((contact.id.clone(), contact.password.clone()?)))
            .collect(),
        contacts: records
            .contacts
            .into_iter()
            .map(|contact| Contact {
                id: contact.id,
                email: contact.email,
                first_name: contact.first_name,
                last_name: contact.last_name,
                company: contact.company,
                lists: contact.lists,
            })
            .collect(),
        pipelines: records
            .pipelines
            .into_iter()
            .map(|pipeline| Pipeline {
                id: pipeline.id,
                label: pipeline.label,
                stages: pipeline
                    .stages
                    .into_iter()
                    .map(|stage| Stage {
                        id: stage.id,
                        label: stage.label,
                        state: stage.state,
                    })
                    .collect(),
            })
            .collect(),
        inboxes: records
            .inboxes
            .into_iter()
            .map(|inbox| Inbox {
                id: inbox.id,
                name: inbox.name,
                kind: inbox.kind,
            })
            .collect(),
        channels: records
            .channels
            .into_iter()
            .map(|channel| Channel {
                id: channel.id,
                channel_type: channel.channel_type,
                address: channel.address,
                inbox: channel.inbox,
            })
            .collect(),
        tickets: Vec::new(),
        threads: Vec::new(),
        forms: records
            .forms
            .into_iter()
            .map(|form| Form {
                id: form.id,
                name: form.name,
                inbox: form.inbox,
                pipeline: form.pipeline,
                fields: form
                    .fields
                    .into_iter()
                    .map(|field| FormField {
                        name: field.name,
                        label: field.label,
                        ticket_property: field.ticket_property,
                        required: field.required,
                    })
                    .collect(),
            })
            .collect(),
        kb_articles: records
            .kb_articles
            .into_iter()
            .map(|article| KnowledgeBaseArticle {
                id: article.id,
                title: article.title,
                published: article.published,
            })
            .collect(),
        menus: records
            .menus
            .into_iter()
            .map(|menu| Menu {
                id: menu.id,
                name: menu.name,
                items: menu
                    .items
                    .into_iter()
                    .map(|item| MenuItem {
                        label: item.label,
                        url: item.url,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Pass two.
struct Link<'c, F> {
    known: &'c Known,
    /// Whether chunks are still handed out: until the first problem anywhere.
    writing: bool,
    problems: Problems,
    tickets: Vec<Ticket>,
    threads: Vec<Thread>,
    sink: F,
    unused_head: HeadRecords,
}

impl<F: FnMut(Chunk) -> bool> Link<'_, F> {
    fn flush(&mut self) -> bool {
        if !self.tickets.is_empty() {
            let tickets = std::mem::take(&mut self.tickets);
            if !(self.sink)(Chunk::Tickets(tickets)) {
                return false;
            }
        }
        if !self.threads.is_empty() {
            let threads = std::mem::take(&mut self.threads);
            if !(self.sink)(Chunk::Threads(threads)) {
                return false;
            }
        }
        true
    }

    /// Stops handing out chunks once a problem is found; `false` when the sink declined more.
    fn keep(&mut self) -> bool {
        if !self.problems.0.is_empty() {
            self.writing = false;
            self.tickets.clear();
            self.threads.clear();
        }
        if self.writing && self.tickets.len() + self.threads.len() >= CHUNK_RECORDS {
            return self.flush();
        }
        true
    }
}

impl<F: FnMut(Chunk) -> bool> Pass for Link<'_, F> {
    fn keeps_head(&self) -> bool {
        false
    }

    fn head(&mut self) -> &mut HeadRecords {
        &mut self.unused_head
    }

    fn ticket(&mut self, index: usize, ticket: TicketRecord) -> bool {
        const SECTION: &str = "tickets";
        let path = || format!("tickets[{index}]");
        let known = self.known;
        let problems = &mut self.problems;
        if !known.pipelines.contains(ticket.pipeline.as_str()) {
            problems.add(
                SECTION,
                index,
                format!("{}.pipeline", path()),
                format!("unknown pipeline \"{}\"", ticket.pipeline),
            );
        } else if !known.stages[&ticket.pipeline].contains(ticket.stage.as_str()) {
            problems.add(
                SECTION,
                index,
                format!("{}.stage", path()),
                format!(
                    "unknown stage \"{}\" in pipeline \"{}\"",
                    ticket.stage, ticket.pipeline
                ),
            );
        }
        for (contact_index, contact) in ticket.contacts.iter().enumerate() {
            problems.reference(
                SECTION,
                index,
                || format!("{}.contacts[{contact_index}]", path()),
                "contact",
                contact,
                &known.contacts,
            );
        }
        for (company_index, company) in ticket.companies.iter().enumerate() {
            problems.reference(
                SECTION,
                index,
                || format!("{}.companies[{company_index}]", path()),
                "company",
                company,
                &known.companies,
            );
        }
        if self.writing && self.problems.0.is_empty() {
            self.tickets.push(Ticket {
                created_at: parse_timestamp(&ticket.created_at).unwrap_or_default(),
                last_activity_at: parse_timestamp(&ticket.last_activity_at).unwrap_or_default(),
                id: ticket.id,
                subject: ticket.subject,
                content: ticket.content,
                pipeline: ticket.pipeline,
                stage: ticket.stage,
                priority: ticket.priority,
                category: ticket.category,
                source: ticket.source,
                properties: ticket.properties,
                contacts: ticket.contacts,
                companies: ticket.companies,
            });
        }
        self.keep()
    }

    fn thread(&mut self, index: usize, thread: ThreadRecord) -> bool {
        const SECTION: &str = "threads";
        let path = || format!("threads[{index}]");
        let known = self.known;
        if let Some(ticket) = &thread.ticket {
            self.problems.reference(
                SECTION,
                index,
                || format!("{}.ticket", path()),
                "ticket",
                ticket,
                &known.tickets,
            );
        }
        self.problems.reference(
            SECTION,
            index,
            || format!("{}.channel", path()),
            "channel",
            &thread.channel,
            &known.channels,
        );
        if self.writing && self.problems.0.is_empty() {
            let messages = thread
                .messages
                .into_iter()
                .map(|message| Message {
                    created_at: parse_timestamp(&message.created_at).unwrap_or_default(),
                    id: message.id,
                    message_type: message.message_type,
                    direction: message.direction,
                    from: message.from,
                    text: message.text,
                    attachments: message
                        .attachments
                        .into_iter()
                        .map(|attachment| {
                            let bytes = base64::engine::general_purpose::STANDARD
                                .decode(&attachment.data_base64)
                                .unwrap_or_default();
                            Attachment {
                                id: 0,
                                name: attachment.name,
                                content_type: attachment.content_type,
                                size: bytes.len(),
                                data: Some(bytes),
                            }
                        })
                        .collect(),
                })
                .collect();
            self.threads.push(Thread {
                created_at: parse_timestamp(&thread.created_at).unwrap_or_default(),
                id: thread.id,
                ticket: thread.ticket,
                channel: thread.channel,
                messages,
            });
        }
        self.keep()
    }
}

/// Pass two over the bundle `checked` came from: checks every reference of tickets and threads and,
/// while no problem has been found (in either pass), hands them to `sink` in chunks of a few thousand,
/// in document order. `sink` returns `false` to stop. Any problem makes this an error listing every
/// problem of the bundle; chunks already handed out must then be discarded (the import rolls back).
pub fn stream(
    source: Source,
    checked: &Checked,
    sink: impl FnMut(Chunk) -> bool,
) -> Result<(), BundleError> {
    let mut link = Link {
        known: &checked.known,
        writing: !checked.has_problems(),
        problems: Problems::default(),
        tickets: Vec::new(),
        threads: Vec::new(),
        sink,
        unused_head: HeadRecords::default(),
    };
    match parse(source, &mut link) {
        Ok(()) => {}
        Err(ParseFailure::Cancelled) => return Err(failure(source, ParseFailure::Cancelled)),
        Err(error) => return Err(failure(source, error)),
    }
    if link.writing && link.problems.0.is_empty() {
        if !link.flush() {
            return Err(failure(source, ParseFailure::Cancelled));
        }
        return Ok(());
    }
    let mut problems = Problems::default();
    problems
        .0
        .extend(checked.problems.0.iter().map(|located| Located {
            section: located.section,
            index: located.index,
            problem: located.problem.clone(),
        }));
    problems.0.extend(link.problems.0);
    Err(BundleError::Invalid(problems.sorted(&checked.order)))
}

/// Reads and validates a bundle held in memory. On success the data is consistent: every reference
/// resolves.
pub fn read(text: &str) -> Result<WorkspaceData, BundleError> {
    let source = Source::Text(text);
    let checked = check(source)?;
    let mut tickets = Vec::new();
    let mut threads = Vec::new();
    stream(source, &checked, |chunk| {
        match chunk {
            Chunk::Tickets(chunk) => tickets.extend(chunk),
            Chunk::Threads(chunk) => threads.extend(chunk),
        }
        true
    })?;
    Ok(WorkspaceData {
        tickets,
        threads,
        ..checked.head
    })
}

// ---- Writing ----

/// How a record is written into a bundle.
trait Exported {
    type Record: Serialize;
    fn record(&self) -> Self::Record;
}

impl Exported for Ticket {
    type Record = TicketRecord;
    fn record(&self) -> TicketRecord {
        TicketRecord {
            id: self.id.clone(),
            subject: self.subject.clone(),
            content: self.content.clone(),
            pipeline: self.pipeline.clone(),
            stage: self.stage.clone(),
            priority: self.priority.clone(),
            category: self.category.clone(),
            source: self.source.clone(),
            created_at: format_timestamp(&self.created_at),
            last_activity_at: format_timestamp(&self.last_activity_at),
            properties: self.properties.clone(),
            contacts: self.contacts.clone(),
            companies: self.companies.clone(),
        }
    }
}

impl Exported for Thread {
    type Record = ThreadRecord;
    fn record(&self) -> ThreadRecord {
        let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        ThreadRecord {
            id: self.id.clone(),
            ticket: self.ticket.clone(),
            channel: self.channel.clone(),
            created_at: format_timestamp(&self.created_at),
            messages: self
                .messages
                .iter()
                .map(|message| MessageRecord {
                    id: message.id.clone(),
                    message_type: message.message_type,
                    direction: message.direction,
                    from: message.from.clone(),
                    text: message.text.clone(),
                    created_at: format_timestamp(&message.created_at),
                    attachments: message
                        .attachments
                        .iter()
                        .map(|attachment| AttachmentRecord {
                            name: attachment.name.clone(),
                            content_type: attachment.content_type.clone(),
                            data_base64: encode(attachment.data.as_deref().unwrap_or_default()),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A list written as its chunks arrive: `chunks` yields collections of records.
struct Streamed<I, M>(std::cell::RefCell<Option<I>>, std::marker::PhantomData<M>);

impl<I, M> Streamed<I, M> {
    fn new(chunks: I) -> Self {
        Streamed(
            std::cell::RefCell::new(Some(chunks)),
            std::marker::PhantomData,
        )
    }
}

impl<I, M> Serialize for Streamed<I, M>
where
    I: Iterator,
    I::Item: IntoIterator,
    <I::Item as IntoIterator>::Item: std::borrow::Borrow<M>,
    M: Exported,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        use std::borrow::Borrow;
        let chunks = self.0.borrow_mut().take();
        let mut sequence = serializer.serialize_seq(None)?;
        for chunk in chunks.into_iter().flatten() {
            for item in chunk {
                sequence.serialize_element(&item.borrow().record())?;
            }
        }
        sequence.end()
    }
}

/// The document as `write_to` writes it: the shape `read` accepts, keys in `SECTIONS` order.
#[derive(Serialize)]
struct Document<T, H> {
    format: &'static str,
    version: u32,
    settings: Settings,
    companies: Vec<CompanyRecord>,
    lists: Vec<ListRecord>,
    contacts: Vec<ContactRecord>,
    pipelines: Vec<PipelineRecord>,
    inboxes: Vec<InboxRecord>,
    channels: Vec<ChannelRecord>,
    tickets: T,
    threads: H,
    forms: Vec<FormRecord>,
    kb_articles: Vec<ArticleRecord>,
    menus: Vec<MenuRecord>,
}

/// Writes workspace data as a bundle: the same shape `read` accepts, with no passwords or SSO secrets.
pub fn write(data: &WorkspaceData) -> String {
    let mut bytes = Vec::new();
    write_to(
        &mut bytes,
        data,
        std::iter::once(&data.tickets),
        std::iter::once(&data.threads),
    )
    .expect("writing into memory cannot fail");
    String::from_utf8(bytes).expect("a bundle is UTF-8")
}

/// Writes a bundle to `out` as it goes: `head` gives everything but tickets and threads (its own
/// `tickets` and `threads` are ignored), which come from `tickets` and `threads`, chunk by chunk, so that
/// a workspace of any size is written with bounded memory.
pub fn write_to<W, T, H>(
    out: W,
    head: &WorkspaceData,
    tickets: T,
    threads: H,
) -> std::io::Result<()>
where
    W: std::io::Write,
    T: Iterator,
    T::Item: IntoIterator,
    <T::Item as IntoIterator>::Item: std::borrow::Borrow<Ticket>,
    H: Iterator,
    H::Item: IntoIterator,
    <H::Item as IntoIterator>::Item: std::borrow::Borrow<Thread>,
{
    let document = Document {
        format: FORMAT,
        version: VERSION,
        settings: settings::without_secrets(&head.settings),
        companies: head
            .companies
            .iter()
            .map(|company| CompanyRecord {
                id: company.id.clone(),
                name: company.name.clone(),
                domain: company.domain.clone(),
            })
            .collect(),
        lists: head
            .lists
            .iter()
            .map(|list| ListRecord {
                id: list.id.clone(),
                name: list.name.clone(),
            })
            .collect(),
        contacts: head
            .contacts
            .iter()
            .map(|contact| ContactRecord {
                id: contact.id.clone(),
                email: contact.email.clone(),
                first_name: contact.first_name.clone(),
                last_name: contact.last_name.clone(),
                company: contact.company.clone(),
                lists: contact.lists.clone(),
                password: None,
            })
            .collect(),
        pipelines: head
            .pipelines
            .iter()
            .map(|pipeline| PipelineRecord {
                id: pipeline.id.clone(),
                label: pipeline.label.clone(),
                stages: pipeline
                    .stages
                    .iter()
                    .map(|stage| StageRecord {
                        id: stage.id.clone(),
                        label: stage.label.clone(),
                        state: stage.state,
                    })
                    .collect(),
            })
            .collect(),
        inboxes: head
            .inboxes
            .iter()
            .map(|inbox| InboxRecord {
                id: inbox.id.clone(),
                name: inbox.name.clone(),
                kind: inbox.kind,
            })
            .collect(),
        channels: head
            .channels
            .iter()
            .map(|channel| ChannelRecord {
                id: channel.id.clone(),
                channel_type: channel.channel_type,
                address: channel.address.clone(),
                inbox: channel.inbox.clone(),
            })
            .collect(),
        tickets: Streamed::<T, Ticket>::new(tickets),
        threads: Streamed::<H, Thread>::new(threads),
        forms: head
            .forms
            .iter()
            .map(|form| FormRecord {
                id: form.id.clone(),
                name: form.name.clone(),
                inbox: form.inbox.clone(),
                pipeline: form.pipeline.clone(),
                fields: form
                    .fields
                    .iter()
                    .map(|field| FormFieldRecord {
                        name: field.name.clone(),
                        label: field.label.clone(),
                        ticket_property: field.ticket_property.clone(),
                        required: field.required,
                    })
                    .collect(),
            })
            .collect(),
        kb_articles: head
            .kb_articles
            .iter()
            .map(|article| ArticleRecord {
                id: article.id.clone(),
                title: article.title.clone(),
                published: article.published,
            })
            .collect(),
        menus: head
            .menus
            .iter()
            .map(|menu| MenuRecord {
                id: menu.id.clone(),
                name: menu.name.clone(),
                items: menu
                    .items
                    .iter()
                    .map(|item| MenuItemRecord {
                        label: item.label.clone(),
                        url: item.url.clone(),
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    serde_json::to_writer_pretty(&mut out, &document).map_err(std::io::Error::from)?;
    std::io::Write::flush(&mut out)
}
