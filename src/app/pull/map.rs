//! From the vendor's records to the workspace model, as `vendor-import.md` maps them. Pure: each function
//! takes what was read and returns the model's value, or the field that could not be understood.

use crate::domain::model::{
    parse_timestamp, Attachment, Channel, ChannelType, Company, Contact, ContactList, Direction,
    Inbox, InboxKind, Message, MessageType, Pipeline, Stage, StageState, Thread, Ticket,
};
use crate::vendor::types;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// Association type ids (`vendor-api.md` §4.3): only the id is stable, never the label.
pub const CONTACT_TO_COMPANY_PRIMARY: i64 = 1;
pub const CONTACT_TO_COMPANY: i64 = 279;
pub const TICKET_TO_CONTACT: i64 = 16;
pub const TICKET_TO_COMPANY_PRIMARY: i64 = 26;
pub const TICKET_TO_COMPANY: i64 = 339;

/// Generic channel ids the vendor documents.
const LIVE_CHAT: &str = "1000";
const FACEBOOK_MESSENGER: &str = "1001";
const EMAIL: &str = "1002";

/// A field of an answer that could not be mapped: where (`results[3].properties.createdate`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadField {
    pub field: String,
    pub detail: String,
}

fn timestamp(field: impl FnOnce() -> String, text: &str) -> Result<DateTime<Utc>, BadField> {
    parse_timestamp(text).map_err(|error| BadField {
        field: field(),
        detail: format!("\"{text}\" is not an RFC 3339 timestamp ({error})"),
    })
}

pub const COMPANY_PROPERTIES: [&str; 2] = ["name", "domain"];

pub fn company(record: &types::CrmObject) -> Company {
    Company {
        id: record.id.0.clone(),
        name: record.property("name").unwrap_or_default().to_string(),
        domain: record.property("domain").map(str::to_string),
    }
}

pub const CONTACT_PROPERTIES: [&str; 5] = [
    "email",
    "firstname",
    "lastname",
    "hs_language",
    "associatedcompanyid",
];

/// A contact, or None for a contact without an email (skipped and counted). The primary company is the
/// association of type 1; without one, `associatedcompanyid`. Its properties are the `custom` ones
/// (every property whose definition is not vendor-defined) that have a value, as strings.
pub fn contact(
    record: &types::CrmObject,
    custom: &[String],
    companies: &[types::AssociationTo],
) -> Option<Contact> {
    let email = record.property("email")?.trim();
    if email.is_empty() {
        return None;
    }
    let primary = companies
        .iter()
        .find(|to| to.has_type(CONTACT_TO_COMPANY_PRIMARY))
        .map(|to| to.to_object_id.0.clone())
        .or_else(|| record.property("associatedcompanyid").map(str::to_string));
    // The contact's other companies (portal-rules.md 10.1): type 279 associations that are not the
    // primary, each once.
    let mut others: Vec<String> = Vec::new();
    for to in companies
        .iter()
        .filter(|to| to.has_type(CONTACT_TO_COMPANY))
    {
        let id = &to.to_object_id.0;
        if primary.as_ref() != Some(id) && !others.contains(id) {
            others.push(id.clone());
        }
    }
    Some(Contact {
        id: record.id.0.clone(),
        email: email.to_string(),
        first_name: record.property("firstname").unwrap_or_default().to_string(),
        last_name: record.property("lastname").unwrap_or_default().to_string(),
        company: primary,
        lists: Vec::new(),
        companies: others,
        language: record
            .property("hs_language")
            .map(str::trim)
            .filter(|language| !language.is_empty())
            .map(str::to_string),
        properties: custom
            .iter()
            .filter_map(|name| {
                record
                    .property(name)
                    .map(|value| (name.clone(), value.to_string()))
            })
            .collect(),
    })
}

pub fn list(list: &types::ContactList) -> ContactList {
    ContactList {
        id: list.list_id.0.clone(),
        name: list.name.clone(),
    }
}

