//! A realistic demo workspace, generated deterministically from a seed: several companies and lists,
//! two pipelines, connected and unconnected channels, internal comments, multi-thread tickets and tickets
//! without any thread. The first run of the product creates one so there is something to look at.

use crate::domain::model::WorkspaceData;
use crate::domain::model::{
    Attachment, Channel, ChannelType, Company, Contact, ContactList, Direction, Form, FormField,
    Inbox, InboxKind, KnowledgeBaseArticle, Menu, MenuItem, Message, MessageType, Pipeline, Stage,
    StageState, Thread, Ticket,
};
use crate::domain::settings::{
    Access, AccessMode, FilterOperator, Settings, SupportForm, TicketFilter, TicketPermissions,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

pub const DEFAULT_SEED: u64 = 20_251_127;
/// Every demo contact with a login shares this password, so QA can sign in as anyone.
pub const DEMO_PASSWORD: &str = "portal-demo";
/// Hashing is deliberately slow; large demos give logins to the first contacts only.
const MAX_LOGINS: usize = 200;

const FIRST_NAMES: [&str; 16] = [
    "Ana", "Ben", "Cara", "Dan", "Eve", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kai", "Lena",
    "Mina", "Noah", "Olga", "Pia",
];
const LAST_NAMES: [&str; 12] = [
    "Berg", "Okafor", "Lind", "Ito", "Moreau", "Haddad", "Nilsson", "Sato", "Costa", "Weber",
    "Park", "Novak",
];
const COMPANY_NAMES: [&str; 10] = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
];
const COMPANY_SUFFIXES: [&str; 4] = ["GmbH", "Corporation", "Oy", "S.L."];
const SUBJECTS: [&str; 16] = [
    "Printer offline",
    "Invoice is wrong",
    "VPN certificate expired",
    "Laptop fan noise",
    "Password reset loop",
    "Request for onboarding call",
    "Office network outage",
    "Shared drive permissions",
    "Email not syncing on phone",
    "Licence renewal question",
    "Monitor flickers",
    "Cannot book meeting rooms",
    "Refund for duplicate payment",
    "New employee account",
    "Slow Wi-Fi on floor 3",
    "Export to CSV fails",
];
const PRIORITIES: [&str; 3] = ["LOW", "MEDIUM", "HIGH"];

/// Sizes of a generated workspace.
#[derive(Debug, Clone, Copy)]
pub struct DemoSize {
    pub contacts: usize,
    pub tickets: usize,
}

