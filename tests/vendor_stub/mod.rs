//! A stub of the help desk vendor's REST API for the pull tests (`docs/vendor-api.md` §13), serving a
//! dataset converted from a workspace bundle (the acme fixture) with the vendor's ids and shapes: opaque
//! cursors, list and batch association reads, numeric ids in association answers, a primary association
//! carrying two type ids, archived channel accounts and threads, thread entries that are not messages,
//! a truncated email, both path families. Faults are switched on through `Stub::faults`. Test code only.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use portal::domain::model::{ChannelType, Direction, MessageType, WorkspaceData};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The token the stub accepts.
pub const TOKEN: &str = "pat-na1-0b5f7e1c-stub-secret-d41d8cd98f00";

/// Faults the stub can be told to answer with.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Every request is answered 401.
    pub unauthorized: bool,
    /// (path fragment, scope): requests whose path contains the fragment are answered 403 naming the scope.
    pub forbidden: Vec<(String, String)>,
    /// The next this many requests are answered 429 (TEN_SECONDLY_ROLLING), every other one without
    /// any rate-limit header.
    pub rate_limited: u32,
    /// The next this many requests are answered 502 with an HTML page.
    pub bad_gateway: u32,
    /// The next this many answers stop half-way through their body (the connection drops mid-page).
    pub drop_connection: u32,
    /// Requests whose path contains this fragment get a page with a broken field.
    pub malformed: Option<String>,
    /// The next this many requests are answered only after `slow_delay`.
    pub slow: u32,
    pub slow_delay: Duration,
    /// Every request is answered slowly (for a pull to be killed mid-way).
    pub all_slow: Option<Duration>,
    /// After this many requests in all, every request is answered 429 DAILY.
    pub daily_limit_after: Option<u64>,
    /// Send `X-HubSpot-RateLimit-*` headers announcing this maximum per 10 s (and enforce it).
    pub rate_limit_max: Option<u64>,
}

/// What the stub saw.
#[derive(Debug, Default, Clone)]
pub struct Seen {
    pub requests: u64,
    pub legacy_paths: u64,
    pub dated_paths: u64,
    pub answered_429: u64,
    /// Every Authorization header that was not the right token (to check nothing else was sent).
    pub authorization_values: Vec<String>,
}

/// The stub's data, as the vendor would serve it.
#[derive(Debug, Default)]
pub struct Dataset {
    companies: Vec<Value>,
    contacts: Vec<Value>,
    tickets: Vec<Value>,
    /// (from kind, to kind) -> from id -> association entries.
    associations: HashMap<(String, String), BTreeMap<String, Vec<Value>>>,
    properties: HashMap<String, Vec<Value>>,
    pipelines: Vec<Value>,
    lists: Vec<Value>,
    memberships: HashMap<String, Vec<String>>,
    inboxes: Vec<Value>,
    channels: Vec<Value>,
    channel_accounts: Vec<Value>,
    /// Threads that are not archived, and those that are (`archived=true` lists only these).
    threads: Vec<Value>,
    archived_threads: Vec<Value>,
    /// Each thread's entries, serialised once: a large account holds hundreds of thousands, and a
    /// page of them is then a join of strings rather than a copy of JSON trees.
    messages: HashMap<String, Vec<Box<str>>>,
    original_content: HashMap<String, String>,
    /// Vendor id -> the bundle's id, for translating answers back.
    pub bundle_ids: BTreeMap<String, String>,
}

struct Shared {
    data: Dataset,
    faults: Mutex<Faults>,
    seen: Mutex<Seen>,
    /// Page size cap, small so the small fixture still pages.
    page_cap: usize,
    /// When each request of the last ten seconds came, oldest first.
    window: Mutex<std::collections::VecDeque<std::time::Instant>>,
}

