//! What customers write through the portal (spec section 5): replies on their tickets and support-form
//! submissions. Whether the customer may write at all is decided by the same rules the pages are built
//! from (`rules::view_as` on the one ticket), so a reply can never reach a ticket the customer cannot see.
//! Each write is one transaction: the message (and, when needed, its new thread or ticket), the ticket's
//! last activity, the timeline engagement and the agents' notification in the outbox land together or not
//! at all.

use crate::app::accounts;
use crate::app::customer::{self, PageError, ShownTicket};
use crate::domain::i18n;
use crate::domain::model::{
    Attachment, Catalog, ChannelType, Contact, Direction, Message, MessageType, Thread, Ticket,
};
use crate::domain::rules;
use crate::domain::settings::Settings;
use crate::storage::{engagements, outbox, threads, tickets, StorageError, Tx};
use crate::Workspace;
use chrono::Utc;
use std::collections::BTreeMap;

/// Attachment limits of the portal (spec section 5: 20 MB and a blocked-type list by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentPolicy {
    pub max_bytes: usize,
    /// Lowercase file extensions without the dot.
    pub blocked_extensions: Vec<String>,
}

/// Executables, scripts, shortcuts, disk images, registry files and pages a browser would run: never
/// accepted from customers.
pub const BLOCKED_EXTENSIONS: [&str; 48] = [
    // Programs and installers.
    "exe",
    "com",
    "msi",
    "msp",
    "mst",
    "scr",
    "pif",
    "cpl",
    "dll",
    "sys",
    "jar",
    "appx",
    "msix",
    "appxbundle",
    "msixbundle",
    "application",
    "appref-ms",
    "gadget", // Scripts.
    "bat",
    "cmd",
    "vb",
    "vbs",
    "vbe",
    "js",
    "jse",
    "ws",
    "wsf",
    "wsc",
    "wsh",
    "ps1",
    "psm1",
    "psd1",
    "ps1xml",
    "hta",
    "sh",
    "scf", // Shortcuts, registry and settings files that run something.
    "lnk",
    "url",
    "reg",
    "inf",
    "chm", // Disk images, which mount and run their contents.
    "iso",
    "img",
    "vhd",
    "vhdx", // Pages a browser runs.
    "html",
    "htm",
    "xhtml",
];

impl Default for AttachmentPolicy {
    fn default() -> Self {
        AttachmentPolicy {
            max_bytes: 20 * 1024 * 1024,
            blocked_extensions: BLOCKED_EXTENSIONS.iter().map(|e| e.to_string()).collect(),
        }
    }
}

/// The name the customer's or an agent's file system would give a file sent as `name`: its last path
/// component, without an NTFS stream suffix (`run.exe:stream`), without the trailing dots and spaces
/// Windows drops (`run.exe. ` is `run.exe`), in lowercase. The blocked types are checked on this name.
pub fn normalised_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let without_stream = last.split(':').next().unwrap_or(last);
    without_stream
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .to_lowercase()
}

impl AttachmentPolicy {
    /// Why `upload` is refused, if it is.
    pub fn problem(&self, upload: &Upload) -> Option<ConversationError> {
        if upload.size > self.max_bytes {
            return Some(ConversationError::AttachmentTooLarge {
                limit_mb: self.max_bytes.div_ceil(1024 * 1024),
            });
        }
        // A NUL or another control character cuts the name short or hides its type on many systems:
        // refuse it rather than store a name that is not what the customer sees.
        if upload.name.chars().any(char::is_control) {
            return Some(ConversationError::AttachmentName {
                name: upload.name.replace(char::is_control, "\u{fffd}"),
            });
        }
        let name = normalised_name(&upload.name);
        let extension = name
            .rsplit_once('.')
            .map(|(_, extension)| extension.to_string())
            .unwrap_or_default();
        let content_type = upload.content_type.to_ascii_lowercase();
        let runnable_type = content_type.starts_with("text/html")
            || content_type.contains("javascript")
            || content_type == "application/x-msdownload";
        if self.blocked_extensions.contains(&extension) || runnable_type {
            return Some(ConversationError::AttachmentBlocked {
                name: upload.name.clone(),
            });
        }
        None
    }
}

