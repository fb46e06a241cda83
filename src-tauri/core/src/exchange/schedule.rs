//! Scheduled checks (issue 16, off by default): which keys are due for a check on their exchange, when
//! the next one is, and the words of the desktop notification when a check finds drift or a rejected
//! key. The app decides when to look and sends the requests; nothing here touches the network.

use super::{KeyVerification, Verification, VerifyOutcome};
use crate::catalog;
use crate::model::KeyStatus;
use crate::reminders::ReminderText;
use crate::view::KeySummary;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The shortest and longest time between scheduled checks of one key, in hours (a month at most).
pub const MIN_HOURS: u32 = 1;
pub const MAX_HOURS: u32 = 720;

/// Which keys the schedule looks at when a key says nothing of its own (`KeySummary::scheduled_check`
/// `None`): all of them (the default), or only the ones turned on.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleScope {
    #[default]
    All,
    Chosen,
}

/// Whether the schedule covers this key by its own choice or, without one, by `scope`.
pub fn scheduled(key: &KeySummary, scope: ScheduleScope) -> bool {
    key.scheduled_check.unwrap_or(scope == ScheduleScope::All)
}

/// Whether a scheduled check may look at this key at all: active, on an exchange that reports a key's
/// permissions, and covered by the schedule.
fn checkable(key: &KeySummary, scope: ScheduleScope) -> bool {
    key.status == KeyStatus::Active
        && catalog::exchange(&key.exchange).is_ok_and(|e| e.key_info.is_some())
        && scheduled(key, scope)
}

/// When the key is next due: at its last check plus the period; never checked: `None` (now).
fn due_at(key: &KeySummary, every: Duration) -> Option<DateTime<Utc>> {
    key.last_check.as_ref().map(|c| c.at + every)
}

fn period(every_hours: Option<u32>) -> Option<Duration> {
    every_hours
        .filter(|h| (MIN_HOURS..=MAX_HOURS).contains(h))
        .map(|h| Duration::hours(i64::from(h)))
}

/// The schedule: how often (`every_hours`; `None` is off, the default) and which keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Schedule {
    pub every_hours: Option<u32>,
    pub scope: ScheduleScope,
}

impl Schedule {
    /// The keys a scheduled check looks at now, never checked first, then the longest unchecked.
    /// Empty when the schedule is off, so no request is ever sent unless it is on.
    pub fn due(&self, keys: &[KeySummary], now: DateTime<Utc>) -> Vec<Uuid> {
        let Some(every) = period(self.every_hours) else {
            return Vec::new();
        };
        let mut due: Vec<(Option<DateTime<Utc>>, Uuid)> = keys
            .iter()
            .filter(|k| checkable(k, self.scope))
            .filter(|k| due_at(k, every).is_none_or(|at| at <= now))
            .map(|k| (k.last_check.as_ref().map(|c| c.at), k.id))
            .collect();
        due.sort();
        due.into_iter().map(|(_, id)| id).collect()
    }

    /// When the next key falls due (now for a key that is due already); `None` with the schedule
    /// off or no key to check.
    pub fn next_at(&self, keys: &[KeySummary], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let every = period(self.every_hours)?;
        keys.iter()
            .filter(|k| checkable(k, self.scope))
            .map(|k| due_at(k, every).unwrap_or(now).max(now))
            .min()
    }
}

/// A scheduled check that found something the owner should know: drift, or the exchange rejected the
/// key. Holds the key's name and the differences (from the record and the exchange's answer), never a
/// secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckAlert {
    pub entry_id: Uuid,
    pub name: String,
    pub exchange_name: String,
    pub outcome: VerifyOutcome,
    pub differences: Vec<String>,
}

impl CheckAlert {
    /// The alert a check's verdict raises; `None` when the exchange agrees, gave no answer, or says
    /// exactly what the key's `previous` check said (that was news then: a schedule does not repeat it
    /// every period until the owner acts).
    pub fn of(
        entry_id: Uuid,
        checked: &KeyVerification,
        previous: Option<&Verification>,
    ) -> Option<Self> {
        let v = &checked.verification;
        let repeat = previous.is_some_and(|p| p.outcome == v.outcome && p.drift == v.drift);
        (matches!(v.outcome, VerifyOutcome::Drift | VerifyOutcome::Rejected) && !repeat).then(
            || Self {
                entry_id,
                name: checked.name.clone(),
                exchange_name: checked.exchange_name.clone(),
                outcome: v.outcome,
                differences: v.drift.clone(),
            },
        )
    }

