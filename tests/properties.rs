//! Property tests of the visibility rules (issue 2) on generated small workspaces: random companies,
//! contacts, lists, tickets, threads and messages, and random settings (access modes, filters, both
//! ticket permissions, both thread choices). Each property is checked through the pure rules
//! (`rules::view_as`) against a plain restatement of the spec, and the audit matrix is checked against
//! `view_as` for every contact and view.

use chrono::{DateTime, TimeZone, Utc};
use portal::app::demo::{self, DemoGenerator, DemoSize};
use portal::app::matrix::{self, AuditData};
use portal::domain::model::{
    Catalog, Channel, ChannelType, Company, Contact, ContactList, Direction, Inbox, InboxKind,
    Message, MessageType, Pipeline, Stage, StageState, Thread, Ticket,
};
use portal::domain::rules::{self, ContactView, View};
use portal::domain::settings::{
    Access, AccessMode, CompanyScope, FilterOperator, JwtAlgorithm, Settings, SsoConfiguration,
    ThreadShown, TicketFilter, TicketPermissions,
};
use proptest::prelude::*;
use proptest::sample::subsequence;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Enough cases to hit every combination of settings many times, few enough for a debug run in seconds.
const CASES: u32 = 256;

const LISTS: [&str; 3] = ["customers", "partners", "ghost-list"];
const STAGES: [(&str, &str); 4] = [
    ("support", "new"),
    ("support", "closed"),
    ("billing", "open"),
    ("billing", "done"),
];
/// Channels: connected, unconnected, connected to an inbox that does not exist, and one that is
/// referred to by threads but does not exist at all.
const CHANNELS: [&str; 4] = ["mail", "sales", "orphan", "gone"];
const REGIONS: [&str; 3] = ["EU", "US", ""];

/// One generated workspace: everything `view_as` and the audit matrix read.
#[derive(Debug, Clone)]
struct World {
    settings: Settings,
    catalog: Catalog,
    companies: Vec<Company>,
    contacts: Vec<Contact>,
    tickets: Vec<Ticket>,
    threads: Vec<Thread>,
}

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).single().unwrap() + chrono::Duration::minutes(minutes)
}

fn catalog() -> Catalog {
    let stage = |id: &str, state| Stage {
        id: id.into(),
        label: id.to_uppercase(),
        state,
    };
    Catalog {
        pipelines: vec![
            Pipeline {
                id: "support".into(),
                label: "Support".into(),
                stages: vec![
                    stage("new", StageState::Open),
                    stage("closed", StageState::Closed),
                ],
            },
            Pipeline {
                id: "billing".into(),
                label: "Billing".into(),
                stages: vec![
                    stage("open", StageState::Open),
                    stage("done", StageState::Closed),
                ],
            },
        ],
        // "ghost-list" is chosen in settings sometimes but does not exist.
        lists: LISTS[..2]
            .iter()
            .map(|id| ContactList {
                id: (*id).into(),
                name: id.to_uppercase(),
            })
            .collect(),
        inboxes: vec![Inbox {
            id: "help".into(),
            name: "Help desk".into(),
            kind: InboxKind::HelpDesk,
        }],
        channels: vec![
            Channel {
                id: "mail".into(),
                channel_type: ChannelType::Email,
                address: Some("support@example.com".into()),
                inbox: Some("help".into()),
            },
            Channel {
                id: "sales".into(),
                channel_type: ChannelType::Email,
                address: Some("sales@example.com".into()),
                inbox: None,
            },
            Channel {
                id: "orphan".into(),
                channel_type: ChannelType::Chat,
                address: None,
                inbox: Some("closed-inbox".into()),
            },
        ],
        custom_properties: vec!["region".into()],
        ..Catalog::default()
    }
}

fn filter_strategy() -> impl Strategy<Value = TicketFilter> {
    let property = prop_oneof![
        Just("pipeline"),
        Just("stage"),
        Just("priority"),
        Just("region"),
        Just("subject"),
    ];
    let operator = prop_oneof![
        Just(FilterOperator::IsAnyOf),
        Just(FilterOperator::IsNoneOf),
        Just(FilterOperator::IsKnown),
        Just(FilterOperator::IsUnknown),
    ];
    let values = subsequence(
        vec![
            "support", "billing", "new", "closed", "open", "HIGH", "LOW", "EU", "US", "Printer",
        ],
        0..4,
    );
    (property, operator, values).prop_map(|(property, operator, values)| TicketFilter {
        property: property.into(),
        operator,
        values: values.into_iter().map(String::from).collect(),
    })
}

