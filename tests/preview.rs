//! The designer's preview as a contact: the acme fixture rendered with draft settings shows exactly what
//! acme.expected.json and `view_as` say; drafts never reach the live portal (served over real HTTP);
//! template errors carry line and column; WCAG contrast of known colour pairs.

mod portal_support;

use portal::app::preview::{self, PreviewRequest};
use portal::app::view_as;
use portal::site::PageKind;
use portal_support::*;

fn request(page: PageKind, contact: &str) -> PreviewRequest {
    PreviewRequest {
        page,
        contact: Some(contact.into()),
        ticket: None,
        view: None,
        act_as: false,
    }
}

#[tokio::test]
async fn preview_as_ana_shows_the_expected_tickets_and_messages_like_view_as_and_the_live_portal() {
    let portal = acme().await;
    let settings = portal.workspace.settings().await.unwrap();
    let expected = acme_expected();
    let ana = "ana@acme.example";
    let client = signed_in(&portal, ana).await;
    let cases: Vec<&serde_json::Value> = expected["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|case| case["contact"] == ana)
        .collect();
    assert!(!cases.is_empty());
    for case in cases {
        let view: Option<portal::domain::rules::View> =
            serde_json::from_value(case["view"].clone()).unwrap();
        let mut list_request = request(PageKind::List, ana);
        list_request.view = view;
        let result = preview::render(&portal.workspace, &settings, &list_request)
            .await
            .unwrap();
        assert!(result.html.contains("Previewing as"), "banner");
        let expected_ids: Vec<String> = case["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|ticket| ticket["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ticket_ids(&result.html), expected_ids, "{view:?}");
        let view_as = view_as::view_as_with(&portal.workspace, &settings, ana, view)
            .await
            .unwrap();
        let view_as_ids: Vec<String> = view_as.tickets.iter().map(|t| t.id.clone()).collect();
        assert_eq!(view_as_ids, expected_ids);
        assert_eq!(result.explanation.as_ref(), Some(&view_as));
        // The live portal serves the same list.
        let url = match view {
            Some(view) => portal.url(&format!("?view={}", view.as_str())),
            None => portal.base.clone(),
        };
        let (_, live) = get_text(&client, &url).await;
        assert_eq!(ticket_ids(&live), expected_ids);
        for ticket in case["tickets"].as_array().unwrap() {
            let id = ticket["id"].as_str().unwrap();
            let expected_messages: Vec<String> = ticket["thread"]["messages"]
                .as_array()
                .map(|messages| {
                    messages
                        .iter()
                        .map(|m| m.as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            let mut detail = request(PageKind::Detail, ana);
            detail.ticket = Some(id.into());
            let page = preview::render(&portal.workspace, &settings, &detail)
                .await
                .unwrap();
            assert_eq!(page.ticket.as_deref(), Some(id));
            assert_eq!(message_ids(&page.html), expected_messages, "ticket {id}");
            let (_, live) = get_text(&client, &portal.url(&format!("/{id}"))).await;
            assert_eq!(message_ids(&live), expected_messages, "live ticket {id}");
        }
    }
}

#[tokio::test]
async fn replies_and_forms_are_disabled_unless_acting_as_the_contact() {
    let portal = acme().await;
    let settings = portal.workspace.settings().await.unwrap();
    let mut detail = request(PageKind::Detail, "ana@acme.example");
    detail.ticket = Some("1001".into());
    let html = preview::render(&portal.workspace, &settings, &detail)
        .await
        .unwrap()
        .html;
    assert!(html.contains("<form inert data-preview-disabled"));
    // The inert reply form says why it does not send.
    assert!(html.contains("data-preview-note") && html.contains("this form does not send"));
    detail.act_as = true;
    let html = preview::render(&portal.workspace, &settings, &detail)
        .await
        .unwrap()
        .html;
    // Acting, the reply form sends (the header's sign-out stays inert).
    let reply = html
        .split("<form")
        .map(|form| &form[..form.find('>').unwrap_or(form.len())])
        .find(|tag| tag.contains("reply\""))
        .expect("the ticket page's reply form");
    assert!(
        !reply.contains("inert"),
        "the reply form is live: <form{reply}>"
    );
    let before = portal.workspace.threads_of_ticket("1001").await.unwrap();
    let count = |threads: &[portal::domain::model::Thread]| -> usize {
        threads.iter().map(|thread| thread.messages.len()).sum()
    };
    preview::reply_as(
        &portal.workspace,
        "ana@acme.example",
        "1001",
        "Acting as Ana",
    )
    .await
    .unwrap();
    let after = portal.workspace.threads_of_ticket("1001").await.unwrap();
    assert_eq!(count(&after), count(&before) + 1);
}

#[tokio::test]
async fn a_draft_colour_shows_in_the_preview_but_not_in_the_live_portal() {
    let portal = acme().await;
    let saved = portal.workspace.settings().await.unwrap();
    let mut draft = saved.clone();
    draft.branding.primary_color = "#123abc".into();
    let html = preview::render(
        &portal.workspace,
        &draft,
        &request(PageKind::List, "ana@acme.example"),
    )
    .await
    .unwrap()
    .html;
    assert!(html.contains("--primary: #123abc"));
    let client = signed_in(&portal, "ana@acme.example").await;
    let (_, live) = get_text(&client, &portal.base).await;
    let href = attribute_values(&live, "href")
        .into_iter()
        .find(|href| href.contains("theme.css"))
        .expect("the live page links the theme");
    let (status, css) = get_text(&client, &format!("{}{href}", portal.origin)).await;
    assert_eq!(status, 200);
    assert!(css.contains(&format!("--primary: {}", saved.branding.primary_color)));
    assert!(!css.contains("#123abc"));
}

#[tokio::test]
async fn a_template_syntax_error_reports_line_and_column_and_the_live_portal_is_unchanged() {
    let portal = acme().await;
    let saved = portal.workspace.settings().await.unwrap();
    let mut draft = saved.clone();
    draft
        .templates
        .insert("list".into(), "<p>first line</p>\n<p>{% for %}</p>".into());
    let result = preview::render(
        &portal.workspace,
        &draft,
        &request(PageKind::List, "ana@acme.example"),
    )
    .await
    .unwrap();
    let error = result
        .errors
        .iter()
        .find(|error| error.template == "list")
        .expect("the list template error");
    assert_eq!(error.line, Some(2));
    assert!(error.column.is_some_and(|column| column > 1), "{error:?}");
    // The preview falls back to the shipped template, so it still shows the tickets.
    assert!(!ticket_ids(&result.html).is_empty());
    let client = signed_in(&portal, "ana@acme.example").await;
    let (status, live) = get_text(&client, &portal.base).await;
    assert_eq!(status, 200);
    assert!(!live.contains("first line"));
    assert_eq!(ticket_ids(&live), ticket_ids(&result.html));
}

#[test]
fn contrast_of_known_pairs() {
    use portal::domain::branding::{contrast_ratio, contrast_warnings, passes_aa};
    let black_white = contrast_ratio("#000000", "#ffffff").unwrap();
    assert!((black_white - 21.0).abs() < 1e-9);
    let grey = contrast_ratio("#777777", "#ffffff").unwrap();
    assert!((grey - 4.48).abs() < 0.01, "{grey}");
    assert_eq!(passes_aa("#777777", "#ffffff"), Some(false));
    let mut branding = portal::domain::settings::Branding {
        primary_color: "#777777".into(),
        ..Default::default()
    };
    let warnings = contrast_warnings(&branding);
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].message.contains("4.48"),
        "{}",
        warnings[0].message
    );
    branding.primary_color = "#1d4ed8".into();
    assert!(contrast_warnings(&branding)
        .iter()
        .all(|w| w.field != "branding.primary_color"));
}

#[tokio::test]
async fn the_what_if_cache_equals_what_if_and_reloads_when_the_data_changes() {
    use portal::domain::settings::TicketPermissions;
    let portal = acme().await;
    let mut draft = portal.workspace.settings().await.unwrap();
    draft.ticket_permissions = TicketPermissions::Contact;
    let cache = portal::app::what_if::cache::ImpactCache::new();
    let expected = portal::app::what_if::impact(&portal.workspace, &draft)
        .await
        .unwrap();
    let cached = cache.impact(&portal.workspace, &draft).await.unwrap();
    assert_eq!(cached, expected);
    let lost = |impact: &portal::app::what_if::Impact, email: &str| -> Vec<String> {
        impact
            .ticket_lists
            .iter()
            .find(|change| change.contact == email)
            .map(|change| change.disappeared.clone())
            .unwrap_or_default()
    };
    assert_eq!(lost(&cached, "ana@acme.example"), ["1007", "1008", "1003"]);
    assert_eq!(lost(&cached, "ben@acme.example"), ["1007", "1001", "1008"]);
    // A new ticket from the support form changes the data: the cache must not answer from the old data.
    let values = std::collections::BTreeMap::from([
        ("subject".to_string(), "New".to_string()),
        ("content".to_string(), "Text".to_string()),
    ]);
    preview::submit_form_as(&portal.workspace, "ben@acme.example", &values)
        .await
        .unwrap();
    let again = cache.impact(&portal.workspace, &draft).await.unwrap();
    let fresh = portal::app::what_if::impact(&portal.workspace, &draft)
        .await
        .unwrap();
    assert_eq!(again, fresh);
    assert_ne!(
        again, cached,
        "the new ticket is Ben's company's: Ana loses it too"
    );
}

#[tokio::test]
async fn saving_a_template_that_does_not_compile_is_refused_and_changes_nothing() {
    let portal = acme().await;
    let saved = portal.workspace.settings().await.unwrap();
    let history = portal.workspace.history().await.unwrap();
    let mut draft = saved.clone();
    draft.page_title = "Also changed".into();
    draft.templates.insert(
        "detail".into(),
        "<p>first line</p>\n<p>{% for %}</p>".into(),
    );
    let error = portal::app::settings_admin::save_settings(&portal.workspace, &draft, "test")
        .await
        .expect_err("a template that does not compile is not saved");
    let portal::Error::TemplatesDoNotCompile(broken) = &error else {
        panic!("not the template error: {error:?}");
    };
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert_eq!(broken[0].template, "detail");
    assert_eq!(broken[0].line, Some(2));
    let column = broken[0].column.expect("a column");
    let text = error.to_string();
    assert!(
        text.contains("template \"detail\"")
            && text.contains("line 2")
            && text.contains(&format!("column {column}")),
        "{text}"
    );
    // The same through the one-key path the CLI takes, and a template that parses but cannot render.
    for source in [
        "{% for %}",
        "{% extends \"base\" %}{% block content %}{{ page.nothing.deeper.still }}{% endblock %}",
    ] {
        let error = portal::app::settings_admin::set_setting(
            &portal.workspace,
            "templates.list",
            source,
            "cli",
        )
        .await
        .expect_err("refused");
        assert!(
            matches!(&error, portal::Error::TemplatesDoNotCompile(broken) if broken[0].template == "list"),
            "{error:?}"
        );
    }
    // Nothing was written: the settings and their history are as they were.
    assert_eq!(portal.workspace.settings().await.unwrap(), saved);
    assert_eq!(portal.workspace.history().await.unwrap(), history);
    // The editor's validation names the template too, and a template that compiles is saved.
    let problems = portal::app::settings_admin::validate_settings(&portal.workspace, &draft)
        .await
        .unwrap();
    assert!(problems
        .iter()
        .any(|problem| problem.field == "templates.detail"));
    draft.templates.insert(
        "detail".into(),
        "{% extends \"base\" %}{% block content %}ok{% endblock %}".into(),
    );
    assert!(
        portal::app::settings_admin::save_settings(&portal.workspace, &draft, "test")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn acting_as_a_contact_submits_the_support_form() {
    let portal = acme().await;
    let values: std::collections::BTreeMap<String, String> = [
        ("subject", "Acting: a question"),
        ("content", "Acting: what the designer typed"),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect();
    let id = preview::submit_form_as(&portal.workspace, "ana@acme.example", &values)
        .await
        .unwrap();
    let settings = portal.workspace.settings().await.unwrap();
    let view = view_as::view_as_with(&portal.workspace, &settings, "ana@acme.example", None)
        .await
        .unwrap();
    assert!(view.tickets.iter().any(|ticket| ticket.id == id), "{id}");
}

#[tokio::test]
async fn a_draft_filtering_on_a_property_no_saved_filter_reads_gets_the_same_impact_from_the_cache()
{
    use portal::domain::settings::{FilterOperator, TicketFilter, TicketPermissions};
    let portal = acme().await;
    let cache = portal::app::what_if::cache::ImpactCache::new();
    // The visibility view's matrix fills the cache with what the saved filters read (the pipeline).
    let matrix = cache.saved_matrix(&portal.workspace).await.unwrap();
    assert_eq!(
        *matrix,
        portal::app::matrix::audit(&portal.workspace).await.unwrap()
    );
    let mut draft = portal.workspace.settings().await.unwrap();
    draft.ticket_permissions = TicketPermissions::Contact;
    cache.impact(&portal.workspace, &draft).await.unwrap();
    // Now a filter on the priority, which nothing loaded so far: the cache must load it.
    draft.ticket_filters.push(TicketFilter {
        property: "priority".into(),
        operator: FilterOperator::IsAnyOf,
        values: vec!["HIGH".into()],
    });
    let cached = cache.impact(&portal.workspace, &draft).await.unwrap();
    let fresh = portal::app::what_if::impact(&portal.workspace, &draft)
        .await
        .unwrap();
    assert_eq!(cached, fresh);
    let lost = |email: &str| -> Vec<String> {
        cached
            .ticket_lists
            .iter()
            .find(|change| change.contact == email)
            .map(|change| change.disappeared.clone())
            .unwrap_or_default()
    };
    // Ana keeps her own HIGH ticket; Ben loses his own MEDIUM one.
    assert_eq!(lost("ana@acme.example"), ["1007", "1008", "1003"]);
    assert!(lost("ben@acme.example").contains(&"1004".to_string()));
}

#[tokio::test]
async fn an_export_is_one_snapshot_even_while_the_portal_writes() {
    let portal = acme().await;
    let (head, pages) = portal.workspace.export_snapshot().await.unwrap();
    // A customer submits the support form while the export is under way.
    let values = std::collections::BTreeMap::from([
        (
            "subject".to_string(),
            "Written during the export".to_string(),
        ),
        ("content".to_string(), "Text".to_string()),
    ]);
    let written = preview::submit_form_as(&portal.workspace, "ben@acme.example", &values)
        .await
        .unwrap();
    let (tickets, mut ticket_pages) =
        tokio::sync::mpsc::channel::<Vec<portal::domain::model::Ticket>>(4);
    let (threads, mut thread_pages) =
        tokio::sync::mpsc::channel::<Vec<portal::domain::model::Thread>>(4);
    let collect = async {
        let mut ids = Vec::new();
        while let Some(page) = ticket_pages.recv().await {
            ids.extend(page.into_iter().map(|ticket| ticket.id));
        }
        while thread_pages.recv().await.is_some() {}
        ids
    };
    let (sent, ids) = tokio::join!(pages.send(tickets, threads), collect);
    sent.unwrap();
    assert_eq!(head.contacts.len(), 5);
    assert_eq!(ids.len(), 8, "the eight tickets of the snapshot: {ids:?}");
    assert!(!ids.contains(&written));
}

/// A list template that doubles a string 64 times, for one customer only (the save check renders
/// example data, which it spares).
const GROWING_LIST: &str = "{% if user and user.email == 'ana@acme.example' %}{% set s = 'x' %}\
{% for i in range(64) %}{% set s = s ~ s %}{% endfor %}{{ s|length }}{% endif %}<p>growing list</p>";

#[tokio::test]
async fn a_template_that_grows_a_value_is_refused_and_a_stored_one_never_takes_the_portal_down() {
    let options = portal::web::ServerOptions {
        refresh_interval: std::time::Duration::ZERO,
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    let mut draft = portal.workspace.settings().await.unwrap();
    draft.templates.insert("list".into(), GROWING_LIST.into());
    let refused = portal::app::settings_admin::save_settings(&portal.workspace, &draft, "qa")
        .await
        .expect_err("the save is refused");
    assert!(
        refused.to_string().contains("`set` is not available"),
        "{refused}"
    );

    // A workspace saved before the rule holds one: written behind the engine's back.
    sqlx::query(
        "UPDATE settings SET document = json_set(document, '$.templates.list', ?1) WHERE id = 1",
    )
    .bind(GROWING_LIST)
    .execute(&portal.sql().await)
    .await
    .unwrap();
    let client = signed_in(&portal, "ana@acme.example").await;
    let (status, page) = get_text(&client, &portal.base).await;
    assert_eq!(status, 200);
    assert!(!page.contains("growing list"), "the shipped list serves");
    assert!(!ticket_ids(&page).is_empty());
    // The designer sees why, with the line.
    let saved = portal.workspace.settings().await.unwrap();
    let result = preview::render(
        &portal.workspace,
        &saved,
        &request(PageKind::List, "ana@acme.example"),
    )
    .await
    .unwrap();
    let error = result
        .errors
        .iter()
        .find(|error| error.template == "list")
        .expect("the list template's error");
    assert!(
        error.message.contains("`set` is not available"),
        "{error:?}"
    );
    assert_eq!(error.line, Some(1));
    // The server goes on answering.
    let (status, _) = get_text(&client, &portal.base).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_page_over_the_size_bound_for_one_customer_fails_for_them_shows_why_and_the_portal_stays_up(
) {
    let options = portal::web::ServerOptions {
        refresh_interval: std::time::Duration::ZERO,
        ..Default::default()
    };
    let portal = start_with(acme_data(), options).await;
    // 10 MB for Ana only: the save check renders example data and passes.
    let huge_for_ana = "{% if user and user.email == 'ana@acme.example' %}\
        {% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}{% endif %}<p>custom list</p>";
    let mut settings = portal.workspace.settings().await.unwrap();
    settings
        .templates
        .insert("list".into(), huge_for_ana.into());
    portal::app::settings_admin::save_settings(&portal.workspace, &settings, "qa")
        .await
        .unwrap();

    let result = preview::render(
        &portal.workspace,
        &settings,
        &request(PageKind::List, "ana@acme.example"),
    )
    .await
    .unwrap();
    let error = result
        .errors
        .iter()
        .find(|error| error.template == "list")
        .expect("the preview shows why Ana's page failed");
    assert!(error.message.contains("larger than 8 MB"), "{error:?}");
    assert!(!result.html.contains("custom list") && !ticket_ids(&result.html).is_empty());

    let ana = signed_in(&portal, "ana@acme.example").await;
    let (status, page) = get_text(&ana, &portal.base).await;
    assert_eq!(status, 200);
    assert!(page.len() < 1024 * 1024, "Ana gets the shipped list");
    assert!(!ticket_ids(&page).is_empty());
    let ben = signed_in(&portal, "ben@acme.example").await;
    let (status, page) = get_text(&ben, &portal.base).await;
    assert_eq!(status, 200);
    assert!(page.contains("custom list"), "others keep the custom list");
}

#[tokio::test]
async fn a_contact_who_cannot_sign_in_is_previewed_with_a_signed_out_header() {
    let portal = acme().await;
    let settings = portal.workspace.settings().await.unwrap();
    // cara cannot sign in (acme.expected.json): the portal would stop her at the login.
    for page in [PageKind::List, PageKind::Detail, PageKind::Form] {
        let result = preview::render(
            &portal.workspace,
            &settings,
            &request(page, "cara@acme.example"),
        )
        .await
        .unwrap();
        assert!(!result.explanation.as_ref().unwrap().can_sign_in);
        assert!(!result.html.contains("Sign out"), "{page:?}: signed out");
        assert!(!result.html.contains("class=\"account__name\""), "{page:?}");
    }
    // ana can: her header shows her name and Sign out.
    let result = preview::render(
        &portal.workspace,
        &settings,
        &request(PageKind::List, "ana@acme.example"),
    )
    .await
    .unwrap();
    assert!(result.html.contains("Sign out"));
}
