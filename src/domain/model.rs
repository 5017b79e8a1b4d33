//! The CRM data a portal works on, as plain values: contacts, companies, lists, pipelines, tickets,
//! inboxes, channels, threads, messages and the portal's forms, articles and menus. These types are what
//! storage loads, what bundles carry, and what the rules read; they carry no behaviour of their own
//! beyond small lookups, so that every decision lives in `rules`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Formats a timestamp the way bundles and `portal view-as` print it: RFC 3339 in UTC with `Z`.
pub fn format_timestamp(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses an RFC 3339 timestamp (any offset) into UTC.
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc))
}

/// Timestamps are stored as milliseconds since the epoch so that SQLite orders them correctly.
pub fn timestamp_millis(at: &DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub fn from_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub id: String,
    pub name: String,
    pub domain: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactList {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// The primary company.
    pub company: Option<String>,
    pub lists: Vec<String>,
    /// The companies the contact is associated with besides the primary one (never repeating it).
    pub companies: Vec<String>,
    /// The contact's language (e.g. `de`), when known.
    pub language: Option<String>,
    /// Custom contact properties (string values), which company view rules may test.
    pub properties: BTreeMap<String, String>,
}

impl Contact {
    /// "Ana Berg", or the email when the contact has no name.
    pub fn display_name(&self) -> String {
        let name = format!("{} {}", self.first_name, self.last_name);
        let name = name.trim();
        if name.is_empty() {
            self.email.clone()
        } else {
            name.to_string()
        }
    }

    /// "Ana", used in short reasons.
    pub fn short_name(&self) -> String {
        if self.first_name.trim().is_empty() {
            self.display_name()
        } else {
            self.first_name.trim().to_string()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum StageState {
    #[serde(rename = "OPEN")]
    Open,
    #[serde(rename = "CLOSED")]
    Closed,
}

impl StageState {
    pub fn as_str(self) -> &'static str {
        match self {
            StageState::Open => "OPEN",
            StageState::Closed => "CLOSED",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "OPEN" => Some(StageState::Open),
            "CLOSED" => Some(StageState::Closed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub id: String,
    pub label: String,
    pub state: StageState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub id: String,
    pub label: String,
    pub stages: Vec<Stage>,
}

impl Pipeline {
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|stage| stage.id == id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    Conversations,
    HelpDesk,
}

impl InboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InboxKind::Conversations => "conversations",
            InboxKind::HelpDesk => "help_desk",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "conversations" => Some(InboxKind::Conversations),
            "help_desk" => Some(InboxKind::HelpDesk),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbox {
    pub id: String,
    pub name: String,
    pub kind: InboxKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelType {
    #[serde(rename = "EMAIL")]
    Email,
    #[serde(rename = "CHAT")]
    Chat,
    #[serde(rename = "FB_MESSENGER")]
    FbMessenger,
    #[serde(rename = "FORM")]
    Form,
}

impl ChannelType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelType::Email => "EMAIL",
            ChannelType::Chat => "CHAT",
            ChannelType::FbMessenger => "FB_MESSENGER",
            ChannelType::Form => "FORM",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "EMAIL" => Some(ChannelType::Email),
            "CHAT" => Some(ChannelType::Chat),
            "FB_MESSENGER" => Some(ChannelType::FbMessenger),
            "FORM" => Some(ChannelType::Form),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: String,
    pub channel_type: ChannelType,
    pub address: Option<String>,
    /// A channel is connected exactly when it delivers into an inbox.
    pub inbox: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    pub id: String,
    pub subject: String,
    pub content: String,
    pub pipeline: String,
    pub stage: String,
    pub priority: Option<String>,
    pub category: Option<String>,
    pub source: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    /// Custom properties, kept as JSON values exactly as the bundle gave them.
    pub properties: BTreeMap<String, serde_json::Value>,
    pub contacts: Vec<String>,
    pub companies: Vec<String>,
    /// Contacts copied on the ticket who are not among its `contacts` (portal-rules.md 10.2).
    pub cc: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageType {
    #[serde(rename = "MESSAGE")]
    Message,
    #[serde(rename = "COMMENT")]
    Comment,
}

impl MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Message => "MESSAGE",
            MessageType::Comment => "COMMENT",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "MESSAGE" => Some(MessageType::Message),
            "COMMENT" => Some(MessageType::Comment),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    #[serde(rename = "INCOMING")]
    Incoming,
    #[serde(rename = "OUTGOING")]
    Outgoing,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Incoming => "INCOMING",
            Direction::Outgoing => "OUTGOING",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "INCOMING" => Some(Direction::Incoming),
            "OUTGOING" => Some(Direction::Outgoing),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Database id; 0 before the attachment is stored.
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: usize,
    /// The bytes are loaded only where they are needed (download, export).
    pub data: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub message_type: MessageType,
    pub direction: Direction,
    pub from: String,
    pub text: String,
    pub created_at: DateTime<Utc>,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    pub id: String,
    pub ticket: Option<String>,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    /// In conversation order (the order they were recorded).
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    pub name: String,
    pub label: String,
    pub ticket_property: String,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub id: String,
    pub name: String,
    pub inbox: Option<String>,
    pub pipeline: String,
    pub fields: Vec<FormField>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeBaseArticle {
    pub id: String,
    pub title: String,
    pub published: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    pub id: String,
    pub name: String,
    pub items: Vec<MenuItem>,
}

/// The small reference tables every decision may consult. A workspace's catalog is loaded whole: even a
/// large workspace has a handful of pipelines, lists, inboxes, channels, forms and menus.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub pipelines: Vec<Pipeline>,
    pub lists: Vec<ContactList>,
    pub inboxes: Vec<Inbox>,
    pub channels: Vec<Channel>,
    pub forms: Vec<Form>,
    pub kb_articles: Vec<KnowledgeBaseArticle>,
    pub menus: Vec<Menu>,
    /// Names of custom ticket properties that occur in the workspace (for filter validation).
    pub custom_properties: Vec<String>,
    /// Names of custom contact properties that occur in the workspace (for company view rules).
    pub contact_properties: Vec<String>,
}

impl Catalog {
    pub fn pipeline(&self, id: &str) -> Option<&Pipeline> {
        self.pipelines.iter().find(|pipeline| pipeline.id == id)
    }
    pub fn stage(&self, pipeline: &str, stage: &str) -> Option<&Stage> {
        self.pipeline(pipeline)
            .and_then(|pipeline| pipeline.stage(stage))
    }
    /// A stage label by id alone (filters name stages without their pipeline).
    pub fn any_stage(&self, stage: &str) -> Option<&Stage> {
        self.pipelines
            .iter()
            .find_map(|pipeline| pipeline.stage(stage))
    }
    pub fn list(&self, id: &str) -> Option<&ContactList> {
        self.lists.iter().find(|list| list.id == id)
    }
    pub fn inbox(&self, id: &str) -> Option<&Inbox> {
        self.inboxes.iter().find(|inbox| inbox.id == id)
    }
    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|channel| channel.id == id)
    }
    pub fn form(&self, id: &str) -> Option<&Form> {
        self.forms.iter().find(|form| form.id == id)
    }
    pub fn menu(&self, id: &str) -> Option<&Menu> {
        self.menus.iter().find(|menu| menu.id == id)
    }
    pub fn has_published_article(&self) -> bool {
        self.kb_articles.iter().any(|article| article.published)
    }
}

/// Everything a workspace holds, in memory: what an import writes and an export reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkspaceData {
    pub settings: crate::domain::settings::Settings,
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
        let contact_properties: BTreeSet<String> = self
            .contacts
            .iter()
            .flat_map(|contact| contact.properties.keys().cloned())
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
            contact_properties: contact_properties.into_iter().collect(),
        }
    }
}
