//! Which tickets a contact sees (spec section 3): a ticket is visible when it is associated with the
//! contact (or, with company permissions and the organization view, with the contact's primary company) and
//! it passes every ticket filter. Access is decided separately (`access`); these functions assume it.

use crate::domain::model::{Catalog, Company, Contact, Ticket};
use crate::domain::settings::{FilterOperator, Settings, TicketFilter, TicketPermissions};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use ts_rs::TS;

/// The two lists a customer can switch between when company permissions are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum View {
    /// Own tickets plus every ticket of the primary company (the default).
    Organization,
    /// Own tickets only.
    Mine,
}

impl View {
    pub fn as_str(self) -> &'static str {
        match self {
            View::Organization => "organization",
            View::Mine => "mine",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "organization" => Some(View::Organization),
            "mine" => Some(View::Mine),
            _ => None,
        }
    }
}

/// The view switch a contact gets: both views (organization first, the default) with company permissions
/// and a primary company, none otherwise.
pub fn available_views(settings: &Settings, contact: &Contact) -> Vec<View> {
    if settings.ticket_permissions == TicketPermissions::Company && contact.company.is_some() {
        vec![View::Organization, View::Mine]
    } else {
        Vec::new()
    }
}

/// The view in force: the requested one when the contact has the switch, else the default; `None` when
/// there is no switch.
pub fn effective_view(
    settings: &Settings,
    contact: &Contact,
    requested: Option<View>,
) -> Option<View> {
    let views = available_views(settings, contact);
    match requested {
        Some(view) if views.contains(&view) => Some(view),
        _ => views.first().copied(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketDecision {
    pub visible: bool,
    pub reason: String,
}

fn visible(reason: String) -> TicketDecision {
    TicketDecision {
        visible: true,
        reason,
    }
}

fn hidden(reason: String) -> TicketDecision {
    TicketDecision {
        visible: false,
        reason,
    }
}

/// How a ticket relates to a contact, before filters.
enum Association<'a> {
    Own,
    /// Associated with the contact's primary company, and company tickets are shown in this view.
    OfCompany(&'a Company),
    /// Associated with the primary company, but the view is "My tickets".
    CompanyButMine(&'a Company),
    Unrelated,
}

fn association<'a>(
    settings: &Settings,
    contact: &Contact,
    company: Option<&'a Company>,
    ticket: &Ticket,
    view: Option<View>,
) -> Association<'a> {
    if ticket.contacts.contains(&contact.id) {
        return Association::Own;
    }
    let of_company = company.filter(|company| ticket.companies.contains(&company.id));
    match (of_company, settings.ticket_permissions, view) {
        (Some(company), TicketPermissions::Company, Some(View::Mine)) => {
            Association::CompanyButMine(company)
        }
        (Some(company), TicketPermissions::Company, _) => Association::OfCompany(company),
        _ => Association::Unrelated,
    }
}

/// Whether `ticket` is in `contact`'s list in `view`: the verdict of `ticket_decision` without composing
/// its reason, for the audit matrix, which asks it millions of times on a large workspace.
pub fn ticket_visible(
    settings: &Settings,
    contact: &Contact,
    company: Option<&Company>,
    ticket: &Ticket,
    view: Option<View>,
) -> bool {
    in_view(settings, contact, company, ticket, view) && passes_filters(settings, ticket)
}

/// The first half of `ticket_visible`: the ticket's association puts it in the contact's list in
/// `view`, filters aside.
pub fn in_view(
    settings: &Settings,
    contact: &Contact,
    company: Option<&Company>,
    ticket: &Ticket,
    view: Option<View>,
) -> bool {
    matches!(
        association(settings, contact, company, ticket, view),
        Association::Own | Association::OfCompany(_)
    )
}

/// The second half of `ticket_visible`, the same for every contact: the ticket passes every filter.
pub fn passes_filters(settings: &Settings, ticket: &Ticket) -> bool {
    settings
        .ticket_filters
        .iter()
        .all(|filter| filter_passes(filter, ticket))
}

/// Whether `ticket` is in `contact`'s list in `view` (None = no switch), and why. `company` is the
/// contact's primary company, if any.
pub fn ticket_decision(
    settings: &Settings,
    catalog: &Catalog,
    contact: &Contact,
    company: Option<&Company>,
    ticket: &Ticket,
    view: Option<View>,
) -> TicketDecision {
    let company_tickets_on = settings.ticket_permissions == TicketPermissions::Company;
    let reason = match association(settings, contact, company, ticket, view) {
        Association::Own => format!("associated with {}", contact.display_name()),
        Association::OfCompany(company) => format!(
            "associated with {}, {}'s primary company",
            company.name,
            contact.short_name()
        ),
        Association::CompanyButMine(company) => {
            return hidden(format!(
                "My tickets shows only tickets associated with {}; this one is {}'s",
                contact.display_name(),
                company.name
            ))
        }
        Association::Unrelated => {
            return hidden(match (company, company_tickets_on) {
                (Some(company), false) => format!(
                    "not associated with {} nor (company tickets are off) with {}",
                    contact.short_name(),
                    company.name
                ),
                (None, false) => format!("not associated with {}", contact.short_name()),
                (Some(company), true) => format!(
                    "not associated with {} nor with {}",
                    contact.short_name(),
                    company.name
                ),
                (None, true) => format!(
                    "not associated with {} (who has no primary company)",
                    contact.short_name()
                ),
            })
        }
    };
    match settings
        .ticket_filters
        .iter()
        .find_map(|filter| filter_failure(filter, catalog, ticket))
    {
        Some(failure) => hidden(failure),
        None => visible(reason),
    }
}

/// The ticket's value of a filterable property, as the text filters compare; `None` when it is unknown.
pub fn property_value(ticket: &Ticket, property: &str) -> Option<String> {
    property_text(ticket, property).map(Cow::into_owned)
}

/// `property_value` without copying built-in properties.
fn property_text<'a>(ticket: &'a Ticket, property: &str) -> Option<Cow<'a, str>> {
    let text: Option<Cow<'a, str>> = match property {
        "pipeline" => Some(Cow::Borrowed(&ticket.pipeline)),
        "stage" => Some(Cow::Borrowed(&ticket.stage)),
        "priority" => ticket.priority.as_deref().map(Cow::Borrowed),
        "category" => ticket.category.as_deref().map(Cow::Borrowed),
        "source" => ticket.source.as_deref().map(Cow::Borrowed),
        "subject" => Some(Cow::Borrowed(&ticket.subject)),
        "content" => Some(Cow::Borrowed(&ticket.content)),
        custom => match ticket.properties.get(custom) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(text)) => Some(Cow::Borrowed(text)),
            Some(other) => Some(Cow::Owned(other.to_string())),
        },
    };
    // HubSpot-like semantics: an empty value is no value.
    text.filter(|text| !text.is_empty())
}