pub struct Stub {
    shared: Arc<Shared>,
    pub url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Stub {
    /// Serves `data` on a free loopback port.
    pub async fn start(data: Dataset, page_cap: usize) -> Stub {
        let shared = Arc::new(Shared {
            data,
            faults: Mutex::new(Faults::default()),
            seen: Mutex::new(Seen::default()),
            page_cap,
            window: Mutex::new(std::collections::VecDeque::new()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Stub {
            shared,
            url,
            server,
        }
    }

    pub fn faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.shared.faults.lock().unwrap());
    }

    pub fn seen(&self) -> Seen {
        self.shared.seen.lock().unwrap().clone()
    }

    pub fn bundle_ids(&self) -> &BTreeMap<String, String> {
        &self.shared.data.bundle_ids
    }
}

fn opaque(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("stub-cursor:{offset}"))
}

fn offset_of(cursor: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("stub-cursor:")?
        .parse()
        .ok()
}

fn timestamp_ms(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

type Ids = HashMap<(&'static str, String), String>;

/// Gives the `index`th record of `kind` its vendor id (distinct prefixes per kind).
fn assign(
    set: &mut Dataset,
    ids: &mut Ids,
    kind: &'static str,
    prefix: u64,
    index: usize,
    bundle_id: &str,
) -> String {
    let id = (prefix + index as u64 + 1).to_string();
    set.bundle_ids.insert(id.clone(), bundle_id.to_string());
    ids.insert((kind, bundle_id.to_string()), id.clone());
    id
}

/// The custom `customer_tier` of the `index`th contact.
pub fn custom_tier(index: usize) -> &'static str {
    if index.is_multiple_of(2) {
        "gold"
    } else {
        "silver"
    }
}

/// The custom `region` of the `index`th contact: empty (no value) on every third.
pub fn custom_region(index: usize) -> Value {
    match index % 3 {
        0 => Value::Null,
        1 => json!("north"),
        _ => json!("south"),
    }
}

/// Converts a workspace bundle's data into the vendor's records, with vendor-style ids.
pub fn dataset(data: &WorkspaceData) -> Dataset {
    let mut set = Dataset::default();
    let mut ids: Ids = HashMap::new();
    for (index, company) in data.companies.iter().enumerate() {
        let id = assign(&mut set, &mut ids, "company", 8_800_000, index, &company.id);
        set.companies.push(json!({
            "id": id, "archived": false, "createdAt": "2024-01-01T00:00:00.000Z",
            "properties": { "name": company.name, "domain": company.domain, "hs_object_id": id }
        }));
    }
    for (index, list) in data.lists.iter().enumerate() {
        let id = assign(&mut set, &mut ids, "list", 7_700_000, index, &list.id);
        set.lists.push(json!({
            "listId": id, "name": list.name, "objectTypeId": "0-1", "processingType": "MANUAL",
            "listVersion": 3, "size": 0
        }));
    }
    // A list of companies: not a contact list, so it is not read.
    set.lists
        .push(json!({ "listId": "7709999", "name": "Key accounts", "objectTypeId": "0-2" }));
    let company_of = |ids: &Ids, id: &str| ids[&("company", id.to_string())].clone();
    for (index, contact) in data.contacts.iter().enumerate() {
        let id = assign(&mut set, &mut ids, "contact", 5_500_000, index, &contact.id);
        // Two custom properties (one of them empty on every third contact) and a vendor-defined one
        // the pull does not ask for.
        let mut properties = json!({
            "email": contact.email, "firstname": contact.first_name, "lastname": contact.last_name,
            "hs_language": "en", "hs_object_id": id, "customer_tier": custom_tier(index),
            "region": custom_region(index), "hs_lead_status": "OPEN"
        });
        let mut to = Vec::new();
        if let Some(company) = &contact.company {
            let company = company_of(&ids, company);
            // The primary association carries both type ids.
            to.push(
                json!({ "toObjectId": company.parse::<u64>().unwrap(), "associationTypes": [
                { "category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary" },
                { "category": "HUBSPOT_DEFINED", "typeId": 279, "label": null } ] }),
            );
            // Every other contact is also associated (unlabeled) with another company.
            if index % 2 == 1 {
                if let Some(other) = data
                    .companies
                    .iter()
                    .find(|other| other.id != *contact.company.as_ref().unwrap())
                {
                    to.push(json!({ "toObjectId": company_of(&ids, &other.id).parse::<u64>().unwrap(),
                        "associationTypes": [ { "category": "HUBSPOT_DEFINED", "typeId": 279, "label": null } ] }));
                }
            }
            properties["associatedcompanyid"] = json!(company);
        }
        set.contacts
            .push(json!({ "id": id, "archived": false, "properties": properties }));
        set.associations
            .entry(("contacts".into(), "companies".into()))
            .or_default()
            .insert(id.clone(), to);
        for list in &contact.lists {
            set.memberships
                .entry(ids[&("list", list.clone())].clone())
                .or_default()
                .push(id.clone());
        }
    }
    // A contact without an email: skipped by the pull (and its list membership with it).
    set.contacts.push(json!({ "id": "5509999", "archived": false,
        "properties": { "email": null, "firstname": "Visitor", "lastname": "", "hs_object_id": "5509999" } }));
    if let Some(first) = set.lists.first() {
        let list = first["listId"].as_str().unwrap().to_string();
        set.memberships
            .entry(list)
            .or_default()
            .push("5509999".into());
    }
    let mut stage_index = 0;
    for (index, pipeline) in data.pipelines.iter().enumerate() {
        let id = assign(
            &mut set,
            &mut ids,
            "pipeline",
            6_600_000,
            index,
            &pipeline.id,
        );
        let mut stages = Vec::new();
        // Listed in reverse: the pull orders them by displayOrder.
        for (order, stage) in pipeline.stages.iter().enumerate().rev() {
            let stage_id = assign(
                &mut set,
                &mut ids,
                "stage",
                6_610_000,
                stage_index,
                &stage.id,
            );
            stage_index += 1;
            let mut record = json!({ "id": stage_id, "label": stage.label, "displayOrder": order,
                "archived": false, "createdAt": "1970-01-01T00:00:00Z" });
            // A missing ticketState means OPEN: the first stage of each pipeline has no metadata.
            if order > 0 {
                record["metadata"] = json!({ "ticketState": stage.state.as_str(),
                    "isClosed": (stage.state.as_str() == "CLOSED").to_string() });
            }
            stages.push(record);
        }
        set.pipelines.push(
            json!({ "id": id, "label": pipeline.label, "displayOrder": index,
            "archived": false, "stages": stages }),
        );
    }
    set.properties.insert("contacts".into(), json!([
        { "name": "email", "label": "Email", "type": "string", "hubspotDefined": true },
        { "name": "firstname", "label": "First name", "type": "string", "hubspotDefined": true },
        { "name": "lastname", "label": "Last name", "type": "string", "hubspotDefined": true },
        { "name": "hs_language", "label": "Preferred language", "type": "enumeration", "hubspotDefined": true },
        { "name": "hs_lead_status", "label": "Lead status", "type": "enumeration", "hubspotDefined": true },
        { "name": "customer_tier", "label": "Tier", "type": "string", "hubspotDefined": false },
        // Custom properties may carry no hubspotDefined at all.
        { "name": "region", "label": "Region", "type": "enumeration", "groupName": "contactinformation" }
    ]).as_array().unwrap().clone());
    let mut ticket_properties = vec![
        json!({ "name": "subject", "type": "string", "hubspotDefined": true }),
        json!({ "name": "hs_pipeline", "type": "enumeration", "hubspotDefined": true }),
        json!({ "name": "hs_ticket_priority", "type": "enumeration", "hubspotDefined": true }),
    ];
    let mut custom: Vec<String> = data
        .tickets
        .iter()
        .flat_map(|ticket| ticket.properties.keys().cloned())
        .collect();
    custom.sort();
    custom.dedup();
    for name in &custom {
        // Custom properties carry no hubspotDefined at all.
        ticket_properties
            .push(json!({ "name": name, "type": "string", "groupName": "ticketinformation" }));
    }
    set.properties.insert("tickets".into(), ticket_properties);
    for (index, ticket) in data.tickets.iter().enumerate() {
        let id = assign(&mut set, &mut ids, "ticket", 9_900_000, index, &ticket.id);
        let pipeline = ids[&("pipeline", ticket.pipeline.clone())].clone();
        let stage = ids[&("stage", ticket.stage.clone())].clone();
        let mut properties = json!({
            "subject": ticket.subject, "content": ticket.content, "hs_pipeline": pipeline,
            "hs_pipeline_stage": stage, "hs_ticket_priority": ticket.priority,
            "hs_ticket_category": ticket.category, "source_type": ticket.source,
            "createdate": timestamp_ms(&ticket.created_at), "hs_object_id": id
        });
        // Last activity from notes_last_updated on every other ticket, else from the last modification.
        if index % 2 == 0 {
            properties["notes_last_updated"] = json!(timestamp_ms(&ticket.last_activity_at));
            properties["hs_lastmodifieddate"] = json!("2026-01-01T00:00:00.000Z");
        } else {
            properties["notes_last_updated"] = Value::Null;
            properties["hs_lastmodifieddate"] = json!(timestamp_ms(&ticket.last_activity_at));
        }
        for (name, value) in &ticket.properties {
            properties[name] = value.clone();
        }
        set.tickets
            .push(json!({ "id": id, "archived": false, "properties": properties }));
        let contacts: Vec<Value> = ticket.contacts.iter().map(|contact| {
            json!({ "toObjectId": ids[&("contact", contact.clone())].parse::<u64>().unwrap(),
                    "associationTypes": [ { "category": "HUBSPOT_DEFINED", "typeId": 16, "label": null } ] })
        }).collect();
        let companies: Vec<Value> = ticket.companies.iter().enumerate().map(|(position, company)| {
            let types = if position == 0 {
                json!([ { "category": "HUBSPOT_DEFINED", "typeId": 26, "label": "Primary" },
                        { "category": "HUBSPOT_DEFINED", "typeId": 339, "label": null } ])
            } else {
                json!([ { "category": "HUBSPOT_DEFINED", "typeId": 339, "label": null } ])
            };
            json!({ "toObjectId": company_of(&ids, company).parse::<u64>().unwrap(), "associationTypes": types })
        }).collect();
        set.associations
            .entry(("tickets".into(), "contacts".into()))
            .or_default()
            .insert(id.clone(), contacts);
        set.associations
            .entry(("tickets".into(), "companies".into()))
            .or_default()
            .insert(id.clone(), companies);
    }
    for (index, inbox) in data.inboxes.iter().enumerate() {
        let id = assign(&mut set, &mut ids, "inbox", 4_400_000, index, &inbox.id);
        set.inboxes.push(json!({ "id": id, "name": inbox.name,
            "type": if inbox.kind.as_str() == "help_desk" { "HELP_DESK" } else { "INBOX" },
            "archived": false, "createdAt": "2025-07-06T21:18:14.342Z" }));
    }
    set.channels = vec![
        json!({ "id": "1000", "name": "Chat" }),
        json!({ "id": "1002", "name": "Email" }),
        json!({ "id": "1005", "name": "Forms" }),
    ];
    for (index, channel) in data.channels.iter().enumerate() {
        let id = assign(&mut set, &mut ids, "channel", 3_300_000, index, &channel.id);
        let kind = match channel.channel_type {
            ChannelType::Chat => "1000",
            ChannelType::FbMessenger => "1001",
            ChannelType::Email => "1002",
            ChannelType::Form => "1005",
        };
        // A channel on no inbox is an archived account of the inbox it used to deliver to.
        let (inbox, archived) = match &channel.inbox {
            Some(inbox) => (ids[&("inbox", inbox.clone())].clone(), false),
            None => (set.inboxes[0]["id"].as_str().unwrap().to_string(), true),
        };
        let mut account = json!({ "id": id, "channelId": kind, "inboxId": inbox, "name": channel.id,
            "active": true, "authorized": true, "archived": archived, "createdAt": "2025-10-04T15:24:39.136Z" });
        if let Some(address) = &channel.address {
            account["deliveryIdentifier"] = json!({ "type": "HS_EMAIL_ADDRESS", "value": address });
        }
        set.channel_accounts.push(account);
    }
    let mut message_index = 0u64;
    for (index, thread) in data.threads.iter().enumerate() {
        let id = assign(&mut set, &mut ids, "thread", 2_200_000, index, &thread.id);
        let account = ids[&("channel", thread.channel.clone())].clone();
        let kind = set
            .channel_accounts
            .iter()
            .find(|a| a["id"] == json!(account))
            .unwrap()["channelId"]
            .clone();
        let mut record = json!({ "id": id, "inboxId": set.inboxes[0]["id"], "status": "OPEN", "spam": false,
            // A thread without a ticket is archived: it is read by the second pass.
            "archived": thread.ticket.is_none(),
            "originalChannelId": kind, "originalChannelAccountId": account,
            "associatedContactId": "1401", "createdAt": timestamp_ms(&thread.created_at) });
        if let Some(ticket) = &thread.ticket {
            record["ticket"] = json!(ids[&("ticket", ticket.clone())]);
        }
        set.threads.push(record);
        let mut entries = Vec::new();
        if index == 1 {
            entries.push(json!({ "type": "WELCOME_MESSAGE", "id": format!("{:032x}", 0xfeed_0000u64 + index as u64),
                "createdAt": timestamp_ms(&thread.created_at), "text": "Hi! How can we help?",
                "senders": [ { "actorId": "S-hubspot" } ], "recipients": [], "archived": false }));
        }
        for message in &thread.messages {
            message_index += 1;
            let message_id = format!("{:032x}", 0x3ad3_474b_0000u64 + message_index);
            set.bundle_ids
                .insert(message_id.clone(), message.id.clone());
            let actor = if message.direction == Direction::Incoming {
                "V-1401"
            } else {
                "A-2620022"
            };
            let mut entry = json!({ "id": message_id, "conversationsThreadId": id,
                "createdAt": timestamp_ms(&message.created_at), "createdBy": actor,
                "client": { "clientType": "HUBSPOT" },
                "senders": [ { "actorId": actor, "name": "Someone",
                    "deliveryIdentifier": { "type": "HS_EMAIL_ADDRESS", "value": message.from } } ],
                "recipients": [], "archived": false, "text": message.text, "attachments": [] });
            match message.message_type {
                MessageType::Message => {
                    entry["type"] = json!("MESSAGE");
                    entry["direction"] = json!(message.direction.as_str());
                    entry["truncationStatus"] = json!("NOT_TRUNCATED");
                    entry["channelId"] = kind.clone();
                    entry["channelAccountId"] = json!(account);
                }
                MessageType::Comment => entry["type"] = json!("COMMENT"),
            }
            // The first message is an email truncated to its latest reply.
            if message_index == 1 {
                let text = message.text.clone();
                entry["text"] = json!(format!("{}…", &text[..text.len() / 2]));
                entry["truncationStatus"] = json!("TRUNCATED_TO_MOST_RECENT_REPLY");
                set.original_content
                    .insert(entry["id"].as_str().unwrap().to_string(), text);
            }
            if thread.ticket.is_none() {
                entry["attachments"] = json!([ { "type": "FILE", "fileId": "901", "fileUsageType": "IMAGE",
                    "name": "parking.png", "url": "https://files.example/parking.png" } ]);
            }
            entries.push(entry);
        }
        entries.push(json!({ "type": "THREAD_STATUS_CHANGE", "id": format!("{:032x}", 0x9c0e_0000u64 + index as u64),
            "createdAt": timestamp_ms(&thread.created_at), "newStatus": "CLOSED",
            "senders": [ { "actorId": "A-2620022" } ], "recipients": [], "archived": false }));
        set.messages.insert(id, serialised(entries));
    }
    // A thread on a channel account the listing does not name: on an unconnected channel.
    set.threads.push(json!({ "id": "2209999", "inboxId": set.inboxes[0]["id"], "status": "CLOSED",
        "spam": false, "archived": false, "originalChannelId": "1002", "originalChannelAccountId": "3309999",
        "associatedContactId": "1401", "createdAt": "2025-01-05T10:00:00Z" }));
    set.messages.insert(
        "2209999".into(),
        serialised(vec![
            json!({ "type": "MESSAGE", "id": "ffff0000000000000000000000000001",
        "createdAt": "2025-01-05T10:00:00Z", "direction": "INCOMING", "text": "Old question.",
        "senders": [ { "actorId": "E-old@example.org" } ], "attachments": [] }),
        ]),
    );
    split_archived_threads(&mut set);
    set
}

/// Moves the archived threads to their own list (the vendor lists them apart).
fn split_archived_threads(set: &mut Dataset) {
    let (archived, active): (Vec<Value>, Vec<Value>) = std::mem::take(&mut set.threads)
        .into_iter()
        .partition(|thread| thread["archived"] == json!(true));
    set.threads = active;
    set.archived_threads = archived;
}

fn serialised(entries: Vec<Value>) -> Vec<Box<str>> {
    entries
        .into_iter()
        .map(|entry| entry.to_string().into_boxed_str())
        .collect()
}

/// The acme fixture as the vendor would serve it.
pub fn acme() -> Dataset {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme.bundle.json");
    let data = portal::bundle::read(&std::fs::read_to_string(path).unwrap()).unwrap();
    dataset(&data)
}

fn error(status: StatusCode, body: Value) -> Response {
    (
        status,
        [("content-type", "application/json;charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

fn answer(body: String) -> Response {
    (
        StatusCode::OK,
        [("content-type", "application/json;charset=utf-8")],
        body,
    )
        .into_response()
}

/// Which resource a path names, with its family's prefix taken off.
fn route(path: &str) -> Option<(bool, String)> {
    const FAMILIES: [(&str, &str, bool); 12] = [
        ("/crm/v3/objects/", "objects/", true),
        ("/crm/objects/2026-03/", "objects/", false),
        ("/crm/v4/associations/", "associations/", true),
        ("/crm/associations/2026-03/", "associations/", false),
        ("/crm/v3/pipelines/", "pipelines/", true),
        ("/crm/pipelines/2026-03/", "pipelines/", false),
        ("/crm/v3/properties/", "properties/", true),
        ("/crm/properties/2026-03/", "properties/", false),
        ("/crm/v3/lists/", "lists/", true),
        ("/crm/lists/2026-03/", "lists/", false),
        ("/conversations/v3/conversations/", "conversations/", true),
        (
            "/conversations/conversations/2026-09/",
            "conversations/",
            false,
        ),
    ];
    FAMILIES.iter().find_map(|(prefix, name, legacy)| {
        path.strip_prefix(prefix)
            .map(|rest| (*legacy, format!("{name}{rest}")))
    })
}

fn query_values(uri: &Uri) -> Vec<(String, String)> {
    uri.query().map(url_pairs).unwrap_or_default()
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let text = text.replace('+', " ");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() + 1 {
            if let Ok(byte) = u8::from_str_radix(&text[index + 1..index + 3], 16) {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Which items of `count` a page holds: from the cursor in `after`, `limit` capped.
fn page_range(
    count: usize,
    query: &[(String, String)],
    cap: usize,
    maximum: usize,
) -> std::ops::Range<usize> {
    let get = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let limit = get("limit")
        .and_then(|limit| limit.parse().ok())
        .unwrap_or(10)
        .min(maximum)
        .min(cap)
        .max(1);
    let start = get("after").and_then(offset_of).unwrap_or(0).min(count);
    start..(start + limit).min(count)
}

/// The `paging` of a page that ends at `end` of `count` items, when more follow.
fn paging_after(end: usize, count: usize) -> Option<Value> {
    (end < count)
        .then(|| json!({ "next": { "after": opaque(end), "link": "https://api.example/ignored" } }))
}

/// One page of `items`, each shaped by `shape` (only the page's items are: pages of a large account
/// stay as cheap as pages of a small one).
fn page_shaped(
    items: &[Value],
    query: &[(String, String)],
    cap: usize,
    maximum: usize,
    shape: impl Fn(&Value) -> Value,
) -> Value {
    let range = page_range(items.len(), query, cap, maximum);
    let end = range.end;
    let mut body = json!({ "results": items[range].iter().map(shape).collect::<Vec<_>>() });
    if let Some(paging) = paging_after(end, items.len()) {
        body["paging"] = paging;
    }
    body
}

/// One page of `items`.
fn page(items: &[Value], query: &[(String, String)], cap: usize, maximum: usize) -> Value {
    page_shaped(items, query, cap, maximum, Value::clone)
}

/// One page of entries serialised beforehand, written as the same JSON `page` gives.
fn page_serialised(
    items: &[Box<str>],
    query: &[(String, String)],
    cap: usize,
    maximum: usize,
) -> String {
    let range = page_range(items.len(), query, cap, maximum);
    let end = range.end;
    let mut body = String::from("{\"results\":[");
    for (index, item) in items[range].iter().enumerate() {
        if index > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    body.push(']');
    if let Some(paging) = paging_after(end, items.len()) {
        body.push_str(",\"paging\":");
        body.push_str(&paging.to_string());
    }
    body.push('}');
    body
}

/// Takes one of a counted fault (`slow`, `rate_limited`, ...), under the lock: requests arrive
/// concurrently, and each counted fault is given exactly once.
fn take_one(stub: &Shared, counter: impl FnOnce(&mut Faults) -> &mut u32) -> bool {
    let mut faults = stub.faults.lock().unwrap();
    let count = counter(&mut faults);
    let taken = *count > 0;
    if taken {
        *count -= 1;
    }
    taken
}

async fn handle(
    State(stub): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let faults = stub.faults.lock().unwrap().clone();
    let (legacy, resource) = match route(uri.path()) {
        Some(found) => found,
        None => {
            return error(
                StatusCode::NOT_FOUND,
                json!({ "status": "error", "message": "no such endpoint", "category": "OBJECT_NOT_FOUND" }),
            )
        }
    };
    let count = {
        let mut seen = stub.seen.lock().unwrap();
        seen.requests += 1;
        if legacy {
            seen.legacy_paths += 1
        } else {
            seen.dated_paths += 1
        }
        let authorization = headers
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        if authorization != format!("Bearer {TOKEN}") {
            seen.authorization_values.push(authorization.to_string());
        }
        seen.requests
    };
    if let Some(delay) = faults.all_slow {
        tokio::time::sleep(delay).await;
    }
    if take_one(&stub, |faults| &mut faults.slow) {
        tokio::time::sleep(faults.slow_delay).await;
    }
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if faults.unauthorized || authorization != format!("Bearer {TOKEN}") {
        return error(
            StatusCode::UNAUTHORIZED,
            json!({ "status": "error",
            "message": "Authentication credentials not found. This API supports OAuth 2.0 authentication.",
            "correlationId": "3f1c2a9e-0000-4000-8000-1234567890ab", "category": "INVALID_AUTHENTICATION" }),
        );
    }
    if let Some((_, scope)) = faults
        .forbidden
        .iter()
        .find(|(fragment, _)| resource.contains(fragment.as_str()))
    {
        return error(
            StatusCode::FORBIDDEN,
            json!({ "status": "error",
            "message": "This app hasn't been granted all required scopes to make this call.",
            "correlationId": "5b2d", "category": "MISSING_SCOPES",
            "errors": [ { "message": "One or more of the following scopes are required.",
                          "context": { "requiredGranularScopes": [scope] } } ] }),
        );
    }
    if faults.daily_limit_after.is_some_and(|after| count > after) {
        stub.seen.lock().unwrap().answered_429 += 1;
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            json!({ "status": "error",
            "message": "You have reached your daily limit.", "errorType": "RATE_LIMIT",
            "correlationId": "d41d", "policyName": "DAILY", "groupName": "publicapi:daily" }),
        );
    }
    if take_one(&stub, |faults| &mut faults.rate_limited) {
        stub.seen.lock().unwrap().answered_429 += 1;
        let body = json!({ "status": "error", "message": "You have reached your ten_secondly_rolling limit.",
            "errorType": "RATE_LIMIT", "correlationId": "c0ff", "policyName": "TEN_SECONDLY_ROLLING",
            "groupName": "publicapi:private-app-api-calls" }).to_string();
        let mut response = (StatusCode::TOO_MANY_REQUESTS, body).into_response();
        if faults.rate_limited % 2 == 0 {
            let headers = response.headers_mut();
            headers.insert("x-hubspot-ratelimit-max", "100".parse().unwrap());
            headers.insert("x-hubspot-ratelimit-remaining", "0".parse().unwrap());
            headers.insert(
                "x-hubspot-ratelimit-interval-milliseconds",
                "20".parse().unwrap(),
            );
        }
        return response;
    }
    if take_one(&stub, |faults| &mut faults.bad_gateway) {
        return (StatusCode::BAD_GATEWAY, [("content-type", "text/html")],
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>")
            .into_response();
    }
    if let Some(max) = faults.rate_limit_max {
        let now = std::time::Instant::now();
        let mut window = stub.window.lock().unwrap();
        while window
            .front()
            .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(10))
        {
            window.pop_front();
        }
        if window.len() as u64 >= max {
            stub.seen.lock().unwrap().answered_429 += 1;
            return error(
                StatusCode::TOO_MANY_REQUESTS,
                json!({ "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.", "errorType": "RATE_LIMIT",
                "policyName": "TEN_SECONDLY_ROLLING" }),
            );
        }
        window.push_back(now);
    }
    let query = query_values(&uri);
    let mut response = match serve(&stub, &method, &resource, &query, &body) {
        Some(body) => {
            let broken = faults
                .malformed
                .as_deref()
                .is_some_and(|fragment| resource.contains(fragment));
            let text = if broken {
                break_page(body.into_tree()).to_string()
            } else {
                body.into_text()
            };
            if take_one(&stub, |faults| &mut faults.drop_connection) {
                // Announces the whole length and sends half: the connection drops mid-body.
                let half = text.as_bytes()[..text.len() / 2].to_vec();
                let length = text.len().to_string();
                return (
                    StatusCode::OK,
                    [
                        ("content-type", "application/json"),
                        ("content-length", length.as_str()),
                    ],
                    half,
                )
                    .into_response();
            }
            answer(text)
        }
        None => error(
            StatusCode::NOT_FOUND,
            json!({ "status": "error", "message": format!("unknown resource {resource}"), "category": "OBJECT_NOT_FOUND" }),
        ),
    };
    if let Some(max) = faults.rate_limit_max {
        let used = stub.window.lock().unwrap().len() as u64;
        let headers = response.headers_mut();
        headers.insert("x-hubspot-ratelimit-max", max.to_string().parse().unwrap());
        headers.insert(
            "x-hubspot-ratelimit-remaining",
            max.saturating_sub(used).to_string().parse().unwrap(),
        );
        headers.insert(
            "x-hubspot-ratelimit-interval-milliseconds",
            "10000".parse().unwrap(),
        );
        headers.insert("x-hubspot-ratelimit-daily", "1000000".parse().unwrap());
        headers.insert(
            "x-hubspot-ratelimit-daily-remaining",
            "999000".parse().unwrap(),
        );
    }
    response
}

/// A page whose first record's id is an object: a field the client cannot read.
fn break_page(mut body: Value) -> Value {
    if let Some(first) = body["results"].get_mut(0) {
        first["id"] = json!({ "unexpected": true });
    }
    body
}

fn only_properties(record: &Value, query: &[(String, String)]) -> Value {
    let wanted: Vec<String> = query
        .iter()
        .filter(|(name, _)| name == "properties")
        .flat_map(|(_, value)| value.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let mut record = record.clone();
    if let Some(properties) = record["properties"].as_object_mut() {
        properties.retain(|name, _| name == "hs_object_id" || wanted.contains(name));
    }
    record
}

/// An answer's body: a JSON tree, or text serialised beforehand.
enum Body {
    Tree(Value),
    Text(String),
}

impl Body {
    fn into_text(self) -> String {
        match self {
            Body::Tree(tree) => tree.to_string(),
            Body::Text(text) => text,
        }
    }
    fn into_tree(self) -> Value {
        match self {
            Body::Tree(tree) => tree,
            Body::Text(text) => serde_json::from_str(&text).expect("the stub's own JSON"),
        }
    }
}

fn serve(
    stub: &Shared,
    method: &Method,
    resource: &str,
    query: &[(String, String)],
    body: &[u8],
) -> Option<Body> {
    let parts: Vec<&str> = resource.split('/').collect();
    if let ("GET", ["conversations", "threads", thread, "messages"]) =
        (method.as_str(), parts.as_slice())
    {
        let entries = stub.data.messages.get(*thread)?;
        return Some(Body::Text(page_serialised(
            entries,
            query,
            stub.page_cap,
            500,
        )));
    }
    serve_tree(stub, method, resource, query, body).map(Body::Tree)
}

fn serve_tree(
    stub: &Shared,
    method: &Method,
    resource: &str,
    query: &[(String, String)],
    body: &[u8],
) -> Option<Value> {
    let data = &stub.data;
    let cap = stub.page_cap;
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let parts: Vec<&str> = resource.split('/').collect();
    let archived = query
        .iter()
        .any(|(name, value)| name == "archived" && value == "true");
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["objects", object]) => {
            let records = match *object {
                "companies" => &data.companies,
                "contacts" => &data.contacts,
                "tickets" => &data.tickets,
                _ => return None,
            };
            let records: &[Value] = if archived { &[] } else { records };
            Some(page_shaped(records, query, cap, 100, |record| {
                only_properties(record, query)
            }))
        }
        ("POST", ["objects", object, "search"]) => {
            let records = match *object {
                "companies" => &data.companies,
                "contacts" => &data.contacts,
                "tickets" => &data.tickets,
                _ => return None,
            };
            Some(
                json!({ "total": records.len(), "results": records.iter().take(1).collect::<Vec<_>>() }),
            )
        }
        ("POST", ["associations", from, to, "batch", "read"]) => {
            let known = data.associations.get(&(from.to_string(), to.to_string()))?;
            let inputs = request["inputs"].as_array().cloned().unwrap_or_default();
            if inputs.len() > 1000 {
                return Some(
                    json!({ "status": "error", "category": "VALIDATION_ERROR", "message": "too many inputs" }),
                );
            }
            let mut results = Vec::new();
            let mut errors = Vec::new();
            for input in inputs {
                let id = input["id"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| input["id"].to_string());
                let all = known.get(&id).cloned().unwrap_or_default();
                if all.is_empty() {
                    errors.push(json!({ "status": "error", "category": "OBJECT_NOT_FOUND", "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "message": format!("No {to} is associated with {from} {id}."), "context": { "fromObjectId": [id] } }));
                    continue;
                }
                // One association per page: every record with two of them pages.
                let start = input["after"].as_str().and_then(offset_of).unwrap_or(0);
                let end = (start + 1).min(all.len());
                let mut result = json!({ "from": { "id": id }, "to": all[start..end] });
                if end < all.len() {
                    result["paging"] = json!({ "next": { "after": opaque(end) } });
                }
                results.push(result);
            }
            let mut answer = json!({ "status": "COMPLETE", "results": results, "startedAt": "2026-05-04T09:13:00.100Z", "completedAt": "2026-05-04T09:13:00.140Z" });
            if !errors.is_empty() {
                answer["numErrors"] = json!(errors.len());
                answer["errors"] = json!(errors);
            }
            Some(answer)
        }
        ("GET", ["pipelines", "tickets"]) => Some(json!({ "results": data.pipelines })),
        ("GET", ["properties", object]) => {
            Some(json!({ "results": data.properties.get(*object).cloned().unwrap_or_default() }))
        }
        ("POST", ["lists", "search"]) => {
            let offset = request["offset"].as_u64().unwrap_or(0) as usize;
            let count = (request["count"].as_u64().unwrap_or(20) as usize)
                .min(500)
                .min(cap)
                .max(1);
            let kind = request["objectTypeId"].as_str();
            let lists: Vec<&Value> = data
                .lists
                .iter()
                .filter(|list| {
                    kind.is_none_or(|kind| list["objectTypeId"] == json!(kind))
                        || list["listId"] == json!("7709999")
                })
                .collect();
            let end = (offset + count).min(lists.len());
            Some(
                json!({ "lists": lists.get(offset..end).unwrap_or(&[]), "total": lists.len(), "offset": end, "hasMore": end < lists.len() }),
            )
        }
        ("GET", ["lists", list, "memberships"]) => {
            let members: Vec<Value> = data.memberships.get(*list).cloned().unwrap_or_default().into_iter()
                .map(|id| json!({ "recordId": id, "membershipTimestamp": "2026-03-01T10:00:00.000Z" })).collect();
            let mut body = page(&members, query, cap, 250);
            body["total"] = json!(members.len());
            Some(body)
        }
        ("GET", ["conversations", "inboxes"]) => Some(with_total(
            page(&data.inboxes, query, cap, 100),
            data.inboxes.len(),
        )),
        ("GET", ["conversations", "channels"]) => Some(with_total(
            page(&data.channels, query, cap, 100),
            data.channels.len(),
        )),
        ("GET", ["conversations", "channel-accounts"]) => {
            let accounts: Vec<Value> = data
                .channel_accounts
                .iter()
                .filter(|account| account["archived"] == json!(archived))
                .cloned()
                .collect();
            Some(with_total(page(&accounts, query, cap, 100), accounts.len()))
        }
        ("GET", ["conversations", "threads"]) => {
            let with_tickets = query
                .iter()
                .any(|(name, value)| name == "association" && value == "TICKET");
            let threads = if archived {
                &data.archived_threads
            } else {
                &data.threads
            };
            Some(page_shaped(threads, query, cap, 500, |thread| {
                let mut thread = thread.clone();
                let ticket = thread.as_object_mut().unwrap().remove("ticket");
                if let (true, Some(ticket)) = (with_tickets, ticket) {
                    thread["threadAssociations"] = json!({ "associatedTicketId": ticket });
                }
                thread
            }))
        }
        ("GET", ["conversations", "threads", _, "messages", message, "original-content"]) => {
            Some(json!({ "text": data.original_content.get(*message)?, "richText": null }))
        }
        _ => None,
    }
}

fn with_total(mut page: Value, total: usize) -> Value {
    page["total"] = json!(total);
    page
}
