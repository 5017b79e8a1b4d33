//! The JSON bundle (`bundle-format.md`): reading one into workspace data with every problem named by its
//! JSON path, and writing workspace data back out without secrets. Reading validates everything before
//! anything is written, so storage only ever receives a consistent workspace.

use crate::model::{
    format_timestamp, parse_timestamp, Attachment, Catalog, Channel, ChannelType, Company, Contact,
    ContactList, Direction, Form, FormField, Inbox, InboxKind, KnowledgeBaseArticle, Menu,
    MenuItem, Message, MessageType, Pipeline, Stage, StageState, Thread, Ticket,
};
use crate::settings::{self, Settings};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub const FORMAT: &str = "portal-bundle";
pub const VERSION: u32 = 1;
/// An import lists at most this many problems; past that, more are only counted.
const MAX_LISTED_PROBLEMS: usize = 50;

/// Everything a workspace holds, in memory: what an import writes and an export reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkspaceData {
    pub settings: Settings,
    pub companies: Vec<Company>,
    pub lists: Vec<ContactList>,
    pub contacts: Vec<Contact>,
    /// Portal passwords from the bundle, by contact id (hashed before they are stored).
    pub passwords: Vec<(String, String)>,
    pub pipelines: Vec<Pipeline>,
    pub inboxes: Vec<Inbox>,
    pub channels: Vec<Channel>,
    pub tickets: Vec<Ticket>,
    pub threads: Vec<Thread>,
    pub forms: Vec<Form>,
    pub kb_articles: Vec<KnowledgeBaseArticle>,
    pub menus: Vec<Menu>,
}

impl WorkspaceData {
    pub fn catalog(&self) -> Catalog {
        let custom: BTreeSet<String> = self
            .tickets
            .iter()
            .flat_map(|ticket| ticket.properties.keys().cloned())
            .collect();
        Catalog {
            pipelines: self.pipelines.clone(),
            lists: self.lists.clone(),
            inboxes: self.inboxes.clone(),
            channels: self.channels.clone(),
            forms: self.forms.clone(),
            kb_articles: self.kb_articles.clone(),
            menus: self.menus.clone(),
            custom_properties: custom.into_iter().collect(),
        }
    }
}

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

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    format: String,
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    settings: Option<Settings>,
    #[serde(default)]
    companies: Vec<CompanyRecord>,
    #[serde(default)]
    lists: Vec<ListRecord>,
    #[serde(default)]
    contacts: Vec<ContactRecord>,
    #[serde(default)]
    pipelines: Vec<PipelineRecord>,
    #[serde(default)]
    inboxes: Vec<InboxRecord>,
    #[serde(default)]
    channels: Vec<ChannelRecord>,
    #[serde(default)]
    tickets: Vec<TicketRecord>,
    #[serde(default)]
    threads: Vec<ThreadRecord>,
    #[serde(default)]
    forms: Vec<FormRecord>,
    #[serde(default)]
    kb_articles: Vec<ArticleRecord>,
    #[serde(default)]
    menus: Vec<MenuRecord>,
}

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

/// Collects problems while the document is turned into workspace data.
#[derive(Default)]
struct Problems(Vec<BundleProblem>);

impl Problems {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(BundleProblem {
            path: path.into(),
            message: message.into(),
        });
    }

    fn timestamp(&mut self, path: String, text: &str) -> chrono::DateTime<chrono::Utc> {
        match parse_timestamp(text) {
            Ok(at) => at,
            Err(_) => {
                self.add(
                    path,
                    format!(
                        "bad timestamp \"{text}\" (expected RFC 3339, e.g. 2025-03-01T09:30:00Z)"
                    ),
                );
                chrono::DateTime::default()
            }
        }
    }

    /// Reports ids that occur twice among `ids` (with the kind's path).
    fn unique<'a>(&mut self, kind: &str, ids: impl Iterator<Item = &'a str>) -> HashSet<String> {
        let mut seen = HashSet::new();
        for (index, id) in ids.enumerate() {
            if id.is_empty() {
                self.add(format!("{kind}[{index}].id"), "the id is empty");
            } else if !seen.insert(id.to_string()) {
                self.add(
                    format!("{kind}[{index}].id"),
                    format!("duplicate id \"{id}\""),
                );
            }
        }
        seen
    }

    fn reference(&mut self, path: String, kind: &str, id: &str, known: &HashSet<String>) {
        if !known.contains(id) {
            self.add(path, format!("unknown {kind} \"{id}\""));
        }
    }
}

