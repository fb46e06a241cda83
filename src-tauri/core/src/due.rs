//! Due state and risk flags: derived from a key's metadata, its exchange's rules and the time, never stored.

use crate::catalog::{Exchange, RuleClock, RuleEffect};
use crate::model::{Environment, KeyEntry, KeyStatus, Scope};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::fmt;

/// How close a key is to needing attention.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    Ok,
    DueSoon,
    /// Past its rotation date: still works, but should be replaced.
    Overdue,
    /// Past its expiry (set by the user or by an exchange rule): it no longer works as it did.
    Expired,
}

impl DueState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::DueSoon => "due_soon",
            Self::Overdue => "overdue",
            Self::Expired => "expired",
        }
    }
}

impl fmt::Display for DueState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which clock decides the due date.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    /// The expiry date the user recorded.
    Expiry,
    /// Last rotation (or creation) plus the rotation period.
    Rotation,
    /// An exchange rule deletes or expires the key.
    ExchangeExpiry,
    /// An exchange rule takes the key's trading permission away.
    ExchangeTradingLapse,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueInfo {
    pub due_at: Option<DateTime<Utc>>,
    pub kind: Option<DueKind>,
    pub state: DueState,
    /// Whole days until due, rounded down; negative once past.
    pub days_left: Option<i64>,
    /// A sentence saying what happens at `due_at`.
    pub reason: Option<String>,
}

/// How many days ahead a due date turns a key "due soon" (the first reminder threshold).
pub const DUE_SOON_DAYS: i64 = 14;

/// The due date and state of a key at `now`. Keys that are no longer active are never due.
pub fn due_info(entry: &KeyEntry, exchange: &Exchange, now: DateTime<Utc>) -> DueInfo {
    let mut candidates: Vec<(DateTime<Utc>, DueKind, String)> = Vec::new();
    if entry.status == KeyStatus::Active {
        if let Some(at) = entry.expires_at {
            candidates.push((at, DueKind::Expiry, "the key expires".into()));
        }
        if let Some(left) = &entry.member_left {
            candidates.push((
                left.at,
                DueKind::Rotation,
                format!(
                    "rotate it: {} left team {} and may still hold it",
                    left.member, left.team
                ),
            ));
        }
        if let Some(days) = entry.rotation_days {
            let from = entry.last_rotated_at.unwrap_or(entry.created_at);
            candidates.push((
                from + Duration::days(days.into()),
                DueKind::Rotation,
                format!("the key is due for rotation (every {days} days)"),
            ));
        }
        for rule in exchange.lifetime_rules {
            if !rule.applies_to(&entry.scopes, &entry.ip_allowlist) {
                continue;
            }
            let born = entry.last_rotated_at.unwrap_or(entry.created_at);
            let from = match rule.clock {
                RuleClock::SinceCreated => born,
                RuleClock::Inactivity => entry.last_used_at.map_or(born, |used| used.max(born)),
            };
            let kind = match rule.effect {
                RuleEffect::KeyExpires => DueKind::ExchangeExpiry,
                RuleEffect::TradingDisabled => DueKind::ExchangeTradingLapse,
            };
            candidates.push((
                from + Duration::days(rule.days.into()),
                kind,
                rule.summary.to_string(),
            ));
        }
    }
    let Some((due_at, kind, reason)) = candidates.into_iter().min_by_key(|c| c.0) else {
        return DueInfo {
            due_at: None,
            kind: None,
            state: DueState::Ok,
            days_left: None,
            reason: None,
        };
    };
    let left = due_at - now;
    let state = if left <= Duration::zero() {
        match kind {
            DueKind::Rotation => DueState::Overdue,
            _ => DueState::Expired,
        }
    } else if left <= Duration::days(DUE_SOON_DAYS) {
        DueState::DueSoon
    } else {
        DueState::Ok
    };
    DueInfo {
        due_at: Some(due_at),
        kind: Some(kind),
        state,
        days_left: Some(left.num_seconds().div_euclid(86_400)),
        reason: Some(reason),
    }
}

/// Why a key deserves a second look.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskFlag {
    WithdrawEnabled,
    TransferEnabled,
    NoIpAllowlist,
    ProductionWithoutExpiry,
    RotationOverdue,
    DuplicateSecret,
    Compromised,
    /// A scan found the key's current secret in a file: rotate it (the flag goes with the rotation).
    FoundInPlaintext,
    /// A team member who could read the key left the team: rotate it (the flag goes with the rotation).
    MemberLeft,
}

impl RiskFlag {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WithdrawEnabled => "withdraw_enabled",
            Self::TransferEnabled => "transfer_enabled",
            Self::NoIpAllowlist => "no_ip_allowlist",
            Self::ProductionWithoutExpiry => "production_without_expiry",
            Self::RotationOverdue => "rotation_overdue",
            Self::DuplicateSecret => "duplicate_secret",
            Self::Compromised => "compromised",
            Self::FoundInPlaintext => "found_in_plaintext",
            Self::MemberLeft => "member_left",
        }
    }

    /// The reason, as shown on hover or in `show`.
    pub fn reason(self) -> &'static str {
        match self {
            Self::WithdrawEnabled => "can withdraw funds from the account",
            Self::TransferEnabled => "can move funds between accounts",
            Self::NoIpAllowlist => "can trade or move funds from any IP address",
            Self::ProductionWithoutExpiry => "production key with no expiry date",
            Self::RotationOverdue => "past its rotation date",
            Self::DuplicateSecret => "the same secret is stored in another key",
            Self::Compromised => "marked compromised: revoke it on the exchange",
            Self::FoundInPlaintext => "a scan found its secret in a file: rotate it",
            Self::MemberLeft => "a team member who could read it left: rotate it",
        }
    }
}

impl fmt::Display for RiskFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The risk flags of a key. `duplicate` says whether another key holds one of its secrets.
pub fn risk_flags(entry: &KeyEntry, now: DateTime<Utc>, duplicate: bool) -> Vec<RiskFlag> {
    let mut flags = Vec::new();
    if entry.status == KeyStatus::Compromised {
        flags.push(RiskFlag::Compromised);
    }
    if entry.status != KeyStatus::Active {
        return flags;
    }
    if entry.found_in_plaintext.is_some() {
        flags.push(RiskFlag::FoundInPlaintext);
    }
    if entry.member_left.is_some() {
        flags.push(RiskFlag::MemberLeft);
    }
    if entry.scopes.contains(&Scope::Withdraw) {
        flags.push(RiskFlag::WithdrawEnabled);
    }
    if entry.scopes.contains(&Scope::Transfer) {
        flags.push(RiskFlag::TransferEnabled);
    }
    if entry.ip_allowlist.is_empty() && entry.scopes.iter().any(|s| s.can_act()) {
        flags.push(RiskFlag::NoIpAllowlist);
    }
    if entry.environment == Environment::Production && entry.expires_at.is_none() {
        flags.push(RiskFlag::ProductionWithoutExpiry);
    }
    if let Some(days) = entry.rotation_days {
        let from = entry.last_rotated_at.unwrap_or(entry.created_at);
        if now >= from + Duration::days(days.into()) {
            flags.push(RiskFlag::RotationOverdue);
        }
    }
    if duplicate {
        flags.push(RiskFlag::DuplicateSecret);
    }
    flags
}
