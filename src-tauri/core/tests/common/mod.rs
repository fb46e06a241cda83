//! The test harness shared by the core's integration tests: a vault file in a temporary folder on a fake
//! clock, and builders for keys and their secrets.
// Each test binary uses a different part of the harness.
#![allow(dead_code)]

pub mod desk;
pub mod proof;

use chrono::{DateTime, TimeZone, Utc};
use keystead_core::anchor::MemoryAnchor;
use keystead_core::vault::OpenOptions;
use keystead_core::{
    catalog, AuditAction, Clock, CredentialField, FixedClock, KdfParams, NewKey, SecretFields,
    Vault,
};
use rusqlite::Connection;
use secrecy::SecretString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tempfile::TempDir;

pub const PASS: &str = "correct horse battery staple";
/// The schema version a vault file of this Keystead has (`PRAGMA user_version`).
pub const CURRENT_SCHEMA: i64 = 8;

/// The fake clock's first reading in every test.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap()
}

/// A vault file (passphrase [`PASS`], Argon2id at the floor) in its own temporary folder.
pub struct Sandbox {
    _dir: TempDir,
    pub path: PathBuf,
    pub clock: Arc<FixedClock>,
    /// Stands in for the OS keyring (the CLI tests use gnome-keyring's Secret Service).
    pub anchor: Arc<MemoryAnchor>,
    /// The actor audit events name: `test`, or `app` where the app's reminder task is played.
    pub actor: &'static str,
}

impl Sandbox {
    pub fn new() -> Self {
        Self::create(start(), "test")
    }

    /// A vault the app opens (actor `app`), its clock at `start()`.
    pub fn app() -> Self {
        Self::create(start(), "app")
    }

    /// A vault the app opens, its clock at `at`.
    pub fn app_at(at: DateTime<Utc>) -> Self {
        Self::create(at, "app")
    }

    fn create(at: DateTime<Utc>, actor: &'static str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let s = Sandbox {
            _dir: dir,
            path,
            clock: Arc::new(FixedClock::new(at)),
            anchor: Arc::new(MemoryAnchor::default()),
            actor,
        };
        drop(
            Vault::create(
                &s.path,
                &SecretString::from(PASS),
                KdfParams::FLOOR,
                s.opts(),
            )
            .unwrap(),
        );
        s
    }

    pub fn opts(&self) -> OpenOptions {
        OpenOptions::new(self.clock.clone(), self.actor).with_anchor(self.anchor.clone())
    }

    pub fn open(&self) -> Vault {
        self.try_open(PASS).unwrap()
    }

    pub fn try_open(&self, pass: &str) -> keystead_core::Result<Vault> {
        Vault::unlock(&self.path, &SecretString::from(pass), self.opts())
    }

    /// A plain SQLite connection to the file, to read or tamper with it as an attacker could.
    pub fn sql(&self) -> Connection {
        Connection::open(&self.path).unwrap()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The file and its write-ahead log, as bytes.
    pub fn file_bytes(&self) -> Vec<u8> {
        let mut bytes = std::fs::read(&self.path).unwrap();
        if let Ok(wal) = std::fs::read(wal_path(&self.path)) {
            bytes.extend(wal);
        }
        bytes
    }
}

pub fn wal_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push("-wal");
    PathBuf::from(s)
}

pub fn secrets(pairs: &[(CredentialField, &str)]) -> SecretFields {
    let mut s = SecretFields::new();
    for (f, v) in pairs {
        s.insert(*f, SecretString::from(v.to_string()));
    }
    s
}

pub fn key(name: &str, exchange: &str, scopes: &[&str]) -> NewKey {
    NewKey {
        name: name.into(),
        exchange: exchange.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..NewKey::default()
    }
}

/// Every field the exchange requires, each value naming `tag` and the field.
pub fn fields_for(exchange: &str, tag: &str) -> SecretFields {
    let ex = catalog::exchange(exchange).unwrap();
    let mut s = SecretFields::new();
    for f in ex.required_fields {
        s.insert(*f, SecretString::from(format!("{tag}-{f}-value")));
    }
    s
}

pub fn audit_actions(v: &Vault) -> Vec<AuditAction> {
    v.audit_log()
        .unwrap()
        .into_iter()
        .map(|r| r.event.action)
        .collect()
}
