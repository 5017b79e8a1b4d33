//! One test per rule of portal-rules.md sections 2-4, on small hand-built data, through the pure rule
//! functions (no storage).

use chrono::{DateTime, TimeZone, Utc};
use portal::domain::model::*;
use portal::domain::rules::{self, View};
use portal::domain::settings::*;
use std::collections::BTreeMap;

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, hour, 0, 0).unwrap()
}

fn catalog() -> Catalog {
    let stage = |id: &str, label: &str, state| Stage {
        id: id.into(),
        label: label.into(),
        state,
    };
    Catalog {
        pipelines: vec![
            Pipeline {
                id: "support".into(),
                label: "Support".into(),
                stages: vec![
                    stage("new", "New", StageState::Open),
                    stage("waiting", "Waiting on customer", StageState::Open),
                    stage("closed", "Closed", StageState::Closed),
                ],
            },
            Pipeline {
                id: "billing".into(),
                label: "Billing".into(),
                stages: vec![stage("b-open", "Invoice question", StageState::Open)],
            },
        ],
        lists: vec![
            ContactList {
                id: "customers".into(),
                name: "Portal customers".into(),
            },
            ContactList {
                id: "partners".into(),
                name: "Partners".into(),
            },
        ],
        inboxes: vec![Inbox {
            id: "help".into(),
            name: "Help desk".into(),
            kind: InboxKind::HelpDesk,
        }],
        channels: vec![
            Channel {
                id: "mail".into(),
                channel_type: ChannelType::Email,
                address: Some("s@x.example".into()),
                inbox: Some("help".into()),
            },
            Channel {
                id: "chat".into(),
                channel_type: ChannelType::Chat,
                address: None,
                inbox: Some("help".into()),
            },
            Channel {
                id: "sales".into(),
                channel_type: ChannelType::Email,
                address: Some("sales@x.example".into()),
                inbox: None,
            },
        ],
        ..Catalog::default()
    }
}

fn contact(id: &str, company: Option<&str>, lists: &[&str]) -> Contact {
    Contact {
        id: id.into(),
        email: format!("{id}@acme.example"),
        first_name: id[..1].to_uppercase() + &id[1..],
        last_name: "Tester".into(),
        company: company.map(Into::into),
        lists: lists.iter().map(|list| list.to_string()).collect(),
        ..Contact::default()
    }
}

fn acme() -> Company {
    Company {
        id: "acme".into(),
        name: "Acme GmbH".into(),
        domain: None,
    }
}

fn ticket(id: &str, contacts: &[&str], companies: &[&str]) -> Ticket {
    Ticket {
        id: id.into(),
        subject: format!("Ticket {id}"),
        content: String::new(),
        pipeline: "support".into(),
        stage: "new".into(),
        priority: Some("HIGH".into()),
        category: None,
        source: Some("EMAIL".into()),
        created_at: at(1, 9),
        last_activity_at: at(2, 9),
        properties: BTreeMap::new(),
        contacts: contacts.iter().map(|c| c.to_string()).collect(),
        companies: companies.iter().map(|c| c.to_string()).collect(),
        cc: Vec::new(),
    }
}

fn message(id: &str, message_type: MessageType, created_at: DateTime<Utc>) -> Message {
    Message {
        id: id.into(),
        message_type,
        direction: Direction::Incoming,
        from: "ana@acme.example".into(),
        text: format!("text of {id}"),
        created_at,
        attachments: Vec::new(),
    }
}

fn thread(
    id: &str,
    ticket: &str,
    channel: &str,
    created_at: DateTime<Utc>,
    messages: Vec<Message>,
) -> Thread {
    Thread {
        id: id.into(),
        ticket: Some(ticket.into()),
        channel: channel.into(),
        created_at,
        messages,
    }
}

fn settings() -> Settings {
    Settings {
        access: Access {
            mode: AccessMode::Lists,
            lists: vec!["customers".into()],
        },
        ..Settings::default()
    }
}

fn company_settings() -> Settings {
    Settings {
        ticket_permissions: TicketPermissions::Company,
        ..settings()
    }
}

fn visible_ids(view: &rules::ContactView) -> Vec<&str> {
    view.tickets
        .iter()
        .map(|ticket| ticket.id.as_str())
        .collect()
}

// ---- Section 2: who may sign in ----

#[test]
fn self_registration_lets_any_contact_sign_in() {
    let settings = Settings {
        access: Access {
            mode: AccessMode::SelfRegistration,
            lists: vec![],
        },
        ..settings()
    };
    let decision = rules::may_sign_in(&settings, &catalog(), &contact("zoe", None, &[]));
    assert!(decision.allowed, "{}", decision.reason);
}

