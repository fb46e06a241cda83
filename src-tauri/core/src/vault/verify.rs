//! Checking a key on its exchange (issue 16): the current secret is read and used inside core, the
//! verdict is kept in the key's sealed metadata with a `key_verified` audit entry, and accepting the
//! exchange's view is an ordinary audited edit (with the same step-up rules).

use super::cells::read_secrets;
use super::index::{find_row, row_by_id};
use super::{exchange_of, Vault};
use crate::audit::AuditAction;
use crate::catalog::Exchange;
use crate::error::{Error, Result};
use crate::exchange::{
    self, CheckError, CheckOptions, KeyCheck, KeyVerification, RecordedView, Verification,
    VerifyOutcome,
};
use crate::model::{KeyEdit, KeyEntry, KeyUse, KeyUseKind};
use crate::secret::SecretFields;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use uuid::Uuid;

/// A check made ready while the vault was held: which key and which of its secrets it is about, and
/// what the request needs. It holds the current secrets (zeroized on drop, never printed): run it with
/// the vault let go, then hand the answer to [`Vault::record_check`].
pub struct PreparedCheck {
    entry_id: Uuid,
    name: String,
    exchange: &'static Exchange,
    /// The secret the request is signed with: its version and keyed fingerprints.
    secret_version: Option<u32>,
    fingerprints: Vec<String>,
    secrets: SecretFields,
    at: DateTime<Utc>,
    /// The key's last verdict before this check.
    previous: Option<Verification>,
}

impl std::fmt::Debug for PreparedCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedCheck")
            .field("entry_id", &self.entry_id)
            .field("exchange", &self.exchange.id)
            .field("secret_version", &self.secret_version)
            .field("secrets", &"<redacted>")
            .finish()
    }
}

impl PreparedCheck {
    pub fn entry_id(&self) -> Uuid {
        self.entry_id
    }

    /// The key's name when the check was prepared.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn exchange(&self) -> &'static Exchange {
        self.exchange
    }

    /// The key's last verdict before this check (to tell news from a repeat).
    pub fn previous(&self) -> Option<&Verification> {
        self.previous.as_ref()
    }

    /// Sends the request (the network call; hold no lock on the vault meanwhile). Network trouble is
    /// an `Err`, recorded as the outcome `failed`.
    pub fn run(&self, options: &CheckOptions) -> std::result::Result<KeyCheck, CheckError> {
        exchange::check(self.exchange, &self.secrets, options, self.at)
    }
}

impl Vault {
    /// Asks the key's exchange what the key can do and compares it with the record. Network trouble is
    /// an outcome (`failed`), recorded like the others; an error is only a vault or input problem.
    /// Holds the vault through the request: a front end that shares the vault between threads uses
    /// [`Vault::prepare_check`], [`PreparedCheck::run`] and [`Vault::record_check`] instead.
    pub fn verify_key(&mut self, name: &str, options: &CheckOptions) -> Result<KeyVerification> {
        let prepared = self.prepare_check(name)?;
        let result = prepared.run(options);
        self.record_check(prepared, result)
    }

    /// Reads what a check of `name` needs (the current secrets, in memory only). Refused for a key
    /// whose exchange has no key-information endpoint. Nothing is written and nothing is sent.
    pub fn prepare_check(&self, name: &str) -> Result<PreparedCheck> {
        let (entry, generation) = find_row(&self.conn, &self.cells(), name)?;
        let ex = exchange_of(&entry);
        if ex.key_info.is_none() {
            return Err(Error::input(format!(
                "'{}' is a {} key: {} has no endpoint that reports a key's permissions, so it cannot be checked",
                entry.name, ex.name, ex.name
            )));
        }
        let (secrets, _history) = read_secrets(&self.conn, &self.cells(), &entry, generation)?;
        Ok(PreparedCheck {
            entry_id: entry.id,
            name: entry.name.clone(),
            exchange: ex,
            secret_version: entry.current_version().map(|v| v.version),
            fingerprints: entry.fingerprints.clone(),
            secrets,
            at: self.clock.now(),
            previous: entry.last_verification.clone(),
        })
    }

