//! Exchange-native key pairs (issue 16): for an exchange that takes a public key made by the user
//! (Binance's Ed25519 API keys), Keystead makes the pair from the OS CSPRNG, keeps the private key sealed
//! in the vault, and shows the public key exactly as the exchange's form wants it (SubjectPublicKeyInfo
//! PEM). The exchange then answers with an API key, which the user pastes back.

use crate::crypto::random_bytes;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, KeypairBytes};
use ed25519_dalek::SigningKey;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use zeroize::Zeroizing;

/// The kinds of key pair an exchange accepts.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyPairKind {
    Ed25519,
}

/// A freshly made key pair. The private key (PKCS#8 PEM, the form Binance's own key generator writes and
/// Keystead signs with) is a secret: no `Debug` shows it.
#[derive(Clone)]
pub struct GeneratedKeyPair {
    pub kind: KeyPairKind,
    pub private_key_pem: SecretString,
    /// SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), what the exchange's form takes.
    pub public_key_pem: String,
}

impl std::fmt::Debug for GeneratedKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKeyPair")
            .field("kind", &self.kind)
            .field("private_key_pem", &"<redacted>")
            .field("public_key_pem", &self.public_key_pem)
            .finish()
    }
}

/// Makes a new key pair of `kind` from 32 bytes of the OS CSPRNG.
pub fn generate(kind: KeyPairKind) -> GeneratedKeyPair {
    match kind {
        KeyPairKind::Ed25519 => {
            let seed = Zeroizing::new(random_bytes::<32>());
            let key = SigningKey::from_bytes(&seed);
            // PKCS#8 v1 (the seed alone, as `openssl genpkey -algorithm ed25519` and Binance's key
            // generator write it), which every signing library reads.
            let private = KeypairBytes {
                secret_key: *seed,
                public_key: None,
            }
            .to_pkcs8_pem(LineEnding::LF)
            .expect("an Ed25519 key always encodes as PKCS#8");
            GeneratedKeyPair {
                kind,
                private_key_pem: SecretString::from(private.as_str().to_owned()),
                public_key_pem: spki_pem(&key),
            }
        }
    }
}

fn spki_pem(key: &SigningKey) -> String {
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .expect("an Ed25519 public key always encodes as SubjectPublicKeyInfo")
}

/// The public key (SubjectPublicKeyInfo PEM) of an Ed25519 private key in PKCS#8 PEM, as stored.
pub fn public_key_pem(private_key_pem: &SecretString) -> Result<String, String> {
    let key = SigningKey::from_pkcs8_pem(private_key_pem.expose_secret().trim()).map_err(|_| {
        "the private key is not an Ed25519 private key in PKCS#8 PEM form".to_string()
    })?;
    Ok(spki_pem(&key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::sign;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use ed25519_dalek::pkcs8::DecodePublicKey;
    use ed25519_dalek::{Signature, VerifyingKey};

    #[test]
    fn a_generated_pair_signs_what_its_public_key_verifies() {
        let pair = generate(KeyPairKind::Ed25519);
        assert!(pair
            .public_key_pem
            .starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(pair
            .public_key_pem
            .trim_end()
            .ends_with("-----END PUBLIC KEY-----"));
        let public = VerifyingKey::from_public_key_pem(&pair.public_key_pem).unwrap();
        let query = "recvWindow=5000&timestamp=1700000000000";
        let signature = sign::binance_ed25519(pair.private_key_pem.expose_secret(), query).unwrap();
        let bytes: [u8; 64] = STANDARD.decode(signature).unwrap().try_into().unwrap();
        public
            .verify_strict(query.as_bytes(), &Signature::from_bytes(&bytes))
            .unwrap();
        assert_eq!(
            public_key_pem(&pair.private_key_pem).unwrap(),
            pair.public_key_pem
        );
    }

    #[test]
    fn two_pairs_differ_and_debug_hides_the_private_key() {
        let a = generate(KeyPairKind::Ed25519);
        let b = generate(KeyPairKind::Ed25519);
        assert_ne!(a.public_key_pem, b.public_key_pem);
        let shown = format!("{a:?}");
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn a_private_key_that_is_not_ed25519_pkcs8_is_named() {
        let err = public_key_pem(&SecretString::from("not a key".to_string())).unwrap_err();
        assert!(err.contains("not an Ed25519 private key"), "{err}");
    }
}