fn is_plausible_email(email: &str) -> bool {
    let mut parts = email.split('@');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(local), Some(domain), None)
            if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                && !email.chars().any(char::is_whitespace)
    )
}

/// Reads and validates a bundle. On success the data is consistent: every reference resolves.
pub fn read(text: &str) -> Result<WorkspaceData, BundleError> {
    let header: Header = serde_json::from_str(text).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => BundleError::Invalid(vec![BundleProblem {
            path: String::new(),
            message: "a bundle is a JSON object with \"format\": \"portal-bundle\"".into(),
        }]),
        _ => BundleError::NotJson(error.to_string()),
    })?;
    if header.format != Some(serde_json::Value::String(FORMAT.into())) {
        return Err(BundleError::Invalid(vec![BundleProblem {
            path: "format".into(),
            message: format!("expected \"{FORMAT}\""),
        }]));
    }
    match header.version {
        Some(serde_json::Value::Number(number)) if number.as_u64() == Some(VERSION as u64) => {}
        other => {
            let found = other.map_or("none".to_string(), |value| value.to_string());
            return Err(BundleError::Invalid(vec![BundleProblem {
                path: "version".into(),
                message: format!(
                    "unsupported bundle version {found}: this Portal Studio reads version {VERSION}"
                ),
            }]));
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let document: Document =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let message = error.inner().to_string();
            // serde_json appends " at line L column C": keep it, it helps find the spot.
            BundleError::Invalid(vec![BundleProblem {
                path: if path == "." { String::new() } else { path },
                message,
            }])
        })?;
    convert(document)
}

