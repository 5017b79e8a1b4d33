//! Contacts with their list memberships, companies, and portal logins (argon2 hashes only).

use super::{now_millis, Result, Workspace};
use crate::domain::model::{Company, Contact};
use sqlx::SqliteConnection;
use std::collections::{BTreeMap, HashMap};

/// id, email, first name, last name, primary company, language, properties (JSON), other companies
/// (JSON array).
type ContactRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
);

/// A `ContactRow` followed by the contact's lists (`LISTS_COLUMN`).
type ContactWithListsRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);

/// The columns of `ContactRow`, of `contacts c`.
const CONTACT_COLUMNS: &str = "c.id, c.email, c.first_name, c.last_name, c.company_id, c.language, \
     c.properties, (SELECT json_group_array(company_id) FROM (SELECT company_id FROM contact_companies \
     WHERE contact_id = c.id ORDER BY position))";

/// The contact's list ids as a JSON array in membership order, of `contacts c`: read with the contact
/// rather than by a query per contact.
const LISTS_COLUMN: &str = "(SELECT json_group_array(list_id) FROM \
     (SELECT list_id FROM list_memberships WHERE contact_id = c.id ORDER BY position))";

fn lists_from(contact_id: &str, lists: &str) -> Result<Vec<String>> {
    serde_json::from_str(lists)
        .map_err(|error| super::StorageError::Corrupt(format!("lists of {contact_id}: {error}")))
}

async fn lists_of(connection: &mut SqliteConnection, contact_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT list_id FROM list_memberships WHERE contact_id = ?1 ORDER BY position",
    )
    .bind(contact_id)
    .fetch_all(connection)
    .await?)
}

fn contact_from(row: ContactRow, lists: Vec<String>) -> Contact {
    let (id, email, first_name, last_name, company, language, properties, companies) = row;
    // Both JSON values are written by this module; a damaged one reads as empty rather than failing
    // every page of the contact.
    let properties: BTreeMap<String, String> =
        serde_json::from_str(&properties).unwrap_or_default();
    let companies: Vec<String> = serde_json::from_str(&companies).unwrap_or_default();
    Contact {
        id,
        email,
        first_name,
        last_name,
        company,
        lists,
        companies,
        language,
        properties,
    }
}

