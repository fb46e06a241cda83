//! Reminders before a key is due: which ones to send now, and what they say.
//!
//! The words are all here: named (unlocked, or locked with labels the user asked to keep) or generic
//! (locked: how many keys, never which). The app only decides when to look and shows what this answers.
//!
//! A key's due date is the earliest of its expiry, its rotation date and its exchange's key-lifetime rule
//! ([`crate::due::due_info`]). A reminder fires once per key, per due date, per threshold. Threshold `N` is
//! reached when the countdown shows `N` whole days or fewer (the same rounded-down `days_left` the list
//! shows), so `0` means "less than a day left"; after the thresholds comes one "overdue" reminder, once the
//! due date has passed.
//!
//! Everything here is a pure function of the due dates, what was already sent and an injected `now`. When
//! several thresholds were crossed while the machine slept or the app was closed, only the most urgent one
//! is sent: a key that went from 20 to 2 days left gets the 3-day reminder, not 14, 7 and 3. The record of
//! a reminder names the due date it was computed for, so when a rotation or an edit moves the due date its
//! thresholds start over.

use crate::due::DueKind;
use crate::error::{Error, Result};
use crate::view::KeySummary;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fmt;
use uuid::Uuid;

/// Days before the due date at which a reminder is sent, most distant first.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderPolicy {
    /// Whole days left on the countdown, distinct, sorted descending, each within 0–365.
    pub thresholds_days: Vec<u32>,
}

impl ReminderPolicy {
    /// The thresholds when the user has not chosen any.
    pub const DEFAULT_THRESHOLDS_DAYS: [u32; 5] = [14, 7, 3, 1, 0];
    /// The most thresholds a policy may have.
    pub const MAX_THRESHOLDS: usize = 10;
    /// The farthest ahead a threshold may lie, in days.
    pub const MAX_DAYS: u32 = 365;

    /// A policy from thresholds in any order (they are sorted, most distant first), validated.
    pub fn new(mut thresholds_days: Vec<u32>) -> Result<Self> {
        thresholds_days.sort_unstable_by(|a, b| b.cmp(a));
        let policy = Self { thresholds_days };
        policy.validate()?;
        Ok(policy)
    }

    /// Refuses an empty or too long list, a threshold beyond a year, a repeated or unsorted one.
    /// Call it on a policy read from settings before using it.
    pub fn validate(&self) -> Result<()> {
        let t = &self.thresholds_days;
        let example = "e.g. 14, 7, 3, 1, 0";
        if t.is_empty() {
            return Err(Error::input(format!(
                "no reminder thresholds given: give at least one number of days before the due date ({example})"
            )));
        }
        if t.len() > Self::MAX_THRESHOLDS {
            return Err(Error::input(format!(
                "{} reminder thresholds given: use at most {} ({example})",
                t.len(),
                Self::MAX_THRESHOLDS
            )));
        }
        if let Some(far) = t.iter().find(|d| **d > Self::MAX_DAYS) {
            return Err(Error::input(format!(
                "a reminder {far} days before the due date is too far ahead: use 0 to {} days",
                Self::MAX_DAYS
            )));
        }
        let mut seen = HashSet::new();
        if let Some(twice) = t.iter().find(|d| !seen.insert(**d)) {
            return Err(Error::input(format!(
                "the reminder threshold of {twice} days is listed twice: list each number of days once"
            )));
        }
        if t.windows(2).any(|w| w[0] < w[1]) {
            return Err(Error::input(format!(
                "reminder thresholds must go from the most distant to the closest ({example}); got {}",
                join_days(t)
            )));
        }
        Ok(())
    }
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        Self {
            thresholds_days: Self::DEFAULT_THRESHOLDS_DAYS.to_vec(),
        }
    }
}

fn join_days(days: &[u32]) -> String {
    days.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The point on a key's way to its due date at which one reminder is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// The countdown shows this many whole days or fewer.
    DaysLeft(u32),
    /// The due date has passed.
    Overdue,
}

impl Threshold {
    /// How the threshold is stored in the vault file: days, or -1 for overdue.
    pub fn code(self) -> i64 {
        match self {
            Self::DaysLeft(d) => d.into(),
            Self::Overdue => -1,
        }
    }