impl Default for DemoSize {
    fn default() -> Self {
        DemoSize {
            contacts: 40,
            tickets: 160,
        }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// The fixed part of every demo: settings, pipelines, lists, inboxes, channels, form, articles, menu.
pub fn demo_catalog(data: &mut WorkspaceData) {
    data.settings = Settings {
        page_title: "Demo Support".into(),
        domain: Some("support.demo.example".into()),
        access: Access {
            mode: AccessMode::Lists,
            lists: vec!["customers".into()],
        },
        ticket_filters: vec![TicketFilter {
            property: "pipeline".into(),
            operator: FilterOperator::IsAnyOf,
            values: vec!["support".into()],
        }],
        ticket_permissions: TicketPermissions::Company,
        default_inbox: Some("help".into()),
        support_form: Some(SupportForm {
            form: "support-form".into(),
            link_text: "Submit a support ticket".into(),
        }),
        navigation_menu: Some("main".into()),
        knowledge_base_link: true,
        enabled: true,
        ..Settings::default()
    };
    let stage = |id: &str, label: &str, state| Stage {
        id: id.into(),
        label: label.into(),
        state,
    };
    data.pipelines = vec![
        Pipeline {
            id: "support".into(),
            label: "Support".into(),
            stages: vec![
                stage("new", "New", StageState::Open),
                stage("waiting", "Waiting on customer", StageState::Open),
                stage("in-progress", "In progress", StageState::Open),
                stage("closed", "Closed", StageState::Closed),
            ],
        },
        Pipeline {
            id: "billing".into(),
            label: "Billing".into(),
            stages: vec![
                stage("b-open", "Invoice question", StageState::Open),
                stage("b-done", "Resolved", StageState::Closed),
            ],
        },
    ];
    data.lists = vec![
        ContactList {
            id: "customers".into(),
            name: "Portal customers".into(),
        },
        ContactList {
            id: "partners".into(),
            name: "Partners".into(),
        },
        ContactList {
            id: "beta".into(),
            name: "Beta testers".into(),
        },
    ];
    data.inboxes = vec![
        Inbox {
            id: "help".into(),
            name: "Help desk".into(),
            kind: InboxKind::HelpDesk,
        },
        Inbox {
            id: "team".into(),
            name: "Team inbox".into(),
            kind: InboxKind::Conversations,
        },
    ];
    let channel = |id: &str, channel_type, address: Option<&str>, inbox: Option<&str>| Channel {
        id: id.into(),
        channel_type,
        address: address.map(Into::into),
        inbox: inbox.map(Into::into),
    };
    data.channels = vec![
        channel(
            "support-mail",
            ChannelType::Email,
            Some("support@demo-support.example"),
            Some("help"),
        ),
        channel("chat", ChannelType::Chat, None, Some("help")),
        channel("messenger", ChannelType::FbMessenger, None, Some("team")),
        channel("web-form", ChannelType::Form, None, Some("help")),
        channel(
            "sales-mail",
            ChannelType::Email,
            Some("sales@demo-support.example"),
            None,
        ),
        channel("old-chat", ChannelType::Chat, None, None),
    ];
    data.forms = vec![Form {
        id: "support-form".into(),
        name: "Support request".into(),
        inbox: Some("help".into()),
        pipeline: "support".into(),
        fields: vec![
            FormField {
                name: "subject".into(),
                label: "Subject".into(),
                ticket_property: "subject".into(),
                required: true,
            },
            FormField {
                name: "content".into(),
                label: "Describe the problem".into(),
                ticket_property: "content".into(),
                required: true,
            },
        ],
    }];
    data.kb_articles = vec![
        KnowledgeBaseArticle {
            id: "kb-1".into(),
            title: "Resetting the printer".into(),
            published: true,
        },
        KnowledgeBaseArticle {
            id: "kb-2".into(),
            title: "Draft: VPN setup".into(),
            published: false,
        },
    ];
    data.menus = vec![Menu {
        id: "main".into(),
        name: "Main".into(),
        items: vec![
            MenuItem {
                label: "Home".into(),
                url: "https://demo.example".into(),
            },
            MenuItem {
                label: "Status page".into(),
                url: "https://status.demo.example".into(),
            },
        ],
    }];
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 6, 8, 0, 0)
        .single()
        .expect("valid date")
}

/// A demo workspace being generated: the fixed part, companies and contacts are made up front (they are
/// small even for a large demo), tickets and their threads chunk by chunk, so that a demo of a million
/// tickets streams into the workspace with bounded memory. The same seed always gives the same workspace,
/// however it is chunked.
pub struct DemoGenerator {
    /// Settings, catalog, companies, contacts and passwords; `tickets` and `threads` stay empty.
    pub head: WorkspaceData,
    rng: StdRng,
    size: DemoSize,
    next_ticket: usize,
    message_number: usize,
}

impl DemoGenerator {
    pub fn new(seed: u64, size: DemoSize) -> DemoGenerator {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut data = WorkspaceData::default();
        demo_catalog(&mut data);
        let company_count = (size.contacts / 4).clamp(1, 20_000);
        data.companies.reserve(company_count);
        data.contacts.reserve(size.contacts);
        for index in 0..company_count {
            let name = COMPANY_NAMES[index % COMPANY_NAMES.len()];
            let round = index / COMPANY_NAMES.len();
            let id = if round == 0 {
                name.to_lowercase()
            } else {
                format!("{}-{round}", name.to_lowercase())
            };
            data.companies.push(Company {
                name: format!(
                    "{name}{} {}",
                    if round == 0 {
                        String::new()
                    } else {
                        format!(" {}", round + 1)
                    },
                    COMPANY_SUFFIXES[index % COMPANY_SUFFIXES.len()]
                ),
                domain: Some(format!("{id}.example")),
                id,
            });
        }
        for index in 0..size.contacts {
            let first = FIRST_NAMES[index % FIRST_NAMES.len()];
            let last = pick(&mut rng, &LAST_NAMES);
            // One contact in eight is a freelancer without a company.
            let company =
                (index % 8 != 4).then(|| data.companies[index % company_count].id.clone());
            let domain = company
                .as_ref()
                .map_or("freelance.example".to_string(), |id| {
                    format!("{id}.example")
                });
            let mut lists = Vec::new();
            if index % 5 != 2 {
                lists.push("customers".to_string());
            }
            if index % 3 == 1 {
                lists.push("partners".to_string());
            }
            if rng.gen_bool(0.1) {
                lists.push("beta".to_string());
            }
            let id = format!("c{index}");
            let email = format!(
                "{}.{}{index}@{domain}",
                first.to_lowercase(),
                last.to_lowercase()
            );
            if index < MAX_LOGINS {
                data.passwords.push((id.clone(), DEMO_PASSWORD.into()));
            }
            // Beyond the sources (portal-rules.md 10.1), chosen by position so that the rest of the demo
            // stays what the same seed always gave: one contact in ten also works with the next
            // company, most have a language, and every contact has a job title.
            let companies = match &company {
                Some(_) if index % 10 == 3 && company_count > 1 => {
                    vec![data.companies[(index + 1) % company_count].id.clone()]
                }
                _ => Vec::new(),
            };
            let language = [
                Some("en"),
                Some("de"),
                None,
                Some("fi"),
                Some("es"),
                Some("en"),
            ][index % 6]
                .map(str::to_string);
            let mut properties = BTreeMap::new();
            properties.insert(
                "job_title".to_string(),
                [
                    "Manager",
                    "Engineer",
                    "Engineer",
                    "Accountant",
                    "Support lead",
                ][index % 5]
                    .to_string(),
            );
            data.contacts.push(Contact {
                id,
                email,
                first_name: first.into(),
                last_name: last.to_string(),
                company,
                lists,
                companies,
                language,
                properties,
            });
        }
        DemoGenerator {
            head: data,
            rng,
            size,
            next_ticket: 0,
            message_number: 0,
        }
    }

