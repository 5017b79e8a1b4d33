//! What a signed-in customer's ticket list and ticket page show, built from the rules' view of the
//! contact (`rules::view_as`, the function behind `portal view-as`), so the live portal and the command
//! line cannot disagree: the list is the visible tickets of the contact's view, then narrowed by the
//! customer's own status filter, search, sort and page; the ticket page is the visible ticket with its
//! shown thread and messages. Pure: `app::customer` reads the workspace and calls these.

use crate::domain::model::{format_timestamp, Catalog, Thread, Ticket};
use crate::domain::rules::{self, ContactView, View, VisibleTicket};
use serde::Serialize;
use std::collections::HashMap;

/// Tickets per list page.
pub const PAGE_SIZE: usize = 25;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    Open,
    Closed,
    #[default]
    All,
}

impl StatusFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusFilter::Open => "open",
            StatusFilter::Closed => "closed",
            StatusFilter::All => "all",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Last activity, newest first (the rules' list order).
    #[default]
    LastActivity,
    /// Created, newest first.
    Created,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::LastActivity => "last_activity",
            SortOrder::Created => "created",
        }
    }
}

/// The customer's choices on the list page, from the query string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ListQuery {
    pub status: StatusFilter,
    pub search: String,
    pub sort: SortOrder,
    /// 1-based.
    pub page: usize,
    pub view: Option<View>,
}

impl ListQuery {
    /// Reads `status`, `q`, `sort`, `page` and `view`; anything unknown means the default.
    pub fn parse(params: &HashMap<String, String>) -> ListQuery {
        let get = |name: &str| params.get(name).map(|value| value.trim()).unwrap_or("");
        ListQuery {
            status: match get("status") {
                "open" => StatusFilter::Open,
                "closed" => StatusFilter::Closed,
                _ => StatusFilter::All,
            },
            search: get("q").chars().take(200).collect(),
            sort: match get("sort") {
                "created" => SortOrder::Created,
                _ => SortOrder::LastActivity,
            },
            page: get("page").parse().unwrap_or(1).max(1),
            view: View::parse(get("view")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketRow {
    pub id: String,
    pub subject: String,
    pub status: String,
    pub open: bool,
    pub created_at: String,
    pub last_activity_at: String,
}

/// One page of the customer's ticket list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketList {
    /// The view switch (empty without company permissions) and the view in force.
    pub views: Vec<View>,
    pub view: Option<View>,
    pub rows: Vec<TicketRow>,
    /// Tickets matching the status filter and search, over all pages.
    pub matching: usize,
    /// Visible tickets in the view before the customer's filter and search.
    pub visible: usize,
    pub page: usize,
    pub pages: usize,
    pub query: ListQuery,
}

/// Narrows, orders and pages the visible tickets of `view`; `tickets` must include them (for states).
pub fn ticket_list(
    catalog: &Catalog,
    tickets: &[Ticket],
    view: &ContactView,
    query: &ListQuery,
) -> TicketList {
    let by_id: HashMap<&str, &Ticket> = tickets
        .iter()
        .map(|ticket| (ticket.id.as_str(), ticket))
        .collect();
    let needle = query.search.to_lowercase();
    let mut matching: Vec<(&VisibleTicket, &Ticket, bool)> = view
        .tickets
        .iter()
        .filter_map(|visible| {
            let ticket = by_id.get(visible.id.as_str())?;
            Some((visible, *ticket, rules::is_open(catalog, ticket)))
        })
        .filter(|(_, _, open)| match query.status {
            StatusFilter::Open => *open,
            StatusFilter::Closed => !*open,
            StatusFilter::All => true,
        })
        .filter(|(visible, _, _)| {
            needle.is_empty()
                || visible.id.to_lowercase().contains(&needle)
                || visible.subject.to_lowercase().contains(&needle)
        })
        .collect();
    if query.sort == SortOrder::Created {
        // Stable over the rules' order, so equal creation times keep last-activity order.
        matching.sort_by(|(_, a, _), (_, b, _)| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
    }
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    let page = query.page.min(pages);
    let rows = matching
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|(visible, _, open)| TicketRow {
            id: visible.id.clone(),
            subject: visible.subject.clone(),
            status: visible.status.clone(),
            open: *open,
            created_at: visible.created_at.clone(),
            last_activity_at: visible.last_activity_at.clone(),
        })
        .collect();
    TicketList {
        views: view.views.clone(),
        view: view.view,
        rows,
        matching: matching.len(),
        visible: view.tickets.len(),
        page,
        pages,
        query: ListQuery {
            page,
            view: view.view,
            ..query.clone()
        },
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentItem {
    pub id: i64,
    pub name: String,
    pub size: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageItem {
    pub id: String,
    pub incoming: bool,
    pub from: String,
    pub text: String,
    pub created_at: String,
    pub attachments: Vec<AttachmentItem>,
}

/// One ticket as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketPage {
    pub id: String,
    pub subject: String,
    pub description: String,
    pub status: String,
    pub open: bool,
    pub priority: Option<String>,
    pub created_at: String,
    pub last_activity_at: String,
    /// The shown conversation, oldest first (internal comments are never part of it).
    pub messages: Vec<MessageItem>,
    /// Whether the page offers "Close ticket" (portal-rules.md 10.3: `rules::close`).
    pub can_close: bool,
}

/// The page of a ticket the rules show: `visible` is the rules' view of `ticket`, `threads` its stored
/// conversations (for the attachments, which the rules' view does not carry).
pub fn ticket_page(
    catalog: &Catalog,
    ticket: &Ticket,
    threads: &[Thread],
    visible: &VisibleTicket,
) -> TicketPage {
    // Attachments by message id, from the stored threads (the rules' view carries no attachments).
    let attachments: HashMap<&str, Vec<AttachmentItem>> = threads
        .iter()
        .flat_map(|thread| &thread.messages)
        .map(|message| {
            (
                message.id.as_str(),
                message
                    .attachments
                    .iter()
                    .map(|attachment| AttachmentItem {
                        id: attachment.id,
                        name: attachment.name.clone(),
                        size: attachment.size,
                    })
                    .collect(),
            )
        })
        .collect();
    let messages = visible
        .thread
        .iter()
        .flat_map(|thread| &thread.messages)
        .map(|message| MessageItem {
            id: message.id.clone(),
            incoming: message.direction == "INCOMING",
            from: message.from.clone(),
            text: message.text.clone(),
            created_at: message.created_at.clone(),
            attachments: attachments
                .get(message.id.as_str())
                .cloned()
                .unwrap_or_default(),
        })
        .collect();
    TicketPage {
        id: visible.id.clone(),
        subject: visible.subject.clone(),
        description: ticket.content.clone(),
        status: visible.status.clone(),
        open: rules::is_open(catalog, ticket),
        priority: ticket.priority.clone(),
        created_at: format_timestamp(&ticket.created_at),
        last_activity_at: format_timestamp(&ticket.last_activity_at),
        messages,
        can_close: false,
    }
}
