//! Tickets with their built-in and custom properties and their contact and company associations.

use super::{Result, StorageError, Workspace};
use crate::domain::model::{from_millis, timestamp_millis, Contact, Ticket};
use sqlx::SqliteConnection;
use std::collections::HashMap;

type TicketRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
    String,
);

const TICKET_COLUMNS: &str =
    "t.id, t.subject, t.content, t.pipeline_id, t.stage_id, t.priority, t.category, \
     t.source, t.created_at, t.last_activity_at, t.properties";

fn ticket_from(row: TicketRow) -> Result<Ticket> {
    let (
        id,
        subject,
        content,
        pipeline,
        stage,
        priority,
        category,
        source,
        created,
        activity,
        properties,
    ) = row;
    let properties = serde_json::from_str(&properties)
        .map_err(|error| StorageError::Corrupt(format!("properties of ticket {id}: {error}")))?;
    Ok(Ticket {
        id,
        subject,
        content,
        pipeline,
        stage,
        priority,
        category,
        source,
        created_at: from_millis(created),
        last_activity_at: from_millis(activity),
        properties,
        contacts: Vec::new(),
        companies: Vec::new(),
        cc: Vec::new(),
    })
}

pub(crate) fn bound<'q, O>(
    sql: &'q str,
    binds: &[&'q str],
) -> sqlx::query::QueryAs<'q, sqlx::Sqlite, O, sqlx::sqlite::SqliteArguments<'q>>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
{
    binds
        .iter()
        .fold(sqlx::query_as(sql), |query, value| query.bind(*value))
}

/// Loads tickets selected by `related` (a query yielding ticket ids, bound to `binds`) with associations.
async fn load_related(
    connection: &mut SqliteConnection,
    related: &str,
    binds: &[&str],
) -> Result<Vec<Ticket>> {
    let tickets_sql = format!(
        "WITH related(id) AS ({related}) SELECT {TICKET_COLUMNS} FROM tickets t JOIN related r ON t.id = r.id"
    );
    let contacts_sql = format!(
        "WITH related(id) AS ({related}) SELECT a.ticket_id, a.contact_id FROM ticket_contacts a
         JOIN related r ON a.ticket_id = r.id ORDER BY a.ticket_id, a.position"
    );
    let companies_sql = format!(
        "WITH related(id) AS ({related}) SELECT a.ticket_id, a.company_id FROM ticket_companies a
         JOIN related r ON a.ticket_id = r.id ORDER BY a.ticket_id, a.position"
    );
    let cc_sql = format!(
        "WITH related(id) AS ({related}) SELECT a.ticket_id, a.contact_id FROM ticket_cc a
         JOIN related r ON a.ticket_id = r.id ORDER BY a.ticket_id, a.position"
    );
    let rows: Vec<TicketRow> = bound(&tickets_sql, binds)
        .fetch_all(&mut *connection)
        .await?;
    let contacts: Vec<(String, String)> = bound(&contacts_sql, binds)
        .fetch_all(&mut *connection)
        .await?;
    let companies: Vec<(String, String)> = bound(&companies_sql, binds)
        .fetch_all(&mut *connection)
        .await?;
    let cc: Vec<(String, String)> = bound(&cc_sql, binds).fetch_all(&mut *connection).await?;
    attach(rows, contacts, companies, cc)
}

fn attach(
    rows: Vec<TicketRow>,
    contacts: Vec<(String, String)>,
    companies: Vec<(String, String)>,
    cc: Vec<(String, String)>,
) -> Result<Vec<Ticket>> {
    let mut tickets = rows
        .into_iter()
        .map(ticket_from)
        .collect::<Result<Vec<_>>>()?;
    let index: HashMap<String, usize> = tickets
        .iter()
        .enumerate()
        .map(|(position, ticket)| (ticket.id.clone(), position))
        .collect();
    for (ticket, contact) in contacts {
        if let Some(&position) = index.get(&ticket) {
            tickets[position].contacts.push(contact);
        }
    }
    for (ticket, company) in companies {
        if let Some(&position) = index.get(&ticket) {
            tickets[position].companies.push(company);
        }
    }
    for (ticket, contact) in cc {
        if let Some(&position) = index.get(&ticket) {
            tickets[position].cc.push(contact);
        }
    }
    Ok(tickets)
}

