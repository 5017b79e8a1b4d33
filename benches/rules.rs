//! The visibility rules for one contact, in process (issue 2: under 2 ms). The data is the contact's
//! slice of the benchmark workspace (`bench/engine.sh`: 100,000 contacts, 1,000,000 tickets, same demo
//! seed), generated in memory: every ticket of the contact or of their primary company, with threads.
//! When that workspace exists in bench/out/, the same view is also measured with its loading from SQLite
//! (`visibility::view_as`, what `portal view-as` does after start-up).
//!
//! Run: `cargo bench --bench rules`.

use portal::app::demo::{DemoGenerator, DemoSize, DEFAULT_SEED};
use portal::domain::model::{Catalog, Company, Contact, Thread, Ticket};
use portal::domain::rules::{self, View};
use portal::domain::settings::Settings;
use std::collections::HashSet;
use std::path::Path;
use std::sync::OnceLock;

const SIZE: DemoSize = DemoSize {
    contacts: 100_000,
    tickets: 1_000_000,
};

/// The contact measured: one with a company, a typical number of tickets and access.
const CONTACT: &str = "c12345";

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/out/engine.portal");

struct Slice {
    settings: Settings,
    catalog: Catalog,
    contact: Contact,
    company: Option<Company>,
    tickets: Vec<Ticket>,
    threads: Vec<Thread>,
}

fn slice() -> &'static Slice {
    static SLICE: OnceLock<Slice> = OnceLock::new();
    SLICE.get_or_init(|| {
        let mut generator = DemoGenerator::new(DEFAULT_SEED, SIZE);
        let contact = generator
            .head
            .contacts
            .iter()
            .find(|contact| contact.id == CONTACT)
            .expect("the benchmark contact exists")
            .clone();
        let company = contact.company.as_ref().map(|id| {
            generator
                .head
                .companies
                .iter()
                .find(|company| company.id == *id)
                .expect("the contact's company exists")
                .clone()
        });
        let mut tickets = Vec::new();
        let mut threads = Vec::new();
        while generator.remaining() > 0 {
            let (chunk_tickets, chunk_threads) = generator.next_chunk(50_000);
            let related: HashSet<String> = chunk_tickets
                .iter()
                .filter(|ticket| {
                    ticket.contacts.contains(&contact.id)
                        || company
                            .as_ref()
                            .is_some_and(|company| ticket.companies.contains(&company.id))
                })
                .map(|ticket| ticket.id.clone())
                .collect();
            threads.extend(chunk_threads.into_iter().filter(|thread| {
                thread
                    .ticket
                    .as_ref()
                    .is_some_and(|ticket| related.contains(ticket))
            }));
            tickets.extend(
                chunk_tickets
                    .into_iter()
                    .filter(|ticket| related.contains(&ticket.id)),
            );
        }
        let data = &generator.head;
        eprintln!(
            "{CONTACT}: {} related tickets, {} threads, {} messages",
            tickets.len(),
            threads.len(),
            threads
                .iter()
                .map(|thread| thread.messages.len())
                .sum::<usize>()
        );
        Slice {
            settings: data.settings.clone(),
            catalog: data.catalog(),
            contact,
            company,
            tickets,
            threads,
        }
    })
}

fn main() {
    slice();
    divan::main();
}

#[divan::bench(args = [None, Some(View::Organization), Some(View::Mine)])]
fn view_as_one_contact(bencher: divan::Bencher, view: Option<View>) {
    let slice = slice();
    bencher.bench(|| {
        rules::view_as(
            &slice.settings,
            &slice.catalog,
            &slice.contact,
            slice.company.as_ref(),
            divan::black_box(&slice.tickets),
            divan::black_box(&slice.threads),
            view,
        )
    });
}

/// The same, loading the contact's slice from the benchmark workspace first (skipped without it).
#[divan::bench]
fn view_as_from_the_workspace(bencher: divan::Bencher) {
    if !Path::new(WORKSPACE).exists() {
        eprintln!("{WORKSPACE} does not exist (bench/engine.sh writes it); skipped");
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let workspace = runtime
        .block_on(portal::Workspace::open(Path::new(WORKSPACE), false))
        .expect("the benchmark workspace opens");
    let email = runtime
        .block_on(workspace.contact(CONTACT))
        .expect("read")
        .expect("the benchmark contact exists")
        .email;
    bencher.bench(|| {
        runtime
            .block_on(portal::app::view_as::view_as(&workspace, &email, None))
            .expect("a view")
    });
}
