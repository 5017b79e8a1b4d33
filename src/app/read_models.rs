//! Read models for the desktop app's Customers and Inbox views: contacts and companies with
//! their lists, tickets and sign-in access (from the audit matrix), and the messages customers sent from
//! the portal, with the inbox they arrived in. Pure reads; the desktop commands only forward them.

use crate::app::{accounts, matrix};
use crate::domain::rules;
use crate::{Result, Workspace};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CustomerRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub company: Option<String>,
    pub lists: Vec<String>,
    pub tickets: usize,
    pub can_sign_in: bool,
    pub access_reason: String,
    pub has_login: bool,
    /// While repeated failed sign-ins lock the contact out: until when (milliseconds since the epoch).
    #[ts(type = "number | null")]
    pub locked_until: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CompanyRow {
    pub id: String,
    pub name: String,
    pub domain: Option<String>,
    pub contacts: usize,
    pub tickets: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Customers {
    pub contacts: Vec<CustomerRow>,
    pub companies: Vec<CompanyRow>,
}

/// Every contact and company, with what the audit matrix says about signing in under the saved settings.
pub async fn customers(workspace: &Workspace) -> Result<Customers> {
    let settings = workspace.settings().await?;
    let data = matrix::AuditData::load_for(workspace, &settings).await?;
    let rows = matrix::matrix(&settings, &data);
    let mut access: HashMap<&str, (bool, &str)> = HashMap::new();
    for row in &rows {
        access
            .entry(row.contact.as_str())
            .or_insert((row.can_sign_in, row.access_reason.as_str()));
    }
    let list_names: HashMap<&str, &str> = data
        .catalog
        .lists
        .iter()
        .map(|list| (list.id.as_str(), list.name.as_str()))
        .collect();
    let mut by_contact: HashMap<&str, usize> = HashMap::new();
    let mut by_company: HashMap<&str, usize> = HashMap::new();
    for ticket in &data.tickets {
        for contact in &ticket.contacts {
            *by_contact.entry(contact.as_str()).or_default() += 1;
        }
        for company in &ticket.companies {
            *by_company.entry(company.as_str()).or_default() += 1;
        }
    }
    let logins: std::collections::HashSet<String> =
        workspace.contacts_with_login().await?.into_iter().collect();
    let locks = accounts::sign_in_locks(workspace).await?;
    let mut members: HashMap<&str, usize> = HashMap::new();
    let contacts = data
        .contacts
        .iter()
        .map(|contact| {
            if let Some(company) = &contact.company {
                *members.entry(company.as_str()).or_default() += 1;
            }
            let (can_sign_in, reason) = access
                .get(contact.email.as_str())
                .copied()
                .unwrap_or((false, ""));
            CustomerRow {
                id: contact.id.clone(),
                email: contact.email.clone(),
                name: contact.display_name(),
                company: contact
                    .company
                    .as_ref()
                    .and_then(|id| data.companies.get(id))
                    .map(|company| company.name.clone()),
                lists: contact
                    .lists
                    .iter()
                    .map(|id| {
                        list_names
                            .get(id.as_str())
                            .unwrap_or(&id.as_str())
                            .to_string()
                    })
                    .collect(),
                tickets: by_contact.get(contact.id.as_str()).copied().unwrap_or(0),
                can_sign_in,
                access_reason: reason.to_string(),
                has_login: logins.contains(&contact.id),
                locked_until: locks.get(&accounts::throttle_key(&contact.email)).copied(),
            }
        })
        .collect();
    let mut companies: Vec<CompanyRow> = data
        .companies
        .values()
        .map(|company| CompanyRow {
            id: company.id.clone(),
            name: company.name.clone(),
            domain: company.domain.clone(),
            contacts: members.get(company.id.as_str()).copied().unwrap_or(0),
            tickets: by_company.get(company.id.as_str()).copied().unwrap_or(0),
        })
        .collect();
    companies.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Customers {
        contacts,
        companies,
    })
}

pub use crate::storage::engagements::InboxItem;

/// Every portal engagement, newest first, with its inbox: the desktop's Inbox view.
pub async fn inbox(workspace: &Workspace) -> Result<Vec<InboxItem>> {
    Ok(workspace.inbox().await?)
}

/// A contact as the Preview's picker offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ContactChoice {
    pub id: String,
    pub email: String,
    pub name: String,
    /// The company's name.
    pub company: Option<String>,
    /// Whether the saved settings let this contact sign in.
    pub can_sign_in: bool,
}