    fn headline(&self) -> String {
        match self.outcome {
            VerifyOutcome::Rejected => format!(
                "{} ({}) was rejected by the exchange",
                self.name, self.exchange_name
            ),
            _ => format!(
                "{} ({}) differs from the exchange",
                self.name, self.exchange_name
            ),
        }
    }
}

fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// The notification for the alerts of one round of scheduled checks. `names`: the text may name keys
/// and differences (the vault is unlocked, or the user asked for names while locked, as reminders do);
/// otherwise it says only that something changed. `None` when there is nothing to say.
pub fn alert_text(alerts: &[CheckAlert], names: bool) -> Option<ReminderText> {
    if alerts.is_empty() {
        return None;
    }
    if !names {
        let rejected = alerts.iter().all(|a| a.outcome == VerifyOutcome::Rejected);
        let summary = match (alerts.len(), rejected) {
            (1, false) => "A key's permissions changed on its exchange".to_string(),
            (1, true) => "An exchange rejected one of your API keys".to_string(),
            (n, _) => format!("{n} API keys differ from their exchanges"),
        };
        return Some(ReminderText {
            summary,
            body: "Open Keystead to see which.".to_string(),
        });
    }
    Some(match alerts {
        [one] => ReminderText {
            summary: one.headline(),
            body: one
                .differences
                .iter()
                .map(|d| sentence(d))
                .collect::<Vec<_>>()
                .join("\n"),
        },
        many => ReminderText {
            summary: format!("{} API keys differ from their exchanges", many.len()),
            body: many
                .iter()
                .map(|a| match a.differences.first() {
                    Some(d) if a.differences.len() == 1 => format!("{}: {}", a.name, sentence(d)),
                    Some(d) => format!(
                        "{}: {} (and {} more)",
                        a.name,
                        sentence(d),
                        a.differences.len() - 1
                    ),
                    None => a.headline(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::RecordedView;
    use crate::model::{Environment, KeyEntry, Scope};
    use chrono::TimeZone;
    use std::collections::BTreeSet;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap()
    }

    /// A list row as the vault builds it, for a key on `exchange` last checked `hours_ago`.
    fn row(exchange: &str, status: KeyStatus, hours_ago: Option<i64>) -> KeySummary {
        let entry = KeyEntry {
            id: Uuid::now_v7(),
            name: format!("{exchange} key"),
            exchange: exchange.to_string(),
            account: None,
            environment: Environment::Production,
            scopes: BTreeSet::from([Scope::Read]),
            exchange_scopes: Vec::new(),
            scopes_unknown: false,
            ip_allowlist: Vec::new(),
            created_at: now() - Duration::days(30),
            updated_at: now() - Duration::days(30),
            expires_at: None,
            last_rotated_at: None,
            last_used_at: None,
            last_use: None,
            rotation_days: None,
            status,
            status_reason: None,
            status_changed_at: None,
            tags: Vec::new(),
            notes: String::new(),
            env_names: Default::default(),
            used_by: Vec::new(),
            found_in_plaintext: None,
            last_verification: hours_ago.map(|h| Verification {
                at: now() - Duration::hours(h),
                outcome: VerifyOutcome::Agrees,
                drift: Vec::new(),
                error: None,
                report: None,
            }),
            scheduled_check: None,
            versions: Vec::new(),
            fingerprints: Vec::new(),
        };
        let ex = crate::vault::exchange_of(&entry);
        KeySummary::new(
            &entry,
            ex.name,
            crate::due::due_info(&entry, ex, now()),
            Vec::new(),
        )
    }

    fn every(every_hours: Option<u32>) -> Schedule {
        Schedule {
            every_hours,
            scope: ScheduleScope::All,
        }
    }

    #[test]
    fn a_key_turned_off_is_never_checked_and_only_chosen_keys_are_when_the_app_says_so() {
        let plain = row("binance", KeyStatus::Active, None);
        let mut off = row("okx", KeyStatus::Active, None);
        off.scheduled_check = Some(false);
        let mut on = row("bybit", KeyStatus::Active, Some(7));
        on.scheduled_check = Some(true);
        let keys = [plain.clone(), off.clone(), on.clone()];
        let all = every(Some(6));
        assert_eq!(all.due(&keys, now()), vec![plain.id, on.id]);
        let chosen = Schedule {
            scope: ScheduleScope::Chosen,
            ..all
        };
        assert_eq!(chosen.due(&keys, now()), vec![on.id]);
        // Only the key turned off: nothing to check, no next time.
        assert!(all.due(std::slice::from_ref(&off), now()).is_empty());
        assert_eq!(all.next_at(std::slice::from_ref(&off), now()), None);
        assert_eq!(chosen.next_at(std::slice::from_ref(&plain), now()), None);
        // A revoked key stays out even when turned on.
        let mut revoked = row("binance", KeyStatus::Revoked, None);
        revoked.scheduled_check = Some(true);
        assert!(chosen.due(&[revoked], now()).is_empty());
    }

    #[test]
    fn off_no_key_is_ever_due() {
        let keys = [row("binance", KeyStatus::Active, None)];
        assert_eq!(every(None).due(&keys, now()), Vec::<Uuid>::new());
        assert_eq!(every(None).next_at(&keys, now()), None);
        // A period outside the allowed range (a hand-edited settings file) is off too.
        assert!(every(Some(0)).due(&keys, now()).is_empty());
        assert!(every(Some(MAX_HOURS + 1)).due(&keys, now()).is_empty());
    }

    #[test]
    fn due_keys_are_active_checkable_and_not_checked_within_the_period() {
        let never = row("binance", KeyStatus::Active, None);
        let fresh = row("okx", KeyStatus::Active, Some(2));
        let old = row("bybit", KeyStatus::Active, Some(7));
        let exactly = row("kucoin", KeyStatus::Active, Some(6));
        let revoked = row("binance", KeyStatus::Revoked, None);
        let no_endpoint = row("custom", KeyStatus::Active, None);
        let keys = [
            fresh.clone(),
            old.clone(),
            never.clone(),
            exactly.clone(),
            revoked,
            no_endpoint,
        ];
        assert_eq!(
            every(Some(6)).due(&keys, now()),
            vec![never.id, old.id, exactly.id],
            "never checked first, then the longest unchecked"
        );
        assert_eq!(every(Some(6)).next_at(&keys, now()), Some(now()));
        let later = [fresh.clone()];
        assert!(every(Some(6)).due(&later, now()).is_empty());
        assert_eq!(
            every(Some(6)).next_at(&later, now()),
            Some(now() + Duration::hours(4))
        );
    }

    fn alert(name: &str, outcome: VerifyOutcome, differences: &[&str]) -> CheckAlert {
        let verification = Verification {
            at: now(),
            outcome,
            drift: differences.iter().map(|d| d.to_string()).collect(),
            error: None,
            report: None,
        };
        let checked = KeyVerification {
            name: name.to_string(),
            exchange: "binance".into(),
            exchange_name: "Binance".into(),
            recorded: RecordedView {
                permissions: vec![],
                scopes: vec![],
                scopes_unknown: false,
                ip_allowlist: vec![],
                expires_at: None,
                created_at: now(),
            },
            verification,
        };
        CheckAlert::of(Uuid::now_v7(), &checked, None).unwrap()
    }

    #[test]
    fn an_alert_names_the_key_and_each_difference_while_names_may_be_shown() {
        let a = alert(
            "eth-bot",
            VerifyOutcome::Drift,
            &[
                "withdrawals are enabled on Binance but not recorded here",
                "IP allowlist removed: Binance accepts this key from any address (recorded here: 203.0.113.7)",
            ],
        );
        assert_eq!(
            alert_text(std::slice::from_ref(&a), true).unwrap(),
            ReminderText {
                summary: "eth-bot (Binance) differs from the exchange".into(),
                body: "Withdrawals are enabled on Binance but not recorded here.\nIP allowlist removed: Binance accepts this key from any address (recorded here: 203.0.113.7).".into(),
            }
        );
        let r = alert(
            "old",
            VerifyOutcome::Rejected,
            &["the exchange rejected this key: deleted or wrong secret (Binance says: Invalid API-key (code -2008))"],
        );
        assert_eq!(
            alert_text(std::slice::from_ref(&r), true).unwrap().summary,
            "old (Binance) was rejected by the exchange"
        );
        let both = alert_text(&[a, r], true).unwrap();
        assert_eq!(both.summary, "2 API keys differ from their exchanges");
        assert_eq!(
            both.body,
            "eth-bot: Withdrawals are enabled on Binance but not recorded here. (and 1 more)\nold: The exchange rejected this key: deleted or wrong secret (Binance says: Invalid API-key (code -2008))."
        );
    }

    #[test]
    fn without_names_the_alert_is_generic() {
        let a = alert(
            "eth-bot",
            VerifyOutcome::Drift,
            &["withdrawals are enabled on Binance but not recorded here"],
        );
        let r = alert(
            "old",
            VerifyOutcome::Rejected,
            &["the exchange rejected this key"],
        );
        let one = alert_text(std::slice::from_ref(&a), false).unwrap();
        assert_eq!(
            one,
            ReminderText {
                summary: "A key's permissions changed on its exchange".into(),
                body: "Open Keystead to see which.".into(),
            }
        );
        assert_eq!(
            alert_text(std::slice::from_ref(&r), false).unwrap().summary,
            "An exchange rejected one of your API keys"
        );
        let two = alert_text(&[a, r], false).unwrap();
        assert_eq!(two.summary, "2 API keys differ from their exchanges");
        for t in [one, two] {
            let all = format!("{}{}", t.summary, t.body);
            assert!(
                !all.contains("eth-bot") && !all.contains("Binance") && !all.contains("withdraw")
            );
        }
        assert_eq!(alert_text(&[], true), None);
        assert_eq!(alert_text(&[], false), None);
    }

    #[test]
    fn agreeing_or_failed_checks_raise_no_alert() {
        for outcome in [VerifyOutcome::Agrees, VerifyOutcome::Failed] {
            let checked = KeyVerification {
                name: "k".into(),
                exchange: "binance".into(),
                exchange_name: "Binance".into(),
                recorded: RecordedView {
                    permissions: vec![],
                    scopes: vec![],
                    scopes_unknown: false,
                    ip_allowlist: vec![],
                    expires_at: None,
                    created_at: now(),
                },
                verification: Verification {
                    at: now(),
                    outcome,
                    drift: vec![],
                    error: None,
                    report: None,
                },
            };
            assert_eq!(CheckAlert::of(Uuid::now_v7(), &checked, None), None);
        }
    }

    #[test]
    fn the_same_drift_found_again_is_not_notified_again_but_a_new_difference_is() {
        let checked = |drift: &[&str]| KeyVerification {
            name: "eth-bot".into(),
            exchange: "binance".into(),
            exchange_name: "Binance".into(),
            recorded: RecordedView {
                permissions: vec![],
                scopes: vec![],
                scopes_unknown: false,
                ip_allowlist: vec![],
                expires_at: None,
                created_at: now(),
            },
            verification: Verification {
                at: now(),
                outcome: VerifyOutcome::Drift,
                drift: drift.iter().map(|d| d.to_string()).collect(),
                error: None,
                report: None,
            },
        };
        let id = Uuid::now_v7();
        let first = checked(&["withdrawals are enabled on Binance but not recorded here"]);
        let same = checked(&["withdrawals are enabled on Binance but not recorded here"]);
        assert!(CheckAlert::of(id, &first, None).is_some());
        assert_eq!(CheckAlert::of(id, &same, Some(&first.verification)), None);
        let more = checked(&[
            "withdrawals are enabled on Binance but not recorded here",
            "IP allowlist removed: Binance accepts this key from any address (recorded here: 203.0.113.7)",
        ]);
        assert!(CheckAlert::of(id, &more, Some(&first.verification)).is_some());
        let failed = Verification {
            outcome: VerifyOutcome::Failed,
            drift: vec![],
            ..first.verification.clone()
        };
        assert!(
            CheckAlert::of(id, &same, Some(&failed)).is_some(),
            "after a check that got no answer, drift is told again"
        );
    }
}
