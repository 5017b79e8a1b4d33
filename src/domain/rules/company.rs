//! Which contacts get the company view, and over which companies (portal-rules.md 10.1): with company
//! permissions, a contact gets the view switch exactly when the set of their companies under the company
//! scope is not empty and they match every company view rule. The rules test contact properties with the
//! operators of ticket filters.

use super::visibility::passes_value;
use crate::domain::model::{Company, Contact};
use crate::domain::settings::{
    CompanyScope, FilterOperator, Settings, TicketFilter, TicketPermissions,
};
use std::borrow::Cow;

/// The company records of a contact, for the names reasons print: the primary company and the others
/// (`Contact::companies`). Which companies count is decided from the contact's ids; a company without a
/// record here reads by its id. `Option<&Company>` converts into it (the primary company alone).
#[derive(Debug, Clone, Copy, Default)]
pub struct ContactCompanies<'a> {
    pub primary: Option<&'a Company>,
    pub others: &'a [Company],
}

impl<'a> From<Option<&'a Company>> for ContactCompanies<'a> {
    fn from(primary: Option<&'a Company>) -> Self {
        ContactCompanies {
            primary,
            others: &[],
        }
    }
}

impl<'a> From<&'a Option<Company>> for ContactCompanies<'a> {
    fn from(primary: &'a Option<Company>) -> Self {
        primary.as_ref().into()
    }
}

impl<'a> ContactCompanies<'a> {
    pub fn new(primary: Option<&'a Company>, others: &'a [Company]) -> Self {
        ContactCompanies { primary, others }
    }

    /// The company's name, or its id when no record was given.
    pub fn name(&self, id: &str) -> String {
        self.primary
            .into_iter()
            .chain(self.others)
            .find(|company| company.id == id)
            .map_or_else(|| id.to_string(), |company| company.name.clone())
    }

    /// The primary company's id: the record's when given (what the seeds decided on), else the
    /// contact's.
    fn primary_id<'c>(&self, contact: &'c Contact) -> Option<&'c str>
    where
        'a: 'c,
    {
        self.primary
            .map(|company| company.id.as_str())
            .or(contact.company.as_deref())
    }
}

/// Every company the contact is associated with, primary first (what `hidden_tickets` relates to).
pub fn associated_companies<'c>(
    contact: &'c Contact,
    companies: ContactCompanies<'c>,
) -> Vec<&'c str> {
    let mut ids: Vec<&str> = companies.primary_id(contact).into_iter().collect();
    for other in &contact.companies {
        if !ids.contains(&other.as_str()) {
            ids.push(other);
        }
    }
    ids
}

/// The contact's companies under the company scope, primary first.
pub fn companies_in_scope<'c>(
    settings: &Settings,
    contact: &'c Contact,
    companies: ContactCompanies<'c>,
) -> Vec<&'c str> {
    match settings.company_scope {
        CompanyScope::Primary => companies.primary_id(contact).into_iter().collect(),
        CompanyScope::Associated => associated_companies(contact, companies),
    }
}

/// Whether a contact has the company view, over which companies, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyViewDecision {
    /// Whether the contact gets the view switch (Organization / My tickets).
    pub granted: bool,
    /// The companies whose tickets the Organization view shows (empty when not granted).
    pub companies: Vec<String>,
    pub reason: String,
}

/// The company view of `contact` under `settings` (portal-rules.md 10.1), with its reason.
pub fn company_view(
    settings: &Settings,
    contact: &Contact,
    companies: ContactCompanies<'_>,
) -> CompanyViewDecision {
    let refused = |reason: String| CompanyViewDecision {
        granted: false,
        companies: Vec::new(),
        reason,
    };
    if settings.ticket_permissions != TicketPermissions::Company {
        return refused("no company view: company tickets are off".into());
    }
    let in_scope = companies_in_scope(settings, contact, companies);
    if in_scope.is_empty() {
        return refused(match settings.company_scope {
            CompanyScope::Primary => format!(
                "no company view: {} has no primary company",
                contact.short_name()
            ),
            CompanyScope::Associated => format!(
                "no company view: {} is associated with no company",
                contact.short_name()
            ),
        });
    }
    if let Some(failure) = settings
        .company_view_rules
        .iter()
        .find_map(|rule| contact_rule_failure(rule, contact))
    {
        return refused(format!("no company view: {failure}"));
    }
    let names: Vec<String> = in_scope.iter().map(|id| companies.name(id)).collect();
    CompanyViewDecision {
        granted: true,
        reason: format!("company view of {}", names.join(", ")),
        companies: in_scope.into_iter().map(str::to_string).collect(),
    }
}

/// Whether `contact` has the company view (the verdict of `company_view` without its reason or set).
pub fn has_company_view(
    settings: &Settings,
    contact: &Contact,
    companies: ContactCompanies,
) -> bool {
    settings.ticket_permissions == TicketPermissions::Company
        && !companies_in_scope(settings, contact, companies).is_empty()
        && settings
            .company_view_rules
            .iter()
            .all(|rule| contact_rule_passes(rule, contact))
}

/// The contact's value of a property a company view rule tests; `None` when it is unknown (empty
/// counts as unknown, as for tickets).
pub fn contact_property_value<'c>(contact: &'c Contact, property: &str) -> Option<Cow<'c, str>> {
    let text: Option<&str> = match property {
        "email" => Some(&contact.email),
        "first_name" => Some(&contact.first_name),
        "last_name" => Some(&contact.last_name),
        "language" => contact.language.as_deref(),
        custom => contact.properties.get(custom).map(String::as_str),
    };
    text.filter(|text| !text.is_empty()).map(Cow::Borrowed)
}

/// Whether `contact` passes the company view rule `rule`.
pub fn contact_rule_passes(rule: &TicketFilter, contact: &Contact) -> bool {
    passes_value(
        rule,
        contact_property_value(contact, &rule.property).as_deref(),
    )
}

/// How a property name reads in a reason: `job_title` as "job title".
fn property_label(property: &str) -> String {
    property.replace('_', " ")
}

/// "job title is any of Manager" — a company view rule as an administrator reads it.
pub fn describe_contact_rule(rule: &TicketFilter) -> String {
    let property = property_label(&rule.property);
    let values = rule.values.join(", ");
    match rule.operator {
        FilterOperator::IsAnyOf => format!("{property} is any of {values}"),
        FilterOperator::IsNoneOf => format!("{property} is none of {values}"),
        FilterOperator::IsKnown => format!("{property} is known"),
        FilterOperator::IsUnknown => format!("{property} is unknown"),
    }
}

/// `Some("rule 'job title is any of Manager' fails (job title is Engineer)")` when `contact` fails
/// `rule`.
pub fn contact_rule_failure(rule: &TicketFilter, contact: &Contact) -> Option<String> {
    let value = contact_property_value(contact, &rule.property);
    if passes_value(rule, value.as_deref()) {
        return None;
    }
    let property = property_label(&rule.property);
    let actual = match value {
        Some(value) => format!("{property} is {value}"),
        None => format!("{property} is unknown"),
    };
    Some(format!(
        "rule '{}' fails ({actual})",
        describe_contact_rule(rule)
    ))
}