/// The contact's other companies, language and custom properties (portal-rules.md 10.1), written with
/// the contact.
async fn insert_beyond_in(connection: &mut SqliteConnection, contact: &Contact) -> Result<()> {
    for (position, company) in contact.companies.iter().enumerate() {
        sqlx::query(
            "INSERT INTO contact_companies (contact_id, company_id, position) VALUES (?1, ?2, ?3)",
        )
        .bind(&contact.id)
        .bind(company)
        .bind(position as i64)
        .execute(&mut *connection)
        .await?;
    }
    for name in contact.properties.keys() {
        sqlx::query("INSERT OR IGNORE INTO contact_property_names (name) VALUES (?1)")
            .bind(name)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// A contact's properties as stored.
pub(crate) fn properties_json(contact: &Contact) -> String {
    serde_json::to_string(&contact.properties).expect("properties serialise")
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
        "INSERT INTO contacts (id, email, first_name, last_name, company_id, language, properties)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(&contact.id)
    .bind(&contact.email)
    .bind(&contact.first_name)
    .bind(&contact.last_name)
    .bind(&contact.company)
    .bind(&contact.language)
    .bind(properties_json(contact))
    .execute(&mut *connection)
    .await?;
    insert_beyond_in(&mut *connection, contact).await?;
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
            "SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.email = ?1 COLLATE NOCASE"
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
            "SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.id = ?1"
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
        "SELECT {CONTACT_COLUMNS} FROM contacts c WHERE c.email = ?1 COLLATE NOCASE"
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

/// Contacts in any of `lists` with neither a portal login nor an open invitation: whom a `lists` portal
/// invites next.
pub async fn uninvited_in_lists_in(
    connection: &mut SqliteConnection,
    lists: &[String],
) -> Result<Vec<Contact>> {
    // One statement over every list, with each contact's lists, rather than a query per list and per
    // contact: a settings save in `lists` mode runs this, and on a workspace of 100,000 listed contacts
    // the per-contact checks made each save take a minute.
    let lists_json = serde_json::to_string(lists).expect("list ids serialise");
    let rows: Vec<ContactWithListsRow> = sqlx::query_as(&format!(
        "SELECT {CONTACT_COLUMNS}, {LISTS_COLUMN} FROM contacts c
         WHERE c.id IN (SELECT m.contact_id FROM list_memberships m
                        WHERE m.list_id IN (SELECT value FROM json_each(?1)))
           AND NOT EXISTS (SELECT 1 FROM portal_logins l WHERE l.contact_id = c.id)
           AND NOT EXISTS (SELECT 1 FROM account_tokens t
                           WHERE t.contact_id = c.id AND t.purpose = 'invitation'
                             AND t.used_at IS NULL AND t.expires_at > ?2)
         ORDER BY c.rowid"
    ))
    .bind(lists_json)
    .bind(crate::storage::now_millis())
    .fetch_all(&mut *connection)
    .await?;
    rows.into_iter()
        .map(
            |(
                id,
                email,
                first_name,
                last_name,
                company,
                language,
                properties,
                companies,
                lists,
            )| {
                let lists = lists_from(&id, &lists)?;
                Ok(contact_from(
                    (
                        id, email, first_name, last_name, company, language, properties, companies,
                    ),
                    lists,
                ))
            },
        )
        .collect()
}

impl Workspace {
    /// A contact with their lists, primary company and other companies, in one query (the portal's
    /// session check).
    pub async fn contact_with_company(&self, id: &str) -> Result<Option<ContactWithCompanies>> {
        type Row = (
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            String,
        );
        let row: Option<Row> = sqlx::query_as(&format!(
            "SELECT {CONTACT_COLUMNS}, {LISTS_COLUMN}, co.name, co.domain,
                    (SELECT json_group_array(json_array(id, name, domain)) FROM
                       (SELECT o.id, o.name, o.domain FROM contact_companies a
                        JOIN companies o ON o.id = a.company_id
                        WHERE a.contact_id = c.id ORDER BY a.position))
             FROM contacts c LEFT JOIN companies co ON co.id = c.company_id WHERE c.id = ?1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((
            id,
            email,
            first_name,
            last_name,
            company_id,
            language,
            properties,
            companies,
            lists,
            name,
            domain,
            others,
        )) = row
        else {
            return Ok(None);
        };
        let lists = lists_from(&id, &lists)?;
        let others: Vec<(String, String, Option<String>)> = serde_json::from_str(&others)
            .map_err(|error| super::StorageError::Corrupt(format!("companies of {id}: {error}")))?;
        let company = match (&company_id, name) {
            (Some(company), Some(name)) => Some(Company {
                id: company.clone(),
                name,
                domain,
            }),
            _ => None,
        };
        let contact = contact_from(
            (
                id, email, first_name, last_name, company_id, language, properties, companies,
            ),
            lists,
        );
        let others = others
            .into_iter()
            .map(|(id, name, domain)| Company { id, name, domain })
            .collect();
        Ok(Some((contact, company, others)))
    }
}

/// A contact, their primary company and their other companies.
pub type ContactWithCompanies = (Contact, Option<Company>, Vec<Company>);

/// The companies with these ids that exist, in the order given.
pub async fn companies_by_ids_in(
    connection: &mut SqliteConnection,
    ids: &[String],
) -> Result<Vec<Company>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids_json = serde_json::to_string(ids).expect("ids serialise");
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT c.id, c.name, c.domain FROM json_each(?1) j JOIN companies c ON c.id = j.value
         ORDER BY j.key",
    )
    .bind(ids_json)
    .fetch_all(connection)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, domain)| Company { id, name, domain })
        .collect())
}

impl Workspace {
    /// The companies with these ids that exist, in the order given.
    pub async fn companies_by_ids(&self, ids: &[String]) -> Result<Vec<Company>> {
        let mut connection = self.pool.acquire().await?;
        companies_by_ids_in(&mut connection, ids).await
    }
}

/// Every contact with their lists, in workspace order, read on `connection` (e.g. inside an export's
/// snapshot).
pub async fn contacts_in(connection: &mut SqliteConnection) -> Result<Vec<Contact>> {
    let rows: Vec<ContactRow> = sqlx::query_as(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts c ORDER BY c.rowid"
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
