//! Contacts with their list memberships, companies, and portal logins (argon2 hashes only).

use super::{now_millis, Result, Workspace};
use crate::domain::model::{Company, Contact};
use sqlx::SqliteConnection;
use std::collections::HashMap;

type ContactRow = (String, String, String, String, Option<String>);

const CONTACT_COLUMNS: &str = "id, email, first_name, last_name, company_id";

async fn lists_of(connection: &mut SqliteConnection, contact_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT list_id FROM list_memberships WHERE contact_id = ?1 ORDER BY position",
    )
    .bind(contact_id)
    .fetch_all(connection)
    .await?)
}

fn contact_from(row: ContactRow, lists: Vec<String>) -> Contact {
    let (id, email, first_name, last_name, company) = row;
    Contact {
        id,
        email,
        first_name,
        last_name,
        company,
        lists,
    }
}

pub async fn insert_companies_in(
    connection: &mut SqliteConnection,
    companies: &[Company],
) -> Result<()> {
    for company in companies {
        sqlx::query("INSERT INTO companies (id, name, domain) VALUES (?1, ?2, ?3)")
            .bind(&company.id)
            .bind(&company.name)
            .bind(&company.domain)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

pub async fn insert_contacts_in(
    connection: &mut SqliteConnection,
    contacts: &[Contact],
) -> Result<()> {
    for contact in contacts {
        insert_contact_in(&mut *connection, contact).await?;
    }
    Ok(())
}

pub async fn insert_contact_in(connection: &mut SqliteConnection, contact: &Contact) -> Result<()> {
    sqlx::query(
        "INSERT INTO contacts (id, email, first_name, last_name, company_id) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(&contact.id)
    .bind(&contact.email)
    .bind(&contact.first_name)
    .bind(&contact.last_name)
    .bind(&contact.company)
    .execute(&mut *connection)
    .await?;
    for (position, list) in contact.lists.iter().enumerate() {
        sqlx::query(
            "INSERT INTO list_memberships (contact_id, list_id, position) VALUES (?1, ?2, ?3)",
        )
        .bind(&contact.id)
        .bind(list)
        .bind(position as i64)
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

pub async fn set_password_hash_in(
    connection: &mut SqliteConnection,
    contact_id: &str,
    password_hash: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO portal_logins (contact_id, password_hash, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (contact_id) DO UPDATE SET password_hash = excluded.password_hash",
    )
    .bind(contact_id)
    .bind(password_hash)
    .bind(now_millis())
    .execute(connection)
    .await?;
    Ok(())
}

impl Workspace {
    pub async fn contact_by_email(&self, email: &str) -> Result<Option<Contact>> {
        let mut connection = self.pool.acquire().await?;
        let row: Option<ContactRow> = sqlx::query_as(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE email = ?1 COLLATE NOCASE"
        ))
        .bind(email.trim())
        .fetch_optional(&mut *connection)
        .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let lists = lists_of(&mut connection, &row.0).await?;
                Ok(Some(contact_from(row, lists)))
            }
        }
    }

    pub async fn contact(&self, id: &str) -> Result<Option<Contact>> {
        let mut connection = self.pool.acquire().await?;
        let row: Option<ContactRow> = sqlx::query_as(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?1"
        ))
        .bind(id)
        .fetch_optional(&mut *connection)
        .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let lists = lists_of(&mut connection, &row.0).await?;
                Ok(Some(contact_from(row, lists)))
            }
        }
    }

    /// Every contact with their lists, in workspace order.
    pub async fn contacts(&self) -> Result<Vec<Contact>> {
        let mut connection = self.pool.acquire().await?;
        contacts_in(&mut connection).await
    }

    pub async fn company(&self, id: &str) -> Result<Option<Company>> {
        let row: Option<(String, String, Option<String>)> =
            sqlx::query_as("SELECT id, name, domain FROM companies WHERE id = ?1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(id, name, domain)| Company { id, name, domain }))
    }

    pub async fn companies(&self) -> Result<Vec<Company>> {
        let mut connection = self.pool.acquire().await?;
        companies_in(&mut connection).await
    }

    pub async fn password_hash(&self, contact_id: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM portal_logins WHERE contact_id = ?1")
                .bind(contact_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn set_password_hash(&self, contact_id: &str, password_hash: &str) -> Result<()> {
        let mut connection = self.pool.acquire().await?;
        set_password_hash_in(&mut connection, contact_id, password_hash).await
    }

    /// Ids of contacts that have a portal login.
    pub async fn contacts_with_login(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT contact_id FROM portal_logins")
            .fetch_all(&self.pool)
            .await?)
    }
}

/// The contact with this email (any case), inside a transaction.
pub async fn contact_by_email_in(
    connection: &mut SqliteConnection,
    email: &str,
) -> Result<Option<Contact>> {
    let row: Option<ContactRow> = sqlx::query_as(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE email = ?1 COLLATE NOCASE"
    ))
    .bind(email.trim())
    .fetch_optional(&mut *connection)
    .await?;
    match row {
        None => Ok(None),
        Some(row) => {
            let lists = lists_of(&mut *connection, &row.0).await?;
            Ok(Some(contact_from(row, lists)))
        }
    }
}