pub async fn insert_in(connection: &mut SqliteConnection, ticket: &Ticket) -> Result<()> {
    let properties = serde_json::to_string(&ticket.properties).expect("properties serialise");
    sqlx::query(
        "INSERT INTO tickets (id, subject, content, pipeline_id, stage_id, priority, category, source,
                              created_at, last_activity_at, properties)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .bind(&ticket.id)
    .bind(&ticket.subject)
    .bind(&ticket.content)
    .bind(&ticket.pipeline)
    .bind(&ticket.stage)
    .bind(&ticket.priority)
    .bind(&ticket.category)
    .bind(&ticket.source)
    .bind(timestamp_millis(&ticket.created_at))
    .bind(timestamp_millis(&ticket.last_activity_at))
    .bind(properties)
    .execute(&mut *connection)
    .await?;
    for (position, contact) in ticket.contacts.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ticket_contacts (ticket_id, contact_id, position) VALUES (?1, ?2, ?3)",
        )
        .bind(&ticket.id)
        .bind(contact)
        .bind(position as i64)
        .execute(&mut *connection)
        .await?;
    }
    for (position, company) in ticket.companies.iter().enumerate() {
        sqlx::query(
            "INSERT INTO ticket_companies (ticket_id, company_id, position) VALUES (?1, ?2, ?3)",
        )
        .bind(&ticket.id)
        .bind(company)
        .bind(position as i64)
        .execute(&mut *connection)
        .await?;
    }
    for (position, contact) in ticket.cc.iter().enumerate() {
        sqlx::query("INSERT INTO ticket_cc (ticket_id, contact_id, position) VALUES (?1, ?2, ?3)")
            .bind(&ticket.id)
            .bind(contact)
            .bind(position as i64)
            .execute(&mut *connection)
            .await?;
    }
    for name in ticket.properties.keys() {
        sqlx::query("INSERT OR IGNORE INTO ticket_property_names (name) VALUES (?1)")
            .bind(name)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

pub async fn touch_in(
    connection: &mut SqliteConnection,
    ticket_id: &str,
    at: &chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    sqlx::query("UPDATE tickets SET last_activity_at = max(last_activity_at, ?2) WHERE id = ?1")
        .bind(ticket_id)
        .bind(timestamp_millis(at))
        .execute(connection)
        .await?;
    Ok(())
}

/// Moves the ticket to `stage` (of its pipeline) and sets its last activity: a customer closed it.
pub async fn set_stage_in(
    connection: &mut SqliteConnection,
    ticket_id: &str,
    stage: &str,
    at: &chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    sqlx::query(
        "UPDATE tickets SET stage_id = ?2, last_activity_at = max(last_activity_at, ?3) WHERE id = ?1",
    )
    .bind(ticket_id)
    .bind(stage)
    .bind(timestamp_millis(at))
    .execute(connection)
    .await?;
    Ok(())
}

/// The next free numeric ticket id (tickets made in the portal continue the workspace's numbering).
pub async fn next_id_in(connection: &mut SqliteConnection) -> Result<String> {
    let highest: Option<i64> = sqlx::query_scalar(
        "SELECT max(CAST(id AS INTEGER)) FROM tickets WHERE id GLOB '[0-9]*' AND id NOT GLOB '*[^0-9]*'",
    )
    .fetch_one(connection)
    .await?;
    Ok((highest.unwrap_or(1000) + 1).to_string())
}

/// The tickets a contact is related to (portal-rules.md 10.2): associated with the contact (?1), with
/// any of their companies (?2, a JSON array of ids), or CC'd to them.
pub(crate) const RELATED_TO_CONTACT: &str =
    "SELECT ticket_id FROM ticket_contacts WHERE contact_id = ?1
     UNION SELECT ticket_id FROM ticket_companies WHERE company_id IN (SELECT value FROM json_each(?2))
     UNION SELECT ticket_id FROM ticket_cc WHERE contact_id = ?1";

/// The JSON array `RELATED_TO_CONTACT` takes: every company the contact is associated with.
pub(crate) fn companies_json(contact: &Contact) -> String {
    let ids: Vec<&String> = contact.company.iter().chain(&contact.companies).collect();
    serde_json::to_string(&ids).expect("ids serialise")
}

/// `Workspace::ticket` inside a transaction.
pub async fn ticket_in(connection: &mut SqliteConnection, id: &str) -> Result<Option<Ticket>> {
    let mut tickets = load_related(connection, "SELECT ?1", &[id]).await?;
    Ok(tickets.pop())
}

impl Workspace {
    pub async fn ticket(&self, id: &str) -> Result<Option<Ticket>> {
        let mut connection = self.pool.acquire().await?;
        let mut tickets = load_related(&mut connection, "SELECT ?1", &[id]).await?;
        Ok(tickets.pop())
    }

    /// Every ticket, in workspace order.
    pub async fn tickets(&self) -> Result<Vec<Ticket>> {
        let mut connection = self.pool.acquire().await?;
        let rows: Vec<TicketRow> = sqlx::query_as(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets t ORDER BY t.rowid"
        ))
        .fetch_all(&mut *connection)
        .await?;
        let contacts: Vec<(String, String)> = sqlx::query_as(
            "SELECT ticket_id, contact_id FROM ticket_contacts ORDER BY ticket_id, position",
        )
        .fetch_all(&mut *connection)
        .await?;
        let companies: Vec<(String, String)> = sqlx::query_as(
            "SELECT ticket_id, company_id FROM ticket_companies ORDER BY ticket_id, position",
        )
        .fetch_all(&mut *connection)
        .await?;
        let cc: Vec<(String, String)> = sqlx::query_as(
            "SELECT ticket_id, contact_id FROM ticket_cc ORDER BY ticket_id, position",
        )
        .fetch_all(&mut *connection)
        .await?;
        attach(rows, contacts, companies, cc)
    }
}

