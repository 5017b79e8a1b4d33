//! Recently verified sessions with their customers, and recently read ticket lists. A busy portal would otherwise read the session, the
//! contact, their lists and their company for every page; here each session is verified against the
//! workspace at most once per `ttl` (one second), which keeps the server-side idle timeout exact to the
//! second while the database sees a small fraction of the reads. Signing out forgets the session at once;
//! password changes clear everything, since they end the contact's other sessions.

use crate::model::Ticket;
use crate::pages::Customer;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A session known to be valid until `fresh_until`.
#[derive(Clone)]
pub struct KnownSession {
    pub csrf: String,
    pub customer: Arc<Customer>,
    fresh_until: Instant,
}

/// Between half and all of `ttl`, at random: entries made together (say, by a burst of sign-ins) then
/// expire at different moments instead of all re-reading the database in the same instant.
fn jittered(ttl: Duration) -> Instant {
    use rand::Rng;
    Instant::now() + ttl.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

pub struct SessionCache {
    entries: Mutex<HashMap<String, KnownSession>>,
    ttl: Duration,
}

/// Past this many sessions the cache starts over rather than grow without bound.
const MAX_ENTRIES: usize = 50_000;

impl SessionCache {
    pub fn new(ttl: Duration) -> Self {
        SessionCache {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    /// The session for `token` if it was verified within the TTL.
    pub fn get(&self, token: &str) -> Option<KnownSession> {
        let entries = self.entries.lock().expect("session cache lock");
        entries
            .get(token)
            .filter(|known| Instant::now() < known.fresh_until)
            .cloned()
    }

    pub fn remember(&self, token: &str, csrf: String, customer: Arc<Customer>) -> KnownSession {
        let known = KnownSession {
            csrf,
            customer,
            fresh_until: jittered(self.ttl),
        };
        let mut entries = self.entries.lock().expect("session cache lock");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(token.to_string(), known.clone());
        known
    }

    pub fn forget(&self, token: &str) {
        self.entries
            .lock()
            .expect("session cache lock")
            .remove(token);
    }

    pub fn clear(&self) {
        self.entries.lock().expect("session cache lock").clear();
    }
}

/// The tickets related to a customer, as read within the TTL. The list page is still computed from them
/// by the rules on every request; only the read is shared. Writes through this server (replies, form
/// submissions) clear it at once; changes by other processes show within the TTL.
/// When a customer's tickets were read, and what was read.
type CachedTickets = (Instant, Arc<Vec<Ticket>>);

pub struct TicketCache {
    entries: Mutex<HashMap<String, CachedTickets>>,
    ttl: Duration,
}

impl TicketCache {
    pub fn new(ttl: Duration) -> Self {
        TicketCache {
            entries: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    fn key(customer: &Customer) -> String {
        let company = customer
            .company
            .as_ref()
            .map_or("", |company| company.id.as_str());
        format!("{}\u{0}{company}", customer.contact.id)
    }

    pub fn get(&self, customer: &Customer) -> Option<Arc<Vec<Ticket>>> {
        let entries = self.entries.lock().expect("ticket cache lock");
        entries
            .get(&Self::key(customer))
            .filter(|(fresh_until, _)| Instant::now() < *fresh_until)
            .map(|(_, tickets)| tickets.clone())
    }

    pub fn remember(&self, customer: &Customer, tickets: Arc<Vec<Ticket>>) {
        let mut entries = self.entries.lock().expect("ticket cache lock");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(Self::key(customer), (jittered(self.ttl), tickets));
    }

    pub fn clear(&self) {
        self.entries.lock().expect("ticket cache lock").clear();
    }
}
