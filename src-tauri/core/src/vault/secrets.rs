//! Handing out a secret to show or copy: audited before the value is returned.

use super::index::find_row;
use super::Vault;
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::secret::CredentialField;
use secrecy::SecretString;

impl Vault {
    /// Returns one secret field of the current version, or of an older `version`, to show it. Audited
    /// before the value is returned: no audit entry, no secret.
    pub fn reveal(
        &mut self,
        name: &str,
        field: CredentialField,
        version: Option<u32>,
    ) -> Result<SecretString> {
        self.secret_for(name, field, version, AuditAction::SecretRevealed)
    }

    /// Like [`Vault::reveal`], for putting the value on the clipboard (audited as a copy).
    pub fn secret_for_copy(
        &mut self,
        name: &str,
        field: CredentialField,
        version: Option<u32>,
    ) -> Result<SecretString> {
        self.secret_for(name, field, version, AuditAction::SecretCopied)
    }

    pub(super) fn secret_for(
        &mut self,
        name: &str,
        field: CredentialField,
        version: Option<u32>,
        action: AuditAction,
    ) -> Result<SecretString> {
        self.write(|tx| {
            let (entry, generation) = find_row(&tx.tx, &tx.cells, name)?;
            let current = entry.versions.last().map_or(1, |v| v.version);
            let wanted = version.unwrap_or(current);
            let (secrets, history) = tx.secrets_of(&entry, generation)?;
            let fields = if wanted == current {
                secrets
            } else {
                history
                    .get(&wanted)
                    .cloned()
                    .ok_or_else(|| Error::NoSuchSecret {
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
            Ok(value)
        })
    }
}
