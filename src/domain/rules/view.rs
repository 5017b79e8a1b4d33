//! The whole portal of one contact, with reasons: what `portal view-as` prints, what the desktop app's
//! simulated login explains, and what the live portal's list and ticket pages are built from.

use super::access::may_sign_in;
use super::company::{associated_companies, company_view, ContactCompanies};
use super::status::status_label;
use super::threads::{choose_thread, shown_messages};
use super::visibility::{decide, View};
use crate::domain::model::{format_timestamp, Catalog, Contact, Thread, Ticket};
use crate::domain::settings::Settings;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ContactView {
    pub contact: String,
    pub can_sign_in: bool,
    pub access_reason: String,
    pub views: Vec<View>,
    pub view: Option<View>,
    pub tickets: Vec<VisibleTicket>,
    pub hidden_tickets: Vec<HiddenItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VisibleTicket {
    pub id: String,
    pub subject: String,
    pub status: String,
    pub created_at: String,
    pub last_activity_at: String,
    pub reason: String,
    pub thread: Option<ShownThread>,
    pub hidden_threads: Vec<HiddenItem>,
    pub hidden_messages: Vec<HiddenItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ShownThread {
    pub id: String,
    pub reason: String,
    pub messages: Vec<ShownMessage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ShownMessage {
    pub id: String,
    pub direction: String,
    pub from: String,
    pub text: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HiddenItem {
    pub id: String,
    pub reason: String,
}

fn hidden_items(items: Vec<(String, String)>) -> Vec<HiddenItem> {
    items
        .into_iter()
        .map(|(id, reason)| HiddenItem { id, reason })
        .collect()
}

/// The list's default order: last activity, newest first; ties by id so the order is stable.
pub fn list_order(a: &Ticket, b: &Ticket) -> std::cmp::Ordering {
    b.last_activity_at
        .cmp(&a.last_activity_at)
        .then_with(|| a.id.cmp(&b.id))
}

/// The thread a visible ticket shows, its messages, and what is hidden, with reasons. `threads` are the
/// threads associated with the ticket.
pub fn ticket_conversation(
    settings: &Settings,
    catalog: &Catalog,
    threads: &[Thread],
) -> (Option<ShownThread>, Vec<HiddenItem>, Vec<HiddenItem>) {
    let choice = choose_thread(settings, catalog, threads);
    let mut hidden_messages = Vec::new();
    let shown = choice.shown.and_then(|(id, reason)| {
        let thread = threads.iter().find(|thread| thread.id == id)?;
        let (messages, hidden) = shown_messages(thread);
        hidden_messages = hidden_items(hidden);
        Some(ShownThread {
            id,
            reason,
            messages: messages
                .into_iter()
                .map(|message| ShownMessage {
                    id: message.id.clone(),
                    direction: message.direction.as_str().into(),
                    from: message.from.clone(),
                    text: message.text.clone(),
                    created_at: format_timestamp(&message.created_at),
                })
                .collect(),
        })
    });
    (shown, hidden_items(choice.hidden), hidden_messages)
}

/// Everything `contact` would be served in `requested` view (or the default one). `tickets` must hold at
/// least every ticket the contact is related to: associated with them or with any of their companies
/// (primary or not), or CC'd to them (more is harmless: unrelated tickets are left out of the answer),
/// and `threads` the threads of those tickets. `companies` are the contact's company records, for names
/// (the primary one alone, `Option<&Company>`, converts).
pub fn view_as<'a>(
    settings: &Settings,
    catalog: &Catalog,
    contact: &'a Contact,
    companies: impl Into<ContactCompanies<'a>>,
    tickets: &[Ticket],
    threads: &[Thread],
    requested: Option<View>,
) -> ContactView {
    let companies = companies.into();
    let access = may_sign_in(settings, catalog, contact);
    let company_view = company_view(settings, contact, companies);
    let views = if company_view.granted {
        vec![View::Organization, View::Mine]
    } else {
        Vec::new()
    };
    let view = match requested {
        Some(view) if views.contains(&view) => Some(view),
        _ => views.first().copied(),
    };
    let mut answer = ContactView {
        contact: contact.email.clone(),
        can_sign_in: access.allowed,
        access_reason: access.reason,
        views,
        view,
        tickets: Vec::new(),
        hidden_tickets: Vec::new(),
    };
    if !access.allowed {
        return answer;
    }
    let mut threads_by_ticket: HashMap<&str, Vec<Thread>> = HashMap::new();
    for thread in threads {
        if let Some(ticket) = &thread.ticket {
            threads_by_ticket
                .entry(ticket.as_str())
                .or_default()
                .push(thread.clone());
        }
    }
    let associated = associated_companies(contact, companies);
    let related = |ticket: &Ticket| {
        ticket.contacts.contains(&contact.id)
            || ticket.cc.contains(&contact.id)
            || ticket
                .companies
                .iter()
                .any(|company| associated.contains(&company.as_str()))
    };
    let mut shown: Vec<(&Ticket, String)> = Vec::new();
    for ticket in tickets.iter().filter(|ticket| related(ticket)) {
        let decision = decide(
            settings,
            catalog,
            contact,
            companies,
            &company_view,
            ticket,
            view,
        );
        if decision.visible {
            shown.push((ticket, decision.reason));
        } else {
            answer.hidden_tickets.push(HiddenItem {
                id: ticket.id.clone(),
                reason: decision.reason,
            });
        }
    }
    shown.sort_by(|(a, _), (b, _)| list_order(a, b));
    answer.hidden_tickets.sort_by(|a, b| a.id.cmp(&b.id));
    let no_threads = Vec::new();
    for (ticket, reason) in shown {
        let threads = threads_by_ticket
            .get(ticket.id.as_str())
            .unwrap_or(&no_threads);
        let (thread, hidden_threads, hidden_messages) =
            ticket_conversation(settings, catalog, threads);
        answer.tickets.push(VisibleTicket {
            id: ticket.id.clone(),
            subject: ticket.subject.clone(),
            status: status_label(settings, catalog, ticket),
            created_at: format_timestamp(&ticket.created_at),
            last_activity_at: format_timestamp(&ticket.last_activity_at),
            reason,
            thread,
            hidden_threads,
            hidden_messages,
        });
    }
    answer
}