/// Pipelines and their stages in display order (equal orders by label); a stage's state from
/// `metadata.ticketState`, OPEN when missing.
pub fn pipelines(mut pipelines: Vec<types::Pipeline>) -> Vec<Pipeline> {
    pipelines.sort_by(|a, b| (a.display_order, &a.label).cmp(&(b.display_order, &b.label)));
    pipelines
        .into_iter()
        .map(|mut pipeline| {
            pipeline
                .stages
                .sort_by(|a, b| (a.display_order, &a.label).cmp(&(b.display_order, &b.label)));
            Pipeline {
                id: pipeline.id.0,
                label: pipeline.label,
                stages: pipeline
                    .stages
                    .into_iter()
                    .map(|stage| Stage {
                        state: match stage
                            .metadata
                            .get("ticketState")
                            .and_then(|state| state.as_deref())
                        {
                            Some(state) if state.eq_ignore_ascii_case("CLOSED") => {
                                StageState::Closed
                            }
                            _ => StageState::Open,
                        },
                        id: stage.id.0,
                        label: stage.label,
                    })
                    .collect(),
            }
        })
        .collect()
}

pub fn inbox(inbox: &types::Inbox) -> Inbox {
    Inbox {
        id: inbox.id.0.clone(),
        name: inbox.name.clone(),
        kind: match inbox.kind.as_deref() {
            Some("HELP_DESK") => InboxKind::HelpDesk,
            _ => InboxKind::Conversations,
        },
    }
}

/// The workspace's type of a channel kind: by the documented generic ids, else by the kind's name. The
/// model has no "other" type; a kind it cannot place (WhatsApp, calling, a custom channel) becomes
/// `CHAT`, a conversation channel, and the caller counts it.
pub fn channel_type(
    channel_id: Option<&str>,
    kind_names: &HashMap<String, String>,
) -> (ChannelType, bool) {
    match channel_id {
        Some(LIVE_CHAT) => return (ChannelType::Chat, true),
        Some(FACEBOOK_MESSENGER) => return (ChannelType::FbMessenger, true),
        Some(EMAIL) => return (ChannelType::Email, true),
        _ => {}
    }
    let name = channel_id
        .and_then(|id| kind_names.get(id))
        .map(|name| name.to_ascii_lowercase())
        .unwrap_or_default();
    if name.contains("form") {
        (ChannelType::Form, true)
    } else if name.contains("email") || name.contains("mail") {
        (ChannelType::Email, true)
    } else if name.contains("messenger") || name.contains("facebook") {
        (ChannelType::FbMessenger, true)
    } else if name.contains("chat") {
        (ChannelType::Chat, true)
    } else {
        (ChannelType::Chat, false)
    }
}

/// One channel per channel account, connected to its inbox exactly when the account is not archived.
pub fn channel(
    account: &types::ChannelAccount,
    kind_names: &HashMap<String, String>,
) -> (Channel, bool) {
    let (channel_type, known) = channel_type(
        account.channel_id.as_ref().map(types::Id::as_str),
        kind_names,
    );
    let channel = Channel {
        id: account.id.0.clone(),
        channel_type,
        address: account
            .delivery_identifier
            .as_ref()
            .and_then(|identifier| identifier.value.clone())
            .filter(|value| !value.is_empty()),
        inbox: if account.archived {
            None
        } else {
            account.inbox_id.as_ref().map(|inbox| inbox.0.clone())
        },
    };
    (channel, known)
}

/// The channel for a thread whose account the channel-account listing did not name: on no inbox.
pub fn unlisted_channel(
    account_id: &str,
    channel_id: Option<&str>,
    kind_names: &HashMap<String, String>,
) -> Channel {
    Channel {
        id: account_id.to_string(),
        channel_type: channel_type(channel_id, kind_names).0,
        address: None,
        inbox: None,
    }
}

pub const TICKET_PROPERTIES: [&str; 10] = [
    "subject",
    "content",
    "hs_pipeline",
    "hs_pipeline_stage",
    "hs_ticket_priority",
    "hs_ticket_category",
    "source_type",
    "createdate",
    "notes_last_updated",
    "hs_lastmodifieddate",
];

