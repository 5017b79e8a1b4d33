//! The leak lint (spec 10.6): data shapes that make the rules show a ticket to people the author
//! probably did not mean. Pure: every finding is decided from the model and the settings through the
//! same rules the portal uses (`may_sign_in`, `available_views`, the two halves of `ticket_visible`,
//! `shown_thread_id`), and names its objects, who sees what, and a suggested fix.

use super::access::may_sign_in;
use super::company::{associated_companies, companies_in_scope, company_view, ContactCompanies};
use super::threads::{shown_thread_id, ThreadActivity};
use super::visibility::{available_views, in_view_of, passes_filters, View};
use crate::domain::model::{Catalog, Company, Contact, Ticket};
use crate::domain::settings::{Settings, TicketPermissions};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use ts_rs::TS;

/// The threads of one ticket, as the thread choice sees them, with how many customer-visible messages
/// (type MESSAGE) each holds (same order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketThreads {
    pub threads: Vec<ThreadActivity>,
    pub customer_messages: Vec<u32>,
}

/// The kinds of finding, as spec 10.6 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum LintCode {
    TicketSpansCompanies,
    ContactOutsideTicketCompany,
    CompanyTicketWithoutContact,
    VisibleTicketWithoutConversation,
    ContactCannotSeeOwnCompany,
}

impl LintCode {
    pub const ALL: [LintCode; 5] = [
        LintCode::TicketSpansCompanies,
        LintCode::ContactOutsideTicketCompany,
        LintCode::CompanyTicketWithoutContact,
        LintCode::VisibleTicketWithoutConversation,
        LintCode::ContactCannotSeeOwnCompany,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LintCode::TicketSpansCompanies => "ticket-spans-companies",
            LintCode::ContactOutsideTicketCompany => "contact-outside-ticket-company",
            LintCode::CompanyTicketWithoutContact => "company-ticket-without-contact",
            LintCode::VisibleTicketWithoutConversation => "visible-ticket-without-conversation",
            LintCode::ContactCannotSeeOwnCompany => "contact-cannot-see-own-company",
        }
    }
}

/// The two findings of a ticket that company contacts see through its companies alone
/// (`Lint::company_finding`).
#[derive(Clone, Copy)]
enum CompanyTicketCase {
    /// `ticket-spans-companies`: the ticket has two or more companies.
    SpansCompanies,
    /// `company-ticket-without-contact`: the ticket has companies and no contact.
    WithoutContact,
}

/// A contact a finding names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LintContact {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// A company a finding names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LintCompany {
    pub id: String,
    pub name: String,
}

/// How many contacts `seen_by` lists at most (`seen_by_count` has them all).
pub const SEEN_BY_SHOWN: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LintFinding {
    pub code: LintCode,
    /// The tickets involved (ids).
    pub tickets: Vec<String>,
    pub contacts: Vec<LintContact>,
    pub companies: Vec<LintCompany>,
    /// What is wrong, naming the objects.
    pub summary: String,
    /// Who would see what because of it.
    pub who_sees: String,
    /// The emails of the contacts who see what they probably should not (the first few).
    pub seen_by: Vec<String>,
    pub seen_by_count: usize,
    /// What would fix it.
    pub fix: String,
}

/// Everything the lint reads.
pub struct LintInput<'a> {
    pub settings: &'a Settings,
    pub catalog: &'a Catalog,
    pub contacts: &'a [Contact],
    pub companies: &'a HashMap<String, Company>,
    pub tickets: &'a [Ticket],
    /// The threads of every ticket that has any, by ticket id.
    pub threads: &'a HashMap<String, TicketThreads>,
}

/// The companies whose tickets a contact's Organization view may show: their companies under the
/// company scope (10.1). Which companies count is decided from the contact's ids alone.
fn companies_in_scope_of<'c>(settings: &Settings, contact: &'c Contact) -> Vec<&'c str> {
    companies_in_scope(settings, contact, ContactCompanies::default())
}

/// Every company the contact is associated with, primary or not (10.1).
fn companies_of(contact: &Contact) -> Vec<&str> {
    associated_companies(contact, ContactCompanies::default())
}

