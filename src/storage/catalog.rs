//! The small reference tables: pipelines and stages, lists, inboxes, channels, forms, knowledge-base
//! articles, menus, and the names of custom ticket properties. They are read whole into a `Catalog`.

use super::{Result, StorageError, Workspace};
use crate::domain::model::{
    Catalog, Channel, ChannelType, ContactList, Form, FormField, Inbox, InboxKind,
    KnowledgeBaseArticle, Menu, MenuItem, Pipeline, Stage, StageState,
};
use sqlx::SqliteConnection;

fn corrupt(what: &str, value: &str) -> StorageError {
    StorageError::Corrupt(format!("{what} \"{value}\""))
}

pub async fn load_in(connection: &mut SqliteConnection) -> Result<Catalog> {
    let mut catalog = Catalog::default();
    let pipelines: Vec<(String, String)> =
        sqlx::query_as("SELECT id, label FROM pipelines ORDER BY rowid")
            .fetch_all(&mut *connection)
            .await?;
    let stages: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT pipeline_id, id, label, state FROM stages ORDER BY pipeline_id, position",
    )
    .fetch_all(&mut *connection)
    .await?;
    for (id, label) in pipelines {
        let mut pipeline_stages = Vec::new();
        for (pipeline_id, stage_id, stage_label, state) in &stages {
            if *pipeline_id == id {
                pipeline_stages.push(Stage {
                    id: stage_id.clone(),
                    label: stage_label.clone(),
                    state: StageState::parse(state).ok_or_else(|| corrupt("stage state", state))?,
                });
            }
        }
        catalog.pipelines.push(Pipeline {
            id,
            label,
            stages: pipeline_stages,
        });
    }
    catalog.lists =
        sqlx::query_as::<_, (String, String)>("SELECT id, name FROM lists ORDER BY rowid")
            .fetch_all(&mut *connection)
            .await?
            .into_iter()
            .map(|(id, name)| ContactList { id, name })
            .collect();
    for (id, name, kind) in sqlx::query_as::<_, (String, String, String)>(
        "SELECT id, name, kind FROM inboxes ORDER BY rowid",
    )
    .fetch_all(&mut *connection)
    .await?
    {
        let kind = InboxKind::parse(&kind).ok_or_else(|| corrupt("inbox kind", &kind))?;
        catalog.inboxes.push(Inbox { id, name, kind });
    }
    for (id, channel_type, address, inbox) in
        sqlx::query_as::<_, (String, String, Option<String>, Option<String>)>(
            "SELECT id, type, address, inbox_id FROM channels ORDER BY rowid",
        )
        .fetch_all(&mut *connection)
        .await?
    {
        let channel_type = ChannelType::parse(&channel_type)
            .ok_or_else(|| corrupt("channel type", &channel_type))?;
        catalog.channels.push(Channel {
            id,
            channel_type,
            address,
            inbox,
        });
    }
    let fields: Vec<(String, String, String, String, bool)> = sqlx::query_as(
        "SELECT form_id, name, label, ticket_property, required FROM form_fields ORDER BY form_id, position",
    )
    .fetch_all(&mut *connection)
    .await?;
    for (id, name, inbox, pipeline) in
        sqlx::query_as::<_, (String, String, Option<String>, String)>(
            "SELECT id, name, inbox_id, pipeline_id FROM forms ORDER BY rowid",
        )
        .fetch_all(&mut *connection)
        .await?
    {
        let form_fields = fields
            .iter()
            .filter(|field| field.0 == id)
            .map(|(_, name, label, ticket_property, required)| FormField {
                name: name.clone(),
                label: label.clone(),
                ticket_property: ticket_property.clone(),
                required: *required,
            })
            .collect();
        catalog.forms.push(Form {
            id,
            name,
            inbox,
            pipeline,
            fields: form_fields,
        });
    }
    catalog.kb_articles = sqlx::query_as::<_, (String, String, bool)>(
        "SELECT id, title, published FROM kb_articles ORDER BY rowid",
    )
    .fetch_all(&mut *connection)
    .await?
    .into_iter()
    .map(|(id, title, published)| KnowledgeBaseArticle {
        id,
        title,
        published,
    })
    .collect();
    let items: Vec<(String, String, String)> =
        sqlx::query_as("SELECT menu_id, label, url FROM menu_items ORDER BY menu_id, position")
            .fetch_all(&mut *connection)
            .await?;
    for (id, name) in
        sqlx::query_as::<_, (String, String)>("SELECT id, name FROM menus ORDER BY rowid")
            .fetch_all(&mut *connection)
            .await?
    {
        let menu_items = items
            .iter()
            .filter(|item| item.0 == id)
            .map(|(_, label, url)| MenuItem {
                label: label.clone(),
                url: url.clone(),
            })
            .collect();
        catalog.menus.push(Menu {
            id,
            name,
            items: menu_items,
        });
    }
    catalog.custom_properties =
        sqlx::query_scalar("SELECT name FROM ticket_property_names ORDER BY name")
            .fetch_all(&mut *connection)
            .await?;
    catalog.contact_properties =
        sqlx::query_scalar("SELECT name FROM contact_property_names ORDER BY name")
            .fetch_all(&mut *connection)
            .await?;
    Ok(catalog)
}