fn settings_strategy() -> impl Strategy<Value = Settings> {
    let mode = prop_oneof![
        Just(AccessMode::SelfRegistration),
        Just(AccessMode::Lists),
        Just(AccessMode::SsoAll),
        Just(AccessMode::SsoLists),
    ];
    (
        (
            mode,
            subsequence(LISTS.to_vec(), 0..=3),
            any::<bool>(),
            prop::collection::vec(filter_strategy(), 0..3),
            any::<bool>(),
            any::<bool>(),
        ),
        beyond_strategy(),
    )
        .prop_map(|((mode, lists, sso, filters, company, original), beyond)| {
            let (rules, associated, cc) = beyond;
            Settings {
                access: Access {
                    mode,
                    lists: lists.into_iter().map(String::from).collect(),
                },
                sso: sso.then(|| SsoConfiguration::Jwt {
                    algorithm: JwtAlgorithm::HS256,
                    secret: Some("secret".into()),
                    public_key: None,
                    issuer: "idp".into(),
                    audience: "portal".into(),
                    email_claim: "email".into(),
                }),
                ticket_filters: filters,
                ticket_permissions: if company {
                    TicketPermissions::Company
                } else {
                    TicketPermissions::Contact
                },
                thread_shown: if original {
                    ThreadShown::Original
                } else {
                    ThreadShown::MostRecent
                },
                company_view_rules: rules,
                company_scope: if associated {
                    CompanyScope::Associated
                } else {
                    CompanyScope::Primary
                },
                cc_see_tickets: cc,
                ..Settings::default()
            }
        })
}

/// Section 10's settings: up to two company view rules (on the job title or the language), the
/// company scope, and whether CC'd contacts see tickets.
fn beyond_strategy() -> impl Strategy<Value = (Vec<TicketFilter>, bool, bool)> {
    let rule = (
        prop_oneof![Just("job_title"), Just("language")],
        prop_oneof![
            Just(FilterOperator::IsAnyOf),
            Just(FilterOperator::IsNoneOf),
            Just(FilterOperator::IsKnown),
            Just(FilterOperator::IsUnknown),
        ],
        subsequence(vec!["Manager", "Engineer", "de", "en"], 0..3),
    )
        .prop_map(|(property, operator, values)| TicketFilter {
            property: property.into(),
            operator,
            values: values.into_iter().map(String::from).collect(),
        });
    (
        prop::collection::vec(rule, 0..3),
        any::<bool>(),
        any::<bool>(),
    )
}

/// A contact: company index (if any, among up to 4 companies), list memberships, other companies'
/// indexes, language and job title.
type ContactRecipe = (
    Option<usize>,
    Vec<&'static str>,
    Vec<usize>,
    Option<&'static str>,
    Option<&'static str>,
);
/// A ticket: stage, priority, region, contact and company indexes, created at, last activity offset,
/// CC'd contacts' indexes.
type TicketRecipe = (
    usize,
    Option<&'static str>,
    &'static str,
    Vec<usize>,
    Vec<usize>,
    i64,
    i64,
    Vec<usize>,
);
/// A thread: ticket index (or none / a ticket that does not exist), channel, created at, messages as
/// (is a comment, is incoming, minutes after the thread started).
type ThreadRecipe = (Option<usize>, usize, i64, Vec<(bool, bool, i64)>);

