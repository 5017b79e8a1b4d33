//! Who a customer is and what they are shown: the one place that loads a contact with their company and
//! decides "the visible ticket for this contact". The portal's pages, its writes (`conversations`), the
//! designer's preview and `portal view-as` all go through here, so none of them can show, accept or
//! explain a ticket differently from the others.

use crate::domain::model::{Catalog, Company, Contact, Thread, Ticket};
use crate::domain::rules::{self, VisibleTicket};
use crate::domain::settings::Settings;
use crate::site::pages::{self, ListQuery, TicketList, TicketPage};
use crate::storage::threads::StoredAttachment;
use crate::storage::{threads, tickets, StorageError, Tx};
use crate::{Error, Workspace};

/// A contact with their primary company and their other companies: who a session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub contact: Contact,
    pub company: Option<Company>,
    /// The companies the contact is associated with besides the primary one (portal-rules.md 10.1).
    pub others: Vec<Company>,
}

impl Customer {
    /// The company records the rules name in reasons.
    pub fn companies(&self) -> rules::ContactCompanies<'_> {
        rules::ContactCompanies::new(self.company.as_ref(), &self.others)
    }
}

/// Why a customer is not shown a page.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Also for a ticket the customer may not see: they must not learn that it exists.
    #[error("no such ticket")]
    NotFound,
    /// The customer may not use the portal (the access rule's reason).
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The customer with contact id `contact_id`, if the contact exists.
pub async fn by_id(
    workspace: &Workspace,
    contact_id: &str,
) -> Result<Option<Customer>, StorageError> {
    Ok(workspace
        .contact_with_company(contact_id)
        .await?
        .map(|(contact, company, others)| Customer {
            contact,
            company,
            others,
        }))
}

/// The customer whose contact has `email`; `UnknownContact` when there is none.
pub async fn by_email(workspace: &Workspace, email: &str) -> crate::Result<Customer> {
    let contact = workspace
        .contact_by_email(email)
        .await?
        .ok_or_else(|| Error::UnknownContact(email.to_string()))?;
    Ok(of_contact(workspace, contact).await?)
}

/// `contact` with their company read from the workspace.
pub async fn of_contact(workspace: &Workspace, contact: Contact) -> Result<Customer, StorageError> {
    let company = match &contact.company {
        Some(id) => workspace.company(id).await?,
        None => None,
    };
    let others = workspace.companies_by_ids(&contact.companies).await?;
    Ok(Customer {
        contact,
        company,
        others,
    })
}

/// Whether `customer` may use the portal under `settings` (the access rule), with its reason when not.
pub fn may_use_portal(
    settings: &Settings,
    catalog: &Catalog,
    customer: &Customer,
) -> Result<(), PageError> {
    rules::may_sign_in(settings, catalog, &customer.contact)
        .into_result()
        .map_err(PageError::AccessDenied)
}

/// Every ticket the customer is related to (associated with them or any of their companies, or CC'd to
/// them): what their list is made from.
pub async fn related_tickets(
    workspace: &Workspace,
    customer: &Customer,
) -> Result<Vec<Ticket>, StorageError> {
    workspace.tickets_related_to(&customer.contact).await
}

/// The list page of `customer` under `settings`, from their related `tickets` (which the portal caches).
/// The list needs no conversations, so the rules get no threads: threads never decide whether a ticket
/// is visible, and leaving them out keeps the list fast on large workspaces.
pub fn list_page(
    settings: &Settings,
    catalog: &Catalog,
    customer: &Customer,
    tickets: &[Ticket],
    query: &ListQuery,
) -> Result<TicketList, PageError> {
    let view = rules::view_as(
        settings,
        catalog,
        &customer.contact,
        customer.companies(),
        tickets,
        &[],
        query.view,
    );
    if !view.can_sign_in {
        return Err(PageError::AccessDenied(view.access_reason));
    }
    Ok(pages::ticket_list(catalog, tickets, &view, query))
}

/// `list_page` with the tickets read from the workspace.
pub async fn load_list(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    customer: &Customer,
    query: &ListQuery,
) -> Result<TicketList, PageError> {
    let tickets = related_tickets(workspace, customer).await?;
    list_page(settings, catalog, customer, &tickets, query)
}

/// A ticket the rules show a customer, with what it was decided from.
#[derive(Debug, Clone)]
pub struct ShownTicket {
    pub ticket: Ticket,
    /// Every stored conversation of the ticket (the rules chose `visible.thread` among them).
    pub threads: Vec<Thread>,
    pub visible: VisibleTicket,
}

/// Ticket `ticket_id` as the rules show it to `customer`: `NotFound` when it does not exist or they may
/// not see it (the two look alike), `AccessDenied` when they may not use the portal at all.
pub async fn visible_ticket(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    customer: &Customer,
    ticket_id: &str,
) -> Result<ShownTicket, PageError> {
    let ticket = workspace
        .ticket(ticket_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let threads = workspace.threads_of_ticket(ticket_id).await?;
    shown(settings, catalog, customer, ticket, threads)
}

/// `visible_ticket` read inside the write transaction `tx`: a write that depends on the ticket's
/// threads (a reply joins the shown thread, or starts one) decides on what is there once it holds the
/// write lock, so racing writers cannot each decide on a state the other is about to change.
pub async fn visible_ticket_in(
    tx: &mut Tx,
    settings: &Settings,
    catalog: &Catalog,
    customer: &Customer,
    ticket_id: &str,
) -> Result<ShownTicket, PageError> {
    let ticket = tickets::ticket_in(tx, ticket_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let threads = threads::threads_of_ticket_in(tx, ticket_id).await?;
    shown(settings, catalog, customer, ticket, threads)
}

/// The rules' decision on one ticket for `customer`.
fn shown(
    settings: &Settings,
    catalog: &Catalog,
    customer: &Customer,
    ticket: Ticket,
    threads: Vec<Thread>,
) -> Result<ShownTicket, PageError> {
    let view = rules::view_as(
        settings,
        catalog,
        &customer.contact,
        customer.companies(),
        std::slice::from_ref(&ticket),
        &threads,
        None,
    );
    if !view.can_sign_in {
        return Err(PageError::AccessDenied(view.access_reason));
    }
    let visible = view.tickets.into_iter().next().ok_or(PageError::NotFound)?;
    Ok(ShownTicket {
        ticket,
        threads,
        visible,
    })
}

/// The page of ticket `ticket_id` as `customer` sees it.
pub async fn load_ticket(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    customer: &Customer,
    ticket_id: &str,
) -> Result<TicketPage, PageError> {
    let shown = visible_ticket(workspace, settings, catalog, customer, ticket_id).await?;
    let mut page = pages::ticket_page(catalog, &shown.ticket, &shown.threads, &shown.visible);
    page.can_close = rules::close(settings, catalog, &shown.ticket)
        .stage
        .is_some();
    Ok(page)
}

/// The attachment, only when it belongs to a message `customer` is shown on ticket `ticket_id`;
/// `NotFound` otherwise.
pub async fn load_attachment(
    workspace: &Workspace,
    settings: &Settings,
    catalog: &Catalog,
    customer: &Customer,
    ticket_id: &str,
    attachment_id: i64,
) -> Result<StoredAttachment, PageError> {
    let page = load_ticket(workspace, settings, catalog, customer, ticket_id).await?;
    let shown = page
        .messages
        .iter()
        .flat_map(|message| &message.attachments)
        .any(|attachment| attachment.id == attachment_id);
    if !shown {
        return Err(PageError::NotFound);
    }
    workspace
        .attachment(attachment_id)
        .await?
        .ok_or(PageError::NotFound)
}
