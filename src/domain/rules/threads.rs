//! Which conversation a visible ticket shows and which of its messages (spec section 4). Only threads on a
//! channel connected to an inbox are eligible; of those exactly one is shown (most recent activity or the
//! original, ties to the smaller id); of its messages only type MESSAGE, oldest first.

use crate::domain::model::{Catalog, Message, MessageType, Thread};
use crate::domain::settings::{Settings, ThreadShown};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadChoice {
    /// The shown thread's id and why it is the one.
    pub shown: Option<(String, String)>,
    /// Every other thread of the ticket with the reason it is not shown.
    pub hidden: Vec<(String, String)>,
}

/// What choosing a thread needs to know about it: enough to decide without its messages, so a whole
/// workspace's threads can be compared cheaply (the what-if view does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadActivity {
    pub id: String,
    pub channel: String,
    pub created_at: DateTime<Utc>,
    /// Its newest message of any type, or its creation when it has none.
    pub latest_activity: DateTime<Utc>,
}

impl ThreadActivity {
    pub fn of(thread: &Thread) -> ThreadActivity {
        ThreadActivity {
            id: thread.id.clone(),
            channel: thread.channel.clone(),
            created_at: thread.created_at,
            latest_activity: thread
                .messages
                .iter()
                .map(|message| message.created_at)
                .max()
                .unwrap_or(thread.created_at),
        }
    }
}

fn ineligibility(catalog: &Catalog, channel_id: &str) -> Option<String> {
    let Some(channel) = catalog.channel(channel_id) else {
        return Some(format!("channel {channel_id} no longer exists"));
    };
    // Composed only for a thread that is not eligible: most are, and what-if asks about millions.
    let label = || match &channel.address {
        Some(address) => format!("{} ({address})", channel.id),
        None => channel.id.clone(),
    };
    match &channel.inbox {
        None => Some(format!("channel {} is not connected to an inbox", label())),
        Some(inbox) if catalog.inbox(inbox).is_none() => Some(format!(
            "channel {} delivers to inbox {inbox}, which does not exist",
            label()
        )),
        Some(_) => None,
    }
}

/// The order that puts the shown thread first: newest activity or earliest creation, ties to the smaller
/// id (compared as strings).
fn shown_first(rule: ThreadShown, a: &ThreadActivity, b: &ThreadActivity) -> std::cmp::Ordering {
    match rule {
        ThreadShown::MostRecent => b.latest_activity.cmp(&a.latest_activity),
        ThreadShown::Original => a.created_at.cmp(&b.created_at),
    }
    .then_with(|| a.id.cmp(&b.id))
}

/// Only the id of the shown thread: the same choice as `choose_among` without composing any reason, for
/// comparisons over a whole workspace.
pub fn shown_thread_id<'a>(
    settings: &Settings,
    catalog: &Catalog,
    threads: &'a [ThreadActivity],
) -> Option<&'a str> {
    threads
        .iter()
        .filter(|thread| ineligibility(catalog, &thread.channel).is_none())
        .min_by(|a, b| shown_first(settings.thread_shown, a, b))
        .map(|thread| thread.id.as_str())
}

/// Chooses among `threads`, all associated with one ticket.
pub fn choose_thread(settings: &Settings, catalog: &Catalog, threads: &[Thread]) -> ThreadChoice {
    let activities: Vec<ThreadActivity> = threads.iter().map(ThreadActivity::of).collect();
    choose_among(settings, catalog, &activities)
}

/// Chooses among the threads of one ticket, described by their activity.
pub fn choose_among(
    settings: &Settings,
    catalog: &Catalog,
    threads: &[ThreadActivity],
) -> ThreadChoice {
    let mut hidden = Vec::new();
    let mut eligible: Vec<&ThreadActivity> = Vec::new();
    for thread in threads {
        match ineligibility(catalog, &thread.channel) {
            Some(reason) => hidden.push((thread.id.clone(), reason)),
            None => eligible.push(thread),
        }
    }
    eligible.sort_by(|a, b| shown_first(settings.thread_shown, a, b));
    let shown = eligible.first().map(|thread| {
        let reason = match settings.thread_shown {
            ThreadShown::MostRecent => "most recent eligible thread",
            ThreadShown::Original => "original eligible thread",
        };
        (thread.id.clone(), reason.to_string())
    });
    if let Some((shown_id, _)) = &shown {
        for thread in eligible.iter().skip(1) {
            let reason = match settings.thread_shown {
                ThreadShown::MostRecent => format!(
                    "eligible, but thread {shown_id} has more recent activity and is the one shown"
                ),
                ThreadShown::Original => {
                    format!("eligible, but thread {shown_id} is the original and is the one shown")
                }
            };
            hidden.push((thread.id.clone(), reason));
        }
    }
    hidden.sort_by(|a, b| a.0.cmp(&b.0));
    ThreadChoice { shown, hidden }
}

/// The messages a customer sees in `thread`, oldest first, and every other message with its reason.
pub fn shown_messages(thread: &Thread) -> (Vec<&Message>, Vec<(String, String)>) {
    let mut shown: Vec<&Message> = Vec::new();
    let mut hidden = Vec::new();
    for message in &thread.messages {
        match message.message_type {
            MessageType::Message => shown.push(message),
            MessageType::Comment => {
                hidden.push((message.id.clone(), "internal comment".to_string()))
            }
        }
    }
    // Stable: messages recorded at the same instant keep their conversation order.
    shown.sort_by_key(|message| message.created_at);
    (shown, hidden)
}
