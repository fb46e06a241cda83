//! The views front ends show of a key: the list row with its due state and risk flags, and the detail
//! view. Never a secret; built by the vault from a [`KeyEntry`] and the due rules.

use crate::due::{DueInfo, DueKind, DueState, RiskFlag};
use crate::exchange::{Verification, VerifyOutcome};
use crate::model::{Environment, KeyEntry, KeyStatus, KeyUse, Scope, SecretVersionInfo};
use crate::secret::CredentialField;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// A key as the list shows it: metadata, due state and risk flags. Never a secret.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct KeySummary {
    pub id: Uuid,
    pub name: String,
    pub exchange: String,
    pub exchange_name: String,
    pub account: Option<String>,
    pub environment: Environment,
    pub scopes: BTreeSet<Scope>,
    pub exchange_scopes: Vec<String>,
    /// Imported from a file that does not say what the key may do: shown as "scopes unknown" until set.
    pub scopes_unknown: bool,
    pub ip_allowlist: Vec<String>,
    pub status: KeyStatus,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_rotated_at: Option<DateTime<Utc>>,
    pub rotation_days: Option<u32>,
    /// Last time the current secret was shown, copied or handed to a program by `run`; exchanges
    /// count inactivity from use.
    pub last_used_at: Option<DateTime<Utc>>,
    /// How and where (`None` for a key never used, or last used before this was recorded).
    pub last_use: Option<KeyUse>,
    pub due_at: Option<DateTime<Utc>>,
    pub due_kind: Option<DueKind>,
    pub due_state: DueState,
    pub days_left: Option<i64>,
    pub due_reason: Option<String>,
    pub risk_flags: Vec<RiskFlag>,
    pub tags: Vec<String>,
    /// Whether the current secret can withdraw or transfer funds (now, or when it was made or since:
    /// removing the scope later does not change what the exchange lets it do). Releasing it, sharing
    /// it or removing that scope needs the passphrase again.
    pub moves_funds: bool,
    /// The last check on the exchange, for the table's "verified 2 h ago" or drift badge; `None`: never
    /// checked.
    pub last_check: Option<CheckSummary>,
    /// Whether scheduled checks look at this key: `None` as the app's setting says, else always/never.
    pub scheduled_check: Option<bool>,
    /// The bots that use it, and where (not secret: the table's "Used by" column and filter).
    pub used_by: Vec<crate::model::KeyUser>,
    /// The team it belongs to (kept in sync through that team's remote); `None`: a personal key.
    pub team: Option<String>,
}

/// When a key was last checked on its exchange and how that ended. No report, no secret.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckSummary {
    pub at: DateTime<Utc>,
    pub outcome: VerifyOutcome,
    /// How many differences the check named (drift, or the rejection).
    pub differences: u32,
}

impl CheckSummary {
    pub fn of(v: &Verification) -> Self {
        Self {
            at: v.at,
            outcome: v.outcome,
            differences: u32::try_from(v.drift.len()).unwrap_or(u32::MAX),
        }
    }
}

impl KeySummary {
    pub(crate) fn new(
        entry: &KeyEntry,
        exchange_name: &str,
        due: DueInfo,
        risk_flags: Vec<RiskFlag>,
    ) -> Self {
        Self::from_entry(entry.clone(), exchange_name, due, risk_flags)
    }

    /// The list row of `entry`, moving its text instead of copying it (the list builds one per key).
    pub(crate) fn from_entry(
        entry: KeyEntry,
        exchange_name: &str,
        due: DueInfo,
        risk_flags: Vec<RiskFlag>,
    ) -> Self {
        let moves_funds = entry.version_moves_funds(None);
        let last_check = entry.last_verification.as_ref().map(CheckSummary::of);
        Self {
            id: entry.id,
            name: entry.name,
            exchange: entry.exchange,
            exchange_name: exchange_name.to_string(),
            account: entry.account,
            environment: entry.environment,
            scopes: entry.scopes,
            exchange_scopes: entry.exchange_scopes,
            scopes_unknown: entry.scopes_unknown,
            ip_allowlist: entry.ip_allowlist,
            moves_funds,
            status: entry.status,
            created_at: entry.created_at,
            expires_at: entry.expires_at,
            last_rotated_at: entry.last_rotated_at,
            rotation_days: entry.rotation_days,
            last_used_at: entry.last_used_at,
            last_use: entry.last_use,
            due_at: due.due_at,
            due_kind: due.kind,
            due_state: due.state,
            days_left: due.days_left,
            due_reason: due.reason,
            risk_flags,
            tags: entry.tags,
            last_check,
            scheduled_check: entry.scheduled_check,
            used_by: entry.used_by,
            team: None,
        }
    }
}

/// One key as its detail view shows it: everything but the secrets, whose field names are listed.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct KeyDetail {
    #[serde(flatten)]
    pub summary: KeySummary,
    pub notes: String,
    pub status_reason: Option<String>,
    pub status_changed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// The key's own variable names for `run`, by field.
    pub env_names: BTreeMap<CredentialField, String>,
    /// The secret fields of the current version (names only).
    pub secret_fields: Vec<CredentialField>,
    /// Every secret version, oldest first.
    pub versions: Vec<SecretVersionInfo>,
    /// The exchange's API-key page, or "" for custom keys.
    pub api_key_page: String,
    /// Where a scan last found the current secret (until the next rotation).
    pub found_in_plaintext: Option<crate::model::FoundInPlaintext>,
    /// Whether the key's exchange can be asked what the key may do ("Check on exchange").
    pub can_verify: bool,
    /// The last check on the exchange.
    pub last_verification: Option<crate::exchange::Verification>,
    /// The other active keys that hold one of this key's secrets (the API key, secret or private key),
    /// by name: the same key stored twice (the "duplicate" flag), named.
    pub same_secret_as: Vec<String>,
}

impl KeyDetail {
    pub fn new(entry: &KeyEntry, summary: KeySummary, api_key_page: &str) -> Self {
        Self {
            summary,
            notes: entry.notes.clone(),
            status_reason: entry.status_reason.clone(),
            status_changed_at: entry.status_changed_at,
            updated_at: entry.updated_at,
            env_names: entry.env_names.clone(),
            secret_fields: entry.secret_fields(),
            versions: entry.versions.clone(),
            api_key_page: api_key_page.to_string(),
            found_in_plaintext: entry.found_in_plaintext.clone(),
            can_verify: crate::catalog::exchange(&entry.exchange)
                .is_ok_and(|e| e.key_info.is_some()),
            last_verification: entry.last_verification.clone(),
            same_secret_as: Vec::new(),
        }
    }
}