fn world_strategy() -> impl Strategy<Value = World> {
    let companies = 0usize..4;
    let contacts = prop::collection::vec(
        (
            prop::option::of(0usize..4),
            subsequence(LISTS[..2].to_vec(), 0..=2),
            prop::collection::vec(0usize..4, 0..3),
            prop::option::of(prop_oneof![Just("de"), Just("en")]),
            prop::option::of(prop_oneof![Just("Manager"), Just("Engineer")]),
        ),
        1..6,
    );
    let tickets = prop::collection::vec(
        (
            0usize..STAGES.len(),
            prop::option::of(prop_oneof![Just("HIGH"), Just("LOW")]),
            prop::sample::select(REGIONS.to_vec()),
            prop::collection::vec(0usize..6, 0..3),
            prop::collection::vec(0usize..4, 0..3),
            0i64..1000,
            0i64..1000,
            prop::collection::vec(0usize..6, 0..3),
        ),
        0..12,
    );
    let threads = prop::collection::vec(
        (
            prop::option::of(0usize..14),
            0usize..CHANNELS.len(),
            0i64..2000,
            prop::collection::vec((any::<bool>(), any::<bool>(), 0i64..300), 0..4),
        ),
        0..16,
    );
    (settings_strategy(), companies, contacts, tickets, threads).prop_map(
        |(settings, company_count, contacts, tickets, threads)| {
            build(settings, company_count, contacts, tickets, threads)
        },
    )
}

fn build(
    settings: Settings,
    company_count: usize,
    contacts: Vec<ContactRecipe>,
    tickets: Vec<TicketRecipe>,
    threads: Vec<ThreadRecipe>,
) -> World {
    let companies: Vec<Company> = (0..company_count)
        .map(|index| Company {
            id: format!("co{index}"),
            name: format!("Company {index}"),
            domain: None,
        })
        .collect();
    let contacts: Vec<Contact> = contacts
        .into_iter()
        .enumerate()
        .map(|(index, (company, lists, others, language, job_title))| {
            let company = company
                .filter(|company| *company < company_count)
                .map(|company| format!("co{company}"));
            let others: BTreeSet<String> = others
                .into_iter()
                .filter(|other| *other < company_count)
                .map(|other| format!("co{other}"))
                .filter(|other| Some(other) != company.as_ref())
                .collect();
            Contact {
                id: format!("c{index}"),
                email: format!("contact{index}@example.com"),
                first_name: format!("First{index}"),
                last_name: if index % 2 == 0 {
                    String::new()
                } else {
                    "Last".into()
                },
                company,
                lists: lists.into_iter().map(String::from).collect(),
                companies: others.into_iter().collect(),
                language: language.map(String::from),
                properties: job_title
                    .map(|title| ("job_title".to_string(), title.to_string()))
                    .into_iter()
                    .collect(),
            }
        })
        .collect();
    let ids = |indexes: Vec<usize>, prefix: &str, bound: usize| -> Vec<String> {
        let set: BTreeSet<usize> = indexes.into_iter().filter(|index| *index < bound).collect();
        set.into_iter()
            .map(|index| format!("{prefix}{index}"))
            .collect()
    };
    let ticket_count = tickets.len();
    let mut tickets: Vec<Ticket> = tickets
        .into_iter()
        .enumerate()
        .map(
            |(
                index,
                (stage, priority, region, contact_ids, company_ids, created, activity, cc_ids),
            )| {
                let (pipeline, stage) = STAGES[stage];
                let mut properties = BTreeMap::new();
                if !region.is_empty() || index % 3 == 0 {
                    properties.insert("region".to_string(), serde_json::json!(region));
                }
                Ticket {
                    id: format!("{}", 1000 + index),
                    subject: if index % 2 == 0 {
                        "Printer".into()
                    } else {
                        "VPN".into()
                    },
                    content: String::new(),
                    pipeline: pipeline.into(),
                    stage: stage.into(),
                    priority: priority.map(String::from),
                    category: None,
                    source: None,
                    created_at: at(created),
                    last_activity_at: at(created + activity),
                    properties,
                    contacts: ids(contact_ids.clone(), "c", contacts.len()),
                    companies: ids(company_ids, "co", company_count),
                    cc: ids(
                        cc_ids
                            .into_iter()
                            .filter(|cc| !contact_ids.contains(cc))
                            .collect(),
                        "c",
                        contacts.len(),
                    ),
                }
            },
        )
        .collect();
    // Ties in last activity must be common, to exercise the list order's tie-break.
    if tickets.len() > 2 {
        tickets[1].last_activity_at = tickets[0].last_activity_at;
    }
    let mut message_number = 0;
    let threads = threads
        .into_iter()
        .enumerate()
        .map(|(index, (ticket, channel, created, messages))| Thread {
            id: format!("th{index}"),
            // Indexes past the tickets name a ticket that does not exist (never shown).
            ticket: ticket.map(|ticket| {
                if ticket < ticket_count {
                    format!("{}", 1000 + ticket)
                } else {
                    format!("missing{ticket}")
                }
            }),
            channel: CHANNELS[channel].into(),
            created_at: at(created),
            messages: messages
                .into_iter()
                .map(|(comment, incoming, offset)| {
                    message_number += 1;
                    Message {
                        id: format!("m{message_number}"),
                        message_type: if comment {
                            MessageType::Comment
                        } else {
                            MessageType::Message
                        },
                        direction: if incoming {
                            Direction::Incoming
                        } else {
                            Direction::Outgoing
                        },
                        from: "someone@example.com".into(),
                        text: format!("message {message_number}"),
                        created_at: at(created + offset),
                        attachments: Vec::new(),
                    }
                })
                .collect(),
        })
        .collect();
    World {
        settings,
        catalog: catalog(),
        companies,
        contacts,
        tickets,
        threads,
    }
}

