//! Keeps a pull under the vendor's ten-second burst limit (`vendor-api.md` §8): a rolling window of the
//! requests sent, sized from the `X-HubSpot-RateLimit-*` headers as they arrive, so that requests wait
//! here instead of running into a 429; within it, requests are spread evenly after a short burst. It
//! also notices when the daily budget is used up.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests per window assumed until the vendor says otherwise: the smallest tier's (100 per 10 s).
pub const DEFAULT_MAX: u32 = 100;
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(10);

/// Of the announced maximum, this share is used: the window is rolling and other clients of the same
/// app may be sending too, so a small margin avoids 429s while using nearly all of the budget.
const SHARE_PERCENT: u64 = 95;

/// Of the requests allowed per window, this share may go at once (a pull's first requests, the reads of
/// a page starting together); the others are spaced evenly, a window's worth per window. Without the
/// spacing the rolling window lets its whole budget go in one burst at each turn of the window, and a
/// pull moves (and its time left is right) only in steps of ten seconds. Only a budget the vendor
/// announced is spread: the default is a guess (the smallest tier's), and a pull the vendor gives no
/// budget (a stub) would crawl at its spacing.
const BURST_PERCENT: u64 = 10;

#[derive(Debug)]
struct State {
    /// Requests allowed per window (already reduced by the margin).
    allowed: u32,
    window: Duration,
    /// When each request of the current window was sent, oldest first.
    sent: VecDeque<Instant>,
    /// When the next request is due if requests are evenly spaced (it may go a burst's worth earlier).
    next_due: Option<Instant>,
    /// The vendor announced the budget (`X-HubSpot-RateLimit-Max`): requests are spread over the window.
    announced: bool,
    /// No request before this instant (after a 429 or when the vendor reports none remaining).
    paused_until: Option<Instant>,
    /// The daily budget left, when the vendor reports it.
    daily_remaining: Option<u64>,
}

/// What the pacer decides for the next request.
#[derive(Debug, PartialEq, Eq)]
pub enum Permit {
    Go,
    /// The vendor reported the daily budget used up: do not send.
    DailyLimitReached,
}

#[derive(Debug)]
pub struct Pacer {
    state: Mutex<State>,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new(DEFAULT_MAX, DEFAULT_WINDOW)
    }
}

fn allowed_of(max: u64) -> u32 {
    let allowed = (max * SHARE_PERCENT / 100).max(1);
    u32::try_from(allowed).unwrap_or(u32::MAX)
}

impl Pacer {
    pub fn new(max: u32, window: Duration) -> Pacer {
        Pacer {
            state: Mutex::new(State {
                allowed: allowed_of(u64::from(max)),
                window,
                sent: VecDeque::new(),
                next_due: None,
                announced: false,
                paused_until: None,
                daily_remaining: None,
            }),
        }
    }

    /// How long to wait before the next request may go (zero: it may go now, and is counted as sent).
    fn try_acquire(&self, now: Instant) -> Result<Duration, Permit> {
        let mut state = self.state.lock().expect("the pacer's lock");
        if state.daily_remaining == Some(0) {
            return Err(Permit::DailyLimitReached);
        }
        if let Some(until) = state.paused_until {
            if until > now {
                return Ok(until - now);
            }
            state.paused_until = None;
        }
        let window = state.window;
        while state
            .sent
            .front()
            .is_some_and(|sent| now.duration_since(*sent) >= window)
        {
            state.sent.pop_front();
        }
        if state.sent.len() >= state.allowed as usize {
            let oldest = *state.sent.front().expect("a full window has requests");
            return Ok((oldest + window).saturating_duration_since(now));
        }
        if state.announced {
            let spacing = window / state.allowed.max(1);
            let burst = (u64::from(state.allowed) * BURST_PERCENT / 100).max(1);
            let early = spacing * u32::try_from(burst).unwrap_or(u32::MAX);
            let due = state.next_due.unwrap_or(now);
            let ahead = due.saturating_duration_since(now);
            if ahead > early {
                return Ok(ahead - early);
            }
            state.next_due = Some(due.max(now) + spacing);
        }
        state.sent.push_back(now);
        if let Some(daily) = &mut state.daily_remaining {
            *daily = daily.saturating_sub(1).max(1);
        }
        Ok(Duration::ZERO)
    }

