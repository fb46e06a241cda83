//! Benchmarks only (`bench` feature): bulk helpers to build large vaults quickly.

use super::cells::History;
use super::file::open_connection;
use super::Vault;
use crate::audit::AuditAction;
use crate::catalog;
use crate::error::Result;
use crate::model::{KeyEntry, KeyStatus, SecretVersionInfo};
use crate::secret::SecretFields;
use secrecy::SecretString;
use uuid::Uuid;

impl Vault {
    /// Benchmarks only: adds `n` custom keys in one transaction.
    #[doc(hidden)]
    pub fn bench_add_many(&mut self, n: usize) -> Result<()> {
        let exchanges = ["binance", "okx", "bybit", "kraken", "kucoin"];
        self.write(|tx| {
            for i in 0..n {
                let ex = catalog::exchange(exchanges[i % exchanges.len()])?;
                let mut secrets = SecretFields::new();
                for f in ex.required_fields {
                    secrets.insert(
                        *f,
                        SecretString::from(format!("{f}-{i}-{}", "x".repeat(48))),
                    );
                }
                let now = tx.now;
                let entry = KeyEntry {
                    id: Uuid::now_v7(),
                    name: format!("bench-key-{i:06}"),
                    exchange: ex.id.into(),
                    account: Some("main".into()),
                    environment: crate::model::Environment::Production,
                    scopes: [crate::model::Scope::Read, crate::model::Scope::Trade].into(),
                    exchange_scopes: vec![],
                    scopes_unknown: false,
                    ip_allowlist: if i % 2 == 0 {
                        vec!["203.0.113.7".into()]
                    } else {
                        vec![]
                    },
                    created_at: now,
                    updated_at: now,
                    expires_at: Some(now + chrono::Duration::days((i % 400) as i64)),
                    last_rotated_at: None,
                    last_used_at: None,
                    last_use: None,
                    rotation_days: Some(90),
                    status: KeyStatus::Active,
                    status_reason: None,
                    status_changed_at: None,
                    tags: vec!["bot".into()],
                    notes: "benchmark key".into(),
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
