//! Recently verified sessions with their customers, and recently read ticket lists. A busy portal would
//! otherwise read the session, the contact, their lists, their company and their tickets for every page.
//!
//! An entry is fresh while the workspace's data version (`DataVersion`: a counter every change to what
//! these entries are read from moves, whichever process makes it) is the one it was read at, and for at
//! most `max_age` (five minutes) in any case. Once stale it is still
//! served for a short grace period (ten seconds) while one background task re-reads it, so a page never
//! waits for the re-read. Entries used to go stale by time alone every second: with thousands of
//! distinct customers each asking every few seconds, that re-read nearly every entry on every request.
//! A session is never served past its idle timeout, whatever the cache holds: its use is marked here in
//! memory on every page and recorded in the workspace in batches (`due_activity`), and it is idle by the
//! later of the two: marking sessions active by re-reading each once a minute cost a read and a write per
//! session per minute, and every write empties the other pooled connections' page caches. Signing out forgets the
//! session at once; password changes clear everything, since they end the contact's other sessions;
//! changes by other processes show within one version check (`refresh_interval`) plus one re-read.
//! `get_or_refresh` is the one place that rule is carried out: callers pass how to read an entry, and it
//! reads now, serves the cache, or serves it and re-reads in the background.

use crate::app::customer::Customer;
use crate::domain::model::Ticket;
use crate::site::pages::{ListQuery, TicketList};
use crate::site::render::ListPage;
use crate::Workspace;
use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The workspace's data version as this server last read it: read again at most once per `interval`,
/// by one request while the others go on with the value they have.
pub struct DataVersion {
    workspace: Workspace,
    version: AtomicI64,
    /// When it was last read (milliseconds since the epoch; 0 = read it on the next request).
    checked_at: AtomicI64,
    interval: Duration,
    reading: tokio::sync::Mutex<()>,
}

impl DataVersion {
    pub fn new(workspace: Workspace, interval: Duration) -> DataVersion {
        DataVersion {
            workspace,
            version: AtomicI64::new(i64::MIN),
            checked_at: AtomicI64::new(0),
            interval,
            reading: tokio::sync::Mutex::new(()),
        }
    }

    /// The version to compare cache entries with.
    pub async fn current(&self) -> i64 {
        let now = chrono::Utc::now().timestamp_millis();
        let due = now - self.checked_at.load(Ordering::Acquire) >= self.interval.as_millis() as i64;
        if due {
            if let Ok(_guard) = self.reading.try_lock() {
                match self.workspace.data_version().await {
                    Ok(version) => self.version.store(version, Ordering::Release),
                    // Entries then stay until their maximum age; the next request tries again.
                    Err(error) => {
                        tracing::warn!(%error, "reading the workspace's data version failed")
                    }
                }
                self.checked_at.store(now, Ordering::Release);
            }
        }
        self.version.load(Ordering::Acquire)
    }

    /// Makes the next request read the version again (after a write through this server).
    pub fn invalidate(&self) {
        self.checked_at.store(0, Ordering::Release);
    }
}

/// Past this many entries a cache starts over rather than grow without bound.
const MAX_ENTRIES: usize = 50_000;

/// What a cache knows about a key.
enum Lookup<V> {
    /// Fresh, or stale with a re-read already under way: use it.
    Hit(V),
    /// Stale: use it, and re-read it in the background (this caller is the one asked to).
    Refresh(V),
    /// Unknown or too old: read it now.
    Miss,
}

struct Entry<V> {
    value: V,
    /// The data version it was read at.
    version: i64,
    /// The end of its maximum age.
    fresh_until: Instant,
    /// Since when a background re-read is under way, if one is.
    refreshing_since: Option<Instant>,
}

