//! Handing out a secret to show or copy: audited before the value is returned. Keys that can withdraw or
//! transfer funds need the passphrase again (step-up) for that and every other release or downgrade.

use super::index::find_row;
use super::Vault;
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::model::{KeyUse, KeyUseKind};
use crate::secret::CredentialField;
use secrecy::SecretString;

impl Vault {
    /// The step-up rule, in one place: when `needed`, `proof` must be the vault passphrase, given again
    /// for this one operation. Missing: [`Error::StepUpRequired`]. Wrong: audited against the key and
    /// throttled like an unlock, then [`Error::WrongPassphrase`]. `what` names the operation in the message.
    pub(super) fn step_up(
        &mut self,
        name: &str,
        needed: bool,
        why: &str,
        what: &str,
        proof: Option<&SecretString>,
    ) -> Result<()> {
        if !needed {
            return Ok(());
        }
        let Some(p) = proof else {
            return Err(Error::StepUpRequired {
                name: name.to_string(),
                why: why.to_string(),
                what: what.to_string(),
            });
        };
        self.verify_passphrase_for_key(p, name)
    }

    /// Returns one secret field of the current version, or of an older `version`, to show it. Audited
    /// before the value is returned: no audit entry, no secret. A version that could withdraw or
    /// transfer funds needs `step_up`, the vault passphrase given again.
    pub fn reveal(
        &mut self,
        name: &str,
        field: CredentialField,
        version: Option<u32>,
        step_up: Option<&SecretString>,
    ) -> Result<SecretString> {
        self.secret_for(name, field, version, AuditAction::SecretRevealed, step_up)
    }

    /// Like [`Vault::reveal`], for putting the value on the clipboard (audited as a copy).
    pub fn secret_for_copy(
        &mut self,
        name: &str,
        field: CredentialField,
        version: Option<u32>,
        step_up: Option<&SecretString>,
    ) -> Result<SecretString> {
        self.secret_for(name, field, version, AuditAction::SecretCopied, step_up)
    }

    pub(super) fn secret_for(
        &mut self,
        name: &str,
        field: CredentialField,
        version: Option<u32>,
        action: AuditAction,
        step_up: Option<&SecretString>,
    ) -> Result<SecretString> {
        let entry = self.find(name)?;
        let needed = entry.release_needs_step_up(version, Some(field));
        let what = match action {
            AuditAction::SecretCopied => "copying its secret",
            _ => "revealing its secret",
        };
        self.step_up(
            &entry.name,
            needed,
            entry.step_up_why(version),
            what,
            step_up,
        )?;
        let proven = needed;
        self.write(|tx| {
            let (entry, generation) = find_row(&tx.tx, &tx.cells, name)?;
            if entry.release_needs_step_up(version, Some(field)) && !proven {
                return Err(Error::StepUpRequired {
                    name: entry.name.clone(),
                    why: entry.step_up_why(version).into(),
                    what: what.into(),
                });
            }
            let current = entry.versions.last().map_or(1, |v| v.version);
            let wanted = version.unwrap_or(current);
            let (secrets, history) = tx.secrets_of(&entry, generation)?;
            let fields = if wanted == current {
                &secrets
            } else {
                history.get(&wanted).ok_or_else(|| Error::NoSuchSecret {
                    message: format!(
                        "'{}' has no version {wanted}: its versions are 1 to {current}",
                        entry.name
                    ),
                })?
            };
            let value = fields
                .get(field)
                .cloned()
                .ok_or_else(|| Error::NoSuchSecret {
                    message: format!(
                        "'{}' has no {field} in version {wanted}: it holds {}",
                        entry.name,
                        fields
                            .fields()
                            .iter()
                            .map(|f| f.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })?;
            let detail = if wanted == current {
                field.as_str().to_string()
            } else {
                format!("{field} of version {wanted}")
            };
            tx.audit(action, Some(&entry), Some(detail))?;
            // Showing or copying the current secret is a use of the key (an older version's is not):
            // "last used" and the exchanges' inactivity rules count from it.
            if wanted == current {
                let mut used = entry;
                used.last_used_at = Some(tx.now);
                used.last_use = Some(KeyUse {
                    how: match action {
                        AuditAction::SecretCopied => KeyUseKind::Copied,
                        _ => KeyUseKind::Revealed,
                    },
                    by: tx.actor.to_string(),
                    host: crate::process::host_name(),
                    program: None,
                });
                tx.put_entry(&used, Some(generation), Some((&secrets, &history)))?;
            }
            Ok(value)
        })
    }
}