fn passes(filter: &TicketFilter, value: Option<&str>) -> bool {
    match (filter.operator, value) {
        (FilterOperator::IsAnyOf, Some(value)) => filter.values.iter().any(|v| v == value),
        (FilterOperator::IsAnyOf, None) => false,
        (FilterOperator::IsNoneOf, Some(value)) => !filter.values.iter().any(|v| v == value),
        (FilterOperator::IsNoneOf, None) => true,
        (FilterOperator::IsKnown, value) => value.is_some(),
        (FilterOperator::IsUnknown, value) => value.is_none(),
    }
}

/// Whether `ticket` passes `filter`.
pub fn filter_passes(filter: &TicketFilter, ticket: &Ticket) -> bool {
    passes(filter, property_text(ticket, &filter.property).as_deref())
}

/// How a value reads in a reason: pipelines and stages by label, everything else as it is.
fn value_label(catalog: &Catalog, ticket: Option<&Ticket>, property: &str, value: &str) -> String {
    match property {
        "pipeline" => catalog
            .pipeline(value)
            .map_or(value.to_string(), |pipeline| pipeline.label.clone()),
        "stage" => ticket
            .and_then(|ticket| catalog.stage(&ticket.pipeline, value))
            .or_else(|| catalog.any_stage(value))
            .map_or(value.to_string(), |stage| stage.label.clone()),
        _ => value.to_string(),
    }
}

/// "pipeline is any of Support, Billing" — a filter as an administrator reads it.
pub fn describe_filter(filter: &TicketFilter, catalog: &Catalog) -> String {
    let values: Vec<String> = filter
        .values
        .iter()
        .map(|value| value_label(catalog, None, &filter.property, value))
        .collect();
    match filter.operator {
        FilterOperator::IsAnyOf => format!("{} is any of {}", filter.property, values.join(", ")),
        FilterOperator::IsNoneOf => format!("{} is none of {}", filter.property, values.join(", ")),
        FilterOperator::IsKnown => format!("{} is known", filter.property),
        FilterOperator::IsUnknown => format!("{} is unknown", filter.property),
    }
}

/// `Some(reason)` when `ticket` fails `filter`.
pub fn filter_failure(filter: &TicketFilter, catalog: &Catalog, ticket: &Ticket) -> Option<String> {
    let value = property_text(ticket, &filter.property);
    if passes(filter, value.as_deref()) {
        return None;
    }
    let actual = match &value {
        Some(value) => format!(
            "{} is {}",
            filter.property,
            value_label(catalog, Some(ticket), &filter.property, value)
        ),
        None => format!("{} is unknown", filter.property),
    };
    Some(format!(
        "filter '{}' fails ({actual})",
        describe_filter(filter, catalog)
    ))
}
