//! Keys made as a key pair inside Keystead (issue 16, "New key pair"): the private key is generated and
//! sealed here, the exchange gets only the public key, and the API key it answers with is stored beside
//! the private key. Releasing such a private key (reveal, copy, share) needs the passphrase again
//! ([`KeyEntry::release_needs_step_up`]).

use super::cells::read_secrets;
use super::index::find_row;
use super::{exchange_of, Vault};
use crate::catalog::{self, Exchange};
use crate::error::{Error, Result};
use crate::exchange::keypair::{self, GeneratedKeyPair};
use crate::model::{KeyEntry, NewKey};
use crate::secret::{CredentialField, SecretFields};
use secrecy::{ExposeSecret, SecretString};

impl Vault {
    /// Adds a key whose private key Keystead made (`pair`, from [`keypair::generate`]) and whose API key
    /// the exchange gave for the pair's public key. Refuses exchanges that take no key pairs, a pair of
    /// another kind, and an empty API key; otherwise as [`Vault::add`].
    pub fn add_key_pair(
        &mut self,
        new: NewKey,
        api_key: SecretString,
        pair: GeneratedKeyPair,
    ) -> Result<KeyEntry> {
        let ex = catalog::exchange(&new.exchange)?;
        let secrets = pair_secrets(ex, api_key, pair)?;
        self.add_marked(new, secrets, true)
    }

    /// Rotates a key to a new key pair made in Keystead (`pair`) and the API key the exchange gave for
    /// its public key. The old version is kept as by any rotation.
    pub fn rotate_key_pair(
        &mut self,
        name: &str,
        api_key: SecretString,
        pair: GeneratedKeyPair,
        reason: Option<String>,
    ) -> Result<KeyEntry> {
        let entry = self.find(name)?;
        let secrets = pair_secrets(exchange_of(&entry), api_key, pair)?;
        self.rotate_marked(&entry.name, secrets, reason, true)
    }

    /// The public key (SubjectPublicKeyInfo PEM) of the key's current private key, to paste into the
    /// exchange's form again. Not a secret: not audited as a release.
    pub fn public_key(&self, name: &str) -> Result<String> {
        let cells = self.cells();
        let (entry, generation) = find_row(&self.conn, &cells, name)?;
        let (secrets, _) = read_secrets(&self.conn, &cells, &entry, generation)?;
        let Some(private) = secrets.get(CredentialField::PrivateKey) else {
            return Err(no_key_pair(&entry));
        };
        if exchange_of(&entry).key_pair.is_none() {
            return Err(no_key_pair(&entry));
        }
        keypair::public_key_pem(private).map_err(|e| Error::input(format!("'{}': {e}", entry.name)))
    }
}

/// The secrets of a key pair made for `ex`: the API key and the pair's private key. Refuses exchanges
/// that take no key pairs, a pair of another kind, and an empty API key.
fn pair_secrets(
    ex: &Exchange,
    api_key: SecretString,
    pair: GeneratedKeyPair,
) -> Result<SecretFields> {
    match ex.key_pair {
        None => {
            return Err(Error::input(format!(
                "{} takes no key pairs made by the user: add its key with the API key and secret it shows",
                ex.name
            )))
        }
        Some(kind) if kind != pair.kind => {
            return Err(Error::input(format!(
                "{} takes {kind:?} key pairs, not {:?}",
                ex.name, pair.kind
            )))
        }
        Some(_) => {}
    }
    if api_key.expose_secret().trim().is_empty() {
        return Err(Error::input(format!(
            "paste the API key {} shows after you submit the public key",
            ex.name
        )));
    }
    let mut secrets = SecretFields::new();
    secrets.insert(CredentialField::ApiKey, api_key);
    secrets.insert(CredentialField::PrivateKey, pair.private_key_pem);
    Ok(secrets)
}

fn no_key_pair(entry: &KeyEntry) -> Error {
    Error::input(format!(
        "'{}' is not a key pair: it has no private key an exchange signs with",
        entry.name
    ))
}