    /// The threshold stored as `code`; `None` for a value no version of Keystead writes.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            -1 => Some(Self::Overdue),
            d => u32::try_from(d).ok().map(Self::DaysLeft),
        }
    }

    /// Whether `self` is reached no later than `other` (fewer days left, or overdue).
    pub fn at_least_as_urgent_as(self, other: Threshold) -> bool {
        self.code() <= other.code()
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DaysLeft(0) => f.write_str("less than a day left"),
            Self::DaysLeft(1) => f.write_str("1 day left"),
            Self::DaysLeft(d) => write!(f, "{d} days left"),
            Self::Overdue => f.write_str("overdue"),
        }
    }
}

/// A key's due date, as readable while the vault is locked: its id and the plaintext `due_at` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockedDue {
    pub id: Uuid,
    pub due_at: DateTime<Utc>,
}

/// A reminder already sent (or being sent), as recorded in the vault file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentReminder {
    pub entry_id: Uuid,
    /// The due date the reminder was computed for.
    pub due_at: DateTime<Utc>,
    pub threshold: Threshold,
    pub sent_at: DateTime<Utc>,
}

/// A reminder to send now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Reminder {
    pub entry_id: Uuid,
    pub due_at: DateTime<Utc>,
    /// The most urgent threshold the key has reached.
    pub threshold: Threshold,
}

/// A reminder with what an unlocked vault knows about the key. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReminder {
    pub reminder: Reminder,
    pub name: String,
    /// The exchange's display name ("Binance").
    pub exchange_name: String,
    pub kind: DueKind,
    /// What happens at the due date, as [`crate::due::DueInfo::reason`] says it.
    pub reason: String,
}

/// What a locked reminder may say about a key when the user chose "show key names while locked":
/// remembered from the last unlocked look, in memory only. Never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLabel {
    name: String,
    exchange_name: String,
    kind: DueKind,
    reason: String,
}

impl KeyLabel {
    /// The label of a key as the list shows it, with the key's id; `None` for a key with no due date.
    pub fn from_summary(k: &KeySummary) -> Option<(Uuid, KeyLabel)> {
        Some((
            k.id,
            KeyLabel {
                name: k.name.clone(),
                exchange_name: k.exchange_name.clone(),
                kind: k.due_kind?,
                reason: k.due_reason.clone().unwrap_or_default(),
            },
        ))
    }

    /// The reminder as an unlocked vault would have given it, with this label's words.
    fn reminder(&self, reminder: Reminder) -> KeyReminder {
        KeyReminder {
            reminder,
            name: self.name.clone(),
            exchange_name: self.exchange_name.clone(),
            kind: self.kind,
            reason: self.reason.clone(),
        }
    }
}

/// The one key a notification about these keys is about, so a click opens it; `None` when it is about
/// several keys (a click opens the list) or none.
pub fn single_key(ids: impl IntoIterator<Item = Uuid>) -> Option<Uuid> {
    let mut ids = ids.into_iter();
    let first = ids.next()?;
    ids.all(|id| id == first).then_some(first)
}

/// Whole days left until `due_at`, rounded down (negative once past), as [`crate::due::DueInfo::days_left`].
fn days_left(due_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    (due_at - now).num_seconds().div_euclid(86_400)
}

