//! The what-if view: the impact of an unsaved settings draft on the acme fixture.

use portal::app::{transfer, what_if};
use portal::domain::settings::{
    AccessMode, CompanyScope, FilterOperator, ThreadShown, TicketFilter, TicketPermissions,
};
use portal::Workspace;
use std::path::Path;

async fn acme(directory: &Path) -> Workspace {
    let bundle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme.bundle.json");
    let data = transfer::read_bundle(&bundle).unwrap();
    transfer::import(&directory.join("acme.portal"), &data, false)
        .await
        .unwrap()
}

#[tokio::test]
async fn switching_ticket_permissions_to_contact_lists_what_ana_and_ben_would_lose() {
    let directory = tempfile::tempdir().unwrap();
    let workspace = acme(directory.path()).await;
    let mut draft = workspace.settings().await.unwrap();
    draft.ticket_permissions = TicketPermissions::Contact;
    let impact = what_if::impact(&workspace, &draft).await.unwrap();
    assert_eq!(impact.settings_changed.len(), 1);
    assert_eq!(impact.settings_changed[0].key, "ticket_permissions");
    let lost = |email: &str| {
        impact
            .ticket_lists
            .iter()
            .find(|change| change.contact == email)
            .map(|change| (change.disappeared.clone(), change.appeared.clone()))
    };
    assert_eq!(
        lost("ana@acme.example"),
        Some((vec!["1007".into(), "1008".into(), "1003".into()], vec![]))
    );
    assert_eq!(
        lost("ben@acme.example"),
        Some((vec!["1007".into(), "1001".into(), "1008".into()], vec![]))
    );
    // Dan's only ticket is his own; Eve has no company; Cara cannot sign in either way.
    assert_eq!(impact.ticket_lists.len(), 2);
    assert!(impact.access_gained.is_empty() && impact.access_lost.is_empty());
    // Nothing was saved.
    assert_eq!(
        workspace.settings().await.unwrap().ticket_permissions,
        TicketPermissions::Company
    );
}

#[tokio::test]
async fn opening_registration_to_everyone_lets_cara_in() {
    let directory = tempfile::tempdir().unwrap();
    let workspace = acme(directory.path()).await;
    let mut draft = workspace.settings().await.unwrap();
    draft.access.mode = AccessMode::SelfRegistration;
    let impact = what_if::impact(&workspace, &draft).await.unwrap();
    let gained: Vec<&str> = impact
        .access_gained
        .iter()
        .map(|change| change.contact.as_str())
        .collect();
    assert_eq!(gained, ["cara@acme.example"]);
    let cara = impact
        .ticket_lists
        .iter()
        .find(|change| change.contact == "cara@acme.example")
        .unwrap();
    assert_eq!(cara.appeared, ["1007", "1001", "1008", "1003"]);
}

#[tokio::test]
async fn showing_the_original_thread_changes_the_conversation_of_multi_thread_tickets() {
    let directory = tempfile::tempdir().unwrap();
    let workspace = acme(directory.path()).await;
    let mut draft = workspace.settings().await.unwrap();
    draft.thread_shown = ThreadShown::Original;
    let impact = what_if::impact(&workspace, &draft).await.unwrap();
    assert_eq!(impact.threads.len(), 1);
    assert_eq!(impact.threads[0].ticket, "1001");
    assert_eq!(impact.threads[0].before.as_deref(), Some("th-2"));
    assert_eq!(impact.threads[0].after.as_deref(), Some("th-1"));
    assert!(impact.ticket_lists.is_empty());
}

/// The acme fixture with Ana also at Globex (as a manager) and Ben CC'd on Dan's Globex ticket 1005.
async fn acme_beyond(directory: &Path) -> Workspace {
    let bundle = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acme.bundle.json");
    let mut data = transfer::read_bundle(&bundle).unwrap();
    let ana = data.contacts.iter_mut().find(|c| c.id == "ana").unwrap();
    ana.companies = vec!["globex".into()];
    ana.properties.insert("job_title".into(), "Manager".into());
    let ticket = data.tickets.iter_mut().find(|t| t.id == "1005").unwrap();
    ticket.cc = vec!["ben".into()];
    transfer::import(&directory.join("acme.portal"), &data, false)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_draft_of_the_settings_beyond_the_sources_shows_who_gains_and_loses_what() {
    let directory = tempfile::tempdir().unwrap();
    let workspace = acme_beyond(directory.path()).await;
    let saved = workspace.settings().await.unwrap();
    let change = |email: &str, impact: &what_if::Impact| {
        impact
            .ticket_lists
            .iter()
            .find(|change| change.contact == email)
            .map(|change| (change.appeared.clone(), change.disappeared.clone()))
    };

    let mut draft = saved.clone();
    draft.cc_see_tickets = true;
    let impact = what_if::impact(&workspace, &draft).await.unwrap();
    assert_eq!(impact.settings_changed[0].key, "cc_see_tickets");
    assert_eq!(
        change("ben@acme.example", &impact),
        Some((vec!["1005".to_string()], vec![]))
    );
    assert_eq!(impact.ticket_lists.len(), 1);

    let mut draft = saved.clone();
    draft.company_scope = CompanyScope::Associated;
    let impact = what_if::impact(&workspace, &draft).await.unwrap();
    assert_eq!(
        change("ana@acme.example", &impact),
        Some((vec!["1005".to_string()], vec![]))
    );

    let mut draft = saved.clone();
    draft.company_view_rules = vec![TicketFilter {
        property: "job_title".into(),
        operator: FilterOperator::IsAnyOf,
        values: vec!["Manager".into()],
    }];
    let impact = what_if::impact(&workspace, &draft).await.unwrap();
    // Ben is no manager: he keeps only his own tickets; Ana, a manager, keeps her company view.
    let (appeared, disappeared) = change("ben@acme.example", &impact).unwrap();
    assert!(appeared.is_empty());
    assert!(disappeared.contains(&"1007".to_string()));
    assert_eq!(change("ana@acme.example", &impact), None);
}