/// `Ok` when the contact gets the company view (the Organization / My tickets switch), else why not:
/// the reason of the rules' own decision (a failing company view rule, no company in scope, company
/// tickets off), without its "no company view: " lead.
fn company_view_of(
    settings: &Settings,
    contact: &Contact,
    companies: ContactCompanies<'_>,
) -> Result<(), String> {
    let decision = company_view(settings, contact, companies);
    if decision.granted {
        return Ok(());
    }
    Err(decision
        .reason
        .strip_prefix("no company view: ")
        .unwrap_or(&decision.reason)
        .to_string())
}

/// Whether any contact can have the company view under `settings` at all.
fn company_views_possible(settings: &Settings) -> bool {
    settings.ticket_permissions == TicketPermissions::Company
}

fn quoted_subject(ticket: &Ticket) -> String {
    format!("ticket {} \u{201c}{}\u{201d}", ticket.id, ticket.subject)
}

fn names(list: &[String]) -> String {
    match list.len() {
        0 => String::new(),
        1 => list[0].clone(),
        n => format!("{} and {}", list[..n - 1].join(", "), list[n - 1]),
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

/// A contact's views (one `None` without a switch) and the companies their Organization view spans,
/// worked out once per contact: `Lint::sees` asks about every ticket it checks.
struct ContactViews {
    views: Vec<Option<View>>,
    companies: Vec<String>,
}

/// The lint's precomputed view of the workspace.
struct Lint<'a> {
    input: &'a LintInput<'a>,
    may_sign_in: Vec<bool>,
    /// By contact index, like `may_sign_in`.
    views: Vec<ContactViews>,
    contact_index: HashMap<&'a str, usize>,
    /// Contacts by company, each under the company scope (whose Organization view may show its tickets).
    by_company: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Lint<'a> {
    fn new(input: &'a LintInput<'a>) -> Lint<'a> {
        let may = input
            .contacts
            .iter()
            .map(|contact| may_sign_in(input.settings, input.catalog, contact).allowed)
            .collect();
        let mut by_company: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, contact) in input.contacts.iter().enumerate() {
            for company in companies_in_scope_of(input.settings, contact) {
                by_company.entry(company).or_default().push(index);
            }
        }
        let views = input
            .contacts
            .iter()
            .map(|contact| {
                let company = contact
                    .company
                    .as_deref()
                    .and_then(|id| input.companies.get(id));
                let views = available_views(input.settings, contact, company);
                ContactViews {
                    views: if views.is_empty() {
                        vec![None]
                    } else {
                        views.into_iter().map(Some).collect()
                    },
                    companies: company_view(input.settings, contact, company.into()).companies,
                }
            })
            .collect();
        Lint {
            input,
            may_sign_in: may,
            views,
            contact_index: input
                .contacts
                .iter()
                .enumerate()
                .map(|(index, contact)| (contact.id.as_str(), index))
                .collect(),
            by_company,
        }
    }

    fn contact(&self, index: usize) -> &'a Contact {
        &self.input.contacts[index]
    }

    fn company_name(&self, id: &str) -> String {
        self.input
            .companies
            .get(id)
            .map_or(id.to_string(), |company| company.name.clone())
    }

    fn lint_contact(&self, index: usize) -> LintContact {
        let contact = self.contact(index);
        LintContact {
            id: contact.id.clone(),
            email: contact.email.clone(),
            name: contact.display_name(),
        }
    }

    fn lint_company(&self, id: &str) -> LintCompany {
        LintCompany {
            id: id.to_string(),
            name: self.company_name(id),
        }
    }

    /// Whether contact `index` sees `ticket` in any of their views, by the portal's rules
    /// (`ticket_visible`: in the view, and through the filters).
    fn sees(&self, index: usize, ticket: &Ticket) -> bool {
        if !self.may_sign_in[index] {
            return false;
        }
        let contact = self.contact(index);
        let seen = &self.views[index];
        passes_filters(self.input.settings, ticket)
            && seen.views.iter().any(|&view| {
                in_view_of(self.input.settings, contact, &seen.companies, ticket, view)
            })
    }

    /// The contacts of `companies` (other than `except`) who see `ticket`, in contact order.
    fn company_viewers(&self, ticket: &Ticket, companies: &[&str], except: &[usize]) -> Vec<usize> {
        let candidates: BTreeSet<usize> = companies
            .iter()
            .filter_map(|company| self.by_company.get(company))
            .flatten()
            .copied()
            .filter(|index| !except.contains(index))
            .collect();
        candidates
            .into_iter()
            .filter(|&index| self.sees(index, ticket))
            .collect()
    }

    /// Everyone who sees `ticket`: its contacts and its companies' contacts.
    fn all_viewers(&self, ticket: &Ticket) -> Vec<usize> {
        let mut candidates: BTreeSet<usize> = ticket
            .contacts
            .iter()
            .filter_map(|id| self.contact_index.get(id.as_str()).copied())
            .collect();
        for company in &ticket.companies {
            if let Some(contacts) = self.by_company.get(company.as_str()) {
                candidates.extend(contacts.iter().copied());
            }
        }
        candidates
            .into_iter()
            .filter(|&index| self.sees(index, ticket))
            .collect()
    }

    fn seen_by(&self, viewers: &[usize]) -> (Vec<String>, usize) {
        (
            viewers
                .iter()
                .take(SEEN_BY_SHOWN)
                .map(|&index| self.contact(index).email.clone())
                .collect(),
            viewers.len(),
        )
    }

    fn viewers_text(&self, viewers: &[usize]) -> String {
        let shown: Vec<String> = viewers
            .iter()
            .take(3)
            .map(|&index| self.contact(index).email.clone())
            .collect();
        let more = viewers.len().saturating_sub(shown.len());
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            names(&shown)
        }
    }

    fn spans_companies(&self, ticket: &Ticket) -> Option<LintFinding> {
        if ticket.companies.len() < 2 {
            return None;
        }
        let companies: Vec<&str> = ticket.companies.iter().map(String::as_str).collect();
        let own: Vec<usize> = ticket
            .contacts
            .iter()
            .filter_map(|id| self.contact_index.get(id.as_str()).copied())
            .collect();
        self.company_finding(CompanyTicketCase::SpansCompanies, ticket, &companies, &own)
    }

    /// A finding about who sees `ticket` through its `companies` in their Organization view, besides
    /// the ticket's own `contacts`; None when nobody does.
    fn company_finding(
        &self,
        case: CompanyTicketCase,
        ticket: &Ticket,
        companies: &[&str],
        contacts: &[usize],
    ) -> Option<LintFinding> {
        let viewers = self.company_viewers(ticket, companies, contacts);
        if viewers.is_empty() {
            return None;
        }
        let company_names: Vec<String> = companies.iter().map(|id| self.company_name(id)).collect();
        let (seen_by, seen_by_count) = self.seen_by(&viewers);
        let seen_by_text = plural(viewers.len(), "contact", "contacts");
        let (code, summary, who_sees, fix) = match case {
            CompanyTicketCase::SpansCompanies => (
                LintCode::TicketSpansCompanies,
                format!(
                    "{} is associated with {} companies: {}",
                    quoted_subject(ticket),
                    companies.len(),
                    names(&company_names)
                ),
                format!(
                    "{seen_by_text} of {} see it in their Organization view: {}",
                    names(&company_names),
                    self.viewers_text(&viewers)
                ),
                format!(
                    "associate ticket {} with the one company it belongs to and remove the others",
                    ticket.id
                ),
            ),
            CompanyTicketCase::WithoutContact => (
                LintCode::CompanyTicketWithoutContact,
                format!(
                    "{} is associated with {} and with no contact",
                    quoted_subject(ticket),
                    names(&company_names)
                ),
                format!(
                    "{seen_by_text} of {} see it in their Organization view, none in My tickets: {}",
                    names(&company_names),
                    self.viewers_text(&viewers)
                ),
                format!(
                    "associate ticket {} with the contact who raised it",
                    ticket.id
                ),
            ),
        };
        Some(LintFinding {
            code,
            tickets: vec![ticket.id.clone()],
            contacts: contacts
                .iter()
                .map(|&index| self.lint_contact(index))
                .collect(),
            companies: companies.iter().map(|id| self.lint_company(id)).collect(),
            summary,
            who_sees,
            seen_by,
            seen_by_count,
            fix,
        })
    }

    /// A ticket of two or more companies is reported once, as `ticket-spans-companies` (its fix, one
    /// company, also ends this one), not again for each contact outside one of them.
    fn outside_company(&self, ticket: &Ticket) -> Vec<LintFinding> {
        let mut findings = Vec::new();
        if ticket.companies.len() > 1 {
            return findings;
        }
        for contact_id in &ticket.contacts {
            let Some(&index) = self.contact_index.get(contact_id.as_str()) else {
                continue;
            };
            let contact = self.contact(index);
            let own_companies = companies_of(contact);
            for company in &ticket.companies {
                if own_companies.contains(&company.as_str()) {
                    continue;
                }
                let viewers = self.company_viewers(ticket, &[company.as_str()], &[index]);
                if viewers.is_empty() {
                    continue;
                }
                let company_name = self.company_name(company);
                let (seen_by, seen_by_count) = self.seen_by(&viewers);
                let theirs = match own_companies.first() {
                    Some(own) => format!(
                        "{}'s company is {}",
                        contact.short_name(),
                        self.company_name(own)
                    ),
                    None => format!("{} has no company", contact.short_name()),
                };
                findings.push(LintFinding {
                    code: LintCode::ContactOutsideTicketCompany,
                    tickets: vec![ticket.id.clone()],
                    contacts: vec![self.lint_contact(index)],
                    companies: vec![self.lint_company(company)],
                    summary: format!(
                        "{} is associated with {} <{}> and with {company_name}, which is not among their companies ({theirs})",
                        quoted_subject(ticket),
                        contact.display_name(),
                        contact.email
                    ),
                    who_sees: format!(
                        "{} of {company_name} see {}'s ticket in their Organization view: {}",
                        plural(viewers.len(), "contact", "contacts"),
                        contact.short_name(),
                        self.viewers_text(&viewers)
                    ),
                    seen_by,
                    seen_by_count,
                    fix: match own_companies.first() {
                        Some(own) => format!(
                            "associate ticket {} with {} instead of {company_name}, or make {company_name} one of {}'s companies",
                            ticket.id,
                            self.company_name(own),
                            contact.short_name()
                        ),
                        None => format!(
                            "remove {company_name} from ticket {}, or make it {}'s company",
                            ticket.id,
                            contact.short_name()
                        ),
                    },
                });
            }
        }
        findings
    }

    fn without_contact(&self, ticket: &Ticket) -> Option<LintFinding> {
        if ticket.companies.is_empty() || !ticket.contacts.is_empty() {
            return None;
        }
        let companies: Vec<&str> = ticket.companies.iter().map(String::as_str).collect();
        self.company_finding(CompanyTicketCase::WithoutContact, ticket, &companies, &[])
    }

    fn without_conversation(&self, ticket: &Ticket) -> Option<LintFinding> {
        let threads = self.input.threads.get(&ticket.id)?;
        if threads.threads.is_empty() || !passes_filters(self.input.settings, ticket) {
            return None;
        }
        let shown = shown_thread_id(self.input.settings, self.input.catalog, &threads.threads);
        let (why, fix) = match shown {
            Some(shown) => {
                let position = threads
                    .threads
                    .iter()
                    .position(|thread| thread.id == shown)?;
                if threads
                    .customer_messages
                    .get(position)
                    .copied()
                    .unwrap_or(0)
                    > 0
                {
                    return None;
                }
                (
                    format!("its shown thread {shown} holds only internal comments"),
                    format!(
                        "reply to the customer in thread {shown} (internal comments are never shown)"
                    ),
                )
            }
            None => {
                let channels: BTreeSet<&str> = threads
                    .threads
                    .iter()
                    .map(|thread| thread.channel.as_str())
                    .collect();
                let channels: Vec<String> = channels.into_iter().map(str::to_string).collect();
                (
                    format!(
                        "its {} on {} not connected to an inbox",
                        plural(threads.threads.len(), "thread is", "threads are"),
                        if channels.len() == 1 {
                            "a channel"
                        } else {
                            "channels"
                        }
                    ),
                    format!("connect channel {} to an inbox", names(&channels)),
                )
            }
        };
        let viewers = self.all_viewers(ticket);
        if viewers.is_empty() {
            return None;
        }
        let (seen_by, seen_by_count) = self.seen_by(&viewers);
        Some(LintFinding {
            code: LintCode::VisibleTicketWithoutConversation,
            tickets: vec![ticket.id.clone()],
            contacts: Vec::new(),
            companies: Vec::new(),
            summary: format!("{} is visible, but {why}", quoted_subject(ticket)),
            who_sees: format!(
                "{} see the ticket with an empty conversation: {}",
                plural(viewers.len(), "contact", "contacts"),
                self.viewers_text(&viewers)
            ),
            seen_by,
            seen_by_count,
            fix,
        })
    }

    /// Contacts who may sign in, whose tickets are associated with a company, without the company view.
    fn cannot_see_own_company(&self) -> Vec<LintFinding> {
        if !company_views_possible(self.input.settings) {
            return Vec::new();
        }
        // For each contact, their tickets' companies (in first-seen order) and how many tickets.
        let mut companies_of_tickets: HashMap<usize, (Vec<&str>, usize)> = HashMap::new();
        let mut tickets_of_company: HashMap<&str, usize> = HashMap::new();
        for ticket in self.input.tickets {
            for company in &ticket.companies {
                *tickets_of_company.entry(company.as_str()).or_default() += 1;
            }
            if ticket.companies.is_empty() {
                continue;
            }
            for contact in &ticket.contacts {
                let Some(&index) = self.contact_index.get(contact.as_str()) else {
                    continue;
                };
                let entry = companies_of_tickets.entry(index).or_default();
                entry.1 += 1;
                for company in &ticket.companies {
                    if !entry.0.contains(&company.as_str()) {
                        entry.0.push(company.as_str());
                    }
                }
            }
        }
        let mut contacts: Vec<usize> = companies_of_tickets.keys().copied().collect();
        contacts.sort_unstable();
        let mut findings = Vec::new();
        for index in contacts {
            if !self.may_sign_in[index] {
                continue;
            }
            let contact = self.contact(index);
            let primary = contact
                .company
                .as_deref()
                .and_then(|id| self.input.companies.get(id));
            let Err(why) = company_view_of(self.input.settings, contact, primary.into()) else {
                continue;
            };
            let (companies, own_count) = &companies_of_tickets[&index];
            let company_names: Vec<String> =
                companies.iter().map(|id| self.company_name(id)).collect();
            let company_total: usize = companies
                .iter()
                .map(|id| tickets_of_company.get(id).copied().unwrap_or(0))
                .sum();
            let hidden = company_total.saturating_sub(*own_count);
            findings.push(LintFinding {
                code: LintCode::ContactCannotSeeOwnCompany,
                tickets: Vec::new(),
                contacts: vec![self.lint_contact(index)],
                companies: companies.iter().map(|id| self.lint_company(id)).collect(),
                summary: format!(
                    "{} <{}> may sign in and has {} associated with {}, but no company view ({why})",
                    contact.display_name(),
                    contact.email,
                    plural(*own_count, "ticket", "tickets"),
                    names(&company_names)
                ),
                who_sees: format!(
                    "{} sees only their own tickets, not the {} of {}",
                    contact.short_name(),
                    plural(hidden, "other ticket", "other tickets"),
                    names(&company_names)
                ),
                seen_by: vec![contact.email.clone()],
                seen_by_count: 1,
                fix: format!(
                    "make {} {}'s company",
                    company_names.first().cloned().unwrap_or_default(),
                    contact.short_name()
                ),
            });
        }
        findings
    }
}

/// Every finding of spec 10.6 in the workspace, by code, then ticket and contact.
pub fn lint(input: &LintInput<'_>) -> Vec<LintFinding> {
    let lint = Lint::new(input);
    let mut findings = Vec::new();
    for ticket in input.tickets {
        findings.extend(lint.spans_companies(ticket));
        findings.extend(lint.outside_company(ticket));
        findings.extend(lint.without_contact(ticket));
        findings.extend(lint.without_conversation(ticket));
    }
    findings.extend(lint.cannot_see_own_company());
    // Stable: within a code, tickets keep the workspace's order.
    findings.sort_by_key(|finding| finding.code);
    findings
}