/// Between half and all of `ttl`, at random: entries made together (say, by a burst of sign-ins) then
/// reach their maximum age at different moments instead of all being re-read in the same instant.
fn jittered(ttl: Duration) -> Instant {
    use rand::Rng;
    Instant::now() + ttl.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

/// A map whose entries go stale when the data version moves or after a maximum age (`ttl`), and are
/// then re-read by one caller at a time. Clones share the entries (a background re-read holds one).
struct RefreshingMap<V> {
    entries: Arc<Mutex<HashMap<String, Entry<V>>>>,
    ttl: Duration,
    /// How long past its freshness an entry may still be served while it is re-read.
    grace: Duration,
}

impl<V> Clone for RefreshingMap<V> {
    fn clone(&self) -> Self {
        RefreshingMap {
            entries: self.entries.clone(),
            ttl: self.ttl,
            grace: self.grace,
        }
    }
}

impl<V: Clone + Send + 'static> RefreshingMap<V> {
    fn new(ttl: Duration, grace: Duration) -> Self {
        RefreshingMap {
            entries: Arc::new(Mutex::new(HashMap::new())),
            ttl,
            grace,
        }
    }

    /// The entry for `key`: from the cache while it is fresh; from the cache while it is stale but within
    /// the grace period, with `load` run in the background to replace it (by the first such caller
    /// only); otherwise read now with `load` and remembered. `load` answers None when the entry no longer
    /// exists. A background re-read that fails or finds nothing forgets the entry, so the next request
    /// reads it in full and shows whatever went wrong; one that finishes after the entry was forgotten
    /// (a sign-out, a write that cleared the cache) does not bring it back.
    async fn get_or_refresh<E, Load, Loading>(
        &self,
        key: &str,
        version: i64,
        usable: impl Fn(&V) -> bool,
        load: Load,
    ) -> Result<Option<V>, E>
    where
        E: Display + Send + 'static,
        Load: FnOnce() -> Loading,
        Loading: Future<Output = Result<Option<V>, E>> + Send + 'static,
    {
        match self.get(key, version, usable) {
            Lookup::Hit(value) => Ok(Some(value)),
            Lookup::Refresh(value) => {
                let (map, key, loading) = (self.clone(), key.to_string(), load());
                tokio::spawn(async move {
                    match loading.await {
                        Ok(Some(fresh)) => map.refreshed(&key, fresh, version),
                        Ok(None) => map.forget(&key),
                        Err(error) => {
                            // Not the key: for sessions it is the sign-in token.
                            tracing::warn!(%error, "re-reading a cached portal read failed");
                            map.forget(&key);
                        }
                    }
                });
                Ok(Some(value))
            }
            Lookup::Miss => {
                let value = load().await?;
                if let Some(value) = &value {
                    self.remember(key, value.clone(), version);
                }
                Ok(value)
            }
        }
    }

    /// What the map knows about `key` when the data version is `version`.
    fn get(&self, key: &str, version: i64, usable: impl Fn(&V) -> bool) -> Lookup<V> {
        let mut entries = self.entries.lock().expect("cache lock");
        let Some(entry) = entries.get_mut(key) else {
            return Lookup::Miss;
        };
        let now = Instant::now();
        if !usable(&entry.value) || now >= entry.fresh_until + self.grace {
            return Lookup::Miss;
        }
        if let Some(since) = entry.refreshing_since {
            return if now < since + self.grace {
                Lookup::Hit(entry.value.clone())
            } else {
                Lookup::Miss
            };
        }
        if entry.version == version && now < entry.fresh_until {
            return Lookup::Hit(entry.value.clone());
        }
        entry.refreshing_since = Some(now);
        Lookup::Refresh(entry.value.clone())
    }

    fn remember(&self, key: &str, value: V, version: i64) {
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key.to_string(),
            Entry {
                value,
                version,
                fresh_until: jittered(self.ttl),
                refreshing_since: None,
            },
        );
    }

    /// `remember`, but only while the key is still known: a re-read that finishes after the entry
    /// was forgotten (a sign-out, a write that cleared the cache) must not bring it back.
    fn refreshed(&self, key: &str, value: V, version: i64) {
        let mut entries = self.entries.lock().expect("cache lock");
        if let Some(entry) = entries.get_mut(key) {
            *entry = Entry {
                value,
                version,
                fresh_until: jittered(self.ttl),
                refreshing_since: None,
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

/// A session's activity as this server has seen it, against what the workspace has recorded.
struct Activity {
    token_hash: String,
    seen: i64,
    recorded: i64,
}

/// Sessions' activity is forgotten once it is recorded and this old: by then their verified copies
/// are re-read anyway.
const ACTIVITY_KEPT: i64 = 10 * 60_000;

pub struct SessionCache {
    map: RefreshingMap<KnownSession>,
    /// By session token: when each session was last used here. A page marks it here, in memory;
    /// `due_activity` hands what moved to the writer that records it in the workspace in one batch.
    activity: Mutex<HashMap<String, Activity>>,
}

impl SessionCache {
    pub fn new(ttl: Duration, grace: Duration) -> Self {
        SessionCache {
            map: RefreshingMap::new(ttl, grace),
            activity: Mutex::new(HashMap::new()),
        }
    }

    /// The session for `token` as `verify` reads it (None: unknown, ended or idle too long), served from
    /// the cache unless it is unknown there, too old to serve, or idle past `idle_minutes` by what the
    /// workspace recorded and this server saw. `verify` is given when this server last saw it used (the
    /// workspace's record lags by up to a batch). Marks it used now.
    pub async fn get_or_verify<E, Verify, Verifying>(
        &self,
        token: &str,
        version: i64,
        idle_minutes: u32,
        verify: Verify,
    ) -> Result<Option<KnownSession>, E>
    where
        E: Display + Send + 'static,
        Verify: FnOnce(Option<i64>) -> Verifying,
        Verifying: Future<Output = Result<Option<KnownSession>, E>> + Send + 'static,
    {
        let now = chrono::Utc::now().timestamp_millis();
        let seen_here = self.seen(token);
        // The workspace records activity in batches: its idle check needs this server's own sighting.
        let verify = || verify(seen_here);
        let usable = |known: &KnownSession| {
            let last_seen =
                seen_here.map_or(known.last_seen_at, |seen| seen.max(known.last_seen_at));
            within_idle_timeout(last_seen, idle_minutes, now)
        };
        let known = self
            .map
            .get_or_refresh(token, version, usable, verify)
            .await?;
        match &known {
            Some(known) => self.mark_seen(token, known.last_seen_at, now),
            None => self.forget_activity(token),
        }
        Ok(known)
    }

    fn seen(&self, token: &str) -> Option<i64> {
        let activity = self.activity.lock().expect("activity lock");
        activity.get(token).map(|activity| activity.seen)
    }

    /// Marks `token`'s session used at `now`; the workspace has recorded it at least at `recorded`.
    fn mark_seen(&self, token: &str, recorded: i64, now: i64) {
        let mut activity = self.activity.lock().expect("activity lock");
        match activity.get_mut(token) {
            Some(known) => {
                known.seen = known.seen.max(now);
                known.recorded = known.recorded.max(recorded);
            }
            None => {
                if activity.len() >= MAX_ENTRIES {
                    // Far past any real number of sessions in use: record them all first, next time.
                    return;
                }
                activity.insert(
                    token.to_string(),
                    Activity {
                        token_hash: crate::storage::sessions::token_hash(token),
                        seen: now,
                        recorded,
                    },
                );
            }
        }
    }

    fn forget_activity(&self, token: &str) {
        self.activity.lock().expect("activity lock").remove(token);
    }

    /// The sessions used since the workspace last recorded their activity: each token's hash with when
    /// it was last seen here. Activity long recorded is forgotten.
    pub fn due_activity(&self, now: i64) -> Vec<(String, i64)> {
        let mut activity = self.activity.lock().expect("activity lock");
        activity.retain(|_, known| known.seen > known.recorded || now - known.seen < ACTIVITY_KEPT);
        activity
            .values()
            .filter(|known| known.seen > known.recorded)
            .map(|known| (known.token_hash.clone(), known.seen))
            .collect()
    }

    /// Notes that the workspace recorded the activity `due_activity` gave.
    pub fn activity_recorded(&self, recorded: &[(String, i64)]) {
        let recorded: HashMap<&str, i64> = recorded
            .iter()
            .map(|(hash, at)| (hash.as_str(), *at))
            .collect();
        let mut activity = self.activity.lock().expect("activity lock");
        for known in activity.values_mut() {
            if let Some(at) = recorded.get(known.token_hash.as_str()) {
                known.recorded = known.recorded.max(*at);
            }
        }
    }

    pub fn forget(&self, token: &str) {
        self.map.forget(token);
        self.forget_activity(token);
    }

    pub fn clear(&self) {
        self.map.clear();
    }
}

/// How many list pages (queries) are kept per customer: the first page and one more (a filter, the next
/// page) cover most returns, and each holds its rows as template values.
const LIST_PAGES_KEPT: usize = 2;

/// A customer's tickets as read, with the list pages last computed from them.
pub struct CustomerTickets {
    pub tickets: Vec<Ticket>,
    /// Newest first. They go with the tickets when the data version moves, and count only for the
    /// same customer as verified (a re-read contact is another `Arc`) and the same renderer (settings
    /// or catalog saved since make another).
    lists: Mutex<Vec<KeptList>>,
}

struct KeptList {
    renderer: u64,
    /// A `Weak`, not an address: it keeps the allocation, so no later customer can share the address.
    customer: Weak<Customer>,
    query: ListQuery,
    page: Arc<ListPage>,
}

impl CustomerTickets {
    pub fn new(tickets: Vec<Ticket>) -> CustomerTickets {
        CustomerTickets {
            tickets,
            lists: Mutex::new(Vec::new()),
        }
    }

    /// The list page `query` asks for, as `compute` makes it from these tickets for `customer` under
    /// `renderer`'s settings; made once, then kept (a refusal is not kept).
    pub fn list_page<E>(
        &self,
        renderer: u64,
        customer: &Arc<Customer>,
        query: &ListQuery,
        compute: impl FnOnce(&[Ticket]) -> Result<TicketList, E>,
    ) -> Result<Arc<ListPage>, E> {
        let same = |kept: &KeptList| {
            kept.renderer == renderer
                && kept.query == *query
                && std::ptr::eq(kept.customer.as_ptr(), Arc::as_ptr(customer))
        };
        if let Some(kept) = self
            .lists
            .lock()
            .expect("list lock")
            .iter()
            .find(|k| same(k))
        {
            return Ok(kept.page.clone());
        }
        let page = Arc::new(ListPage::new(compute(&self.tickets)?));
        let mut lists = self.lists.lock().expect("list lock");
        lists.retain(|kept| !same(kept));
        lists.insert(
            0,
            KeptList {
                renderer,
                customer: Arc::downgrade(customer),
                query: query.clone(),
                page: page.clone(),
            },
        );
        lists.truncate(LIST_PAGES_KEPT);
        Ok(page)
    }
}

/// The tickets related to a customer, with the list pages made from them (`CustomerTickets`). Writes
/// through this server (replies, form submissions) clear a customer's entry.
pub struct TicketCache {
    map: RefreshingMap<Arc<CustomerTickets>>,
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

    /// The customer's tickets as `read` reads them, served from the cache while it may be.
    pub async fn get_or_read<E, Read, Reading>(
        &self,
        customer: &Customer,
        version: i64,
        read: Read,
    ) -> Result<Arc<CustomerTickets>, E>
    where
        E: Display + Send + 'static,
        Read: FnOnce() -> Reading,
        Reading: Future<Output = Result<Vec<Ticket>, E>> + Send + 'static,
    {
        let read = || {
            let reading = read();
            async move {
                reading
                    .await
                    .map(|tickets| Some(Arc::new(CustomerTickets::new(tickets))))
            }
        };
        let tickets = self
            .map
            .get_or_refresh(&Self::key(customer), version, |_| true, read)
            .await?;
        Ok(tickets.expect("a ticket read always has an answer"))
    }

    /// Forgets `customer`'s tickets: after their own write, their next page reads them again.
    pub fn forget(&self, customer: &Customer) {
        self.map.forget(&Self::key(customer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_entry_is_served_once_for_refresh_then_as_a_hit_until_it_is_re_read() {
        let map = RefreshingMap::new(Duration::ZERO, Duration::from_secs(60));
        map.remember("k", 1, 0);
        assert!(matches!(map.get("k", 0, |_| true), Lookup::Refresh(1)));
        assert!(matches!(map.get("k", 0, |_| true), Lookup::Hit(1)));
        map.remember("k", 2, 0);
        assert!(matches!(map.get("k", 0, |_| true), Lookup::Refresh(2)));
    }

    #[test]
    fn a_re_read_finishing_after_the_entry_was_forgotten_does_not_bring_it_back() {
        let map = RefreshingMap::new(Duration::ZERO, Duration::from_secs(60));
        map.remember("k", 1, 0);
        map.forget("k");
        map.refreshed("k", 2, 0);
        assert!(matches!(map.get("k", 0, |_| true), Lookup::Miss));
        map.remember("k", 1, 0);
        map.refreshed("k", 2, 0);
        assert!(matches!(map.get("k", 0, |_| true), Lookup::Refresh(2)));
    }

    #[test]
    fn an_entry_stays_fresh_while_the_data_version_holds_and_is_re_read_once_it_moves() {
        let map = RefreshingMap::new(Duration::from_secs(60), Duration::from_secs(60));
        map.remember("k", 1, 7);
        assert!(matches!(map.get("k", 7, |_| true), Lookup::Hit(1)));
        assert!(matches!(map.get("k", 8, |_| true), Lookup::Refresh(1)));
        assert!(matches!(map.get("k", 8, |_| true), Lookup::Hit(1)));
        map.refreshed("k", 2, 8);
        assert!(matches!(map.get("k", 8, |_| true), Lookup::Hit(2)));
    }

    #[test]
    fn an_entry_whose_re_read_outlasts_the_grace_period_is_a_miss() {
        let map = RefreshingMap::new(Duration::from_secs(60), Duration::ZERO);
        map.remember("k", 1, 7);
        assert!(matches!(map.get("k", 8, |_| true), Lookup::Refresh(1)));
        assert!(matches!(map.get("k", 8, |_| true), Lookup::Miss));
    }

    #[test]
    fn an_entry_that_is_no_longer_usable_is_a_miss() {
        let map = RefreshingMap::new(Duration::from_secs(60), Duration::from_secs(60));
        map.remember("k", 1, 0);
        assert!(matches!(map.get("k", 0, |_| true), Lookup::Hit(1)));
        assert!(matches!(map.get("k", 0, |_| false), Lookup::Miss));
        assert!(matches!(map.get("other", 0, |_| true), Lookup::Miss));
    }

    /// The value the map holds for `key`, without counting as a lookup.
    fn held(map: &RefreshingMap<i32>, key: &str) -> Option<i32> {
        let entries = map.entries.lock().unwrap();
        entries.get(key).map(|entry| entry.value)
    }

    /// Lets the (current-thread) runtime run the spawned re-reads until `done` holds.
    async fn until(done: impl Fn() -> bool) {
        for _ in 0..1000 {
            if done() {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("the background re-read did not finish");
    }

    type Loading = std::pin::Pin<Box<dyn Future<Output = Result<Option<i32>, String>> + Send>>;

    /// A load that answers `value` once `release` is sent, counting its calls.
    fn delayed(
        value: i32,
        calls: &Arc<std::sync::atomic::AtomicUsize>,
    ) -> (tokio::sync::oneshot::Sender<()>, impl FnOnce() -> Loading) {
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let calls = calls.clone();
        let load = move || {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async move {
                let _ = released.await;
                Ok(Some(value))
            }) as Loading
        };
        (release, load)
    }

    #[tokio::test]
    async fn get_or_refresh_serves_a_stale_entry_at_once_while_one_background_read_replaces_it() {
        let map = RefreshingMap::new(Duration::ZERO, Duration::from_secs(60));
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        map.remember("k", 1, 0);
        let (release, load) = delayed(2, &calls);
        assert_eq!(
            map.get_or_refresh("k", 0, |_| true, load).await,
            Ok(Some(1))
        );
        // A second request meanwhile is served the same, without a second read.
        let (_, again) = delayed(3, &calls);
        assert_eq!(
            map.get_or_refresh("k", 0, |_| true, again).await,
            Ok(Some(1))
        );
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        release.send(()).unwrap();
        until(|| held(&map, "k") == Some(2)).await;
    }

    #[tokio::test]
    async fn get_or_refresh_reads_an_unknown_entry_now_and_remembers_it() {
        let map = RefreshingMap::new(Duration::from_secs(60), Duration::from_secs(60));
        let read = || async { Ok::<_, String>(Some(7)) };
        assert_eq!(
            map.get_or_refresh("k", 0, |_| true, read).await,
            Ok(Some(7))
        );
        assert_eq!(held(&map, "k"), Some(7));
        let gone = || async { Ok::<_, String>(None) };
        assert_eq!(
            map.get_or_refresh("other", 0, |_| true, gone).await,
            Ok(None)
        );
        let failing = || async { Err::<Option<i32>, _>("disk on fire".to_string()) };
        assert_eq!(
            map.get_or_refresh("failing", 0, |_| true, failing).await,
            Err("disk on fire".to_string())
        );
        assert_eq!(held(&map, "other"), None);
        assert_eq!(held(&map, "failing"), None);
    }

    #[tokio::test]
    async fn get_or_refresh_does_not_bring_back_an_entry_forgotten_during_its_re_read() {
        let map = RefreshingMap::new(Duration::ZERO, Duration::from_secs(60));
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        map.remember("signed-out", 1, 0);
        map.remember("still-in", 1, 0);
        let (release_out, load_out) = delayed(2, &calls);
        let (release_in, load_in) = delayed(2, &calls);
        map.get_or_refresh("signed-out", 0, |_| true, load_out)
            .await
            .unwrap();
        map.get_or_refresh("still-in", 0, |_| true, load_in)
            .await
            .unwrap();
        map.forget("signed-out");
        release_out.send(()).unwrap();
        release_in.send(()).unwrap();
        // Both re-reads have finished once the later one has.
        until(|| held(&map, "still-in") == Some(2)).await;
        assert_eq!(held(&map, "signed-out"), None);
    }

    #[test]
    fn a_session_past_its_idle_timeout_is_not_served_from_the_cache() {
        let now = 10 * 60_000;
        assert!(within_idle_timeout(now - 60_000, 5, now));
        assert!(!within_idle_timeout(now - 6 * 60_000, 5, now));
        assert!(within_idle_timeout(0, 0, now));
    }

    fn customer(id: &str) -> Arc<Customer> {
        Arc::new(Customer {
            contact: crate::domain::model::Contact {
                id: id.into(),
                ..Default::default()
            },
            company: None,
            others: Vec::new(),
        })
    }

    /// A list page naming the query's page, counting how many times the rules and sorting ran.
    fn listing<'a>(
        made: &'a std::cell::Cell<usize>,
        query: &ListQuery,
    ) -> impl FnOnce(&[Ticket]) -> Result<TicketList, String> + 'a {
        let page = query.page;
        move |_| {
            made.set(made.get() + 1);
            Ok(TicketList {
                views: Vec::new(),
                view: None,
                rows: Vec::new(),
                matching: 0,
                visible: 0,
                page,
                pages: 1,
                query: ListQuery::default(),
            })
        }
    }

    #[test]
    fn a_returning_customer_is_served_the_list_page_made_for_them_without_the_rules_running_again()
    {
        let tickets = CustomerTickets::new(Vec::new());
        let (ana, made) = (customer("ana"), std::cell::Cell::new(0));
        let query = ListQuery::default();
        let first = tickets
            .list_page(1, &ana, &query, listing(&made, &query))
            .unwrap();
        let again = tickets
            .list_page(1, &ana, &query, listing(&made, &query))
            .unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(made.get(), 1);
    }

    #[test]
    fn a_list_page_is_made_again_for_another_query_renderer_or_re_read_customer() {
        let tickets = CustomerTickets::new(Vec::new());
        let (ana, made) = (customer("ana"), std::cell::Cell::new(0));
        let first_page = ListQuery::default();
        let second_page = ListQuery {
            page: 2,
            ..ListQuery::default()
        };
        tickets
            .list_page(1, &ana, &first_page, listing(&made, &first_page))
            .unwrap();
        let page = tickets
            .list_page(1, &ana, &second_page, listing(&made, &second_page))
            .unwrap();
        assert_eq!((made.get(), page.list.page), (2, 2));
        // Settings saved since: another renderer.
        tickets
            .list_page(2, &ana, &first_page, listing(&made, &first_page))
            .unwrap();
        assert_eq!(made.get(), 3);
        // The contact read again (say, a property changed): another customer value.
        let ana_re_read = customer("ana");
        tickets
            .list_page(2, &ana_re_read, &first_page, listing(&made, &first_page))
            .unwrap();
        assert_eq!(made.get(), 4);
    }

    #[test]
    fn a_refused_list_page_is_not_kept() {
        let tickets = CustomerTickets::new(Vec::new());
        let ana = customer("ana");
        let query = ListQuery::default();
        let refused: Result<_, String> =
            tickets.list_page(1, &ana, &query, |_| Err("access denied".to_string()));
        assert!(refused.is_err());
        let made = std::cell::Cell::new(0);
        tickets
            .list_page(1, &ana, &query, listing(&made, &query))
            .unwrap();
        assert_eq!(made.get(), 1);
    }
}