impl World {
    fn company_of(&self, contact: &Contact) -> Option<&Company> {
        contact
            .company
            .as_ref()
            .and_then(|id| self.companies.iter().find(|company| company.id == *id))
    }

    /// The records of the contact's other companies.
    fn others_of(&self, contact: &Contact) -> Vec<Company> {
        self.companies
            .iter()
            .filter(|company| contact.companies.contains(&company.id))
            .cloned()
            .collect()
    }

    /// Section 10.1 restated: the companies whose tickets the contact's Organization view shows (empty
    /// without the company view).
    fn company_set(&self, contact: &Contact) -> BTreeSet<String> {
        let mut set: BTreeSet<String> = contact.company.iter().cloned().collect();
        if self.settings.company_scope == CompanyScope::Associated {
            set.extend(contact.companies.iter().cloned());
        }
        let matches = |rule: &TicketFilter| {
            let value = match rule.property.as_str() {
                "language" => contact.language.clone(),
                other => contact.properties.get(other).cloned(),
            };
            match (rule.operator, value) {
                (FilterOperator::IsAnyOf, Some(value)) => rule.values.contains(&value),
                (FilterOperator::IsAnyOf, None) => false,
                (FilterOperator::IsNoneOf, Some(value)) => !rule.values.contains(&value),
                (FilterOperator::IsNoneOf, None) => true,
                (FilterOperator::IsKnown, value) => value.is_some(),
                (FilterOperator::IsUnknown, value) => value.is_none(),
            }
        };
        let granted = self.settings.ticket_permissions == TicketPermissions::Company
            && !set.is_empty()
            && self.settings.company_view_rules.iter().all(matches);
        if granted {
            set
        } else {
            BTreeSet::new()
        }
    }

    fn view(&self, contact: &Contact, requested: Option<View>) -> ContactView {
        let others = self.others_of(contact);
        rules::view_as(
            &self.settings,
            &self.catalog,
            contact,
            rules::ContactCompanies::new(self.company_of(contact), &others),
            &self.tickets,
            &self.threads,
            requested,
        )
    }

    fn ticket(&self, id: &str) -> &Ticket {
        self.tickets
            .iter()
            .find(|ticket| ticket.id == id)
            .expect("a shown ticket exists")
    }

    /// Spec section 4: a thread is eligible when its channel exists and delivers to an existing inbox.
    fn eligible(&self, thread: &Thread) -> bool {
        self.catalog
            .channel(&thread.channel)
            .and_then(|channel| channel.inbox.as_deref())
            .is_some_and(|inbox| self.catalog.inbox(inbox).is_some())
    }