pub async fn has_login_in(connection: &mut SqliteConnection, contact_id: &str) -> Result<bool> {
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM portal_logins WHERE contact_id = ?1")
        .bind(contact_id)
        .fetch_one(connection)
        .await?;
    Ok(count > 0)
}

/// Contacts in any of `lists` that have no portal login yet (whom a `lists` portal invites).
pub async fn without_login_in_lists_in(
    connection: &mut SqliteConnection,
    lists: &[String],
) -> Result<Vec<Contact>> {
    let mut found = Vec::new();
    for list in lists {
        let rows: Vec<ContactRow> = sqlx::query_as(
            "SELECT c.id, c.email, c.first_name, c.last_name, c.company_id FROM contacts c
             JOIN list_memberships m ON m.contact_id = c.id
             WHERE m.list_id = ?1 AND NOT EXISTS (SELECT 1 FROM portal_logins l WHERE l.contact_id = c.id)
             ORDER BY c.rowid",
        )
        .bind(list)
        .fetch_all(&mut *connection)
        .await?;
        for row in rows {
            if !found.iter().any(|contact: &Contact| contact.id == row.0) {
                let contact_lists = lists_of(&mut *connection, &row.0).await?;
                found.push(contact_from(row, contact_lists));
            }
        }
    }
    Ok(found)
}

impl Workspace {
    /// A contact with their lists and primary company, in one query (the portal's session check).
    pub async fn contact_with_company(
        &self,
        id: &str,
    ) -> Result<Option<(Contact, Option<Company>)>> {
        type Row = (
            String,
            String,
            String,
            String,
            Option<String>,
            String,
            Option<String>,
            Option<String>,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT c.id, c.email, c.first_name, c.last_name, c.company_id,
                    (SELECT json_group_array(list_id) FROM
                       (SELECT list_id FROM list_memberships WHERE contact_id = c.id ORDER BY position)),
                    co.name, co.domain
             FROM contacts c LEFT JOIN companies co ON co.id = c.company_id WHERE c.id = ?1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((id, email, first_name, last_name, company_id, lists, name, domain)) = row else {
            return Ok(None);
        };
        let lists: Vec<String> = serde_json::from_str(&lists)
            .map_err(|error| super::StorageError::Corrupt(format!("lists of {id}: {error}")))?;
        let company = match (&company_id, name) {
            (Some(company), Some(name)) => Some(Company {
                id: company.clone(),
                name,
                domain,
            }),
            _ => None,
        };
        let contact = Contact {
            id,
            email,
            first_name,
            last_name,
            company: company_id,
            lists,
        };
        Ok(Some((contact, company)))
    }
}

/// Every contact with their lists, in workspace order, read on `connection` (e.g. inside an export's
/// snapshot).
pub async fn contacts_in(connection: &mut SqliteConnection) -> Result<Vec<Contact>> {
    let rows: Vec<ContactRow> = sqlx::query_as(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts ORDER BY rowid"
    ))
    .fetch_all(&mut *connection)
    .await?;
    let memberships: Vec<(String, String)> = sqlx::query_as(
        "SELECT contact_id, list_id FROM list_memberships ORDER BY contact_id, position",
    )
    .fetch_all(&mut *connection)
    .await?;
    let mut lists: HashMap<String, Vec<String>> = HashMap::new();
    for (contact, list) in memberships {
        lists.entry(contact).or_default().push(list);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let contact_lists = lists.remove(&row.0).unwrap_or_default();
            contact_from(row, contact_lists)
        })
        .collect())
}

/// Every company, in workspace order, read on `connection`.
pub async fn companies_in(connection: &mut SqliteConnection) -> Result<Vec<Company>> {
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, domain FROM companies ORDER BY rowid")
            .fetch_all(&mut *connection)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, domain)| Company { id, name, domain })
        .collect())
}