/// The most urgent threshold of `policy` that a key due at `due_at` has reached at `now`.
pub fn threshold_reached(
    policy: &ReminderPolicy,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<Threshold> {
    if due_at <= now {
        return Some(Threshold::Overdue);
    }
    let left = days_left(due_at, now);
    policy
        .thresholds_days
        .iter()
        .filter(|d| i64::from(**d) >= left)
        .min()
        .map(|d| Threshold::DaysLeft(*d))
}

/// The reminders to send at `now`: at most one per key, for the most urgent threshold it has reached,
/// unless a reminder at least that urgent was already sent for the same due date. Most urgent first.
pub fn reminders_due(
    policy: &ReminderPolicy,
    keys: &[LockedDue],
    sent: &[SentReminder],
    now: DateTime<Utc>,
) -> Vec<Reminder> {
    let mut most_urgent_sent: HashMap<(Uuid, DateTime<Utc>), Threshold> = HashMap::new();
    for s in sent {
        most_urgent_sent
            .entry((s.entry_id, s.due_at))
            .and_modify(|t| {
                if s.threshold.at_least_as_urgent_as(*t) {
                    *t = s.threshold;
                }
            })
            .or_insert(s.threshold);
    }
    let mut seen = HashSet::new();
    let mut out: Vec<Reminder> = keys
        .iter()
        .filter(|k| seen.insert(k.id))
        .filter_map(|k| {
            let threshold = threshold_reached(policy, k.due_at, now)?;
            match most_urgent_sent.get(&(k.id, k.due_at)) {
                Some(done) if done.at_least_as_urgent_as(threshold) => None,
                _ => Some(Reminder {
                    entry_id: k.id,
                    due_at: k.due_at,
                    threshold,
                }),
            }
        })
        .collect();
    out.sort_by_key(|r| (r.due_at, r.entry_id));
    out
}

/// The next moment after `now` at which a key reaches a threshold, so a scheduler can sleep until then.
pub fn next_threshold_at(
    policy: &ReminderPolicy,
    keys: &[LockedDue],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    keys.iter()
        .flat_map(|k| {
            // Threshold N is reached once less than N + 1 days are left: one second past that mark.
            policy
                .thresholds_days
                .iter()
                .map(move |d| k.due_at - Duration::days(i64::from(*d) + 1) + Duration::seconds(1))
                .chain(std::iter::once(k.due_at))
        })
        .filter(|at| *at > now)
        .min()
}

/// The words of a notification. Built in core so the app only displays them; never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReminderText {
    pub summary: String,
    pub body: String,
}

/// `&`, `<` and `>` as entities, so markup-reading servers show them as typed.
fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

impl ReminderText {
    /// The text as handed to a notification server. The freedesktop specification lets servers read a
    /// subset of HTML in the body (`<b>`, `<a href>`, `<img>`…), so a key named `<b>x</b>` would be
    /// drawn as markup: the body's `&`, `<` and `>` are escaped. The summary is plain text by the same
    /// specification, so it is left as is (escaping it would show `&amp;` on every compliant server).
    pub fn for_notification_server(&self) -> ReminderText {
        ReminderText {
            summary: self.summary.clone(),
            body: escape_markup(&self.body),
        }
    }

    /// The notification Settings sends to show that reminders reach the desktop.
    pub fn test() -> ReminderText {
        ReminderText {
            summary: "Keystead notifications work".to_string(),
            body:
                "Reminders like this one appear before an API key expires or is due for rotation."
                    .to_string(),
        }
    }

    /// While the vault is locked only ids and due dates are readable: say how many keys, never which.
    /// `None` when there is nothing to say.
    pub fn locked(reminders: &[Reminder]) -> Option<ReminderText> {
        let keys: HashSet<Uuid> = reminders.iter().map(|r| r.entry_id).collect();
        if keys.is_empty() {
            return None;
        }
        let late: HashSet<Uuid> = reminders
            .iter()
            .filter(|r| r.threshold == Threshold::Overdue)
            .map(|r| r.entry_id)
            .collect();
        let n = keys.len() as i64;
        let summary = if n == 1 {
            "1 API key needs rotation".to_string()
        } else {
            format!("{n} API keys need rotation")
        };
        let body = match late.len() {
            0 => "Unlock Keystead to see which.".to_string(),
            1 if n == 1 => "It is past its due date. Unlock Keystead to see which.".to_string(),
            l => format!(
                "{} past {} due date. Unlock Keystead to see which.",
                if l == 1 { "1 is" } else { "Some are" },
                if l == 1 { "its" } else { "their" }
            ),
        };
        Some(ReminderText { summary, body })
    }

    /// The text for reminders recorded while the vault is locked: generic, as [`ReminderText::locked`],
    /// unless the user asked for names (`labels` is given) and every key is one whose label is
    /// remembered from the last unlock: then as [`ReminderText::unlocked`]. `None` when there is nothing
    /// to say.
    pub fn while_locked(
        recorded: &[Reminder],
        labels: Option<&HashMap<Uuid, KeyLabel>>,
        now: DateTime<Utc>,
    ) -> Option<ReminderText> {
        let named: Option<Vec<KeyReminder>> = labels.and_then(|labels| {
            recorded
                .iter()
                .map(|r| labels.get(&r.entry_id).map(|l| l.reminder(*r)))
                .collect()
        });
        match named {
            Some(keys) => Self::unlocked(&keys, now),
            None => Self::locked(recorded),
        }
    }