#[test]
fn lists_mode_admits_only_members_of_a_chosen_list() {
    let member = rules::may_sign_in(
        &settings(),
        &catalog(),
        &contact("ana", None, &["customers"]),
    );
    assert!(member.allowed);
    assert_eq!(member.reason, "member of list Portal customers");
    let outsider = rules::may_sign_in(
        &settings(),
        &catalog(),
        &contact("cara", None, &["partners"]),
    );
    assert!(!outsider.allowed);
    assert!(
        outsider.reason.contains("Portal customers"),
        "{}",
        outsider.reason
    );
}

#[test]
fn sso_all_admits_every_sso_user_once_sso_is_configured() {
    let sso = SsoConfiguration::Jwt {
        algorithm: JwtAlgorithm::HS256,
        secret: Some("a-long-shared-secret-value".into()),
        public_key: None,
        issuer: "idp".into(),
        audience: "portal".into(),
        email_claim: "email".into(),
    };
    let mut settings = Settings {
        access: Access {
            mode: AccessMode::SsoAll,
            lists: vec![],
        },
        ..settings()
    };
    assert!(!rules::may_sign_in(&settings, &catalog(), &contact("zoe", None, &[])).allowed);
    settings.sso = Some(sso);
    assert!(rules::may_sign_in(&settings, &catalog(), &contact("zoe", None, &[])).allowed);
}

#[test]
fn sso_lists_also_requires_list_membership() {
    let settings = Settings {
        access: Access {
            mode: AccessMode::SsoLists,
            lists: vec!["customers".into()],
        },
        sso: Some(SsoConfiguration::Saml {
            entity_id: "e".into(),
            sso_url: "https://idp".into(),
            certificate: "c".into(),
        }),
        ..settings()
    };
    assert!(
        rules::may_sign_in(&settings, &catalog(), &contact("ana", None, &["customers"])).allowed
    );
    assert!(
        !rules::may_sign_in(&settings, &catalog(), &contact("cara", None, &["partners"])).allowed
    );
}

#[test]
fn a_contact_who_may_not_sign_in_sees_nothing() {
    let cara = contact("cara", Some("acme"), &["partners"]);
    let view = rules::view_as(
        &company_settings(),
        &catalog(),
        &cara,
        Some(&acme()),
        &[ticket("1", &["cara"], &["acme"])],
        &[],
        None,
    );
    assert!(!view.can_sign_in);
    assert!(view.tickets.is_empty());
    assert!(view.hidden_tickets.is_empty());
}

// ---- Section 3: which tickets ----

#[test]
fn own_tickets_are_visible() {
    let ana = contact("ana", None, &["customers"]);
    let view = rules::view_as(
        &settings(),
        &catalog(),
        &ana,
        None,
        &[ticket("1", &["ana"], &[])],
        &[],
        None,
    );
    assert_eq!(visible_ids(&view), ["1"]);
    assert_eq!(view.tickets[0].reason, "associated with Ana Tester");
}

#[test]
fn company_tickets_are_hidden_with_contact_permissions() {
    let ana = contact("ana", Some("acme"), &["customers"]);
    let view = rules::view_as(
        &settings(),
        &catalog(),
        &ana,
        Some(&acme()),
        &[ticket("7", &[], &["acme"])],
        &[],
        None,
    );
    assert!(view.tickets.is_empty());
    assert_eq!(
        view.hidden_tickets[0].reason,
        "not associated with Ana nor (company tickets are off) with Acme GmbH"
    );
    assert!(view.views.is_empty());
    assert_eq!(view.view, None);
}

#[test]
fn company_permissions_show_primary_company_tickets_in_the_organization_view() {
    let ana = contact("ana", Some("acme"), &["customers"]);
    let view = rules::view_as(
        &company_settings(),
        &catalog(),
        &ana,
        Some(&acme()),
        &[ticket("7", &[], &["acme"])],
        &[],
        None,
    );
    assert_eq!(view.views, [View::Organization, View::Mine]);
    assert_eq!(view.view, Some(View::Organization));
    assert_eq!(visible_ids(&view), ["7"]);
    assert_eq!(
        view.tickets[0].reason,
        "associated with Acme GmbH, Ana's primary company"
    );
}

#[test]
fn the_mine_view_shows_only_own_tickets() {
    let ana = contact("ana", Some("acme"), &["customers"]);
    let tickets = [
        ticket("1", &["ana"], &["acme"]),
        ticket("7", &[], &["acme"]),
    ];
    let view = rules::view_as(
        &company_settings(),
        &catalog(),
        &ana,
        Some(&acme()),
        &tickets,
        &[],
        Some(View::Mine),
    );
    assert_eq!(view.view, Some(View::Mine));
    assert_eq!(visible_ids(&view), ["1"]);
    assert_eq!(view.hidden_tickets.len(), 1);
    assert_eq!(view.hidden_tickets[0].id, "7");
}

