//! Which tickets a contact sees (spec sections 3 and 10.2): a ticket is visible when it is associated
//! with the contact, or the contact is CC'd on it and CC'd contacts see tickets, or (the organization view
//! of a contact with the company view, `company`) it is associated with a company in the contact's set;
//! and it passes every ticket filter. Access is decided separately (`access`); these functions assume it.

use super::company::{
    associated_companies, company_view, has_company_view, CompanyViewDecision, ContactCompanies,
};
use crate::domain::model::{Catalog, Contact, Ticket};
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

/// The view switch a contact gets: both views (organization first, the default) when they have the
/// company view (10.1: company permissions, a company in scope, every company view rule met), none
/// otherwise.
pub fn available_views<'a>(
    settings: &Settings,
    contact: &'a Contact,
    companies: impl Into<ContactCompanies<'a>>,
) -> Vec<View> {
    views_of(has_company_view(settings, contact, companies.into()))
}

fn views_of(company_view: bool) -> Vec<View> {
    if company_view {
        vec![View::Organization, View::Mine]
    } else {
        Vec::new()
    }
}

/// The view in force: the requested one when the contact has the switch, else the default; `None` when
/// there is no switch.
pub fn effective_view<'a>(
    settings: &Settings,
    contact: &'a Contact,
    companies: impl Into<ContactCompanies<'a>>,
    requested: Option<View>,
) -> Option<View> {
    choose_view(&available_views(settings, contact, companies), requested)
}

fn choose_view(views: &[View], requested: Option<View>) -> Option<View> {
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
enum Association<'t> {
    Own,
    /// The contact is CC'd on the ticket and CC'd contacts see tickets (10.2).
    Cc,
    /// Associated with a company of the contact's company view, and company tickets are shown in this
    /// view.
    OfCompany(&'t str),
    /// Associated with a company of the company view, but the view is "My tickets".
    CompanyButMine(&'t str),
    /// Only CC'd on the ticket, and CC'd contacts do not see tickets.
    CcOff,
    Unrelated,
}

/// `view_companies`: the companies of the contact's company view (empty without one).
fn association<'t>(
    settings: &Settings,
    contact: &Contact,
    view_companies: &[String],
    ticket: &'t Ticket,
    view: Option<View>,
) -> Association<'t> {
    if ticket.contacts.contains(&contact.id) {
        return Association::Own;
    }
    let cc = ticket.cc.contains(&contact.id);
    if cc && settings.cc_see_tickets {
        return Association::Cc;
    }
    let of_company = ticket
        .companies
        .iter()
        .filter(|company| view_companies.contains(company))
        .min_by_key(|company| view_companies.iter().position(|c| c == *company));
    match (of_company, view) {
        (Some(company), Some(View::Mine)) => Association::CompanyButMine(company),
        (Some(company), _) => Association::OfCompany(company),
        (None, _) if cc => Association::CcOff,
        (None, _) => Association::Unrelated,
    }
}

/// Whether `ticket` is in `contact`'s list in `view`: the verdict of `ticket_decision` without composing
/// its reason.
pub fn ticket_visible<'a>(
    settings: &Settings,
    contact: &'a Contact,
    companies: impl Into<ContactCompanies<'a>>,
    ticket: &Ticket,
    view: Option<View>,
) -> bool {
    in_view(settings, contact, companies, ticket, view) && passes_filters(settings, ticket)
}

/// The first half of `ticket_visible`: the ticket's association puts it in the contact's list in
/// `view`, filters aside.
pub fn in_view<'a>(
    settings: &Settings,
    contact: &'a Contact,
    companies: impl Into<ContactCompanies<'a>>,
    ticket: &Ticket,
    view: Option<View>,
) -> bool {
    let decision = company_view(settings, contact, companies.into());
    in_view_of(settings, contact, &decision.companies, ticket, view)
}

/// `in_view` with the contact's company view worked out beforehand (`company_view(..).companies`):
/// for the audit matrix, which asks it millions of times on a large workspace.
pub fn in_view_of(
    settings: &Settings,
    contact: &Contact,
    view_companies: &[String],
    ticket: &Ticket,
    view: Option<View>,
) -> bool {
    matches!(
        association(settings, contact, view_companies, ticket, view),
        Association::Own | Association::Cc | Association::OfCompany(_)
    )
}

