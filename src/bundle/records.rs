//! The bundle document as written on disk (`bundle-format.md`): one record type per section.

use crate::domain::model::{ChannelType, Direction, InboxKind, MessageType, StageState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

// ---- The document as written on disk. Unknown keys are refused everywhere but in `properties`. ----

/// The document's top-level keys, in the order `write` puts them.
pub(super) const SECTIONS: &[&str] = &[
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
pub(super) struct Header {
    pub(super) format: Option<serde_json::Value>,
    pub(super) version: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CompanyRecord {
    pub(super) id: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) domain: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListRecord {
    pub(super) id: String,
    pub(super) name: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ContactRecord {
    pub(super) id: String,
    pub(super) email: String,
    #[serde(default)]
    pub(super) first_name: String,
    #[serde(default)]
    pub(super) last_name: String,
    #[serde(default)]
    pub(super) company: Option<String>,
    #[serde(default)]
    pub(super) lists: Vec<String>,
    /// Companies besides the primary one (portal-rules.md 10.1); left out when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) companies: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) language: Option<String>,
    /// Custom contact properties (string values).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) properties: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) password: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PipelineRecord {
    pub(super) id: String,
    pub(super) label: String,
    #[serde(default)]
    pub(super) stages: Vec<StageRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StageRecord {
    pub(super) id: String,
    pub(super) label: String,
    pub(super) state: StageState,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InboxRecord {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) kind: InboxKind,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChannelRecord {
    pub(super) id: String,
    #[serde(rename = "type")]
    pub(super) channel_type: ChannelType,
    #[serde(default)]
    pub(super) address: Option<String>,
    #[serde(default)]
    pub(super) inbox: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TicketRecord {
    pub(super) id: String,
    pub(super) subject: String,
    #[serde(default)]
    pub(super) content: String,
    pub(super) pipeline: String,
    pub(super) stage: String,
    #[serde(default)]
    pub(super) priority: Option<String>,
    #[serde(default)]
    pub(super) category: Option<String>,
    #[serde(default)]
    pub(super) source: Option<String>,
    pub(super) created_at: String,
    pub(super) last_activity_at: String,
    #[serde(default)]
    pub(super) properties: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub(super) contacts: Vec<String>,
    #[serde(default)]
    pub(super) companies: Vec<String>,
    /// Contacts copied on the ticket (portal-rules.md 10.2); left out when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) cc: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ThreadRecord {
    pub(super) id: String,
    #[serde(default)]
    pub(super) ticket: Option<String>,
    pub(super) channel: String,
    pub(super) created_at: String,
    #[serde(default)]
    pub(super) messages: Vec<MessageRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MessageRecord {
    pub(super) id: String,
    #[serde(rename = "type")]
    pub(super) message_type: MessageType,
    pub(super) direction: Direction,
    pub(super) from: String,
    #[serde(default)]
    pub(super) text: String,
    pub(super) created_at: String,
    #[serde(default)]
    pub(super) attachments: Vec<AttachmentRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AttachmentRecord {
    pub(super) name: String,
    pub(super) content_type: String,
    pub(super) data_base64: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FormRecord {
    pub(super) id: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) inbox: Option<String>,
    pub(super) pipeline: String,
    #[serde(default)]
    pub(super) fields: Vec<FormFieldRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FormFieldRecord {
    pub(super) name: String,
    pub(super) label: String,
    #[serde(default)]
    pub(super) ticket_property: String,
    #[serde(default)]
    pub(super) required: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ArticleRecord {
    pub(super) id: String,
    pub(super) title: String,
    #[serde(default)]
    pub(super) published: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MenuRecord {
    pub(super) id: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) items: Vec<MenuItemRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MenuItemRecord {
    pub(super) label: String,
    pub(super) url: String,
}
