//! Which tickets a contact sees (spec section 3): a ticket is visible when it is associated with the
//! contact (or, with company permissions and the organization view, with the contact's primary company) and
//! it passes every ticket filter. Access is decided separately (`access`); these functions assume it.

use crate::model::{Catalog, Company, Contact, Ticket};
use crate::settings::{FilterOperator, Settings, TicketFilter, TicketPermissions};
use serde::{Deserialize, Serialize};
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
    let own = ticket.contacts.iter().any(|id| *id == contact.id);
    let of_company = company.filter(|company| ticket.companies.iter().any(|id| *id == company.id));
    let company_tickets_on = settings.ticket_permissions == TicketPermissions::Company;
    let association = if own {
        Ok(format!("associated with {}", contact.display_name()))
    } else {
        match (of_company, company_tickets_on, view) {
            (Some(company), true, Some(View::Mine)) => Err(format!(
                "My tickets shows only tickets associated with {}; this one is {}'s",
                contact.display_name(),
                company.name
            )),
            (Some(company), true, _) => Ok(format!(
                "associated with {}, {}'s primary company",
                company.name,
                contact.short_name()
            )),
            (_, false, _) => Err(match company {
                Some(company) => format!(
                    "not associated with {} nor (company tickets are off) with {}",
                    contact.short_name(),
                    company.name
                ),
                None => format!("not associated with {}", contact.short_name()),
            }),
            (_, true, _) => Err(match company {
                Some(company) => format!(
                    "not associated with {} nor with {}",
                    contact.short_name(),
                    company.name
                ),
                None => format!(
                    "not associated with {} (who has no primary company)",
                    contact.short_name()
                ),
            }),
        }
    };
    let reason = match association {
        Err(reason) => return hidden(reason),
        Ok(reason) => reason,
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
    let text = match property {
        "pipeline" => Some(ticket.pipeline.clone()),
        "stage" => Some(ticket.stage.clone()),
        "priority" => ticket.priority.clone(),
        "category" => ticket.category.clone(),
        "source" => ticket.source.clone(),
        "subject" => Some(ticket.subject.clone()),
        "content" => Some(ticket.content.clone()),
        custom => match ticket.properties.get(custom) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(text)) => Some(text.clone()),
            Some(other) => Some(other.to_string()),
        },
    };
    // HubSpot-like semantics: an empty value is no value.
    text.filter(|text| !text.is_empty())
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
    let value = property_value(ticket, &filter.property);
    let passes = match (filter.operator, &value) {
        (FilterOperator::IsAnyOf, Some(value)) => filter.values.contains(value),
        (FilterOperator::IsAnyOf, None) => false,
        (FilterOperator::IsNoneOf, Some(value)) => !filter.values.contains(value),
        (FilterOperator::IsNoneOf, None) => true,
        (FilterOperator::IsKnown, value) => value.is_some(),
        (FilterOperator::IsUnknown, value) => value.is_none(),
    };
    if passes {
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
