//! What one contact sees, computed from the workspace: loads exactly the contact's slice of data (their
//! tickets and their company's, with threads) and hands it to the pure rules. Settings are a parameter, so
//! a draft can be tried without saving it.

use crate::app::customer::{self, Customer};
use crate::domain::rules::{self, ContactView, View};
use crate::domain::settings::Settings;
use crate::{Result, Workspace};

/// Everything `email` would be served in `view` (or the default view) under `settings`.
pub async fn view_as_with(
    workspace: &Workspace,
    settings: &Settings,
    email: &str,
    view: Option<View>,
) -> Result<ContactView> {
    let customer: Customer = customer::by_email(workspace, email).await?;
    let contact = &customer.contact;
    let catalog = workspace.catalog().await?;
    let tickets = workspace.tickets_related_to(contact).await?;
    let threads = workspace.threads_related_to(contact).await?;
    Ok(rules::view_as(
        settings,
        &catalog,
        contact,
        customer.companies(),
        &tickets,
        &threads,
        view,
    ))
}

/// Everything `email` would be served under the saved settings.
pub async fn view_as(
    workspace: &Workspace,
    email: &str,
    view: Option<View>,
) -> Result<ContactView> {
    let settings = workspace.settings().await?;
    view_as_with(workspace, &settings, email, view).await
}