fn convert(document: Document) -> Result<WorkspaceData, BundleError> {
    let mut problems = Problems::default();
    let companies = problems.unique(
        "companies",
        document.companies.iter().map(|c| c.id.as_str()),
    );
    let lists = problems.unique("lists", document.lists.iter().map(|l| l.id.as_str()));
    let contacts = problems.unique("contacts", document.contacts.iter().map(|c| c.id.as_str()));
    let pipelines = problems.unique(
        "pipelines",
        document.pipelines.iter().map(|p| p.id.as_str()),
    );
    let inboxes = problems.unique("inboxes", document.inboxes.iter().map(|i| i.id.as_str()));
    let channels = problems.unique("channels", document.channels.iter().map(|c| c.id.as_str()));
    let tickets = problems.unique("tickets", document.tickets.iter().map(|t| t.id.as_str()));
    problems.unique("threads", document.threads.iter().map(|t| t.id.as_str()));
    problems.unique("forms", document.forms.iter().map(|f| f.id.as_str()));
    problems.unique(
        "kb_articles",
        document.kb_articles.iter().map(|a| a.id.as_str()),
    );
    problems.unique("menus", document.menus.iter().map(|m| m.id.as_str()));
    let stages: HashMap<String, HashSet<String>> = document
        .pipelines
        .iter()
        .enumerate()
        .map(|(index, pipeline)| {
            let stage_ids = problems.unique(
                &format!("pipelines[{index}].stages"),
                pipeline.stages.iter().map(|s| s.id.as_str()),
            );
            (pipeline.id.clone(), stage_ids)
        })
        .collect();
    for (index, pipeline) in document.pipelines.iter().enumerate() {
        if pipeline.stages.is_empty() {
            problems.add(
                format!("pipelines[{index}].stages"),
                "a pipeline needs at least one stage",
            );
        }
    }

    let mut emails = HashSet::new();
    for (index, contact) in document.contacts.iter().enumerate() {
        let path = format!("contacts[{index}]");
        if !is_plausible_email(&contact.email) {
            problems.add(
                format!("{path}.email"),
                format!("\"{}\" is not an email address", contact.email),
            );
        } else if !emails.insert(contact.email.to_lowercase()) {
            problems.add(
                format!("{path}.email"),
                format!("duplicate email \"{}\"", contact.email),
            );
        }
        if let Some(company) = &contact.company {
            problems.reference(format!("{path}.company"), "company", company, &companies);
        }
        for (list_index, list) in contact.lists.iter().enumerate() {
            problems.reference(format!("{path}.lists[{list_index}]"), "list", list, &lists);
        }
        if contact.password.as_deref().is_some_and(str::is_empty) {
            problems.add(format!("{path}.password"), "the password is empty");
        }
    }
    for (index, channel) in document.channels.iter().enumerate() {
        if let Some(inbox) = &channel.inbox {
            problems.reference(format!("channels[{index}].inbox"), "inbox", inbox, &inboxes);
        }
    }
    let mut ticket_data = Vec::with_capacity(document.tickets.len());
    for (index, ticket) in document.tickets.into_iter().enumerate() {
        let path = format!("tickets[{index}]");
        if !pipelines.contains(ticket.pipeline.as_str()) {
            problems.add(
                format!("{path}.pipeline"),
                format!("unknown pipeline \"{}\"", ticket.pipeline),
            );
        } else if !stages[&ticket.pipeline].contains(&ticket.stage) {
            problems.add(
                format!("{path}.stage"),
                format!(
                    "unknown stage \"{}\" in pipeline \"{}\"",
                    ticket.stage, ticket.pipeline
                ),
            );
        }
        for (contact_index, contact) in ticket.contacts.iter().enumerate() {
            problems.reference(
                format!("{path}.contacts[{contact_index}]"),
                "contact",
                contact,
                &contacts,
            );
        }
        for (company_index, company) in ticket.companies.iter().enumerate() {
            problems.reference(
                format!("{path}.companies[{company_index}]"),
                "company",
                company,
                &companies,
            );
        }
        let created_at = problems.timestamp(format!("{path}.created_at"), &ticket.created_at);
        let last_activity_at =
            problems.timestamp(format!("{path}.last_activity_at"), &ticket.last_activity_at);
        ticket_data.push(Ticket {
            id: ticket.id,
            subject: ticket.subject,
            content: ticket.content,
            pipeline: ticket.pipeline,
            stage: ticket.stage,
            priority: ticket.priority,
            category: ticket.category,
            source: ticket.source,
            created_at,
            last_activity_at,
            properties: ticket.properties,
            contacts: ticket.contacts,
            companies: ticket.companies,
        });
    }
    let mut message_ids = HashSet::new();
    let mut thread_data = Vec::with_capacity(document.threads.len());
    for (index, thread) in document.threads.into_iter().enumerate() {
        let path = format!("threads[{index}]");
        if let Some(ticket) = &thread.ticket {
            problems.reference(format!("{path}.ticket"), "ticket", ticket, &tickets);
        }
        problems.reference(
            format!("{path}.channel"),
            "channel",
            &thread.channel,
            &channels,
        );
        let created_at = problems.timestamp(format!("{path}.created_at"), &thread.created_at);
        let mut messages = Vec::with_capacity(thread.messages.len());
        for (message_index, message) in thread.messages.into_iter().enumerate() {
            let message_path = format!("{path}.messages[{message_index}]");
            if message.id.is_empty() {
                problems.add(format!("{message_path}.id"), "the id is empty");
            } else if !message_ids.insert(message.id.clone()) {
                problems.add(
                    format!("{message_path}.id"),
                    format!("duplicate id \"{}\"", message.id),
                );
            }
            let created_at =
                problems.timestamp(format!("{message_path}.created_at"), &message.created_at);
            let mut attachments = Vec::new();
            for (attachment_index, attachment) in message.attachments.into_iter().enumerate() {
                match base64::engine::general_purpose::STANDARD.decode(&attachment.data_base64) {
                    Ok(bytes) => attachments.push(Attachment {
                        id: 0,
                        name: attachment.name,
                        content_type: attachment.content_type,
                        size: bytes.len(),
                        data: Some(bytes),
                    }),
                    Err(_) => problems.add(
                        format!("{message_path}.attachments[{attachment_index}].data_base64"),
                        "not valid base64",
                    ),
                }
            }
            messages.push(Message {
                id: message.id,
                message_type: message.message_type,
                direction: message.direction,
                from: message.from,
                text: message.text,
                created_at,
                attachments,
            });
        }
        thread_data.push(Thread {
            id: thread.id,
            ticket: thread.ticket,
            channel: thread.channel,
            created_at,
            messages,
        });
    }
    for (index, form) in document.forms.iter().enumerate() {
        if let Some(inbox) = &form.inbox {
            problems.reference(format!("forms[{index}].inbox"), "inbox", inbox, &inboxes);
        }
        problems.reference(
            format!("forms[{index}].pipeline"),
            "pipeline",
            &form.pipeline,
            &pipelines,
        );
    }
    for (index, menu) in document.menus.iter().enumerate() {
        for (item_index, item) in menu.items.iter().enumerate() {
            if let Some(message) = settings::menu_url_problem(&item.url) {
                problems.add(format!("menus[{index}].items[{item_index}].url"), message);
            }
        }
    }

    let data = WorkspaceData {
        settings: document.settings.unwrap_or_default(),
        companies: document
            .companies
            .into_iter()
            .map(|company| Company {
                id: company.id,
                name: company.name,
                domain: company.domain,
            })
            .collect(),
        lists: document
            .lists
            .into_iter()
            .map(|list| ContactList {
                id: list.id,
                name: list.name,
            })
            .collect(),
        passwords: document
            .contacts
            .iter()
            .filter_map(|contact| Some((contact.id.clone(), contact.password.clone()?)))
            .collect(),
        contacts: document
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
        pipelines: document
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
        inboxes: document
            .inboxes
            .into_iter()
            .map(|inbox| Inbox {
                id: inbox.id,
                name: inbox.name,
                kind: inbox.kind,
            })
            .collect(),
        channels: document
            .channels
            .into_iter()
            .map(|channel| Channel {
                id: channel.id,
                channel_type: channel.channel_type,
                address: channel.address,
                inbox: channel.inbox,
            })
            .collect(),
        tickets: ticket_data,
        threads: thread_data,
        forms: document
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
        kb_articles: document
            .kb_articles
            .into_iter()
            .map(|article| KnowledgeBaseArticle {
                id: article.id,
                title: article.title,
                published: article.published,
            })
            .collect(),
        menus: document
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
    };
    // Settings refer to lists, inboxes, forms, menus and properties: check them against this bundle.
    for problem in settings::validate(&data.settings, &data.catalog()) {
        problems.add(format!("settings.{}", problem.field), problem.message);
    }
    if problems.0.is_empty() {
        Ok(data)
    } else {
        Err(BundleError::Invalid(problems.0))
    }
}