    /// One key's reminder, naming the key and its exchange: "binance-main (Binance) expires in 3 days".
    pub fn for_key(r: &KeyReminder, now: DateTime<Utc>) -> ReminderText {
        let who = format!("{} ({})", r.name, r.exchange_name);
        let due_at = r.reminder.due_at;
        let summary = if due_at > now {
            let left = days_left(due_at, now);
            let when = if left < 1 {
                "in less than a day".to_string()
            } else {
                format!("in {}", plural(left, "day", "days"))
            };
            match r.kind {
                DueKind::Expiry | DueKind::ExchangeExpiry => format!("{who} expires {when}"),
                DueKind::Rotation => format!("{who} is due for rotation {when}"),
                DueKind::ExchangeTradingLapse => format!("{who} loses trading permission {when}"),
            }
        } else {
            let ago = (now - due_at).num_seconds().div_euclid(86_400);
            let ago_text = format!("{} ago", plural(ago, "day", "days"));
            match (r.kind, ago) {
                (DueKind::Expiry | DueKind::ExchangeExpiry, 0) => format!("{who} has expired"),
                (DueKind::Expiry | DueKind::ExchangeExpiry, _) => {
                    format!("{who} expired {ago_text}")
                }
                (DueKind::Rotation, 0) => format!("{who} is due for rotation now"),
                (DueKind::Rotation, _) => format!("{who} was due for rotation {ago_text}"),
                (DueKind::ExchangeTradingLapse, 0) => format!("{who} lost trading permission"),
                (DueKind::ExchangeTradingLapse, _) => {
                    format!("{who} lost trading permission {ago_text}")
                }
            }
        };
        let mut reason = r.reason.trim().to_string();
        if let Some(first) = reason.chars().next() {
            reason.replace_range(..first.len_utf8(), &first.to_uppercase().to_string());
        }
        if !reason.is_empty() && !reason.ends_with('.') {
            reason.push('.');
        }
        let date = format!("Due {} UTC.", due_at.format("%Y-%m-%d %H:%M"));
        // "The key expires." only repeats the summary; the other reasons say why (rotation period,
        // exchange rule).
        let body = if reason.is_empty() || r.kind == DueKind::Expiry {
            date
        } else {
            format!("{reason} {date}")
        };
        ReminderText { summary, body }
    }