/// Writes every catalog table (used by import, into an emptied workspace).
pub async fn insert_in(connection: &mut SqliteConnection, catalog: &Catalog) -> Result<()> {
    for pipeline in &catalog.pipelines {
        sqlx::query("INSERT INTO pipelines (id, label) VALUES (?1, ?2)")
            .bind(&pipeline.id)
            .bind(&pipeline.label)
            .execute(&mut *connection)
            .await?;
        for (position, stage) in pipeline.stages.iter().enumerate() {
            sqlx::query(
                "INSERT INTO stages (pipeline_id, id, label, state, position) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(&pipeline.id)
            .bind(&stage.id)
            .bind(&stage.label)
            .bind(stage.state.as_str())
            .bind(position as i64)
            .execute(&mut *connection)
            .await?;
        }
    }
    for list in &catalog.lists {
        sqlx::query("INSERT INTO lists (id, name) VALUES (?1, ?2)")
            .bind(&list.id)
            .bind(&list.name)
            .execute(&mut *connection)
            .await?;
    }
    for inbox in &catalog.inboxes {
        sqlx::query("INSERT INTO inboxes (id, name, kind) VALUES (?1, ?2, ?3)")
            .bind(&inbox.id)
            .bind(&inbox.name)
            .bind(inbox.kind.as_str())
            .execute(&mut *connection)
            .await?;
    }
    for channel in &catalog.channels {
        sqlx::query("INSERT INTO channels (id, type, address, inbox_id) VALUES (?1, ?2, ?3, ?4)")
            .bind(&channel.id)
            .bind(channel.channel_type.as_str())
            .bind(&channel.address)
            .bind(&channel.inbox)
            .execute(&mut *connection)
            .await?;
    }
    for form in &catalog.forms {
        sqlx::query("INSERT INTO forms (id, name, inbox_id, pipeline_id) VALUES (?1, ?2, ?3, ?4)")
            .bind(&form.id)
            .bind(&form.name)
            .bind(&form.inbox)
            .bind(&form.pipeline)
            .execute(&mut *connection)
            .await?;
        for (position, field) in form.fields.iter().enumerate() {
            sqlx::query(
                "INSERT INTO form_fields (form_id, position, name, label, ticket_property, required)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .bind(&form.id)
            .bind(position as i64)
            .bind(&field.name)
            .bind(&field.label)
            .bind(&field.ticket_property)
            .bind(field.required)
            .execute(&mut *connection)
            .await?;
        }
    }
    for article in &catalog.kb_articles {
        sqlx::query("INSERT INTO kb_articles (id, title, published) VALUES (?1, ?2, ?3)")
            .bind(&article.id)
            .bind(&article.title)
            .bind(article.published)
            .execute(&mut *connection)
            .await?;
    }
    for menu in &catalog.menus {
        sqlx::query("INSERT INTO menus (id, name) VALUES (?1, ?2)")
            .bind(&menu.id)
            .bind(&menu.name)
            .execute(&mut *connection)
            .await?;
        for (position, item) in menu.items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO menu_items (menu_id, position, label, url) VALUES (?1, ?2, ?3, ?4)",
            )
            .bind(&menu.id)
            .bind(position as i64)
            .bind(&item.label)
            .bind(&item.url)
            .execute(&mut *connection)
            .await?;
        }
    }
    for name in &catalog.custom_properties {
        sqlx::query("INSERT OR IGNORE INTO ticket_property_names (name) VALUES (?1)")
            .bind(name)
            .execute(&mut *connection)
            .await?;
    }
    for name in &catalog.contact_properties {
        sqlx::query("INSERT OR IGNORE INTO contact_property_names (name) VALUES (?1)")
            .bind(name)
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

impl Workspace {
    pub async fn catalog(&self) -> Result<Catalog> {
        let mut connection = self.pool.acquire().await?;
        load_in(&mut connection).await
    }
}
