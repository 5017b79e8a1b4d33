//! Recently verified sessions with their customers, and recently read ticket lists. A busy portal would
//! otherwise read the session, the contact, their lists, their company and their tickets for every page.
//! Each entry is fresh for `ttl` (one second). After that it is still served for a short grace period
//! (ten seconds) while one background task re-reads it, so a page never waits for the re-read: under load, waiting
//! for those reads was the slowest percent of requests. A session is never served past its idle
//! timeout, whatever the cache holds. Signing out forgets the session at once; password changes clear
//! everything, since they end the contact's other sessions; changes by other processes show within
//! `ttl` plus one re-read.

use crate::app::customer::Customer;
use crate::domain::model::Ticket;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Past this many entries a cache starts over rather than grow without bound.
const MAX_ENTRIES: usize = 50_000;

/// What a cache knows about a key.
pub enum Lookup<V> {
    /// Fresh, or stale with a re-read already under way: use it.
    Hit(V),
    /// Stale: use it, and re-read it in the background (this caller is the one asked to).
    Refresh(V),
    /// Unknown or too old: read it now.
    Miss,
}

struct Entry<V> {
    value: V,
    fresh_until: Instant,
    refreshing: bool,
}

/// Between half and all of `ttl`, at random: entries made together (say, by a burst of sign-ins) then
/// go stale at different moments instead of all being re-read in the same instant.
fn jittered(ttl: Duration) -> Instant {
    use rand::Rng;
    Instant::now() + ttl.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

/// A map whose entries go stale after a TTL and are then re-read by one caller at a time.
struct RefreshingMap<V> {
    entries: Mutex<HashMap<String, Entry<V>>>,
    ttl: Duration,
    /// How long past its freshness an entry may still be served while it is re-read.
    grace: Duration,
}

impl<V: Clone> RefreshingMap<V> {
    fn new(ttl: Duration, grace: Duration) -> Self {
        RefreshingMap {
            entries: Mutex::new(HashMap::new()),
            ttl,
            grace,
        }
    }

    fn get(&self, key: &str, usable: impl Fn(&V) -> bool) -> Lookup<V> {
        let mut entries = self.entries.lock().expect("cache lock");
        let Some(entry) = entries.get_mut(key) else {
            return Lookup::Miss;
        };
        let now = Instant::now();
        if !usable(&entry.value) || now >= entry.fresh_until + self.grace {
            return Lookup::Miss;
        }
        if now < entry.fresh_until || entry.refreshing {
            return Lookup::Hit(entry.value.clone());
        }
        entry.refreshing = true;
        Lookup::Refresh(entry.value.clone())
    }

    fn remember(&self, key: &str, value: V) {
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key.to_string(),
            Entry {
                value,
                fresh_until: jittered(self.ttl),
                refreshing: false,
            },
        );
    }

    /// `remember`, but only while the key is still known: a re-read that finishes after the entry
    /// was forgotten (a sign-out, a write that cleared the cache) must not bring it back.
    fn refreshed(&self, key: &str, value: V) {
        let mut entries = self.entries.lock().expect("cache lock");
        if let Some(entry) = entries.get_mut(key) {
            *entry = Entry {
                value,
                fresh_until: jittered(self.ttl),
                refreshing: false,
            };
        }
    }

    fn forget(&self, key: &str) {
        self.entries.lock().expect("cache lock").remove(key);
    }

    fn clear(&self) {
        self.entries.lock().expect("cache lock").clear();
    }
}

/// A session as last verified against the workspace.
#[derive(Clone)]
pub struct KnownSession {
    pub csrf: String,
    pub customer: Arc<Customer>,
    /// When the workspace last recorded activity on it (milliseconds since the epoch).
    pub last_seen_at: i64,
}

/// Whether a session last seen at `last_seen_at` is not yet ended by the idle timeout (0 = none).
fn within_idle_timeout(last_seen_at: i64, idle_minutes: u32, now_millis: i64) -> bool {
    idle_minutes == 0 || now_millis - last_seen_at <= i64::from(idle_minutes) * 60_000
}

pub struct SessionCache {
    map: RefreshingMap<KnownSession>,
}

