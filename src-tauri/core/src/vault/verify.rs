//! Checking a key on its exchange (issue 16): the current secret is read and used inside core, the
//! verdict is kept in the key's sealed metadata with a `key_verified` audit entry, and accepting the
//! exchange's view is an ordinary audited edit (with the same step-up rules).

use super::cells::read_secrets;
use super::index::find_row;
use super::{exchange_of, Vault};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::exchange::{
    self, CheckOptions, KeyVerification, RecordedView, Verification, VerifyOutcome,
};
use crate::model::{KeyEdit, KeyEntry, KeyUse, KeyUseKind};
use secrecy::SecretString;

impl Vault {
    /// Asks the key's exchange what the key can do and compares it with the record. Network trouble is
    /// an outcome (`failed`), recorded like the others; an error is only a vault or input problem.
    pub fn verify_key(&mut self, name: &str, options: &CheckOptions) -> Result<KeyVerification> {
        let (entry, generation) = find_row(&self.conn, &self.cells(), name)?;
        let ex = exchange_of(&entry);
        if ex.key_info.is_none() {
            return Err(Error::input(format!(
                "'{}' is a {} key: {} has no endpoint that reports a key's permissions, so it cannot be checked",
                entry.name, ex.name, ex.name
            )));
        }
        let now = self.clock.now();
        let result = {
            let (secrets, _history) = read_secrets(&self.conn, &self.cells(), &entry, generation)?;
            exchange::check(ex, &secrets, options, now)
        };
        let verification = Verification::of(&entry, ex, result, now);
        let stored = verification.clone();
        let entry = self.write(move |tx| {
            let (mut entry, generation) = find_row(&tx.tx, &tx.cells, name)?;
            let detail = match (&stored.outcome, &stored.error) {
                (VerifyOutcome::Failed, Some(e)) => format!("outcome: failed ({e})"),
                (o, _) => format!(
                    "outcome: {}, differences: {}",
                    o.as_str(),
                    stored.drift.len()
                ),
            };
            // A request the exchange took is a use of the key (OKX counts its 14 days without use from
            // the last request); a rejected key or no answer is not.
            if matches!(stored.outcome, VerifyOutcome::Agrees | VerifyOutcome::Drift) {
                entry.last_used_at = Some(tx.now);
                entry.last_use = Some(KeyUse {
                    how: KeyUseKind::Verified,
                    by: tx.actor.to_string(),
                    host: crate::process::host_name(),
                    program: None,
                });
            }
            entry.last_verification = Some(stored);
            tx.put_entry(&entry, Some(generation), None)?;
            tx.audit(AuditAction::KeyVerified, Some(&entry), Some(detail))?;
            Ok(entry)
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