#[test]
fn a_contact_without_a_primary_company_gets_no_view_switch() {
    let eve = contact("eve", None, &["customers"]);
    let view = rules::view_as(
        &company_settings(),
        &catalog(),
        &eve,
        None,
        &[ticket("6", &["eve"], &[])],
        &[],
        Some(View::Organization),
    );
    assert!(view.views.is_empty());
    assert_eq!(view.view, None);
    assert_eq!(visible_ids(&view), ["6"]);
}

#[test]
fn tickets_of_other_companies_are_never_visible() {
    let ana = contact("ana", Some("acme"), &["customers"]);
    let view = rules::view_as(
        &company_settings(),
        &catalog(),
        &ana,
        Some(&acme()),
        &[ticket("5", &["dan"], &["globex"])],
        &[],
        None,
    );
    assert!(view.tickets.is_empty());
    // Unrelated tickets are not even listed as hidden: they are nobody's business here.
    assert!(view.hidden_tickets.is_empty());
}

fn filtered(filter: TicketFilter, ticket: &Ticket) -> Option<String> {
    let settings = Settings {
        ticket_filters: vec![filter],
        ..settings()
    };
    let ana = contact("ana", None, &["customers"]);
    let view = rules::view_as(
        &settings,
        &catalog(),
        &ana,
        None,
        std::slice::from_ref(ticket),
        &[],
        None,
    );
    view.hidden_tickets
        .first()
        .map(|hidden| hidden.reason.clone())
}