/// A ticket with its contacts (type 16) and companies (339 and 26, each company once). `index` is the
/// record's place in its page, for naming a field that cannot be read. None: no pipeline or stage.
pub fn ticket(
    index: usize,
    record: &types::CrmObject,
    custom: &[String],
    contacts: &[types::AssociationTo],
    companies: &[types::AssociationTo],
) -> Result<Option<Ticket>, BadField> {
    let (Some(pipeline), Some(stage)) = (
        record.property("hs_pipeline"),
        record.property("hs_pipeline_stage"),
    ) else {
        return Ok(None);
    };
    let field = |name: &str| format!("results[{index}].properties.{name}");
    let created_at = match record.property("createdate") {
        Some(text) => timestamp(|| field("createdate"), text)?,
        None => {
            return Err(BadField {
                field: field("createdate"),
                detail: "missing".into(),
            })
        }
    };
    let last_activity_at = match (
        record.property("notes_last_updated"),
        record.property("hs_lastmodifieddate"),
    ) {
        (Some(text), _) => timestamp(|| field("notes_last_updated"), text)?,
        (None, Some(text)) => timestamp(|| field("hs_lastmodifieddate"), text)?,
        (None, None) => created_at,
    };
    let properties: BTreeMap<String, serde_json::Value> = custom
        .iter()
        .filter_map(|name| {
            record
                .property(name)
                .map(|value| (name.clone(), serde_json::Value::String(value.to_string())))
        })
        .collect();
    let mut ticket_contacts: Vec<String> = Vec::new();
    for to in contacts.iter().filter(|to| to.has_type(TICKET_TO_CONTACT)) {
        if !ticket_contacts.contains(&to.to_object_id.0) {
            ticket_contacts.push(to.to_object_id.0.clone());
        }
    }
    let mut ticket_companies: Vec<String> = Vec::new();
    for to in companies
        .iter()
        .filter(|to| to.has_type(TICKET_TO_COMPANY) || to.has_type(TICKET_TO_COMPANY_PRIMARY))
    {
        if !ticket_companies.contains(&to.to_object_id.0) {
            ticket_companies.push(to.to_object_id.0.clone());
        }
    }
    Ok(Some(Ticket {
        id: record.id.0.clone(),
        subject: record.property("subject").unwrap_or_default().to_string(),
        content: record.property("content").unwrap_or_default().to_string(),
        pipeline: pipeline.to_string(),
        stage: stage.to_string(),
        priority: record.property("hs_ticket_priority").map(str::to_string),
        category: record.property("hs_ticket_category").map(str::to_string),
        source: record.property("source_type").map(str::to_string),
        created_at,
        last_activity_at,
        properties,
        contacts: ticket_contacts,
        companies: ticket_companies,
        cc: Vec::new(),
    }))
}

/// A thread without its messages. Its channel is its original channel account.
pub fn thread(index: usize, thread: &types::Thread) -> Result<Thread, BadField> {
    Ok(Thread {
        id: thread.id.0.clone(),
        ticket: thread
            .thread_associations
            .as_ref()
            .and_then(|associations| associations.associated_ticket_id.as_ref())
            .map(|ticket| ticket.0.clone()),
        channel: thread
            .original_channel_account_id
            .as_ref()
            .map(|account| account.0.clone())
            .unwrap_or_default(),
        created_at: timestamp(|| format!("results[{index}].createdAt"), &thread.created_at)?,
        messages: Vec::new(),
    })
}