/// One ticket as `json_array(...)` in `PACKED_RELATED` yields it.
type PackedTicket = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    i64,
    std::collections::BTreeMap<String, serde_json::Value>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

/// `RELATED_TO_CONTACT`'s tickets with their associations, all in one JSON value: one row crosses from
/// SQLite's worker thread instead of one per ticket and association, which is what a busy portal pays for.
const PACKED_RELATED: &str = "WITH related(id) AS (
    SELECT ticket_id FROM ticket_contacts WHERE contact_id = ?1
    UNION SELECT ticket_id FROM ticket_companies WHERE company_id IN (SELECT value FROM json_each(?2))
    UNION SELECT ticket_id FROM ticket_cc WHERE contact_id = ?1)
  SELECT json_group_array(json_array(
    t.id, t.subject, t.content, t.pipeline_id, t.stage_id, t.priority, t.category, t.source,
    t.created_at, t.last_activity_at, json(t.properties),
    (SELECT json_group_array(contact_id) FROM
       (SELECT contact_id FROM ticket_contacts WHERE ticket_id = t.id ORDER BY position)),
    (SELECT json_group_array(company_id) FROM
       (SELECT company_id FROM ticket_companies WHERE ticket_id = t.id ORDER BY position)),
    (SELECT json_group_array(contact_id) FROM
       (SELECT contact_id FROM ticket_cc WHERE ticket_id = t.id ORDER BY position))))
  FROM tickets t JOIN related r ON t.id = r.id";

impl Workspace {
    /// Every ticket associated with the contact or with any of their companies (primary or not), or
    /// on which they are CC'd, in no particular order, read in one round trip: the portal's list page
    /// asks this on every cache miss.
    pub async fn tickets_related_to(&self, contact: &Contact) -> Result<Vec<Ticket>> {
        let packed: String = sqlx::query_scalar(PACKED_RELATED)
            .bind(&contact.id)
            .bind(companies_json(contact))
            .fetch_one(&self.pool)
            .await?;
        let rows: Vec<PackedTicket> = serde_json::from_str(&packed)
            .map_err(|error| StorageError::Corrupt(format!("related tickets: {error}")))?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    subject,
                    content,
                    pipeline,
                    stage,
                    priority,
                    category,
                    source,
                    created,
                    activity,
                    properties,
                    contacts,
                    companies,
                    cc,
                )| Ticket {
                    id,
                    subject,
                    content,
                    pipeline,
                    stage,
                    priority,
                    category,
                    source,
                    created_at: from_millis(created),
                    last_activity_at: from_millis(activity),
                    properties,
                    contacts,
                    companies,
                    cc,
                },
            )
            .collect())
    }
}

impl Workspace {
    /// The values the workspace's tickets hold, by property, for the settings editor's filter lists:
    /// the distinct `priority`, `category` and `source` values and those of every custom property, at
    /// most `per_property` of each, sorted.
    pub async fn ticket_property_values(
        &self,
        per_property: usize,
    ) -> Result<Vec<(String, Vec<String>)>> {
        let mut connection = self.pool.acquire().await?;
        let mut found = Vec::new();
        for column in ["priority", "category", "source"] {
            let values: Vec<String> = sqlx::query_scalar(&format!(
                "SELECT DISTINCT {column} FROM tickets WHERE {column} IS NOT NULL AND {column} <> '' \
                 ORDER BY 1 LIMIT ?1"
            ))
            .bind(per_property as i64)
            .fetch_all(&mut *connection)
            .await?;
            found.push((column.to_string(), values));
        }
        let pairs: Vec<(String, String)> = sqlx::query_as(
            "SELECT DISTINCT p.key, CAST(p.value AS TEXT) FROM tickets t, json_each(t.properties) p \
             WHERE p.type IN ('text', 'integer', 'real') AND CAST(p.value AS TEXT) <> '' \
             ORDER BY 1, 2",
        )
        .fetch_all(&mut *connection)
        .await?;
        let mut custom: Vec<(String, Vec<String>)> = Vec::new();
        for (name, value) in pairs {
            match custom.last_mut() {
                Some((last, values)) if *last == name => {
                    if values.len() < per_property {
                        values.push(value);
                    }
                }
                _ => custom.push((name, vec![value])),
            }
        }
        found.extend(custom);
        Ok(found)
    }
}