    /// Keeps the verdict of a prepared check in the key's record, with its `key_verified` audit entry,
    /// comparing the exchange's answer with the record as it is now (an edit made during the check is
    /// taken into account). Refused, with nothing written, when the key was removed, moved to another
    /// exchange or given another secret (rotated, replaced by an import) while the request was out:
    /// the answer is about a secret the key no longer holds.
    pub fn record_check(
        &mut self,
        prepared: PreparedCheck,
        result: std::result::Result<KeyCheck, CheckError>,
    ) -> Result<KeyVerification> {
        let PreparedCheck {
            entry_id,
            name,
            exchange: ex,
            secret_version,
            fingerprints,
            secrets,
            at,
            previous: _,
        } = prepared;
        drop(secrets);
        let (entry, verification) = self.write(move |tx| {
            let Some((mut entry, generation)) = row_by_id(&tx.tx, &tx.cells, &entry_id.to_string())?
            else {
                return Err(Error::input(format!(
                    "'{name}' was removed while it was being checked on {}: nothing recorded",
                    ex.name
                )));
            };
            if entry.exchange != ex.id
                || entry.current_version().map(|v| v.version) != secret_version
                || entry.fingerprints != fingerprints
            {
                return Err(Error::input(format!(
                    "'{}' was given another secret while it was being checked on {}: the answer was about the old secret and is not recorded. Check it again",
                    entry.name, ex.name
                )));
            }
            let verification = Verification::of(&entry, ex, result, at);
            let detail = match (&verification.outcome, &verification.error) {
                (VerifyOutcome::Failed, Some(e)) => format!("outcome: failed ({e})"),
                (o, _) => format!(
                    "outcome: {}, differences: {}",
                    o.as_str(),
                    verification.drift.len()
                ),
            };
            // A request the exchange took is a use of the key (OKX counts its 14 days without use from
            // the last request); a rejected key or no answer is not.
            if matches!(
                verification.outcome,
                VerifyOutcome::Agrees | VerifyOutcome::Drift
            ) {
                entry.last_used_at = Some(tx.now);
                entry.last_use = Some(KeyUse {
                    how: KeyUseKind::Verified,
                    by: tx.actor.to_string(),
                    host: crate::process::host_name(),
                    program: None,
                });
            }
            entry.last_verification = Some(verification.clone());
            tx.put_entry(&entry, Some(generation), None)?;
            tx.audit(AuditAction::KeyVerified, Some(&entry), Some(detail))?;
            Ok((entry, verification))
        })?;
        Ok(KeyVerification {
            name: entry.name.clone(),
            exchange: ex.id.to_string(),
            exchange_name: ex.name.to_string(),
            recorded: RecordedView::of(&entry),
            verification,
        })
    }

    /// Writes the exchange's view from the key's last check into its record: permissions, IP allowlist
    /// and expiry where the exchange reported them. One audited edit; removing withdraw or transfer
    /// needs `step_up` as any edit does.
    pub fn accept_exchange_view(
        &mut self,
        name: &str,
        step_up: Option<&SecretString>,
    ) -> Result<KeyEntry> {
        let entry = self.find(name)?;
        let edit = exchange_view_edit(&entry)?;
        self.edit(&entry.name, edit, step_up)
    }
}

/// The edit that makes the record say what the last check reported.
fn exchange_view_edit(entry: &KeyEntry) -> Result<KeyEdit> {
    let Some(v) = &entry.last_verification else {
        return Err(Error::input(format!(
            "'{}' has not been checked on its exchange yet",
            entry.name
        )));
    };
    let report = match (&v.outcome, &v.report) {
        (VerifyOutcome::Drift, Some(r)) => r,
        (VerifyOutcome::Agrees, _) => {
            return Err(Error::input(format!(
                "the exchange's view of '{}' already matches the record: nothing to accept",
                entry.name
            )))
        }
        _ => {
            return Err(Error::input(format!(
                "the last check of '{}' brought no report to accept ({})",
                entry.name,
                v.outcome.as_str()
            )))
        }
    };
    let mut edit = KeyEdit {
        scopes: report.permissions.clone(),
        ..KeyEdit::default()
    };
    match report.ip_restricted {
        Some(false) => edit.ip_allowlist = Some(Vec::new()),
        Some(true) if !report.ip_allowlist.is_empty() => {
            edit.ip_allowlist = Some(report.ip_allowlist.clone())
        }
        _ => {}
    }
    if let Some(exp) = report.expires_at {
        edit.expires_at = Some(Some(exp));
    }
    if edit.is_empty() {
        return Err(Error::input(format!(
            "the exchange's report on '{}' holds nothing the record can take",
            entry.name
        )));
    }
    Ok(edit)
}