/// Every contact to pick from, by name (then email), with whether they may sign in: contacts, companies
/// and the sign-in rule only, so that filling a picker does not cost the visibility matrix (every
/// contact against every ticket) that `customers` computes.
pub async fn contact_choices(workspace: &Workspace) -> Result<Vec<ContactChoice>> {
    let settings = workspace.settings().await?;
    let catalog = workspace.catalog().await?;
    let companies: HashMap<String, String> = workspace
        .companies()
        .await?
        .into_iter()
        .map(|company| (company.id, company.name))
        .collect();
    let mut choices: Vec<ContactChoice> = workspace
        .contacts()
        .await?
        .into_iter()
        .map(|contact| ContactChoice {
            name: contact.display_name(),
            company: contact
                .company
                .as_ref()
                .and_then(|id| companies.get(id).cloned()),
            can_sign_in: rules::may_sign_in(&settings, &catalog, &contact).allowed,
            id: contact.id,
            email: contact.email,
        })
        .collect();
    choices.sort_by_cached_key(|choice| (choice.name.to_lowercase(), choice.email.to_lowercase()));
    Ok(choices)
}

/// One value a ticket filter may test, with the label an administrator knows it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ValueChoice {
    pub value: String,
    pub label: String,
}

/// A ticket property a filter may test: its label and the workspace's values of it to pick from
/// (none for free text, such as the subject).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FilterChoices {
    pub property: String,
    pub label: String,
    pub values: Vec<ValueChoice>,
    /// True for properties whose values are typed, not picked (subject, content).
    pub free_text: bool,
}

/// At most this many values of one property are offered (a property with more is unusual for a
/// filter; a value beyond them can still be kept from an imported filter).
const VALUES_PER_PROPERTY: usize = 200;

/// "BILLING_ISSUE" -> "Billing issue", "hs_ticket_priority" -> "Hs ticket priority": a code as words.
pub fn humanize(code: &str) -> String {
    let words = code.replace(['_', '-'], " ").trim().to_lowercase();
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => code.to_string(),
    }
}