fn filter(property: &str, operator: FilterOperator, values: &[&str]) -> TicketFilter {
    TicketFilter {
        property: property.into(),
        operator,
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

#[test]
fn filter_is_any_of_passes_only_listed_values() {
    let mut billing = ticket("2", &["ana"], &[]);
    billing.pipeline = "billing".into();
    billing.stage = "b-open".into();
    assert_eq!(
        filtered(
            filter("pipeline", FilterOperator::IsAnyOf, &["support"]),
            &billing
        )
        .as_deref(),
        Some("filter 'pipeline is any of Support' fails (pipeline is Billing)")
    );
    assert_eq!(
        filtered(
            filter("pipeline", FilterOperator::IsAnyOf, &["support"]),
            &ticket("1", &["ana"], &[])
        ),
        None
    );
}

#[test]
fn filter_is_none_of_passes_other_and_unknown_values() {
    let high = ticket("1", &["ana"], &[]);
    assert!(filtered(
        filter("priority", FilterOperator::IsNoneOf, &["HIGH"]),
        &high
    )
    .is_some());
    assert_eq!(
        filtered(
            filter("priority", FilterOperator::IsNoneOf, &["LOW"]),
            &high
        ),
        None
    );
    let mut unknown = high.clone();
    unknown.priority = None;
    assert_eq!(
        filtered(
            filter("priority", FilterOperator::IsNoneOf, &["HIGH"]),
            &unknown
        ),
        None
    );
}

#[test]
fn filter_is_known_and_is_unknown_test_for_a_value() {
    let mut with_category = ticket("1", &["ana"], &[]);
    with_category.category = Some("hardware".into());
    let without = ticket("2", &["ana"], &[]);
    assert_eq!(
        filtered(
            filter("category", FilterOperator::IsKnown, &[]),
            &with_category
        ),
        None
    );
    assert_eq!(
        filtered(filter("category", FilterOperator::IsKnown, &[]), &without).as_deref(),
        Some("filter 'category is known' fails (category is unknown)")
    );
    assert_eq!(
        filtered(filter("category", FilterOperator::IsUnknown, &[]), &without),
        None
    );
    assert!(filtered(
        filter("category", FilterOperator::IsUnknown, &[]),
        &with_category
    )
    .is_some());
}

#[test]
fn filters_apply_to_custom_properties() {
    let mut eu = ticket("1", &["ana"], &[]);
    eu.properties
        .insert("region".into(), serde_json::json!("EU"));
    let us = {
        let mut us = eu.clone();
        us.properties
            .insert("region".into(), serde_json::json!("US"));
        us
    };
    assert_eq!(
        filtered(filter("region", FilterOperator::IsAnyOf, &["EU"]), &eu),
        None
    );
    assert_eq!(
        filtered(filter("region", FilterOperator::IsAnyOf, &["EU"]), &us).as_deref(),
        Some("filter 'region is any of EU' fails (region is US)")
    );
}

#[test]
fn a_ticket_must_match_all_filter_rules() {
    let settings = Settings {
        ticket_filters: vec![
            filter("pipeline", FilterOperator::IsAnyOf, &["support"]),
            filter("priority", FilterOperator::IsAnyOf, &["LOW"]),
        ],
        ..settings()
    };
    let ana = contact("ana", None, &["customers"]);
    let view = rules::view_as(
        &settings,
        &catalog(),
        &ana,
        None,
        &[ticket("1", &["ana"], &[])],
        &[],
        None,
    );
    assert!(view.tickets.is_empty());
    assert!(view.hidden_tickets[0]
        .reason
        .contains("priority is any of LOW"));
}

#[test]
fn the_list_is_ordered_by_last_activity_newest_first() {
    let ana = contact("ana", None, &["customers"]);
    let mut older = ticket("1", &["ana"], &[]);
    older.last_activity_at = at(1, 10);
    let mut newer = ticket("2", &["ana"], &[]);
    newer.last_activity_at = at(5, 10);
    let view = rules::view_as(
        &settings(),
        &catalog(),
        &ana,
        None,
        &[older, newer],
        &[],
        None,
    );
    assert_eq!(visible_ids(&view), ["2", "1"]);
}

// ---- Section 4: which conversation and which messages ----

fn shown_thread(settings: &Settings, threads: &[Thread]) -> rules::VisibleTicket {
    let ana = contact("ana", None, &["customers"]);
    let view = rules::view_as(
        settings,
        &catalog(),
        &ana,
        None,
        &[ticket("1", &["ana"], &[])],
        threads,
        None,
    );
    view.tickets
        .into_iter()
        .next()
        .expect("the ticket is visible")
}

#[test]
fn threads_on_unconnected_channels_never_appear() {
    let only_sales = [thread(
        "t-sales",
        "1",
        "sales",
        at(1, 9),
        vec![message("m1", MessageType::Message, at(1, 9))],
    )];
    let shown = shown_thread(&settings(), &only_sales);
    assert!(shown.thread.is_none());
    assert!(shown.hidden_threads[0]
        .reason
        .contains("not connected to an inbox"));
}

#[test]
fn most_recent_shows_the_thread_with_the_newest_message_of_any_type() {
    let threads = [
        thread(
            "t-a",
            "1",
            "mail",
            at(1, 9),
            vec![message("m1", MessageType::Message, at(1, 9))],
        ),
        // Its newest entry is an internal comment, which still counts as activity.
        thread(
            "t-b",
            "1",
            "chat",
            at(1, 8),
            vec![
                message("m2", MessageType::Message, at(1, 8)),
                message("m3", MessageType::Comment, at(3, 8)),
            ],
        ),
        // Newer still, but unconnected: not eligible.
        thread(
            "t-c",
            "1",
            "sales",
            at(4, 8),
            vec![message("m4", MessageType::Message, at(4, 8))],
        ),
    ];
    let shown = shown_thread(&settings(), &threads);
    assert_eq!(shown.thread.unwrap().id, "t-b");
}

#[test]
fn original_shows_the_thread_created_first() {
    let settings = Settings {
        thread_shown: ThreadShown::Original,
        ..settings()
    };
    let threads = [
        thread(
            "t-a",
            "1",
            "mail",
            at(2, 9),
            vec![message("m1", MessageType::Message, at(5, 9))],
        ),
        thread(
            "t-b",
            "1",
            "chat",
            at(1, 9),
            vec![message("m2", MessageType::Message, at(1, 9))],
        ),
    ];
    let shown = shown_thread(&settings, &threads);
    assert_eq!(shown.thread.as_ref().unwrap().id, "t-b");
    assert_eq!(shown.thread.unwrap().reason, "original eligible thread");
}

#[test]
fn a_tie_goes_to_the_smaller_thread_id() {
    let same = at(2, 9);
    let threads = [
        thread(
            "t-b",
            "1",
            "mail",
            same,
            vec![message("m1", MessageType::Message, same)],
        ),
        thread(
            "t-a",
            "1",
            "chat",
            same,
            vec![message("m2", MessageType::Message, same)],
        ),
    ];
    assert_eq!(
        shown_thread(&settings(), &threads).thread.unwrap().id,
        "t-a"
    );
    let original = Settings {
        thread_shown: ThreadShown::Original,
        ..settings()
    };
    assert_eq!(shown_thread(&original, &threads).thread.unwrap().id, "t-a");
}

#[test]
fn every_contact_who_sees_the_ticket_sees_the_shown_thread() {
    // Ben is not a participant of the thread on Ana's company ticket, yet sees it.
    let ben = contact("ben", Some("acme"), &["customers"]);
    let threads = [thread(
        "t-a",
        "1",
        "mail",
        at(1, 9),
        vec![message("m1", MessageType::Message, at(1, 9))],
    )];
    let view = rules::view_as(
        &company_settings(),
        &catalog(),
        &ben,
        Some(&acme()),
        &[ticket("1", &["ana"], &["acme"])],
        &threads,
        None,
    );
    assert_eq!(view.tickets[0].thread.as_ref().unwrap().id, "t-a");
}

#[test]
fn internal_comments_never_appear_and_messages_run_oldest_first() {
    let threads = [thread(
        "t-a",
        "1",
        "mail",
        at(1, 9),
        vec![
            message("m-late", MessageType::Message, at(3, 9)),
            message("m-note", MessageType::Comment, at(2, 9)),
            message("m-early", MessageType::Message, at(1, 9)),
        ],
    )];
    let shown = shown_thread(&settings(), &threads);
    let ids: Vec<String> = shown
        .thread
        .unwrap()
        .messages
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids, ["m-early", "m-late"]);
    assert_eq!(shown.hidden_messages[0].id, "m-note");
    assert_eq!(shown.hidden_messages[0].reason, "internal comment");
}

#[test]
fn a_visible_ticket_without_eligible_threads_shows_an_empty_conversation() {
    let shown = shown_thread(&settings(), &[]);
    assert!(shown.thread.is_none());
    assert!(shown.hidden_threads.is_empty());
}

// ---- Section 5: status labels ----

#[test]
fn status_is_open_or_closed_from_the_stage_state() {
    let mut closed = ticket("1", &["ana"], &[]);
    closed.stage = "closed".into();
    assert_eq!(
        rules::status_label(&settings(), &catalog(), &closed),
        "Closed"
    );
    assert_eq!(
        rules::status_label(&settings(), &catalog(), &ticket("2", &["ana"], &[])),
        "Open"
    );
}

#[test]
fn pipeline_stages_display_shows_the_stage_label() {
    let settings = Settings {
        status_display: StatusDisplay::PipelineStages,
        ..settings()
    };
    let mut waiting = ticket("1", &["ana"], &[]);
    waiting.stage = "waiting".into();
    assert_eq!(
        rules::status_label(&settings, &catalog(), &waiting),
        "Waiting on customer"
    );
}

// ---- Section 1: settings validation and the checklist ----

#[test]
fn the_system_domain_cannot_host_the_portal() {
    assert!(domain_problem("acme.hs-sites.com").is_some());
    assert!(domain_problem("x.portal.invalid").is_some());
    assert!(domain_problem("not a host").is_some());
    assert_eq!(domain_problem("support.acme.example"), None);
}

#[test]
fn enabling_needs_a_passing_checklist() {
    let mut settings = settings();
    settings.enabled = true;
    let problems = validate(&settings, &catalog());
    assert!(
        problems.iter().any(|problem| problem.field == "enabled"),
        "{problems:?}"
    );
    settings.domain = Some("support.acme.example".into());
    settings.default_inbox = Some("help".into());
    assert_eq!(validate(&settings, &catalog()), vec![]);
    assert!(checklist(&settings, &catalog())
        .iter()
        .all(|item| item.passed));
}

#[test]
fn lists_access_needs_at_least_one_existing_list() {
    let no_list = Settings {
        access: Access {
            mode: AccessMode::Lists,
            lists: vec![],
        },
        ..Settings::default()
    };
    let access = checklist(&no_list, &catalog())
        .into_iter()
        .find(|item| item.key == "access")
        .unwrap();
    assert!(!access.passed);
    assert_eq!(access.message, "no access list is chosen");
    let enabled = Settings {
        enabled: true,
        ..no_list
    };
    assert!(validate(&enabled, &catalog())
        .iter()
        .any(|p| p.field == "access.lists"));
    let settings = Settings {
        access: Access {
            mode: AccessMode::Lists,
            lists: vec!["ghosts".into()],
        },
        ..Settings::default()
    };
    assert!(validate(&settings, &catalog())
        .iter()
        .any(|p| p.field == "access.lists[0]"));
}

#[test]
fn self_registration_needs_a_consent_notice() {
    let settings = Settings {
        access: Access {
            mode: AccessMode::SelfRegistration,
            lists: vec![],
        },
        consent: Consent {
            notice: " ".into(),
            checkbox_label: "I agree".into(),
        },
        ..Settings::default()
    };
    assert!(validate(&settings, &catalog())
        .iter()
        .any(|p| p.field == "consent.notice"));
}

#[test]
fn the_knowledge_base_link_needs_a_published_article() {
    let settings = Settings {
        knowledge_base_link: true,
        ..settings()
    };
    assert!(validate(&settings, &catalog())
        .iter()
        .any(|p| p.field == "knowledge_base_link"));
    let mut with_article = catalog();
    with_article.kb_articles.push(KnowledgeBaseArticle {
        id: "kb".into(),
        title: "Reset".into(),
        published: true,
    });
    assert!(!validate(&settings, &with_article)
        .iter()
        .any(|p| p.field == "knowledge_base_link"));
}

#[test]
fn the_idle_timeout_is_5_to_10080_minutes_or_never() {
    for (minutes, ok) in [
        (0, true),
        (4, false),
        (5, true),
        (10080, true),
        (10081, false),
    ] {
        let settings = Settings {
            idle_timeout_minutes: minutes,
            ..settings()
        };
        assert_eq!(
            validate(&settings, &catalog()).is_empty(),
            ok,
            "{minutes} minutes"
        );
    }
}

#[test]
fn filters_must_name_an_existing_property() {
    let settings = Settings {
        ticket_filters: vec![filter("colour", FilterOperator::IsKnown, &[])],
        ..settings()
    };
    assert!(validate(&settings, &catalog())
        .iter()
        .any(|p| p.field == "ticket_filters[0].property"));
}

// ---- Section 10.1: company view rules and company scope ----

fn globex() -> Company {
    Company {
        id: "globex".into(),
        name: "Globex Corporation".into(),
        domain: None,
    }
}

/// Ana: primary company Acme, also associated with Globex, a manager who speaks German.
fn ana_of_two_companies(job_title: &str) -> Contact {
    let mut ana = contact("ana", Some("acme"), &["customers"]);
    ana.companies = vec!["globex".into()];
    ana.language = Some("de".into());
    ana.properties
        .insert("job_title".into(), job_title.to_string());
    ana
}

fn contact_rule(property: &str, operator: FilterOperator, values: &[&str]) -> TicketFilter {
    filter(property, operator, values)
}

#[test]
fn a_company_view_rule_that_fails_takes_the_view_switch_away() {
    let settings = Settings {
        company_view_rules: vec![contact_rule(
            "job_title",
            FilterOperator::IsAnyOf,
            &["Manager"],
        )],
        ..company_settings()
    };
    let ana = ana_of_two_companies("Engineer");
    let decision = rules::company_view(&settings, &ana, Some(&acme()).into());
    assert!(!decision.granted);
    assert_eq!(
        decision.reason,
        "no company view: rule 'job title is any of Manager' fails (job title is Engineer)"
    );
    let view = rules::view_as(
        &settings,
        &catalog(),
        &ana,
        Some(&acme()),
        &[
            ticket("1", &["ana"], &["acme"]),
            ticket("7", &[], &["acme"]),
        ],
        &[],
        Some(View::Organization),
    );
    assert!(view.views.is_empty());
    assert_eq!(view.view, None);
    assert_eq!(visible_ids(&view), ["1"]);
    assert_eq!(view.hidden_tickets[0].id, "7");
    assert_eq!(
        view.hidden_tickets[0].reason,
        "not associated with Ana, who has no company view: rule 'job title is any of Manager' \
         fails (job title is Engineer)"
    );
}

#[test]
fn a_contact_matching_every_company_view_rule_gets_the_view_switch() {
    let settings = Settings {
        company_view_rules: vec![
            contact_rule("job_title", FilterOperator::IsAnyOf, &["Manager"]),
            contact_rule("language", FilterOperator::IsAnyOf, &["de", "fi"]),
            contact_rule("email", FilterOperator::IsKnown, &[]),
        ],
        ..company_settings()
    };
    let ana = ana_of_two_companies("Manager");
    let view = rules::view_as(
        &settings,
        &catalog(),
        &ana,
        Some(&acme()),
        &[ticket("7", &[], &["acme"])],
        &[],
        None,
    );
    assert_eq!(view.views, [View::Organization, View::Mine]);
    assert_eq!(visible_ids(&view), ["7"]);
}

#[test]
fn an_unknown_contact_property_fails_an_is_any_of_rule_as_unknown() {
    let settings = Settings {
        company_view_rules: vec![contact_rule("department", FilterOperator::IsAnyOf, &["IT"])],
        ..company_settings()
    };
    let ana = ana_of_two_companies("Manager");
    assert_eq!(
        rules::company_view(&settings, &ana, Some(&acme()).into()).reason,
        "no company view: rule 'department is any of IT' fails (department is unknown)"
    );
}

#[test]
fn the_primary_company_scope_leaves_other_companies_tickets_out() {
    let ana = ana_of_two_companies("Manager");
    let others = [globex()];
    let view = rules::view_as(
        &company_settings(),
        &catalog(),
        &ana,
        rules::ContactCompanies::new(Some(&acme()), &others),
        &[ticket("7", &[], &["acme"]), ticket("8", &[], &["globex"])],
        &[],
        None,
    );
    assert_eq!(visible_ids(&view), ["7"]);
    assert_eq!(view.hidden_tickets[0].id, "8");
    assert_eq!(
        view.hidden_tickets[0].reason,
        "associated with Globex Corporation, which is not in Ana's company scope (primary company only)"
    );
}

#[test]
fn the_associated_company_scope_spans_every_company_of_the_contact() {
    let settings = Settings {
        company_scope: CompanyScope::Associated,
        ..company_settings()
    };
    let ana = ana_of_two_companies("Manager");
    let others = [globex()];
    let acme = acme();
    let companies = rules::ContactCompanies::new(Some(&acme), &others);
    let decision = rules::company_view(&settings, &ana, companies);
    assert_eq!(decision.companies, ["acme", "globex"]);
    assert_eq!(
        decision.reason,
        "company view of Acme GmbH, Globex Corporation"
    );
    let tickets = [ticket("7", &[], &["acme"]), ticket("8", &[], &["globex"])];
    let view = rules::view_as(&settings, &catalog(), &ana, companies, &tickets, &[], None);
    assert_eq!(visible_ids(&view), ["7", "8"]);
    let reason = |id: &str| {
        view.tickets
            .iter()
            .find(|ticket| ticket.id == id)
            .unwrap()
            .reason
            .clone()
    };
    assert_eq!(
        reason("7"),
        "associated with Acme GmbH, Ana's primary company"
    );
    assert_eq!(
        reason("8"),
        "associated with Globex Corporation, one of Ana's companies"
    );
    let mine = rules::view_as(
        &settings,
        &catalog(),
        &ana,
        companies,
        &tickets,
        &[],
        Some(View::Mine),
    );
    assert!(mine.tickets.is_empty());
}

#[test]
fn the_associated_scope_gives_a_contact_without_a_primary_company_the_view() {
    let settings = Settings {
        company_scope: CompanyScope::Associated,
        ..company_settings()
    };
    let mut eve = contact("eve", None, &["customers"]);
    eve.companies = vec!["globex".into()];
    let others = [globex()];
    let view = rules::view_as(
        &settings,
        &catalog(),
        &eve,
        rules::ContactCompanies::new(None, &others),
        &[ticket("8", &[], &["globex"])],
        &[],
        None,
    );
    assert_eq!(view.views, [View::Organization, View::Mine]);
    assert_eq!(visible_ids(&view), ["8"]);
    let primary_only = rules::company_view(
        &company_settings(),
        &eve,
        rules::ContactCompanies::new(None, &others),
    );
    assert_eq!(
        primary_only.reason,
        "no company view: Eve has no primary company"
    );
}

#[test]
fn a_contact_associated_with_no_company_has_no_view_in_the_associated_scope() {
    let settings = Settings {
        company_scope: CompanyScope::Associated,
        ..company_settings()
    };
    let eve = contact("eve", None, &["customers"]);
    assert_eq!(
        rules::company_view(&settings, &eve, None.into()).reason,
        "no company view: Eve is associated with no company"
    );
}

#[test]
fn hidden_tickets_cover_tickets_of_every_associated_company() {
    let ana = ana_of_two_companies("Manager");
    let view = rules::view_as(
        &settings(),
        &catalog(),
        &ana,
        rules::ContactCompanies::new(Some(&acme()), &[globex()]),
        &[
            ticket("8", &[], &["globex"]),
            ticket("9", &[], &["initech"]),
        ],
        &[],
        None,
    );
    assert_eq!(view.hidden_tickets.len(), 1);
    assert_eq!(view.hidden_tickets[0].id, "8");
    assert_eq!(
        view.hidden_tickets[0].reason,
        "not associated with Ana nor (company tickets are off) with Globex Corporation"
    );
}

#[test]
fn company_view_rules_must_name_a_known_contact_property() {
    let mut catalog = catalog();
    catalog.contact_properties = vec!["job_title".into()];
    let settings = Settings {
        company_view_rules: vec![
            contact_rule("job_title", FilterOperator::IsAnyOf, &["Manager"]),
            contact_rule("language", FilterOperator::IsKnown, &[]),
            contact_rule("shoe_size", FilterOperator::IsKnown, &[]),
            contact_rule("first_name", FilterOperator::IsAnyOf, &[]),
        ],
        ..company_settings()
    };
    let problems = validate(&settings, &catalog);
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "company_view_rules[2].property",
            "company_view_rules[3].values"
        ]
    );
    assert_eq!(
        problems[0].message,
        "unknown contact property \"shoe_size\""
    );
}

