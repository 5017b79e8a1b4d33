//! Pass one's checks of the small sections, and their conversion into workspace data.

use super::*;
use crate::domain::email;
use crate::domain::model::WorkspaceData;
use crate::domain::model::{
    Channel, Company, Contact, ContactList, Form, FormField, Inbox, KnowledgeBaseArticle, Menu,
    MenuItem, Pipeline, Stage,
};
use crate::domain::settings;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Ids every reference of tickets and threads is checked against.
#[derive(Default)]
pub(super) struct Known {
    pub(super) companies: IdSet,
    pub(super) contacts: IdSet,
    pub(super) pipelines: IdSet,
    pub(super) stages: HashMap<String, IdSet>,
    pub(super) channels: IdSet,
    pub(super) tickets: IdSet,
}

/// A bundle that passed pass one: its small sections as workspace data, and what pass two needs.
pub struct Checked {
    /// Everything but tickets and threads (which `stream` hands out).
    pub head: WorkspaceData,
    pub ticket_count: usize,
    pub thread_count: usize,
    pub(super) order: Vec<&'static str>,
    pub(super) known: Known,
    pub(super) problems: Problems,
}

impl Checked {
    /// Whether pass one found problems (`stream` then only completes the list).
    pub fn has_problems(&self) -> bool {
        !self.problems.0.is_empty()
    }
}

/// Pass one over the bundle at `source` (see the section comment). An error here is final: not JSON,
/// a wrong format or version, or a value of the wrong shape. Other problems are collected and reported
/// by `stream`, together with those of the references of tickets and threads.
pub fn check(source: Source) -> Result<Checked, BundleError> {
    let mut scan = Scan::default();
    parse(source, &mut scan).map_err(|error| failure(source, error))?;
    let Scan {
        head: records,
        mut problems,
        tickets,
        ticket_count,
        thread_count,
        property_names,
        ..
    } = scan;
    if let Some(problem) = header_problem(records.format.as_ref(), records.version.as_ref()) {
        return Err(single(problem));
    }
    let order = records.order.clone();
    let (head, mut known) = check_head(records, property_names, &mut problems);
    known.tickets = tickets;
    Ok(Checked {
        head,
        ticket_count,
        thread_count,
        order,
        known,
        problems,
    })
}

/// Checks the small sections against each other and turns them into workspace data.
pub(super) fn check_head(
    records: HeadRecords,
    property_names: BTreeSet<String>,
    problems: &mut Problems,
) -> (WorkspaceData, Known) {
    let companies = problems.unique("companies", records.companies.iter().map(|c| c.id.as_str()));
    let lists = problems.unique("lists", records.lists.iter().map(|l| l.id.as_str()));
    let contacts = problems.unique("contacts", records.contacts.iter().map(|c| c.id.as_str()));
    let pipelines = problems.unique("pipelines", records.pipelines.iter().map(|p| p.id.as_str()));
    let inboxes = problems.unique("inboxes", records.inboxes.iter().map(|i| i.id.as_str()));
    let channels = problems.unique("channels", records.channels.iter().map(|c| c.id.as_str()));
    problems.unique("forms", records.forms.iter().map(|f| f.id.as_str()));
    problems.unique(
        "kb_articles",
        records.kb_articles.iter().map(|a| a.id.as_str()),
    );
    problems.unique("menus", records.menus.iter().map(|m| m.id.as_str()));
    let mut stages = HashMap::new();
    for (index, pipeline) in records.pipelines.iter().enumerate() {
        let mut stage_ids = IdSet::default();
        for (stage_index, stage) in pipeline.stages.iter().enumerate() {
            problems.unique_id(
                "pipelines",
                index,
                || format!("pipelines[{index}].stages[{stage_index}]"),
                &stage.id,
                &mut stage_ids,
            );
        }
        if pipeline.stages.is_empty() {
            problems.add(
                "pipelines",
                index,
                format!("pipelines[{index}].stages"),
                "a pipeline needs at least one stage",
            );
        }
        stages.insert(pipeline.id.clone(), stage_ids);
    }
    let mut emails = HashSet::new();
    for (index, contact) in records.contacts.iter().enumerate() {
        let path = || format!("contacts[{index}]");
        if !email::is_valid(&contact.email) {
            problems.add(
                "contacts",
                index,
                format!("{}.email", path()),
                format!("\"{}\" is not an email address", contact.email),
            );
        } else if !emails.insert(contact.email.to_lowercase()) {
            problems.add(
                "contacts",
                index,
                format!("{}.email", path()),
                format!("duplicate email \"{}\"", contact.email),
            );
        }
        if let Some(company) = &contact.company {
            problems.reference(
                "contacts",
                index,
                || format!("{}.company", path()),
                "company",
                company,
                &companies,
            );
        }
        for (list_index, list) in contact.lists.iter().enumerate() {
            problems.reference(
                "contacts",
                index,
                || format!("{}.lists[{list_index}]", path()),
                "list",
                list,
                &lists,
            );
        }
        problems.no_repeats(
            "contacts",
            index,
            |position| format!("{}.lists[{position}]", path()),
            "list",
            &contact.lists,
        );
        for (company_index, company) in contact.companies.iter().enumerate() {
            let path = || format!("{}.companies[{company_index}]", path());
            problems.reference("contacts", index, path, "company", company, &companies);
            if contact.company.as_ref() == Some(company) {
                problems.add(
                    "contacts",
                    index,
                    path(),
                    format!("company \"{company}\" is already the contact's primary company"),
                );
            }
        }
        problems.no_repeats(
            "contacts",
            index,
            |position| format!("{}.companies[{position}]", path()),
            "company",
            &contact.companies,
        );
        if contact
            .language
            .as_deref()
            .is_some_and(|language| language.trim().is_empty())
        {
            problems.add(
                "contacts",
                index,
                format!("{}.language", path()),
                "the language is empty (leave it out instead)",
            );
        }
        if contact.password.as_deref().is_some_and(str::is_empty) {
            problems.add(
                "contacts",
                index,
                format!("{}.password", path()),
                "the password is empty",
            );
        }
    }
    for (index, channel) in records.channels.iter().enumerate() {
        if let Some(inbox) = &channel.inbox {
            problems.reference(
                "channels",
                index,
                || format!("channels[{index}].inbox"),
                "inbox",
                inbox,
                &inboxes,
            );
        }
    }
    for (index, form) in records.forms.iter().enumerate() {
        if let Some(inbox) = &form.inbox {
            problems.reference(
                "forms",
                index,
                || format!("forms[{index}].inbox"),
                "inbox",
                inbox,
                &inboxes,
            );
        }
        problems.reference(
            "forms",
            index,
            || format!("forms[{index}].pipeline"),
            "pipeline",
            &form.pipeline,
            &pipelines,
        );
    }
    for (index, menu) in records.menus.iter().enumerate() {
        for (item_index, item) in menu.items.iter().enumerate() {
            if let Some(message) = settings::menu_url_problem(&item.url) {
                problems.add(
                    "menus",
                    index,
                    format!("menus[{index}].items[{item_index}].url"),
                    message,
                );
            }
        }
    }
    let head = head_data(records);
    // Settings refer to lists, inboxes, forms, menus and properties: check them against this bundle.
    let mut catalog = head.catalog();
    catalog.custom_properties = property_names.into_iter().collect();
    for problem in settings::validate(&head.settings, &catalog) {
        problems.add(
            "settings",
            0,
            format!("settings.{}", problem.field),
            problem.message,
        );
    }
    let known = Known {
        companies,
        contacts,
        pipelines,
        stages,
        channels,
        tickets: IdSet::default(),
    };
    (head, known)
}