/// Every property a ticket filter may test, with the workspace's values of each by label: pipelines and
/// their stages by their labels (a stage as "Pipeline › Stage"), the built-in and custom properties'
/// values as the tickets hold them, in words.
pub async fn filter_choices(workspace: &Workspace) -> Result<Vec<FilterChoices>> {
    let catalog = workspace.catalog().await?;
    let values = workspace
        .ticket_property_values(VALUES_PER_PROPERTY)
        .await?;
    let mut choices = vec![
        FilterChoices {
            property: "pipeline".into(),
            label: "Pipeline".into(),
            values: catalog
                .pipelines
                .iter()
                .map(|p| ValueChoice {
                    value: p.id.clone(),
                    label: p.label.clone(),
                })
                .collect(),
            free_text: false,
        },
        FilterChoices {
            property: "stage".into(),
            label: "Stage".into(),
            values: catalog
                .pipelines
                .iter()
                .flat_map(|p| {
                    p.stages.iter().map(move |s| ValueChoice {
                        value: s.id.clone(),
                        label: format!("{} › {}", p.label, s.label),
                    })
                })
                .collect(),
            free_text: false,
        },
    ];
    let mut held: HashMap<String, Vec<String>> = values.into_iter().collect();
    let mut property = |name: &str, free_text: bool| FilterChoices {
        property: name.to_string(),
        label: humanize(name),
        values: held
            .remove(name)
            .unwrap_or_default()
            .into_iter()
            .map(|value| ValueChoice {
                label: humanize(&value),
                value,
            })
            .collect(),
        free_text,
    };
    for name in ["priority", "category", "source"] {
        choices.push(property(name, false));
    }
    for name in ["subject", "content"] {
        choices.push(property(name, true));
    }
    for name in &catalog.custom_properties {
        choices.push(property(name, false));
    }
    Ok(choices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::workspace_files::{create, open_or_create_demo};

    #[tokio::test]
    async fn the_contact_picker_lists_every_contact_by_name_with_their_company() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = create(&dir.path().join("demo.portal"), true).await.unwrap();
        let choices = contact_choices(&workspace).await.unwrap();
        let customers = customers(&workspace).await.unwrap().contacts;
        assert_eq!(choices.len(), customers.len());
        for row in &customers {
            let choice = choices.iter().find(|choice| choice.id == row.id).unwrap();
            assert_eq!(
                (
                    &choice.email,
                    &choice.name,
                    &choice.company,
                    choice.can_sign_in
                ),
                (&row.email, &row.name, &row.company, row.can_sign_in)
            );
        }
        let names: Vec<String> = choices.iter().map(|c| c.name.to_lowercase()).collect();
        assert!(names.windows(2).all(|pair| pair[0] <= pair[1]), "{names:?}");
        workspace.close().await;
    }

    #[tokio::test]
    async fn a_customers_table_pages_filters_sorts_and_counts_per_company() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = create(&dir.path().join("demo.portal"), true).await.unwrap();
        let all = customers(&workspace).await.unwrap().contacts;
        let tables = customer_tables(&workspace).await.unwrap();
        let query = |search: &str, access, group: Option<&str>, offset, limit| TableQuery {
            search: search.into(),
            access,
            sort: SortKey::Name,
            descending: false,
            group: group.map(str::to_string),
            offset,
            limit,
            with_groups: true,
        };
        // Every contact once, in name order, page by page.
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let page = tables
                .contacts
                .query(&query("", AccessFilter::All, None, offset, 7));
            assert_eq!((page.total, page.matching), (all.len(), all.len()));
            if page.rows.is_empty() {
                break;
            }
            offset += page.rows.len();
            paged.extend(page.rows);
        }
        let mut expected = all.clone();
        expected.sort_by(|a, b| compare_text(&a.name, &b.name).then(a.email.cmp(&b.email)));
        assert_eq!(paged, expected);
        // Counts follow the filters; the groups count the matching contacts of each company.
        let page = tables
            .contacts
            .query(&query("", AccessFilter::CannotSignIn, None, 0, 1000));
        assert!(page.rows.iter().all(|row| !row.can_sign_in));
        assert_eq!(page.matching, all.iter().filter(|c| !c.can_sign_in).count());
        assert_eq!(page.can_sign_in, 0);
        let everyone = tables
            .contacts
            .query(&query("", AccessFilter::All, None, 0, 0));
        let grouped: usize = everyone.groups.iter().map(|group| group.rows).sum();
        assert_eq!(grouped, all.len());
        let company = everyone.groups.iter().find(|g| !g.name.is_empty()).unwrap();
        let members =
            tables
                .contacts
                .query(&query("", AccessFilter::All, Some(&company.name), 0, 1000));
        assert_eq!(members.matching, company.rows);
        assert!(members
            .rows
            .iter()
            .all(|row| row.company.as_deref() == Some(company.name.as_str())));
        // Search is case-insensitive over name, email and company; every word must match.
        let first = &all[0];
        let found = tables.contacts.query(&query(
            &first.email.to_uppercase(),
            AccessFilter::All,
            None,
            0,
            10,
        ));
        assert!(found.rows.iter().any(|row| row.id == first.id));
        workspace.close().await;
    }

    #[tokio::test]
    async fn first_run_makes_the_demo_and_the_read_models_describe_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("demo.portal");
        let workspace = open_or_create_demo(&path).await.unwrap();
        assert!(path.is_file());
        let found = customers(&workspace).await.unwrap();
        assert_eq!(
            found.contacts.len(),
            workspace.contacts().await.unwrap().len()
        );
        assert!(found.contacts.iter().any(|contact| contact.can_sign_in));
        assert!(found.contacts.iter().any(|contact| !contact.can_sign_in));
        assert!(found.contacts.iter().all(|c| !c.access_reason.is_empty()));
        let tickets: usize = found.contacts.iter().map(|c| c.tickets).sum();
        assert!(tickets > 0);
        assert!(!found.companies.is_empty());
        assert!(inbox(&workspace).await.unwrap().is_empty());
        workspace.close().await;
        // The second start opens the same file instead of writing the demo again.
        let again = open_or_create_demo(&path).await.unwrap();
        assert_eq!(again.settings().await.unwrap().page_title, "Demo Support");
        again.close().await;

        let empty = create(&dir.path().join("empty.portal"), false)
            .await
            .unwrap();
        assert!(customers(&empty).await.unwrap().contacts.is_empty());
        empty.close().await;
    }

    #[test]
    fn codes_read_as_words() {
        assert_eq!(humanize("HIGH"), "High");
        assert_eq!(humanize("BILLING_ISSUE"), "Billing issue");
        assert_eq!(humanize("hs-ticket_priority"), "Hs ticket priority");
        assert_eq!(humanize(""), "");
    }

    #[tokio::test]
    async fn ticket_filter_values_are_offered_by_label_from_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = create(&dir.path().join("demo.portal"), true).await.unwrap();
        let catalog = workspace.catalog().await.unwrap();
        let choices = filter_choices(&workspace).await.unwrap();
        let of = |property: &str| {
            choices
                .iter()
                .find(|c| c.property == property)
                .unwrap_or_else(|| panic!("no {property} in {choices:?}"))
        };
        let pipeline = &catalog.pipelines[0];
        assert!(of("pipeline").values.contains(&ValueChoice {
            value: pipeline.id.clone(),
            label: pipeline.label.clone(),
        }));
        let stage = &pipeline.stages[0];
        assert!(of("stage").values.contains(&ValueChoice {
            value: stage.id.clone(),
            label: format!("{} › {}", pipeline.label, stage.label),
        }));
        assert!(of("priority").values.contains(&ValueChoice {
            value: "HIGH".into(),
            label: "High".into(),
        }));
        assert!(of("subject").free_text && of("subject").values.is_empty());
        workspace.close().await;
    }
}