// ---- Section 10.2: CC'd contacts ----

fn cc_ticket(id: &str, contacts: &[&str], cc: &[&str]) -> Ticket {
    Ticket {
        cc: cc.iter().map(|c| c.to_string()).collect(),
        ..ticket(id, contacts, &[])
    }
}

/// `base` with CC'd contacts seeing tickets.
fn ccd_see_tickets(base: Settings) -> Settings {
    Settings {
        cc_see_tickets: true,
        ..base
    }
}

/// Ana's ticket 3, with `ccd` CC'd on it.
fn anas_ticket_ccing(ccd: &str) -> Ticket {
    cc_ticket("3", &["ana"], &[ccd])
}

/// What `contact`, of no company, sees of `tickets` under `settings`.
fn view_without_company(
    settings: &Settings,
    contact: &Contact,
    tickets: &[Ticket],
) -> rules::ContactView {
    rules::view_as(settings, &catalog(), contact, None, tickets, &[], None)
}

#[test]
fn a_ccd_contact_sees_the_ticket_when_ccd_contacts_see_tickets() {
    let ben = contact("ben", None, &["customers"]);
    let view = view_without_company(
        &ccd_see_tickets(settings()),
        &ben,
        &[anas_ticket_ccing("ben")],
    );
    assert_eq!(visible_ids(&view), ["3"]);
    assert_eq!(view.tickets[0].reason, "CC'd on the ticket");
}