pub(super) fn head_data(records: HeadRecords) -> WorkspaceData {
    WorkspaceData {
        settings: records.settings.unwrap_or_default(),
        companies: records
            .companies
            .into_iter()
            .map(|company| Company {
                id: company.id,
                name: company.name,
                domain: company.domain,
            })
            .collect(),
        lists: records
            .lists
            .into_iter()
            .map(|list| ContactList {
                id: list.id,
                name: list.name,
            })
            .collect(),
        passwords: records
            .contacts
            .iter()
            .filter_map(|contact| Some((contact.id.clone(), contact.password.clone()?)))
            .collect(),
        contacts: records
            .contacts
            .into_iter()
            .map(|contact| Contact {
                id: contact.id,
                email: contact.email,
                first_name: contact.first_name,
                last_name: contact.last_name,
                company: contact.company,
                lists: contact.lists,
                companies: contact.companies,
                language: contact.language,
                properties: contact.properties,
            })
            .collect(),
        pipelines: records
            .pipelines
            .into_iter()
            .map(|pipeline| Pipeline {
                id: pipeline.id,
                label: pipeline.label,
                stages: pipeline
                    .stages
                    .into_iter()
                    .map(|stage| Stage {
                        id: stage.id,
                        label: stage.label,
                        state: stage.state,
                    })
                    .collect(),
            })
            .collect(),
        inboxes: records
            .inboxes
            .into_iter()
            .map(|inbox| Inbox {
                id: inbox.id,
                name: inbox.name,
                kind: inbox.kind,
            })
            .collect(),
        channels: records
            .channels
            .into_iter()
            .map(|channel| Channel {
                id: channel.id,
                channel_type: channel.channel_type,
                address: channel.address,
                inbox: channel.inbox,
            })
            .collect(),
        tickets: Vec::new(),
        threads: Vec::new(),
        forms: records
            .forms
            .into_iter()
            .map(|form| Form {
                id: form.id,
                name: form.name,
                inbox: form.inbox,
                pipeline: form.pipeline,
                fields: form
                    .fields
                    .into_iter()
                    .map(|field| FormField {
                        name: field.name,
                        label: field.label,
                        ticket_property: field.ticket_property,
                        required: field.required,
                    })
                    .collect(),
            })
            .collect(),
        kb_articles: records
            .kb_articles
            .into_iter()
            .map(|article| KnowledgeBaseArticle {
                id: article.id,
                title: article.title,
                published: article.published,
            })
            .collect(),
        menus: records
            .menus
            .into_iter()
            .map(|menu| Menu {
                id: menu.id,
                name: menu.name,
                items: menu
                    .items
                    .into_iter()
                    .map(|item| MenuItem {
                        label: item.label,
                        url: item.url,
                    })
                    .collect(),
            })
            .collect(),
    }
}