/// A thread entry as a message: MESSAGE (customer-visible) and COMMENT (internal note); other entries
/// (welcome messages, status or inbox changes, assignments) are not messages: None.
pub fn message(index: usize, entry: &types::ThreadEntry) -> Result<Option<Message>, BadField> {
    let message_type = match entry.kind.as_str() {
        "MESSAGE" => MessageType::Message,
        "COMMENT" => MessageType::Comment,
        _ => return Ok(None),
    };
    let sender = entry.senders.first();
    let from = sender
        .and_then(|sender| {
            sender
                .delivery_identifier
                .as_ref()
                .and_then(|identifier| identifier.value.clone())
                .or_else(|| sender.name.clone())
                .or_else(|| sender.actor_id.clone())
        })
        .unwrap_or_default();
    let direction = match (message_type, entry.direction.as_deref()) {
        (_, Some("INCOMING")) => Direction::Incoming,
        (_, Some("OUTGOING")) => Direction::Outgoing,
        // A comment is an agent's internal note; a message without a direction is the visitor's when
        // its sender is a visitor or an email address.
        (MessageType::Comment, _) => Direction::Outgoing,
        (MessageType::Message, _) => {
            let actor = sender
                .and_then(|sender| sender.actor_id.as_deref())
                .unwrap_or("");
            if actor.starts_with("V-") || actor.starts_with("E-") {
                Direction::Incoming
            } else {
                Direction::Outgoing
            }
        }
    };
    let created_at = match &entry.created_at {
        Some(text) => timestamp(|| format!("results[{index}].createdAt"), text)?,
        None => {
            return Err(BadField {
                field: format!("results[{index}].createdAt"),
                detail: "missing".into(),
            })
        }
    };
    let attachments = entry
        .attachments
        .iter()
        .filter(|attachment| attachment.kind.as_deref().is_none_or(|kind| kind == "FILE"))
        .map(|attachment| {
            let name = attachment
                .name
                .clone()
                .unwrap_or_else(|| "attachment".into());
            Attachment {
                id: 0,
                content_type: content_type(&name).to_string(),
                name,
                size: 0,
                data: Some(Vec::new()),
            }
        })
        .collect();
    Ok(Some(Message {
        id: entry.id.0.clone(),
        message_type,
        direction,
        from,
        text: entry.text.clone().unwrap_or_default(),
        created_at,
        attachments,
    }))
}

