//! Benchmarks only (`bench` feature): bulk helpers to build large vaults quickly.

use super::cells::History;
use super::file::open_connection;
use super::Vault;
use crate::audit::AuditAction;
use crate::catalog;
use crate::error::Result;
use crate::model::{KeyEntry, KeyStatus, SecretVersionInfo};
use crate::secret::{CredentialField, SecretFields};
use secrecy::SecretString;
use uuid::Uuid;

/// Benchmarks only: what the `i`th key [`Vault::bench_add_many`] adds holds, so that a benchmark can write
/// the same keys into another program's file (`scripts/bench.sh` writes a KeePass file of them).
#[doc(hidden)]
pub struct BenchKey {
    pub name: String,
    /// The catalog id of its exchange.
    pub exchange: &'static str,
    /// Its secrets, in the clear: these are made-up values for benchmarks.
    pub fields: Vec<(CredentialField, String)>,
    pub account: &'static str,
    pub ip_allowlist: Vec<String>,
    pub expires_in_days: i64,
    pub rotation_days: u32,
    pub tags: Vec<String>,
    pub notes: &'static str,
}

/// 64 hex digits that look as random as a real API key's (SHA-256 of `seed`): a file format that compresses
/// its contents gains nothing a real vault would not give it.
fn made_up_secret(seed: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(seed.as_bytes()))
}

/// Benchmarks only: the `i`th key of [`Vault::bench_add_many`].
#[doc(hidden)]
pub fn bench_key(i: usize) -> Result<BenchKey> {
    let exchanges = ["binance", "okx", "bybit", "kraken", "kucoin"];
    let ex = catalog::exchange(exchanges[i % exchanges.len()])?;
    Ok(BenchKey {
        name: format!("bench-key-{i:06}"),
        exchange: ex.id,
        fields: ex
            .required_fields
            .iter()
            .map(|f| (*f, made_up_secret(&format!("{f}-{i}"))))
            .collect(),
        account: "main",
        ip_allowlist: if i % 2 == 0 {
            vec!["203.0.113.7".into()]
        } else {
            vec![]
        },
        expires_in_days: (i % 400) as i64,
        rotation_days: 90,
        tags: vec!["bot".into()],
        notes: "benchmark key",
    })
}

impl Vault {
    /// Benchmarks only: adds `n` custom keys in one transaction.
    #[doc(hidden)]
    pub fn bench_add_many(&mut self, n: usize) -> Result<()> {
        self.write(|tx| {
            for i in 0..n {
                let key = bench_key(i)?;
                let mut secrets = SecretFields::new();
                for (f, value) in key.fields {
                    secrets.insert(f, SecretString::from(value));
                }
                let now = tx.now;
                let entry = KeyEntry {
                    id: Uuid::now_v7(),
                    name: key.name,
                    exchange: key.exchange.into(),
                    account: Some(key.account.into()),
                    environment: crate::model::Environment::Production,
                    scopes: [crate::model::Scope::Read, crate::model::Scope::Trade].into(),
                    exchange_scopes: vec![],
                    scopes_unknown: false,
                    ip_allowlist: key.ip_allowlist,
                    created_at: now,
                    updated_at: now,
                    expires_at: Some(now + chrono::Duration::days(key.expires_in_days)),
                    last_rotated_at: None,
                    last_used_at: None,
                    last_use: None,
                    rotation_days: Some(key.rotation_days),
                    status: KeyStatus::Active,
                    status_reason: None,
                    status_changed_at: None,
                    tags: key.tags,
                    notes: key.notes.into(),
                    env_names: Default::default(),
                    used_by: Vec::new(),
                    versions: vec![SecretVersionInfo {
                        version: 1,
                        fields: secrets.fields(),
                        created_at: now,
                        retired_at: None,
                        reason: None,
                        moves_funds: None,
                        generated_key_pair: None,
                    }],
                    found_in_plaintext: None,
                    member_left: None,
                    last_verification: None,
                    scheduled_check: None,
                    fingerprints: tx.fingerprints(&secrets),
                };
                tx.put_entry(&entry, None, Some((&secrets, &History::new())))?;
                tx.audit(AuditAction::KeyCreated, Some(&entry), None)?;
            }
            Ok(())
        })
    }

    /// Benchmarks only: what `unlock` does after the key derivation (a fresh connection, the state MAC,
    /// the integrity checks), so open time can be measured without the deliberate Argon2 cost.
    #[doc(hidden)]
    pub fn bench_reopen(&self) -> Result<Vault> {
        let vault = Vault {
            conn: open_connection(&self.path)?,
            path: self.path.clone(),
            vault_id: self.vault_id,
            keys: crate::memlock::Locked::new((*self.keys).clone()),
            clock: self.clock.clone(),
            actor: self.actor.clone(),
            anchor: self.anchor.clone(),
            devices: self.devices.clone(),
            warnings: Vec::new(),
            rollback: None,
        };
        vault.read_state()?;
        vault.integrity_problems()?;
        Ok(vault)
    }

    /// Benchmarks only: appends `n` audit events in one transaction.
    #[doc(hidden)]
    pub fn bench_append_audit(&mut self, n: usize) -> Result<()> {
        self.write(|tx| {
            for i in 0..n {
                tx.audit(
                    AuditAction::SecretRevealed,
                    None,
                    Some(format!("bench event {i}")),
                )?;
            }
            Ok(())
        })
    }
}