    /// Waits until a request may be sent within the window, and counts it.
    pub async fn acquire(&self) -> Permit {
        loop {
            match self.try_acquire(Instant::now()) {
                Err(permit) => return permit,
                Ok(wait) if wait.is_zero() => return Permit::Go,
                Ok(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// Reads the rate-limit headers of an answer (names in lower case, as `http` gives them).
    pub fn observe(&self, header: impl Fn(&str) -> Option<u64>) {
        let mut state = self.state.lock().expect("the pacer's lock");
        if let Some(window) = header("x-hubspot-ratelimit-interval-milliseconds") {
            if window > 0 {
                state.window = Duration::from_millis(window);
            }
        }
        if let Some(max) = header("x-hubspot-ratelimit-max") {
            state.allowed = allowed_of(max);
            state.announced = true;
        }
        if header("x-hubspot-ratelimit-remaining") == Some(0) {
            // The vendor counted more than we did (another client of the same app): wait a window.
            let until = Instant::now() + state.window;
            state.paused_until = Some(state.paused_until.map_or(until, |at| at.max(until)));
        }
        if let Some(daily) = header("x-hubspot-ratelimit-daily-remaining") {
            state.daily_remaining = Some(daily);
        }
    }

    /// Sends nothing for `wait` (a 429 for the burst window).
    pub fn pause(&self, wait: Duration) {
        let mut state = self.state.lock().expect("the pacer's lock");
        let until = Instant::now() + wait;
        state.paused_until = Some(state.paused_until.map_or(until, |at| at.max(until)));
    }

    /// Requests allowed per window now, and the window.
    pub fn budget(&self) -> (u32, Duration) {
        let state = self.state.lock().expect("the pacer's lock");
        (state.allowed, state.window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pacer to which the vendor announced `max` requests per `window`.
    fn announced(max: u64, window: Duration) -> Pacer {
        let pacer = Pacer::default();
        pacer.observe(|name| match name {
            "x-hubspot-ratelimit-max" => Some(max),
            "x-hubspot-ratelimit-interval-milliseconds" => Some(window.as_millis() as u64),
            _ => None,
        });
        pacer
    }

    /// When each of `count` requests goes, each sent as soon as the pacer lets it, from `start`.
    fn sends(pacer: &Pacer, start: Instant, count: usize) -> Vec<Duration> {
        let mut now = start;
        let mut sent = Vec::new();
        while sent.len() < count {
            match pacer.try_acquire(now) {
                Ok(wait) if wait.is_zero() => sent.push(now - start),
                Ok(wait) => now += wait,
                Err(permit) => panic!("{permit:?}"),
            }
        }
        sent
    }

    #[test]
    fn a_short_burst_goes_at_once_and_the_rest_is_spread_over_the_window() {
        // The vendor's 190 per 10 s: 180 used, 18 of them at once, then one every 10 s / 180.
        let pacer = announced(190, Duration::from_secs(10));
        let sent = sends(&pacer, Instant::now(), 180);
        let at_once = sent.iter().filter(|at| at.is_zero()).count();
        assert_eq!(at_once, 19, "the burst, and the request due now");
        let spacing = Duration::from_secs(10) / 180;
        for pair in sent[at_once..].windows(2) {
            assert_eq!(pair[1] - pair[0], spacing);
        }
    }

    #[test]
    fn no_window_ever_holds_more_than_the_budget() {
        let window = Duration::from_secs(10);
        for pacer in [announced(20, window), Pacer::new(20, window)] {
            let sent = sends(&pacer, Instant::now(), 100);
            // 95 % of 20 = 19 per window, whatever ten seconds are looked at.
            for (index, first) in sent.iter().enumerate() {
                let within = sent[index..]
                    .iter()
                    .take_while(|at| **at - *first < window)
                    .count();
                assert!(within <= 19, "{within} requests within 10 s from {first:?}");
            }
            // And the budget is used: 100 requests take five windows and a little.
            let last = *sent.last().unwrap();
            assert!(last < window * 6, "{last:?}");
        }
    }

    #[test]
    fn a_budget_the_vendor_did_not_announce_goes_at_once() {
        // The default guess (95 of 100 per 10 s) is not spread: without the vendor's headers a pull
        // is not slowed to a request every 105 ms.
        let pacer = Pacer::default();
        let sent = sends(&pacer, Instant::now(), 95);
        assert!(sent.iter().all(|at| at.is_zero()));
    }

    #[test]
    fn the_announced_maximum_replaces_the_default_budget() {
        let pacer = Pacer::default();
        pacer.observe(|name| match name {
            "x-hubspot-ratelimit-max" => Some(190),
            "x-hubspot-ratelimit-interval-milliseconds" => Some(10_000),
            _ => None,
        });
        assert_eq!(pacer.budget(), (180, Duration::from_secs(10)));
    }

    #[test]
    fn no_daily_budget_left_stops_before_sending() {
        let pacer = Pacer::default();
        pacer.observe(|name| (name == "x-hubspot-ratelimit-daily-remaining").then_some(0));
        assert_eq!(
            pacer.try_acquire(Instant::now()),
            Err(Permit::DailyLimitReached)
        );
    }
}