impl SessionCache {
    pub fn new(ttl: Duration, grace: Duration) -> Self {
        SessionCache {
            map: RefreshingMap::new(ttl, grace),
        }
    }

    /// The session for `token`, unless it is unknown, too old to serve, or past `idle_minutes`.
    pub fn get(&self, token: &str, idle_minutes: u32) -> Lookup<KnownSession> {
        let now = chrono::Utc::now().timestamp_millis();
        self.map.get(token, |known| {
            within_idle_timeout(known.last_seen_at, idle_minutes, now)
        })
    }

    pub fn remember(&self, token: &str, known: KnownSession) {
        self.map.remember(token, known);
    }

    /// A background re-read's result; ignored when the session was forgotten meanwhile.
    pub fn refreshed(&self, token: &str, known: KnownSession) {
        self.map.refreshed(token, known);
    }

    pub fn forget(&self, token: &str) {
        self.map.forget(token);
    }

    pub fn clear(&self) {
        self.map.clear();
    }
}

/// The tickets related to a customer. The list page is still computed from them by the rules on every
/// request; only the read is shared. Writes through this server (replies, form submissions) clear it.
pub struct TicketCache {
    map: RefreshingMap<Arc<Vec<Ticket>>>,
}

impl TicketCache {
    pub fn new(ttl: Duration, grace: Duration) -> Self {
        TicketCache {
            map: RefreshingMap::new(ttl, grace),
        }
    }

    fn key(customer: &Customer) -> String {
        let company = customer
            .company
            .as_ref()
            .map_or("", |company| company.id.as_str());
        format!("{}\u{0}{company}", customer.contact.id)
    }

    pub fn get(&self, customer: &Customer) -> Lookup<Arc<Vec<Ticket>>> {
        self.map.get(&Self::key(customer), |_| true)
    }

    pub fn remember(&self, customer: &Customer, tickets: Arc<Vec<Ticket>>) {
        self.map.remember(&Self::key(customer), tickets);
    }

    /// A background re-read's result; ignored when a write cleared the cache meanwhile.
    pub fn refreshed(&self, customer: &Customer, tickets: Arc<Vec<Ticket>>) {
        self.map.refreshed(&Self::key(customer), tickets);
    }

    pub fn clear(&self) {
        self.map.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_entry_is_served_once_for_refresh_then_as_a_hit_until_it_is_re_read() {
        let map = RefreshingMap::new(Duration::ZERO, Duration::from_secs(60));
        map.remember("k", 1);
        assert!(matches!(map.get("k", |_| true), Lookup::Refresh(1)));
        assert!(matches!(map.get("k", |_| true), Lookup::Hit(1)));
        map.remember("k", 2);
        assert!(matches!(map.get("k", |_| true), Lookup::Refresh(2)));
    }

    #[test]
    fn a_re_read_finishing_after_the_entry_was_forgotten_does_not_bring_it_back() {
        let map = RefreshingMap::new(Duration::ZERO, Duration::from_secs(60));
        map.remember("k", 1);
        map.forget("k");
        map.refreshed("k", 2);
        assert!(matches!(map.get("k", |_| true), Lookup::Miss));
        map.remember("k", 1);
        map.refreshed("k", 2);
        assert!(matches!(map.get("k", |_| true), Lookup::Refresh(2)));
    }

    #[test]
    fn an_entry_that_is_no_longer_usable_is_a_miss() {
        let map = RefreshingMap::new(Duration::from_secs(60), Duration::from_secs(60));
        map.remember("k", 1);
        assert!(matches!(map.get("k", |_| true), Lookup::Hit(1)));
        assert!(matches!(map.get("k", |_| false), Lookup::Miss));
        assert!(matches!(map.get("other", |_| true), Lookup::Miss));
    }

    #[test]
    fn a_session_past_its_idle_timeout_is_not_served_from_the_cache() {
        let now = 10 * 60_000;
        assert!(within_idle_timeout(now - 60_000, 5, now));
        assert!(!within_idle_timeout(now - 6 * 60_000, 5, now));
        assert!(within_idle_timeout(0, 0, now));
    }
}
