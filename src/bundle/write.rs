//! Writing workspace data as a bundle, streamed, without secrets.

use super::*;
use crate::domain::model::WorkspaceData;
use crate::domain::model::{format_timestamp, Thread, Ticket};
use crate::domain::settings;
use base64::Engine;
use serde::Serialize;

// ---- Writing ----

/// How a record is written into a bundle.
pub(super) trait Exported {
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
            cc: self.cc.clone(),
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
pub(super) struct Streamed<I, M>(std::cell::RefCell<Option<I>>, std::marker::PhantomData<M>);

impl<I, M> Streamed<I, M> {
    pub(super) fn new(chunks: I) -> Self {
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
pub(super) struct Document<T, H> {
    pub(super) format: &'static str,
    pub(super) version: u32,
    pub(super) settings: serde_json::Value,
    pub(super) companies: Vec<CompanyRecord>,
    pub(super) lists: Vec<ListRecord>,
    pub(super) contacts: Vec<ContactRecord>,
    pub(super) pipelines: Vec<PipelineRecord>,
    pub(super) inboxes: Vec<InboxRecord>,
    pub(super) channels: Vec<ChannelRecord>,
    pub(super) tickets: T,
    pub(super) threads: H,
    pub(super) forms: Vec<FormRecord>,
    pub(super) kb_articles: Vec<ArticleRecord>,
    pub(super) menus: Vec<MenuRecord>,
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
        settings: settings::for_bundle(&settings::without_secrets(&head.settings)),
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
                companies: contact.companies.clone(),
                language: contact.language.clone(),
                properties: contact.properties.clone(),
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