// ---- Tables the desktop pages through: counts first, rows on demand ----

/// Which rows by sign-in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum AccessFilter {
    #[default]
    All,
    CanSignIn,
    CannotSignIn,
}

/// The column a table is sorted by. `Count` is the number the table is about: a contact's tickets, the
/// tickets a matrix row sees, the tickets a what-if change moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SortKey {
    #[default]
    Name,
    Company,
    View,
    SignIn,
    Count,
}

/// Which window of a table to show, and how the table is filtered, sorted and grouped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TableQuery {
    /// Words the row's text contains (case-insensitive); empty: every row.
    pub search: String,
    pub access: AccessFilter,
    pub sort: SortKey,
    pub descending: bool,
    /// Only the rows of this group: a company's name ("" for rows without one), or a change kind.
    pub group: Option<String>,
    #[ts(type = "number")]
    pub offset: usize,
    /// At most `MAX_PAGE` rows are returned.
    #[ts(type = "number")]
    pub limit: usize,
    /// Also count the matching rows of every group (before the `group` filter).
    pub with_groups: bool,
}

/// A group of rows and how many of them match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct GroupCount {
    pub name: String,
    #[ts(type = "number")]
    pub rows: usize,
    #[ts(type = "number")]
    pub can_sign_in: usize,
}

/// One window of a table, with the counts of the whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TablePage<R: TS> {
    /// Rows in the table.
    #[ts(type = "number")]
    pub total: usize,
    /// Rows matching the query (search, access and group).
    #[ts(type = "number")]
    pub matching: usize,
    /// Of the matching rows, those who can sign in.
    #[ts(type = "number")]
    pub can_sign_in: usize,
    #[ts(type = "number")]
    pub offset: usize,
    pub rows: Vec<R>,
    /// Per group (by name, the unnamed group last), when asked for; else empty.
    pub groups: Vec<GroupCount>,
}

/// The most rows one page carries.
pub const MAX_PAGE: usize = 1000;

/// A row of a `Table`: what it is searched, filtered, grouped and sorted by.
pub trait TableRow: Clone {
    fn search_text(&self) -> String;
    fn can_sign_in(&self) -> bool;
    /// The group it belongs to ("" for none).
    fn group(&self) -> &str;
    /// Its order under `sort`, ascending; ties are kept in table order.
    fn compare(&self, other: &Self, sort: SortKey) -> std::cmp::Ordering;
    /// The row as a page carries it (long lists may be shortened).
    fn for_page(&self) -> Self {
        self.clone()
    }
}