    /// Tickets associated with the contact, or with any of their companies (primary or not), or on
    /// which they are CC'd (10.2).
    fn related(&self, contact: &Contact) -> BTreeSet<String> {
        self.tickets
            .iter()
            .filter(|ticket| {
                ticket.contacts.contains(&contact.id)
                    || ticket.cc.contains(&contact.id)
                    || ticket.companies.iter().any(|company| {
                        contact.company.as_ref() == Some(company)
                            || contact.companies.contains(company)
                    })
            })
            .map(|ticket| ticket.id.clone())
            .collect()
    }
}

const REQUESTS: [Option<View>; 3] = [None, Some(View::Organization), Some(View::Mine)];

fn ids(view: &ContactView) -> Vec<String> {
    view.tickets
        .iter()
        .map(|ticket| ticket.id.clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    /// No contact ever sees a ticket that is neither theirs, nor CC'd to them with the setting on,
    /// nor (in the organization view) of a company in their company set (10.1, 10.2).
    #[test]
    fn no_contact_sees_a_ticket_that_is_not_theirs_nor_their_companys(world in world_strategy()) {
        for contact in &world.contacts {
            let set = world.company_set(contact);
            for requested in REQUESTS {
                let view = world.view(contact, requested);
                for shown in &view.tickets {
                    let ticket = world.ticket(&shown.id);
                    let own = ticket.contacts.contains(&contact.id);
                    let ccd = world.settings.cc_see_tickets && ticket.cc.contains(&contact.id);
                    let company_ticket = view.view == Some(View::Organization)
                        && ticket.companies.iter().any(|company| set.contains(company));
                    prop_assert!(
                        own || ccd || company_ticket,
                        "{} sees ticket {} in {:?}: not theirs nor their company's",
                        contact.email, ticket.id, view.view
                    );
                }
            }
        }
    }

    /// Every shown message is of type MESSAGE and belongs to an eligible thread of the visible ticket;
    /// and a ticket shows a thread whenever it has an eligible one.
    #[test]
    fn every_shown_message_is_a_message_of_an_eligible_thread_of_a_visible_ticket(
        world in world_strategy()
    ) {
        for contact in &world.contacts {
            for requested in REQUESTS {
                let view = world.view(contact, requested);
                for shown in &view.tickets {
                    let eligible: Vec<&Thread> = world
                        .threads
                        .iter()
                        .filter(|thread| thread.ticket.as_deref() == Some(shown.id.as_str()))
                        .filter(|thread| world.eligible(thread))
                        .collect();
                    let Some(shown_thread) = &shown.thread else {
                        prop_assert!(eligible.is_empty(), "ticket {} has an eligible thread but shows none", shown.id);
                        continue;
                    };
                    let thread = eligible
                        .iter()
                        .find(|thread| thread.id == shown_thread.id);
                    prop_assert!(
                        thread.is_some(),
                        "ticket {} shows thread {}, which is not an eligible thread of it",
                        shown.id, shown_thread.id
                    );
                    let thread = thread.unwrap();
                    for message in &shown_thread.messages {
                        let original = thread.messages.iter().find(|m| m.id == message.id);
                        prop_assert!(original.is_some(), "message {} is not in thread {}", message.id, thread.id);
                        prop_assert_eq!(original.unwrap().message_type, MessageType::Message);
                    }
                    let expected = thread
                        .messages
                        .iter()
                        .filter(|message| message.message_type == MessageType::Message)
                        .count();
                    prop_assert_eq!(shown_thread.messages.len(), expected);
                }
            }
        }
    }

    /// A contact has the view switch exactly when they have the company view (10.1), and the
    /// organization view shows every visible-by-filters ticket of their company set.
    #[test]
    fn a_contact_without_the_company_view_has_no_switch(world in world_strategy()) {
        for contact in &world.contacts {
            let set = world.company_set(contact);
            let view = world.view(contact, Some(View::Organization));
            if set.is_empty() {
                prop_assert!(view.views.is_empty(), "{} has a switch without the company view", contact.email);
                prop_assert_eq!(view.view, None);
            } else {
                prop_assert_eq!(&view.views, &[View::Organization, View::Mine]);
                if view.can_sign_in {
                    let shown: BTreeSet<String> = ids(&view).into_iter().collect();
                    for ticket in &world.tickets {
                        if ticket.companies.iter().any(|company| set.contains(company))
                            && rules::passes_filters(&world.settings, ticket)
                        {
                            prop_assert!(shown.contains(&ticket.id), "{} misses company ticket {}", contact.email, ticket.id);
                        }
                    }
                }
            }
        }
    }

    /// The "mine" view is a subset of the "organization" view.
    #[test]
    fn the_mine_view_is_a_subset_of_the_organization_view(world in world_strategy()) {
        for contact in &world.contacts {
            let mine: BTreeSet<String> = ids(&world.view(contact, Some(View::Mine))).into_iter().collect();
            let organization: BTreeSet<String> =
                ids(&world.view(contact, Some(View::Organization))).into_iter().collect();
            prop_assert!(
                mine.is_subset(&organization),
                "{}: mine {:?} is not within organization {:?}", contact.email, mine, organization
            );
        }
    }

    /// A contact who cannot sign in sees nothing; one who can gets every related ticket either in the
    /// list or among the hidden ones, never both.
    #[test]
    fn a_contact_who_cannot_sign_in_sees_nothing(world in world_strategy()) {
        for contact in &world.contacts {
            let access = rules::may_sign_in(&world.settings, &world.catalog, contact);
            for requested in REQUESTS {
                let view = world.view(contact, requested);
                prop_assert_eq!(view.can_sign_in, access.allowed);
                if !view.can_sign_in {
                    prop_assert!(view.tickets.is_empty(), "{} cannot sign in but sees tickets", contact.email);
                    continue;
                }
                let shown: BTreeSet<String> = ids(&view).into_iter().collect();
                let hidden: BTreeSet<String> =
                    view.hidden_tickets.iter().map(|item| item.id.clone()).collect();
                prop_assert!(shown.is_disjoint(&hidden));
                let all: BTreeSet<String> = shown.union(&hidden).cloned().collect();
                prop_assert_eq!(all, world.related(contact));
            }
        }
    }

    /// The audit matrix agrees with `view_as` for every contact and view: one row per view the contact
    /// has (one row when they have no switch), the same sign-in verdict and the same tickets in the
    /// same order.
    #[test]
    fn the_audit_matrix_agrees_with_view_as(world in world_strategy()) {
        let data = AuditData {
            catalog: world.catalog.clone(),
            contacts: world.contacts.clone(),
            companies: world
                .companies
                .iter()
                .map(|company| (company.id.clone(), company.clone()))
                .collect::<HashMap<_, _>>(),
            tickets: world.tickets.clone(),
        };
        let rows = matrix::matrix(&world.settings, &data);
        let mut expected = Vec::new();
        for contact in &world.contacts {
            let views = rules::available_views(&world.settings, contact, world.company_of(contact));
            let views: Vec<Option<View>> = if views.is_empty() {
                vec![None]
            } else {
                views.into_iter().map(Some).collect()
            };
            for view in views {
                let answer = world.view(contact, view);
                prop_assert_eq!(answer.view, view);
                expected.push((contact.email.clone(), view, answer.can_sign_in, ids(&answer)));
            }
        }
        let actual: Vec<_> = rows
            .iter()
            .map(|row| (row.contact.clone(), row.view, row.can_sign_in, row.visible_tickets.clone()))
            .collect();
        prop_assert_eq!(actual, expected);
        for row in &rows {
            prop_assert_eq!(row.visible_count, row.visible_tickets.len());
        }
    }

    /// A demo is the same however it is chunked (large demos stream chunk by chunk).
    #[test]
    fn a_demo_is_the_same_however_it_is_chunked(seed in any::<u64>(), chunk in 1usize..40) {
        let size = DemoSize { contacts: 12, tickets: 60 };
        let whole = demo::generate(seed, size);
        let mut generator = DemoGenerator::new(seed, size);
        let (mut tickets, mut threads) = (Vec::new(), Vec::new());
        while generator.remaining() > 0 {
            let (more_tickets, more_threads) = generator.next_chunk(chunk);
            tickets.extend(more_tickets);
            threads.extend(more_threads);
        }
        prop_assert_eq!(&generator.head.contacts, &whole.contacts);
        prop_assert_eq!(tickets, whole.tickets);
        prop_assert_eq!(threads, whole.threads);
    }
}