/// A file's media type by its extension (the file itself is not downloaded).
fn content_type(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase());
    match extension.as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: serde_json::Value) -> types::CrmObject {
        serde_json::from_value(json).unwrap()
    }

    fn to(json: serde_json::Value) -> Vec<types::AssociationTo> {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_contact_without_an_email_is_skipped() {
        let nameless = record(serde_json::json!({"id": "1", "properties": {"firstname": "A"}}));
        assert_eq!(contact(&nameless, &[], &[]), None);
    }

    #[test]
    fn the_primary_company_is_the_type_1_association_before_associatedcompanyid() {
        let ana = record(serde_json::json!({"id": "1", "properties": {
            "email": "ana@x.example", "associatedcompanyid": "77"}}));
        let companies = to(serde_json::json!([
            {"toObjectId": 78, "associationTypes": [{"typeId": 279}]},
            {"toObjectId": 79, "associationTypes": [{"typeId": 1}, {"typeId": 279}]}]));
        assert_eq!(
            contact(&ana, &[], &companies).unwrap().company.as_deref(),
            Some("79")
        );
        assert_eq!(
            contact(&ana, &[], &[]).unwrap().company.as_deref(),
            Some("77")
        );
    }

    #[test]
    fn a_contacts_other_companies_are_its_type_279_associations_but_the_primary() {
        let ana = record(serde_json::json!({"id": "1", "properties": {
            "email": "ana@x.example", "hs_language": "de"}}));
        let companies = to(serde_json::json!([
            {"toObjectId": 78, "associationTypes": [{"typeId": 279}]},
            {"toObjectId": 79, "associationTypes": [{"typeId": 1}, {"typeId": 279}]},
            {"toObjectId": 78, "associationTypes": [{"typeId": 279}]}]));
        let mapped = contact(&ana, &[], &companies).unwrap();
        assert_eq!(mapped.company.as_deref(), Some("79"));
        assert_eq!(mapped.companies, ["78"]);
        assert_eq!(mapped.language.as_deref(), Some("de"));
    }

    #[test]
    fn a_contacts_custom_properties_with_a_value_come_in_as_strings() {
        let ana = record(serde_json::json!({"id": "1", "properties": {
            "email": "ana@x.example", "firstname": "Ana", "customer_tier": "gold", "seats": 12,
            "churned": null, "region": ""}}));
        let custom = ["customer_tier", "seats", "churned", "region"].map(String::from);
        let mapped = contact(&ana, &custom, &[]).unwrap();
        let properties: Vec<(&str, &str)> = mapped
            .properties
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        assert_eq!(properties, [("customer_tier", "gold"), ("seats", "12")]);
    }

    #[test]
    fn a_primary_ticket_company_carrying_two_types_counts_once() {
        let ticket_record = record(serde_json::json!({"id": "9", "properties": {
            "hs_pipeline": "0", "hs_pipeline_stage": "1", "createdate": "2025-03-01T09:30:00.000Z"}}));
        let companies = to(serde_json::json!([
            {"toObjectId": 77, "associationTypes": [{"typeId": 26}, {"typeId": 339}]},
            {"toObjectId": 78, "associationTypes": [{"typeId": 339}]}]));
        let mapped = ticket(0, &ticket_record, &[], &[], &companies)
            .unwrap()
            .unwrap();
        assert_eq!(mapped.companies, vec!["77".to_string(), "78".into()]);
    }

    #[test]
    fn ticket_activity_is_notes_last_updated_else_the_last_modification() {
        let both = record(serde_json::json!({"id": "9", "properties": {
            "hs_pipeline": "0", "hs_pipeline_stage": "1", "createdate": "2025-03-01T09:30:00Z",
            "notes_last_updated": "2025-03-03T12:00:00Z", "hs_lastmodifieddate": "2025-03-09T12:00:00Z"}}));
        let only_modified = record(serde_json::json!({"id": "9", "properties": {
            "hs_pipeline": "0", "hs_pipeline_stage": "1", "createdate": "2025-03-01T09:30:00Z",
            "notes_last_updated": null, "hs_lastmodifieddate": "2025-03-09T12:00:00Z"}}));
        let at = |record| {
            ticket(0, &record, &[], &[], &[])
                .unwrap()
                .unwrap()
                .last_activity_at
        };
        assert_eq!(at(both).to_rfc3339(), "2025-03-03T12:00:00+00:00");
        assert_eq!(at(only_modified).to_rfc3339(), "2025-03-09T12:00:00+00:00");
    }

    #[test]
    fn a_bad_timestamp_names_its_field() {
        let broken = record(serde_json::json!({"id": "9", "properties": {
            "hs_pipeline": "0", "hs_pipeline_stage": "1", "createdate": "yesterday"}}));
        let error = ticket(3, &broken, &[], &[], &[]).unwrap_err();
        assert_eq!(error.field, "results[3].properties.createdate");
    }

    #[test]
    fn an_archived_channel_account_is_not_connected() {
        let account: types::ChannelAccount = serde_json::from_value(serde_json::json!({
            "id": "5", "channelId": "1002", "inboxId": "4", "archived": true,
            "deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS", "value": "sales@x.example"}}))
        .unwrap();
        let (channel, _) = channel(&account, &HashMap::new());
        assert_eq!(channel.inbox, None);
        assert_eq!(channel.channel_type, ChannelType::Email);
        assert_eq!(channel.address.as_deref(), Some("sales@x.example"));
    }

    #[test]
    fn thread_entries_that_are_not_messages_are_skipped() {
        let entry: types::ThreadEntry = serde_json::from_value(serde_json::json!({
            "type": "THREAD_STATUS_CHANGE", "id": "9c0e", "createdAt": "2025-03-01T09:30:00Z",
            "newStatus": "CLOSED"}))
        .unwrap();
        assert_eq!(message(0, &entry).unwrap(), None);
    }

    #[test]
    fn stage_state_defaults_to_open_and_stages_follow_display_order() {
        let read: Vec<types::Pipeline> = serde_json::from_value(serde_json::json!([{
            "id": "0", "label": "Support", "displayOrder": 0, "stages": [
                {"id": "4", "label": "Closed", "displayOrder": 3, "metadata": {"ticketState": "CLOSED"}},
                {"id": "1", "label": "New", "displayOrder": 0, "metadata": {}}]}]))
        .unwrap();
        let mapped = pipelines(read);
        let stages: Vec<(&str, StageState)> = mapped[0]
            .stages
            .iter()
            .map(|stage| (stage.id.as_str(), stage.state))
            .collect();
        assert_eq!(stages, [("1", StageState::Open), ("4", StageState::Closed)]);
    }
}