    /// Several keys' reminders in one notification (one key: as [`ReminderText::for_key`]). `None` when
    /// there is nothing to say.
    pub fn unlocked(reminders: &[KeyReminder], now: DateTime<Utc>) -> Option<ReminderText> {
        match reminders {
            [] => None,
            [one] => Some(Self::for_key(one, now)),
            many => Some(ReminderText {
                summary: format!("{} API keys need attention", many.len()),
                body: many
                    .iter()
                    .map(|r| Self::for_key(r, now).summary)
                    .collect::<Vec<_>>()
                    .join("\n"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
    }

    #[test]
    fn thresholds_are_reached_when_the_rounded_down_countdown_shows_them() {
        let p = ReminderPolicy::default();
        let due = at(20, 12);
        let reached = |now| threshold_reached(&p, due, now);
        assert_eq!(reached(due - Duration::days(15)), None);
        assert_eq!(
            reached(due - Duration::days(15) + Duration::seconds(1)),
            Some(Threshold::DaysLeft(14))
        );
        assert_eq!(
            reached(due - Duration::days(6)),
            Some(Threshold::DaysLeft(7))
        );
        assert_eq!(
            reached(due - Duration::hours(1)),
            Some(Threshold::DaysLeft(0))
        );
        assert_eq!(reached(due), Some(Threshold::Overdue));
    }

    #[test]
    fn the_next_threshold_is_one_second_past_each_day_mark_and_then_the_due_date() {
        let p = ReminderPolicy::new(vec![3, 0]).unwrap();
        let due = at(20, 12);
        let keys = [LockedDue {
            id: Uuid::nil(),
            due_at: due,
        }];
        let first = next_threshold_at(&p, &keys, at(1, 0)).unwrap();
        assert_eq!(first, due - Duration::days(4) + Duration::seconds(1));
        assert_eq!(
            threshold_reached(&p, due, first),
            Some(Threshold::DaysLeft(3))
        );
        assert_eq!(
            threshold_reached(&p, due, first - Duration::seconds(1)),
            None
        );
        let second = next_threshold_at(&p, &keys, first).unwrap();
        assert_eq!(second, due - Duration::days(1) + Duration::seconds(1));
        assert_eq!(next_threshold_at(&p, &keys, second).unwrap(), due);
        assert_eq!(next_threshold_at(&p, &keys, due), None);
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap()
    }

    fn reminder(id: Uuid, days: i64) -> Reminder {
        Reminder {
            entry_id: id,
            due_at: now() + Duration::days(days) + Duration::hours(1),
            threshold: Threshold::DaysLeft(3),
        }
    }

    fn label(name: &str) -> KeyLabel {
        KeyLabel {
            name: name.into(),
            exchange_name: "Binance".into(),
            kind: DueKind::Expiry,
            reason: "expiry date".into(),
        }
    }

    #[test]
    fn a_locked_reminder_names_no_key_unless_the_user_asked_for_names() {
        let id = Uuid::now_v7();
        let labels = HashMap::from([(id, label("binance-main"))]);
        let generic = ReminderText::while_locked(&[reminder(id, 2)], None, now()).unwrap();
        assert_eq!(generic.summary, "1 API key needs rotation");
        assert!(!generic.body.contains("binance-main"));
        assert_eq!(single_key([id]), Some(id), "a click still opens the key");

        let named = ReminderText::while_locked(&[reminder(id, 2)], Some(&labels), now()).unwrap();
        assert_eq!(named.summary, "binance-main (Binance) expires in 2 days");
    }

    #[test]
    fn a_key_whose_name_was_never_seen_keeps_the_locked_text_generic() {
        let (known, unknown) = (Uuid::now_v7(), Uuid::now_v7());
        let labels = HashMap::from([(known, label("binance-main"))]);
        let recorded = [reminder(known, 2), reminder(unknown, 5)];
        let out = ReminderText::while_locked(&recorded, Some(&labels), now()).unwrap();
        assert_eq!(out.summary, "2 API keys need rotation");
        assert!(!out.body.contains("binance-main"));
        assert_eq!(
            single_key(recorded.iter().map(|r| r.entry_id)),
            None,
            "a click on a reminder about two keys opens the list"
        );
    }

    #[test]
    fn nothing_recorded_shows_nothing() {
        assert_eq!(ReminderText::while_locked(&[], None, now()), None);
        assert_eq!(ReminderText::unlocked(&[], now()), None);
        assert_eq!(single_key([]), None);
    }

    #[test]
    fn threshold_codes_round_trip() {
        for t in [
            Threshold::Overdue,
            Threshold::DaysLeft(0),
            Threshold::DaysLeft(365),
        ] {
            assert_eq!(Threshold::from_code(t.code()), Some(t));
        }
        assert_eq!(Threshold::from_code(-2), None);
    }

    #[test]
    fn a_key_named_with_markup_reaches_the_notification_server_escaped_in_the_body() {
        let now = at(1, 0);
        let key = |name: &str| KeyReminder {
            reminder: Reminder {
                entry_id: Uuid::nil(),
                due_at: at(4, 0),
                threshold: Threshold::DaysLeft(3),
            },
            name: name.to_string(),
            exchange_name: "Kraken".to_string(),
            kind: DueKind::Expiry,
            reason: "the key stops working".to_string(),
        };
        let text = ReminderText::unlocked(&[key("<b>x</b>&"), key("plain")], now)
            .unwrap()
            .for_notification_server();
        assert!(
            text.body
                .starts_with("&lt;b&gt;x&lt;/b&gt;&amp; (Kraken) expires in 3 days\nplain"),
            "{}",
            text.body
        );
        assert!(!text.body.contains('<') && !text.body.contains('>'));
        let one = ReminderText::for_key(&key("<b>x</b>&"), now).for_notification_server();
        assert!(
            one.summary.starts_with("<b>x</b>&"),
            "the summary is plain text by the specification"
        );
    }
}