// ---- Writing ----

/// Writes workspace data as a bundle: the same shape `read` accepts, with no passwords or SSO secrets.
pub fn write(data: &WorkspaceData) -> String {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let document = Document {
        format: FORMAT.into(),
        version: VERSION,
        settings: Some(settings::without_secrets(&data.settings)),
        companies: data
            .companies
            .iter()
            .map(|company| CompanyRecord {
                id: company.id.clone(),
                name: company.name.clone(),
                domain: company.domain.clone(),
            })
            .collect(),
        lists: data
            .lists
            .iter()
            .map(|list| ListRecord {
                id: list.id.clone(),
                name: list.name.clone(),
            })
            .collect(),
        contacts: data
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
        pipelines: data
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
        inboxes: data
            .inboxes
            .iter()
            .map(|inbox| InboxRecord {
                id: inbox.id.clone(),
                name: inbox.name.clone(),
                kind: inbox.kind,
            })
            .collect(),
        channels: data
            .channels
            .iter()
            .map(|channel| ChannelRecord {
                id: channel.id.clone(),
                channel_type: channel.channel_type,
                address: channel.address.clone(),
                inbox: channel.inbox.clone(),
            })
            .collect(),
        tickets: data
            .tickets
            .iter()
            .map(|ticket| TicketRecord {
                id: ticket.id.clone(),
                subject: ticket.subject.clone(),
                content: ticket.content.clone(),
                pipeline: ticket.pipeline.clone(),
                stage: ticket.stage.clone(),
                priority: ticket.priority.clone(),
                category: ticket.category.clone(),
                source: ticket.source.clone(),
                created_at: format_timestamp(&ticket.created_at),
                last_activity_at: format_timestamp(&ticket.last_activity_at),
                properties: ticket.properties.clone(),
                contacts: ticket.contacts.clone(),
                companies: ticket.companies.clone(),
            })
            .collect(),
        threads: data
            .threads
            .iter()
            .map(|thread| ThreadRecord {
                id: thread.id.clone(),
                ticket: thread.ticket.clone(),
                channel: thread.channel.clone(),
                created_at: format_timestamp(&thread.created_at),
                messages: thread
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
            })
            .collect(),
        forms: data
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
        kb_articles: data
            .kb_articles
            .iter()
            .map(|article| ArticleRecord {
                id: article.id.clone(),
                title: article.title.clone(),
                published: article.published,
            })
            .collect(),
        menus: data
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
    serde_json::to_string_pretty(&document).expect("a bundle serialises")
}