/// Case-insensitive order of two texts, without allocating.
pub fn compare_text(a: &str, b: &str) -> std::cmp::Ordering {
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// The order of the last query (without its window), reused while the user scrolls through it.
struct Ordered {
    query: TableQuery,
    indices: Arc<Vec<u32>>,
    can_sign_in: usize,
    groups: Vec<GroupCount>,
}

/// Rows computed once (a matrix, the customers, a what-if) that the desktop shows a window of at a
/// time, so that no answer carries 100,000 rows: counts first, rows on demand.
pub struct Table<R> {
    rows: Arc<Vec<R>>,
    /// Each row's search text, lower-cased once.
    haystacks: Vec<String>,
    last: Mutex<Option<Ordered>>,
}

impl<R: TableRow + TS> Table<R> {
    pub fn new(rows: Arc<Vec<R>>) -> Table<R> {
        let haystacks = rows
            .iter()
            .map(|row| row.search_text().to_lowercase())
            .collect();
        Table {
            rows,
            haystacks,
            last: Mutex::new(None),
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn order(&self, query: &TableQuery) -> (Arc<Vec<u32>>, usize, Vec<GroupCount>) {
        let key = TableQuery {
            offset: 0,
            limit: 0,
            ..query.clone()
        };
        let mut last = self.last.lock().expect("table lock");
        if let Some(known) = last.as_ref().filter(|known| known.query == key) {
            return (
                known.indices.clone(),
                known.can_sign_in,
                known.groups.clone(),
            );
        }
        let words: Vec<String> = query
            .search
            .to_lowercase()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        let mut groups: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        let mut indices: Vec<u32> = Vec::new();
        let mut can_sign_in = 0;
        for (index, row) in self.rows.iter().enumerate() {
            let access = match query.access {
                AccessFilter::All => true,
                AccessFilter::CanSignIn => row.can_sign_in(),
                AccessFilter::CannotSignIn => !row.can_sign_in(),
            };
            if !access
                || !words
                    .iter()
                    .all(|word| self.haystacks[index].contains(word.as_str()))
            {
                continue;
            }
            if query.with_groups {
                let count = groups.entry(row.group()).or_default();
                count.0 += 1;
                count.1 += usize::from(row.can_sign_in());
            }
            if query
                .group
                .as_deref()
                .is_some_and(|group| group != row.group())
            {
                continue;
            }
            can_sign_in += usize::from(row.can_sign_in());
            indices.push(index as u32);
        }
        let rows = &self.rows;
        indices.sort_by(|&a, &b| {
            let order = rows[a as usize].compare(&rows[b as usize], query.sort);
            if query.descending {
                order.reverse()
            } else {
                order
            }
        });
        let mut groups: Vec<GroupCount> = groups
            .into_iter()
            .map(|(name, (rows, can_sign_in))| GroupCount {
                name: name.to_string(),
                rows,
                can_sign_in,
            })
            .collect();
        groups.sort_by(|a, b| {
            (a.name.is_empty(), a.name.as_str()).cmp(&(b.name.is_empty(), b.name.as_str()))
        });
        let indices = Arc::new(indices);
        *last = Some(Ordered {
            query: key,
            indices: indices.clone(),
            can_sign_in,
            groups: groups.clone(),
        });
        (indices, can_sign_in, groups)
    }

    /// The window `query` asks for, with the counts of every row that matches it.
    pub fn query(&self, query: &TableQuery) -> TablePage<R> {
        let (indices, can_sign_in, groups) = self.order(query);
        let offset = query.offset.min(indices.len());
        let end = offset
            .saturating_add(query.limit.min(MAX_PAGE))
            .min(indices.len());
        TablePage {
            total: self.rows.len(),
            matching: indices.len(),
            can_sign_in,
            offset,
            rows: indices[offset..end]
                .iter()
                .map(|&index| self.rows[index as usize].for_page())
                .collect(),
            groups,
        }
    }
}

impl TableRow for CustomerRow {
    fn search_text(&self) -> String {
        format!(
            "{} {} {}",
            self.name,
            self.email,
            self.company.as_deref().unwrap_or("")
        )
    }
    fn can_sign_in(&self) -> bool {
        self.can_sign_in
    }
    fn group(&self) -> &str {
        self.company.as_deref().unwrap_or("")
    }
    fn compare(&self, other: &Self, sort: SortKey) -> std::cmp::Ordering {
        let by_name =
            || compare_text(&self.name, &other.name).then_with(|| self.email.cmp(&other.email));
        match sort {
            SortKey::Name | SortKey::View => by_name(),
            SortKey::Company => compare_text(self.group(), other.group()).then_with(by_name),
            SortKey::SignIn => self.can_sign_in.cmp(&other.can_sign_in).then_with(by_name),
            SortKey::Count => self.tickets.cmp(&other.tickets).then_with(by_name),
        }
    }
}

/// The customers as tables: the contacts (grouped by company) and the companies.
pub struct CustomerTables {
    pub contacts: Table<CustomerRow>,
    pub companies: Vec<CompanyRow>,
}

/// `customers`, ready to be paged through.
pub async fn customer_tables(workspace: &Workspace) -> Result<CustomerTables> {
    let Customers {
        contacts,
        companies,
    } = customers(workspace).await?;
    Ok(CustomerTables {
        contacts: Table::new(Arc::new(contacts)),
        companies,
    })
}