    /// How many tickets are still to come.
    pub fn remaining(&self) -> usize {
        self.size.tickets - self.next_ticket
    }

    /// Hashes for the demo logins. Every demo login shares the published demo password, so one hash (one
    /// slow argon2 run instead of two hundred) serves them all.
    pub fn password_hashes(&self) -> Vec<(String, String)> {
        if self.head.passwords.is_empty() {
            return Vec::new();
        }
        let hash = crate::domain::passwords::hash(DEMO_PASSWORD);
        self.head
            .passwords
            .iter()
            .map(|(contact, _)| (contact.clone(), hash.clone()))
            .collect()
    }

    /// The next (up to) `count` tickets with their threads; both empty once every ticket is made.
    pub fn next_chunk(&mut self, count: usize) -> (Vec<Ticket>, Vec<Thread>) {
        let count = count.min(self.remaining());
        let mut tickets = Vec::with_capacity(count);
        let mut threads = Vec::with_capacity(count + count / 4);
        for _ in 0..count {
            let index = self.next_ticket;
            self.next_ticket += 1;
            self.ticket(index, &mut tickets, &mut threads);
        }
        (tickets, threads)
    }

    fn ticket(&mut self, index: usize, tickets: &mut Vec<Ticket>, threads: &mut Vec<Thread>) {
        let rng = &mut self.rng;
        let contacts = &self.head.contacts;
        let contact_index = rng.gen_range(0..contacts.len().max(1));
        let contact = &contacts[contact_index];
        let billing = rng.gen_bool(0.15);
        let (pipeline, stage) = if billing {
            (
                "billing",
                if rng.gen_bool(0.5) {
                    "b-open"
                } else {
                    "b-done"
                },
            )
        } else {
            (
                "support",
                *pick(rng, &["new", "waiting", "in-progress", "closed"]),
            )
        };
        let created = start() + Duration::minutes(rng.gen_range(0..60 * 24 * 300));
        let id = (1001 + index).to_string();
        // Some tickets are reported by phone for the whole company, with no contact.
        let phone_report = contact.company.is_some() && rng.gen_bool(0.05);
        let mut properties = BTreeMap::new();
        properties.insert(
            "region".to_string(),
            serde_json::Value::String((*pick(rng, &["EU", "US", "APAC"])).into()),
        );
        let mut ticket = Ticket {
            id: id.clone(),
            subject: pick(rng, &SUBJECTS).to_string(),
            content: "Reported through the demo generator.".into(),
            pipeline: pipeline.into(),
            stage: stage.into(),
            priority: Some(pick(rng, &PRIORITIES).to_string()),
            category: None,
            source: Some(if phone_report { "PHONE" } else { "EMAIL" }.into()),
            created_at: created,
            last_activity_at: created,
            properties,
            contacts: if phone_report {
                Vec::new()
            } else {
                vec![contact.id.clone()]
            },
            companies: contact.company.iter().cloned().collect(),
            cc: Vec::new(),
        };
        // One ticket in twelve copies a colleague of the same company (10.2), chosen by position so that
        // the random sequence stays that of the seed.
        let company_count = self.head.companies.len().max(1);
        let colleague = &contacts[(contact_index + company_count) % contacts.len()];
        if index % 12 == 5
            && colleague.id != contact.id
            && colleague.company.is_some()
            && colleague.company == contact.company
            && !ticket.contacts.contains(&colleague.id)
        {
            ticket.cc.push(colleague.id.clone());
        }
        // One ticket in ten has no thread, one in five several (1.2 threads and 3 messages per ticket on
        // average); the third thread of a ticket is always on the unconnected sales mailbox.
        let thread_count = match rng.gen_range(0..10) {
            0 => 0,
            1 => 2,
            2 => 3,
            _ => 1,
        };
        for thread_index in 0..thread_count {
            let channel = if thread_index == 2 {
                "sales-mail"
            } else {
                *pick(
                    rng,
                    &["support-mail", "chat", "messenger", "web-form", "old-chat"],
                )
            };
            let thread_start =
                created + Duration::hours(thread_index as i64 * rng.gen_range(1..48));
            let mut messages = Vec::new();
            let mut at = thread_start;
            for message_index in 0..rng.gen_range(1..5) {
                self.message_number += 1;
                let incoming = message_index % 2 == 0;
                let comment = !incoming && rng.gen_bool(0.25);
                let attachments = if incoming && rng.gen_bool(0.05) {
                    vec![Attachment {
                        id: 0,
                        name: "screenshot.txt".into(),
                        content_type: "text/plain".into(),
                        size: 24,
                        data: Some(b"pretend this is a photo\n".to_vec()),
                    }]
                } else {
                    Vec::new()
                };
                messages.push(Message {
                    id: format!("m-{}", self.message_number),
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
                    from: if incoming {
                        contact.email.clone()
                    } else {
                        "agent@demo-support.example".into()
                    },
                    text: if comment {
                        "Internal: checking with second level.".into()
                    } else if incoming {
                        format!("{} — any news?", ticket.subject)
                    } else {
                        "Thanks, we are on it.".into()
                    },
                    created_at: at,
                    attachments,
                });
                at += Duration::minutes(rng.gen_range(5..600));
            }
            ticket.last_activity_at = ticket.last_activity_at.max(at);
            threads.push(Thread {
                id: format!("th-{id}-{}", thread_index + 1),
                ticket: Some(id.clone()),
                channel: channel.into(),
                created_at: thread_start,
                messages,
            });
        }
        tickets.push(ticket);
    }
}

/// Generates a demo workspace of `size` from `seed` in memory (for small sizes: tests, the first-run
/// workspace); `transfer::write_demo` streams a large one into a file.
pub fn generate(seed: u64, size: DemoSize) -> WorkspaceData {
    let mut generator = DemoGenerator::new(seed, size);
    let (tickets, threads) = generator.next_chunk(size.tickets);
    WorkspaceData {
        tickets,
        threads,
        ..generator.head
    }
}
