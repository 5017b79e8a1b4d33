//! Customers view: contacts and companies with their lists, tickets and sign-in access, a contact's
//! actions (a sign-in email, Unlock); and the plain contact list the Preview picks from.

use super::{cancellable, open, workspace_handle};
use crate::error::CommandError;
use crate::state::Studio;
use crate::state::Tables;
use portal::app::accounts::SignInEmail;
use portal::app::read_models::{
    CompanyRow, ContactChoice, CustomerRow, CustomerTables, TablePage, TableQuery,
};
use std::sync::Arc;
use tauri::State;

/// Every contact (name, email, company) for the Preview's picker: a plain read, no matrix.
#[tauri::command]
pub async fn contact_choices(
    studio: State<'_, Studio>,
) -> Result<Vec<ContactChoice>, CommandError> {
    let open = open(&studio).await?;
    Ok(portal::app::read_models::contact_choices(&open.workspace).await?)
}

/// The customers tables, computed again when `refresh` is set or none is kept. Cancellable.
async fn customer_tables(
    studio: &State<'_, Studio>,
    refresh: bool,
) -> Result<Arc<CustomerTables>, CommandError> {
    let tables: Arc<Tables> = open(studio).await?.tables.clone();
    let known = tables.customers.lock().expect("tables lock").clone();
    if let Some(known) = known.filter(|_| !refresh) {
        return Ok(known);
    }
    let (workspace, _) = workspace_handle(studio).await?;
    let computed = cancellable(studio, async move {
        Ok(portal::app::read_models::customer_tables(&workspace).await?)
    })
    .await?;
    let computed = Arc::new(computed);
    *tables.customers.lock().expect("tables lock") = Some(computed.clone());
    Ok(computed)
}

/// One window of the contacts (filtered, sorted, grouped by company) with the counts of all of them;
/// `refresh` computes the contacts again first (the view does when it opens).
#[tauri::command]
pub async fn customer_page(
    studio: State<'_, Studio>,
    refresh: bool,
    query: TableQuery,
) -> Result<TablePage<CustomerRow>, CommandError> {
    let tables = customer_tables(&studio, refresh).await?;
    super::off_thread(move || tables.contacts.query(&query)).await
}

/// Every company with its contacts and tickets (from the contacts `customer_page` computed).
#[tauri::command]
pub async fn customer_companies(
    studio: State<'_, Studio>,
) -> Result<Vec<CompanyRow>, CommandError> {
    Ok(customer_tables(&studio, false).await?.companies.clone())
}

/// Sends the contact (id) a sign-in email into the outbox: an invitation, or a password reset when
/// they have a portal login (`accounts::send_sign_in_email`, with its refusals).
#[tauri::command]
pub async fn send_sign_in_email(
    studio: State<'_, Studio>,
    contact: String,
) -> Result<SignInEmail, CommandError> {
    let open = open(&studio).await?;
    portal::app::accounts::send_sign_in_email(&open.workspace, &contact)
        .await
        .map_err(|error| portal::Error::from(error).into())
}

/// Lifts the contact's (id) sign-in lock after repeated failed attempts (`accounts::unlock`): the next
/// sign-in is checked at once. Answers whether there were failures to forget.
#[tauri::command]
pub async fn unlock_contact(
    studio: State<'_, Studio>,
    contact: String,
) -> Result<bool, CommandError> {
    let open = open(&studio).await?;
    portal::app::accounts::unlock(&open.workspace, &contact)
        .await
        .map_err(|error| portal::Error::from(error).into())
}
