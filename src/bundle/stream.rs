//! Pass two: the references of tickets and threads checked against every id, handed out in chunks.

use super::*;
use crate::domain::model::WorkspaceData;
use crate::domain::model::{parse_timestamp, Attachment, Message, Thread, Ticket};
use base64::Engine;

/// Pass two.
pub(super) struct Link<'c, F> {
    pub(super) known: &'c Known,
    /// Whether chunks are still handed out: until the first problem anywhere.
    pub(super) writing: bool,
    pub(super) problems: Problems,
    pub(super) tickets: Vec<Ticket>,
    pub(super) threads: Vec<Thread>,
    pub(super) sink: F,
    pub(super) unused_head: HeadRecords,
}

impl<F: FnMut(Chunk) -> bool> Link<'_, F> {
    pub(super) fn flush(&mut self) -> bool {
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
    pub(super) fn keep(&mut self) -> bool {
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
        problems.no_repeats(
            SECTION,
            index,
            |position| format!("{}.contacts[{position}]", path()),
            "contact",
            &ticket.contacts,
        );
        problems.no_repeats(
            SECTION,
            index,
            |position| format!("{}.companies[{position}]", path()),
            "company",
            &ticket.companies,
        );
        for (cc_index, contact) in ticket.cc.iter().enumerate() {
            let path = || format!("{}.cc[{cc_index}]", path());
            problems.reference(SECTION, index, path, "contact", contact, &known.contacts);
            if ticket.contacts.contains(contact) {
                problems.add(
                    SECTION,
                    index,
                    path(),
                    format!("contact \"{contact}\" is already among the ticket's contacts"),
                );
            }
        }
        problems.no_repeats(
            SECTION,
            index,
            |position| format!("{}.cc[{position}]", path()),
            "contact",
            &ticket.cc,
        );
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
                cc: ticket.cc,
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