#[test]
fn a_ccd_contact_does_not_see_the_ticket_by_default() {
    let ben = contact("ben", None, &["customers"]);
    let view = view_without_company(&settings(), &ben, &[anas_ticket_ccing("ben")]);
    assert!(view.tickets.is_empty());
    assert_eq!(view.hidden_tickets[0].id, "3");
    assert_eq!(
        view.hidden_tickets[0].reason,
        "only CC'd on the ticket, and CC'd contacts do not see tickets"
    );
}

#[test]
fn a_ccd_ticket_shows_in_every_view_like_an_own_ticket() {
    let ben = contact("ben", Some("acme"), &["customers"]);
    let view = rules::view_as(
        &ccd_see_tickets(company_settings()),
        &catalog(),
        &ben,
        Some(&acme()),
        &[cc_ticket("3", &["dan"], &["ben"])],
        &[],
        Some(View::Mine),
    );
    assert_eq!(view.view, Some(View::Mine));
    assert_eq!(visible_ids(&view), ["3"]);
}

#[test]
fn a_ccd_ticket_still_passes_every_filter() {
    let settings = Settings {
        ticket_filters: vec![filter("pipeline", FilterOperator::IsAnyOf, &["billing"])],
        ..ccd_see_tickets(settings())
    };
    let ben = contact("ben", None, &["customers"]);
    let view = view_without_company(&settings, &ben, &[anas_ticket_ccing("ben")]);
    assert!(view.tickets.is_empty());
    assert!(view.hidden_tickets[0]
        .reason
        .starts_with("filter 'pipeline"));
}

