//! Whole-workspace writes and reads: importing validated bundle data in one transaction, and gathering
//! everything back for export.

use super::{catalog, contacts, threads, tickets, Result, Workspace};
use crate::bundle::WorkspaceData;
use sqlx::SqliteConnection;

/// Tables in an order that deletes children before parents.
const TABLES_CHILDREN_FIRST: [&str; 26] = [
    "engagements",
    "outbox",
    "account_tokens",
    "sessions",
    "portal_logins",
    "attachments",
    "messages",
    "threads",
    "ticket_companies",
    "ticket_contacts",
    "tickets",
    "ticket_property_names",
    "form_fields",
    "forms",
    "channels",
    "inboxes",
    "stages",
    "pipelines",
    "list_memberships",
    "contacts",
    "lists",
    "companies",
    "kb_articles",
    "menu_items",
    "menus",
    "settings_history",
];

async fn clear_in(connection: &mut SqliteConnection) -> Result<()> {
    for table in TABLES_CHILDREN_FIRST {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *connection)
            .await?;
    }
    sqlx::query("DELETE FROM settings")
        .execute(&mut *connection)
        .await?;
    Ok(())
}

impl Workspace {
    /// Replaces everything in the workspace with `data`, in one transaction. `password_hashes` are the
    /// hashed bundle passwords by contact id.
    pub async fn replace_all(
        &self,
        data: &WorkspaceData,
        password_hashes: &[(String, String)],
    ) -> Result<()> {
        let mut transaction = self.pool.begin().await?;
        clear_in(&mut transaction).await?;
        let document = serde_json::to_string(&data.settings).expect("settings serialise");
        sqlx::query("INSERT INTO settings (id, document) VALUES (1, ?1)")
            .bind(document)
            .execute(&mut *transaction)
            .await?;
        catalog::insert_in(&mut transaction, &data.catalog()).await?;
        contacts::insert_companies_in(&mut transaction, &data.companies).await?;
        contacts::insert_contacts_in(&mut transaction, &data.contacts).await?;
        for (contact, hash) in password_hashes {
            contacts::set_password_hash_in(&mut transaction, contact, hash).await?;
        }
        for ticket in &data.tickets {
            tickets::insert_in(&mut transaction, ticket).await?;
        }
        for thread in &data.threads {
            threads::insert_in(&mut transaction, thread).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Everything the workspace holds, for export (passwords are not part of it).
    pub async fn export_data(&self) -> Result<WorkspaceData> {
        let catalog = self.catalog().await?;
        Ok(WorkspaceData {
            settings: self.settings().await?,
            companies: self.companies().await?,
            lists: catalog.lists,
            contacts: self.contacts().await?,
            passwords: Vec::new(),
            pipelines: catalog.pipelines,
            inboxes: catalog.inboxes,
            channels: catalog.channels,
            tickets: self.tickets().await?,
            threads: self.threads().await?,
            forms: catalog.forms,
            kb_articles: catalog.kb_articles,
            menus: catalog.menus,
        })
    }
}