/// A file a customer attached. `size` is the real size even when the server stopped keeping bytes past
/// the limit (then `data` is incomplete and the upload is refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
    pub size: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    /// Also for tickets the customer may not see: they must not learn that it exists.
    #[error("no such ticket")]
    NotFound,
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error("the ticket is closed; closed tickets are read-only")]
    Closed,
    /// The portal offers no close action for this ticket (portal-rules.md 10.3), with the rule's reason.
    #[error("the ticket cannot be closed here: {0}")]
    CloseNotOffered(String),
    #[error("write a message or attach a file")]
    EmptyReply,
    #[error("the attachment is larger than {limit_mb} MB")]
    AttachmentTooLarge { limit_mb: usize },
    #[error("files like \"{name}\" cannot be attached")]
    AttachmentBlocked { name: String },
    /// The name holds characters (a NUL, a control character) that cannot be kept as they are.
    #[error("the file name \"{name}\" cannot be used")]
    AttachmentName { name: String },
    /// The attachment's part of the form could not be read (its headers are malformed, e.g. a NUL in
    /// the file name), so the reply is refused rather than sent without it.
    #[error("the attachment could not be read")]
    AttachmentUnreadable,
    #[error("replies cannot be delivered: no inbox with a channel is set up for them")]
    NoInbox,
    #[error("the support form is not available")]
    FormNotAvailable,
    #[error("required fields are empty: {}", .0.join(", "))]
    MissingFields(Vec<String>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<PageError> for ConversationError {
    fn from(error: PageError) -> Self {
        match error {
            PageError::NotFound => ConversationError::NotFound,
            PageError::AccessDenied(reason) => ConversationError::AccessDenied(reason),
            PageError::Storage(error) => ConversationError::Storage(error),
        }
    }
}

pub type Result<T, E = ConversationError> = std::result::Result<T, E>;

/// The address the agents of `inbox` read: its first email channel with an address (any channel with an
/// address otherwise). The outbox needs a recipient, so an inbox without one is named instead.
pub fn agents_address(catalog: &Catalog, inbox: &str) -> String {
    let connected = || {
        catalog
            .channels
            .iter()
            .filter(move |channel| channel.inbox.as_deref() == Some(inbox))
    };
    connected()
        .find(|channel| channel.channel_type == ChannelType::Email && channel.address.is_some())
        .or_else(|| connected().find(|channel| channel.address.is_some()))
        .and_then(|channel| channel.address.clone())
        .unwrap_or_else(|| format!("inbox:{inbox}"))
}

/// The channel new portal conversations in `inbox` arrive through: one of `preferred` type if the inbox
/// has one, else any connected channel.
fn channel_into(catalog: &Catalog, inbox: &str, preferred: ChannelType) -> Option<String> {
    let connected: Vec<_> = catalog
        .channels
        .iter()
        .filter(|channel| channel.inbox.as_deref() == Some(inbox))
        .collect();
    connected
        .iter()
        .find(|channel| channel.channel_type == preferred)
        .or_else(|| connected.first())
        .map(|channel| channel.id.clone())
}

fn summary_of(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > 140 {
        format!("{}…", line.chars().take(140).collect::<String>())
    } else {
        line.to_string()
    }
}

/// What a customer sends as a reply.
#[derive(Debug, Clone, Default)]
pub struct NewReply {
    pub text: String,
    pub upload: Option<Upload>,
}

/// A customer's reply on an open ticket. Returns the new message's id.
pub async fn reply(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    policy: &AttachmentPolicy,
    contact: &Contact,
    ticket_id: &str,
    reply: NewReply,
) -> Result<String> {
    let NewReply { text, upload } = reply;
    let customer = customer::of_contact(workspace, contact.clone()).await?;
    // Decide inside the write transaction: two first replies racing on a ticket without a thread must
    // not start a thread each (the second one joins the thread the first one started).
    let mut transaction = workspace.write().await?;
    let ShownTicket {
        ticket,
        threads,
        visible,
    } = customer::visible_ticket_in(&mut transaction, settings, catalog, &customer, ticket_id)
        .await?;
    if !rules::is_open(catalog, &ticket) {
        return Err(ConversationError::Closed);
    }
    let text = text.trim();
    if text.is_empty() && upload.is_none() {
        return Err(ConversationError::EmptyReply);
    }
    if let Some(problem) = upload.as_ref().and_then(|upload| policy.problem(upload)) {
        return Err(problem);
    }
    // The shown thread gets the reply; with none, a new thread in the default inbox becomes the shown one.
    let (thread_id, inbox, new_thread) = match &visible.thread {
        Some(shown) => {
            let thread = threads
                .iter()
                .find(|thread| thread.id == shown.id)
                .expect("the shown thread is one of the ticket's");
            let inbox = catalog
                .channel(&thread.channel)
                .and_then(|channel| channel.inbox.clone())
                .ok_or(ConversationError::NoInbox)?;
            (shown.id.clone(), inbox, None)
        }
        None => {
            let inbox = settings
                .default_inbox
                .clone()
                .ok_or(ConversationError::NoInbox)?;
            let channel = channel_into(catalog, &inbox, ChannelType::Email)
                .ok_or(ConversationError::NoInbox)?;
            let id = format!("portal-th-{}", accounts::random_id());
            (id, inbox, Some(channel))
        }
    };
    let now = Utc::now();
    let message = Message {
        id: format!("portal-m-{}", accounts::random_id()),
        message_type: MessageType::Message,
        direction: Direction::Incoming,
        from: contact.email.clone(),
        text: text.to_string(),
        created_at: now,
        attachments: upload
            .into_iter()
            .map(|upload| Attachment {
                id: 0,
                name: upload.name,
                content_type: upload.content_type,
                size: upload.size,
                data: Some(upload.data),
            })
            .collect(),
    };
    match new_thread {
        Some(channel) => {
            threads::insert_in(
                &mut transaction,
                &Thread {
                    id: thread_id.clone(),
                    ticket: Some(ticket.id.clone()),
                    channel,
                    created_at: now,
                    messages: vec![message.clone()],
                },
            )
            .await?
        }
        None => {
            let position = threads::next_position_in(&mut transaction, &thread_id).await?;
            threads::insert_message_in(&mut transaction, &thread_id, position, &message).await?;
        }
    }
    tickets::touch_in(&mut transaction, &ticket.id, &now).await?;
    let summary = if text.is_empty() {
        message
            .attachments
            .first()
            .map(|attachment| attachment.name.clone())
            .unwrap_or_default()
    } else {
        summary_of(text)
    };
    engagements::record_in(
        &mut transaction,
        "email",
        &ticket.id,
        &contact.id,
        Some(&message.id),
        &summary,
    )
    .await?;
    notify_agents(
        &mut transaction,
        settings,
        catalog,
        &inbox,
        "reply_notification",
        "email.reply_notification",
        contact,
        &ticket.id,
        &ticket.subject,
        text,
    )
    .await?;
    transaction.commit().await?;
    Ok(message.id)
}

/// A customer closes their open ticket (portal-rules.md 10.3): in one transaction, the ticket moves to
/// the first closed stage of its pipeline (`rules::close`), its last activity is set, and the timeline
/// and the agents' inbox get an engagement "closed by the customer". Returns the new stage. A ticket the
/// customer may not see is `NotFound`; a closed one `Closed`; one without a close action
/// `CloseNotOffered`.
pub async fn close(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    contact: &Contact,
    ticket_id: &str,
) -> Result<String> {
    let customer = customer::of_contact(workspace, contact.clone()).await?;
    let mut transaction = workspace.write().await?;
    let ShownTicket { ticket, .. } =
        customer::visible_ticket_in(&mut transaction, settings, catalog, &customer, ticket_id)
            .await?;
    if !rules::is_open(catalog, &ticket) {
        return Err(ConversationError::Closed);
    }
    let decision = rules::close(settings, catalog, &ticket);
    let Some(stage) = decision.stage else {
        return Err(ConversationError::CloseNotOffered(decision.reason));
    };
    let now = Utc::now();
    tickets::set_stage_in(&mut transaction, &ticket.id, &stage, &now).await?;
    engagements::record_in(
        &mut transaction,
        "closed",
        &ticket.id,
        &contact.id,
        None,
        "closed by the customer",
    )
    .await?;
    transaction.commit().await?;
    Ok(stage)
}

#[allow(clippy::too_many_arguments)]
async fn notify_agents(
    connection: &mut Tx,
    settings: &Settings,
    catalog: &Catalog,
    inbox: &str,
    kind: &str,
    key: &str,
    contact: &Contact,
    ticket_id: &str,
    subject: &str,
    text: &str,
) -> Result<()> {
    // Agents read the workspace's language too: the portal has one language.
    let language = settings.language.as_str();
    let name = contact.display_name();
    let values = [
        ("ticket", ticket_id),
        ("subject", subject),
        ("name", name.as_str()),
        ("email", contact.email.as_str()),
        ("text", text),
    ];
    outbox::queue_in(
        connection,
        &outbox::NewEmail {
            kind,
            to_address: &agents_address(catalog, inbox),
            subject: &i18n::format(language, &format!("{key}.subject"), &values),
            body: &i18n::format(language, &format!("{key}.body"), &values),
            contact_id: Some(&contact.id),
            ticket_id: Some(ticket_id),
        },
    )
    .await?;
    Ok(())
}

/// A support-form submission: a new ticket in the form's pipeline at its first stage, associated with the
/// contact and their primary company, and a thread in the form's inbox whose first message is the
/// submission. `values` are by field name. Returns the new ticket's id.
pub async fn submit_form(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    contact: &Contact,
    values: &BTreeMap<String, String>,
) -> Result<String> {
    let form = settings
        .support_form
        .as_ref()
        .and_then(|support_form| catalog.form(&support_form.form))
        .ok_or(ConversationError::FormNotAvailable)?;
    let inbox = form
        .inbox
        .clone()
        .ok_or(ConversationError::FormNotAvailable)?;
    let access = rules::may_sign_in(settings, catalog, contact);
    if !access.allowed {
        return Err(ConversationError::AccessDenied(access.reason));
    }
    let value = |name: &str| values.get(name).map(|value| value.trim()).unwrap_or("");
    let missing: Vec<String> = form
        .fields
        .iter()
        .filter(|field| field.required && value(&field.name).is_empty())
        .map(|field| field.label.clone())
        .collect();
    if !missing.is_empty() {
        return Err(ConversationError::MissingFields(missing));
    }
    let stage = catalog
        .pipeline(&form.pipeline)
        .and_then(|pipeline| pipeline.stages.first())
        .ok_or(ConversationError::FormNotAvailable)?;
    let channel =
        channel_into(catalog, &inbox, ChannelType::Form).ok_or(ConversationError::NoInbox)?;
    let by_property = |property: &str| {
        form.fields
            .iter()
            .find(|field| field.ticket_property == property)
            .map(|field| value(&field.name).to_string())
            .filter(|value| !value.is_empty())
    };
    let mut properties = BTreeMap::new();
    for field in &form.fields {
        let property = field.ticket_property.as_str();
        let builtin = crate::domain::settings::BUILT_IN_TICKET_PROPERTIES.contains(&property);
        if !property.is_empty() && !builtin && !value(&field.name).is_empty() {
            properties.insert(
                property.to_string(),
                serde_json::Value::String(value(&field.name).to_string()),
            );
        }
    }
    let submission: String = form
        .fields
        .iter()
        .filter(|field| !value(&field.name).is_empty())
        .map(|field| format!("{}:\n{}", field.label, value(&field.name)))
        .collect::<Vec<_>>()
        .join("\n\n");
    let now = Utc::now();
    let mut transaction = workspace.write().await?;
    let ticket = Ticket {
        id: tickets::next_id_in(&mut transaction).await?,
        subject: by_property("subject").unwrap_or_else(|| form.name.clone()),
        content: by_property("content").unwrap_or_default(),
        pipeline: form.pipeline.clone(),
        stage: stage.id.clone(),
        priority: by_property("priority"),
        category: by_property("category"),
        source: Some("FORM".into()),
        created_at: now,
        last_activity_at: now,
        properties,
        contacts: vec![contact.id.clone()],
        companies: contact.company.iter().cloned().collect(),
        cc: Vec::new(),
    };
    tickets::insert_in(&mut transaction, &ticket).await?;
    let message = Message {
        id: format!("portal-m-{}", accounts::random_id()),
        message_type: MessageType::Message,
        direction: Direction::Incoming,
        from: contact.email.clone(),
        text: submission.clone(),
        created_at: now,
        attachments: Vec::new(),
    };
    threads::insert_in(
        &mut transaction,
        &Thread {
            id: format!("portal-th-{}", accounts::random_id()),
            ticket: Some(ticket.id.clone()),
            channel,
            created_at: now,
            messages: vec![message.clone()],
        },
    )
    .await?;
    engagements::record_in(
        &mut transaction,
        "form_submission",
        &ticket.id,
        &contact.id,
        Some(&message.id),
        &summary_of(&ticket.subject),
    )
    .await?;
    notify_agents(
        &mut transaction,
        settings,
        catalog,
        &inbox,
        "form_notification",
        "email.form_notification",
        contact,
        &ticket.id,
        &ticket.subject,
        &submission,
    )
    .await?;
    transaction.commit().await?;
    Ok(ticket.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(name: &str, content_type: &str, size: usize) -> Upload {
        Upload {
            name: name.into(),
            content_type: content_type.into(),
            data: Vec::new(),
            size,
        }
    }

    #[test]
    fn policy_refuses_large_and_runnable_files() {
        let policy = AttachmentPolicy::default();
        assert!(policy
            .problem(&upload("log.txt", "text/plain", 1000))
            .is_none());
        assert!(matches!(
            policy.problem(&upload("big.zip", "application/zip", 21 * 1024 * 1024)),
            Some(ConversationError::AttachmentTooLarge { limit_mb: 20 })
        ));
        for name in ["setup.EXE", "run.bat", "x.js", "page.html"] {
            assert!(matches!(
                policy.problem(&upload(name, "application/octet-stream", 10)),
                Some(ConversationError::AttachmentBlocked { .. })
            ));
        }
        assert!(policy.problem(&upload("a.txt", "text/html", 10)).is_some());
    }

    #[test]
    fn blocked_types_are_checked_on_the_normalised_name() {
        let policy = AttachmentPolicy::default();
        for name in [
            "run.exe.",
            "run.exe ",
            "RUN.EXE. . ",
            "run.exe::$DATA",
            "C:\\Users\\x\\run.exe",
            "report.pdf.lnk",
            "disk.ISO",
            "settings.reg",
            "site.url",
        ] {
            assert!(
                matches!(
                    policy.problem(&upload(name, "application/octet-stream", 10)),
                    Some(ConversationError::AttachmentBlocked { .. })
                ),
                "{name:?} is blocked"
            );
        }
        assert!(policy
            .problem(&upload("notes.exe.txt", "text/plain", 10))
            .is_none());
    }

    #[test]
    fn a_name_with_a_control_character_is_refused() {
        let policy = AttachmentPolicy::default();
        assert!(matches!(
            policy.problem(&upload("report\0.exe", "text/plain", 10)),
            Some(ConversationError::AttachmentName { .. })
        ));
    }
}