#[test]
fn a_ccd_contact_who_may_not_sign_in_sees_nothing() {
    let cara = contact("cara", None, &["partners"]);
    let view = view_without_company(
        &ccd_see_tickets(settings()),
        &cara,
        &[anas_ticket_ccing("cara")],
    );
    assert!(!view.can_sign_in);
    assert!(view.tickets.is_empty());
}

// ---- Section 10.3: customers close their own tickets ----

fn close_settings() -> Settings {
    Settings {
        customers_close_tickets: true,
        ..settings()
    }
}

/// Ana's ticket 1, open in the Support pipeline.
fn anas_open_ticket() -> Ticket {
    ticket("1", &["ana"], &[])
}

/// `anas_open_ticket` moved to `stage` of `pipeline`.
fn anas_ticket_at(pipeline: &str, stage: &str) -> Ticket {
    Ticket {
        pipeline: pipeline.into(),
        stage: stage.into(),
        ..anas_open_ticket()
    }
}

#[test]
fn closing_moves_an_open_ticket_to_the_first_closed_stage_of_its_pipeline() {
    let mut catalog = catalog();
    // A second closed stage after the first: the first in pipeline order wins.
    catalog.pipelines[0].stages.push(Stage {
        id: "archived".into(),
        label: "Archived".into(),
        state: StageState::Closed,
    });
    let decision = rules::close(&close_settings(), &catalog, &anas_open_ticket());
    assert_eq!(decision.stage.as_deref(), Some("closed"));
    assert_eq!(
        decision.reason,
        "closing moves it to Closed, the first closed stage of Support"
    );
}

#[test]
fn closing_is_not_offered_unless_customers_may_close_tickets() {
    let decision = rules::close(&settings(), &catalog(), &anas_open_ticket());
    assert_eq!(decision.stage, None);
    assert_eq!(decision.reason, "customers may not close tickets");
}

#[test]
fn a_closed_ticket_has_no_close_action() {
    let closed = anas_ticket_at("support", "closed");
    let decision = rules::close(&close_settings(), &catalog(), &closed);
    assert_eq!(decision.stage, None);
    assert_eq!(decision.reason, "the ticket is already closed");
}

#[test]
fn a_pipeline_without_a_closed_stage_has_no_close_action() {
    let billing = anas_ticket_at("billing", "b-open");
    let decision = rules::close(&close_settings(), &catalog(), &billing);
    assert_eq!(decision.stage, None);
    assert_eq!(decision.reason, "pipeline Billing has no closed stage");
}
