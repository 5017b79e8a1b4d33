//! Keeps a pull under the vendor's ten-second burst limit (`vendor-api.md` §8): a rolling window of the
//! requests sent, sized from the `X-HubSpot-RateLimit-*` headers as they arrive, so that requests wait
//! here instead of running into a 429. It also notices when the daily budget is used up.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests per window assumed until the vendor says otherwise: the smallest tier's (100 per 10 s).
pub const DEFAULT_MAX: u32 = 100;
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(10);

/// Of the announced maximum, this share is used: the window is rolling and other clients of the same
/// app may be sending too, so a small margin avoids 429s while using nearly all of the budget.
const SHARE_PERCENT: u64 = 95;

#[derive(Debug)]
struct State {
    /// Requests allowed per window (already reduced by the margin).
    allowed: u32,
    window: Duration,
    /// When each request of the current window was sent, oldest first.
    sent: VecDeque<Instant>,
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
        if state.sent.len() < state.allowed as usize {
            state.sent.push_back(now);
            if let Some(daily) = &mut state.daily_remaining {
                *daily = daily.saturating_sub(1).max(1);
            }
            return Ok(Duration::ZERO);
        }
        let oldest = *state.sent.front().expect("a full window has requests");
        Ok((oldest + window).saturating_duration_since(now))
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

    #[test]
    fn a_full_window_makes_the_next_request_wait_for_the_oldest_to_leave_it() {
        let pacer = Pacer::new(20, Duration::from_secs(10));
        let start = Instant::now();
        // 95 % of 20 = 19 requests go at once.
        for _ in 0..19 {
            assert_eq!(pacer.try_acquire(start), Ok(Duration::ZERO));
        }
        assert_eq!(pacer.try_acquire(start), Ok(Duration::from_secs(10)));
        assert_eq!(
            pacer.try_acquire(start + Duration::from_secs(10)),
            Ok(Duration::ZERO)
        );
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
