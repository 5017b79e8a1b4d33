//! Recently verified sessions with their customers. A busy portal would otherwise read the session, the
//! contact, their lists and their company for every page; here each session is verified against the
//! workspace at most once per `ttl` (one second), which keeps the server-side idle timeout exact to the
//! second while the database sees a small fraction of the reads. Signing out forgets the session at once;
//! password changes clear everything, since they end the contact's other sessions.

use crate::pages::Customer;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A session known to be valid at `verified`.
#[derive(Clone)]
pub struct KnownSession {
    pub csrf: String,
    pub customer: Arc<Customer>,
    verified: Instant,
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
            .filter(|known| known.verified.elapsed() < self.ttl)
            .cloned()
    }

    pub fn remember(&self, token: &str, csrf: String, customer: Arc<Customer>) -> KnownSession {
        let known = KnownSession {
            csrf,
            customer,
            verified: Instant::now(),
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
