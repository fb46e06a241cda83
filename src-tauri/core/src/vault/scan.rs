//! The vault's side of the leak scanner: the secrets to look for (every key, every version), and the
//! record of a scan (one audit entry with the folders and counts, one per key found, and the key's
//! "found in plaintext" flag until its next rotation). Nothing here prints or returns a secret to a
//! person: the values go to the scanner's matcher only and are wiped on drop.

use super::cells::{read_entries, read_secrets};
use super::Vault;
use crate::audit::AuditAction;
use crate::error::Result;
use crate::model::FoundInPlaintext;
use crate::scan::{FindingKind, OwnSecret, ScanReport};
use std::collections::BTreeMap;
use std::path::PathBuf;
use uuid::Uuid;

impl Vault {
    /// Every secret value the vault holds, current and older versions of every key (revoked and
    /// compromised ones too: a leaked copy of those matters as much), for the scanner to look for.
    pub fn scan_secrets(&self) -> Result<Vec<OwnSecret>> {
        let cells = self.cells();
        let mut out = Vec::new();
        for (entry, generation) in read_entries(&self.conn, &cells)? {
            let (current, history) = read_secrets(&self.conn, &cells, &entry, generation)?;
            let current_version = entry.current_version().map_or(1, |v| v.version);
            let versions = std::iter::once((current_version, &current))
                .chain(history.iter().map(|(v, s)| (*v, s)));
            for (version, secrets) in versions {
                for (field, value) in secrets.iter() {
                    out.push(OwnSecret {
                        key_id: entry.id,
                        key_name: entry.name.clone(),
                        version,
                        current: version == current_version,
                        field,
                        value: value.clone(),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Records a finished (or cancelled) scan in one transaction: a `scan_run` audit entry (folders,
    /// counts, the keys found), and for each key whose current secret was found, a
    /// `key_found_in_plaintext` entry and the key's flag (place, count) until it is rotated.
    pub fn record_scan(&mut self, roots: &[PathBuf], report: &ScanReport) -> Result<Vec<String>> {
        let mut found: BTreeMap<Uuid, (String, u32)> = BTreeMap::new();
        for f in &report.findings {
            if f.kind != FindingKind::OwnSecret || f.current != Some(true) {
                continue;
            }
            if let Some(id) = f.key_id {
                let place = format!("{}:{}", f.path, f.line);
                found.entry(id).or_insert((place, 0)).1 += 1;
            }
        }
        let count = |k: FindingKind| report.findings.iter().filter(|f| f.kind == k).count();
        let s = &report.stats;
        self.write(|tx| {
            let mut names = Vec::new();
            for (mut entry, generation) in read_entries(&tx.tx, &tx.cells)? {
                let Some((place, n)) = found.get(&entry.id) else {
                    continue;
                };
                entry.found_in_plaintext = Some(FoundInPlaintext {
                    at: tx.now,
                    place: place.clone(),
                    count: *n,
                });
                tx.put_entry(&entry, Some(generation), None)?;
                tx.audit(
                    AuditAction::KeyFoundInPlaintext,
                    Some(&entry),
                    Some(format!(
                        "found by a scan in {place}{}: rotate it",
                        if *n > 1 {
                            format!(" and {} more places", n - 1)
                        } else {
                            String::new()
                        }
                    )),
                )?;
                names.push(entry.name.clone());
            }
            let folders: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
            tx.audit(
                AuditAction::ScanRun,
                None,
                Some(format!(
                    "{}{}: {} files, {:.1} MB; {} of your secrets{}, {} key shapes, {} assignments{}",
                    folders.join(", "),
                    if report.cancelled { " (cancelled)" } else { "" },
                    s.files,
                    s.bytes as f64 / 1e6,
                    count(FindingKind::OwnSecret),
                    if names.is_empty() {
                        String::new()
                    } else {
                        format!(" (keys: {})", names.join(", "))
                    },
                    count(FindingKind::KeyShape),
                    count(FindingKind::Assignment),
                    if report.own_secrets {
                        ""
                    } else {
                        "; own secrets not checked (vault locked)"
                    }
                )),
            )?;
            Ok(names)
        })
    }
}