/// The second half of `ticket_visible`, the same for every contact: the ticket passes every filter.
pub fn passes_filters(settings: &Settings, ticket: &Ticket) -> bool {
    settings
        .ticket_filters
        .iter()
        .all(|filter| filter_passes(filter, ticket))
}

/// Whether `ticket` is in `contact`'s list in `view` (None = no switch), and why. `companies` are the
/// contact's company records (the primary one, `Option<&Company>`, converts).
pub fn ticket_decision<'a>(
    settings: &Settings,
    catalog: &Catalog,
    contact: &'a Contact,
    companies: impl Into<ContactCompanies<'a>>,
    ticket: &Ticket,
    view: Option<View>,
) -> TicketDecision {
    let companies = companies.into();
    let decision = company_view(settings, contact, companies);
    decide(
        settings, catalog, contact, companies, &decision, ticket, view,
    )
}

/// `ticket_decision` with the contact's company view worked out beforehand.
pub(super) fn decide(
    settings: &Settings,
    catalog: &Catalog,
    contact: &Contact,
    companies: ContactCompanies<'_>,
    company_view: &CompanyViewDecision,
    ticket: &Ticket,
    view: Option<View>,
) -> TicketDecision {
    let company_tickets_on = settings.ticket_permissions == TicketPermissions::Company;
    let primary = companies.primary;
    let reason = match association(settings, contact, &company_view.companies, ticket, view) {
        Association::Own => format!("associated with {}", contact.display_name()),
        Association::Cc => "CC'd on the ticket".to_string(),
        Association::OfCompany(company) if contact.company.as_deref() == Some(company) => format!(
            "associated with {}, {}'s primary company",
            companies.name(company),
            contact.short_name()
        ),
        Association::OfCompany(company) => format!(
            "associated with {}, one of {}'s companies",
            companies.name(company),
            contact.short_name()
        ),
        Association::CompanyButMine(company) => {
            return hidden(format!(
                "My tickets shows only tickets associated with {}; this one is {}'s",
                contact.display_name(),
                companies.name(company)
            ))
        }
        Association::CcOff => {
            return hidden(
                "only CC'd on the ticket, and CC'd contacts do not see tickets".to_string(),
            )
        }
        Association::Unrelated => {
            let associated = associated_companies(contact, companies);
            let of_own_company = ticket
                .companies
                .iter()
                .find(|company| associated.contains(&company.as_str()));
            return hidden(match (primary, company_tickets_on, of_own_company) {
                // The contact's company's ticket, but no company view (10.1): say which rule failed.
                (_, true, Some(_)) if !company_view.granted => format!(
                    "not associated with {}, who has {}",
                    contact.short_name(),
                    company_view.reason
                ),
                // A company the contact is associated with, outside the company scope.
                (_, true, Some(company)) => format!(
                    "associated with {}, which is not in {}'s company scope (primary company only)",
                    companies.name(company),
                    contact.short_name()
                ),
                (_, false, Some(company)) => format!(
                    "not associated with {} nor (company tickets are off) with {}",
                    contact.short_name(),
                    companies.name(company)
                ),
                (Some(company), false, None) => format!(
                    "not associated with {} nor (company tickets are off) with {}",
                    contact.short_name(),
                    company.name
                ),
                (None, false, None) => format!("not associated with {}", contact.short_name()),
                (Some(company), true, None) => format!(
                    "not associated with {} nor with {}",
                    contact.short_name(),
                    company.name
                ),
                (None, true, None) => format!(
                    "not associated with {} (who has no primary company)",
                    contact.short_name()
                ),
            });
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

/// Whether a property's `value` (`None`: unknown) passes `filter`: the operators of ticket filters,
/// which company view rules share.
pub(super) fn passes_value(filter: &TicketFilter, value: Option<&str>) -> bool {
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
    passes_value(filter, property_text(ticket, &filter.property).as_deref())
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
    if passes_value(filter, value.as_deref()) {
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
