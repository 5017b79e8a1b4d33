//! The shared acme fixture through real HTTP: every contact signs in with the bundle's password and their
//! list page (in every view) and ticket pages show exactly what acme.expected.json says, in order.

mod portal_support;

use portal_support::*;

#[tokio::test]
async fn list_and_ticket_pages_of_every_acme_contact_equal_the_expected_file() {
    let portal = acme().await;
    let expected = acme_expected();
    let cases = expected["cases"].as_array().unwrap();
    let mut clients = std::collections::HashMap::new();
    for case in cases.iter().filter(|case| case["can_sign_in"] == true) {
        let email = case["contact"].as_str().unwrap().to_string();
        if !clients.contains_key(&email) {
            clients.insert(email.clone(), signed_in(&portal, &email).await);
        }
        let client = &clients[&email];
        let url = match case["view"].as_str() {
            Some(view) => portal.url(&format!("?view={view}")),
            None => portal.base.clone(),
        };
        let (status, html) = get_text(client, &url).await;
        assert_eq!(status, 200);
        let expected_ids: Vec<String> = case["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|ticket| ticket["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ticket_ids(&html), expected_ids, "{email} {url}");
        // The view switch exists exactly when the rules give one.
        let has_switch = !case["views"].as_array().unwrap().is_empty();
        assert_eq!(
            html.contains("?view=mine"),
            has_switch,
            "{email}: view switch"
        );

        for ticket in case["tickets"].as_array().unwrap() {
            let id = ticket["id"].as_str().unwrap();
            let (status, page) = get_text(client, &portal.url(&format!("/{id}"))).await;
            assert_eq!(status, 200, "{email} opens {id}");
            let expected_messages: Vec<String> = match ticket["thread"].as_object() {
                None => Vec::new(),
                Some(thread) => thread["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|message| message.as_str().unwrap().to_string())
                    .collect(),
            };
            assert_eq!(message_ids(&page), expected_messages, "{email} ticket {id}");
        }
    }
}

#[tokio::test]
async fn hidden_tickets_of_the_expected_file_answer_not_found() {
    let portal = acme().await;
    let expected = acme_expected();
    for case in expected["cases"].as_array().unwrap() {
        // In the default view, hidden tickets must not open (the view switch only narrows the list).
        if case["can_sign_in"] != true || case["view"].as_str() == Some("mine") {
            continue;
        }
        let email = case["contact"].as_str().unwrap();
        let client = signed_in(&portal, email).await;
        for hidden in case["hidden_tickets"].as_array().unwrap() {
            let id = hidden.as_str().unwrap();
            let (status, _) = get_text(&client, &portal.url(&format!("/{id}"))).await;
            assert_eq!(status, 404, "{email} must not open {id}");
        }
    }
}

#[tokio::test]
async fn a_contact_who_may_not_sign_in_gets_the_access_denied_page() {
    let portal = acme().await;
    let client = client();
    let response = sign_in_with_bundle_password(&client, &portal, "cara@acme.example").await;
    assert_eq!(response.status(), 403);
    let html = response.text().await.unwrap();
    assert!(html.contains("Access denied"), "{html}");
    // No session was started: the list still asks for sign-in.
    let list = client.get(&portal.base).send().await.unwrap();
    assert!(list.url().path().ends_with("/login"));
}

#[tokio::test]
async fn internal_comments_never_reach_the_html() {
    let portal = acme().await;
    let data = acme_data();
    let comments: Vec<(String, String)> = data
        .threads
        .iter()
        .flat_map(|thread| &thread.messages)
        .filter(|message| message.message_type == portal::domain::model::MessageType::Comment)
        .map(|message| (message.id.clone(), message.text.clone()))
        .collect();
    assert!(!comments.is_empty(), "the fixture has internal comments");
    for email in ["ana@acme.example", "ben@acme.example", "dan@globex.example"] {
        let client = signed_in(&portal, email).await;
        let (_, list) = get_text(&client, &portal.base).await;
        for id in ticket_ids(&list) {
            let (_, page) = get_text(&client, &portal.url(&format!("/{id}"))).await;
            for (comment_id, text) in &comments {
                assert!(
                    !page.contains(&format!("\"{comment_id}\"")),
                    "{comment_id} on {id}"
                );
                assert!(!page.contains(text.as_str()), "comment text on {id}");
            }
        }
    }
}

#[tokio::test]
async fn the_portals_one_query_reads_equal_the_engines_reads() {
    let portal = acme().await;
    let all_tickets = portal.workspace.tickets().await.unwrap();
    for contact in portal.workspace.contacts().await.unwrap() {
        let (packed_contact, company, _others) = portal
            .workspace
            .contact_with_company(&contact.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(packed_contact, contact);
        let expected_company = match &contact.company {
            Some(id) => portal.workspace.company(id).await.unwrap(),
            None => None,
        };
        assert_eq!(company, expected_company);
        let company_id = contact.company.as_deref();
        let mut related = portal.workspace.tickets_related_to(&contact).await.unwrap();
        // The same tickets, picked out of a plain read of every ticket by their associations.
        let mut expected: Vec<_> = all_tickets
            .iter()
            .filter(|ticket| {
                ticket.contacts.contains(&contact.id)
                    || ticket.cc.contains(&contact.id)
                    || contact
                        .companies
                        .iter()
                        .any(|c| ticket.companies.contains(c))
                    || company_id
                        .is_some_and(|company| ticket.companies.iter().any(|c| c == company))
            })
            .cloned()
            .collect();
        related.sort_by(|a, b| a.id.cmp(&b.id));
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(related, expected, "{}", contact.email);
    }
}
