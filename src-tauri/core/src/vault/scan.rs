//! The vault's side of the leak scanner: the secrets to look for (every key, every version), and the
//! record of a scan (one audit entry with the folders and counts, one per key found, and the key's
//! "found in plaintext" flag until its next rotation), and the findings the user ignored (one sealed
//! record with the random key that names findings across scans). Nothing here prints or returns a secret to a
//! person: the values go to the scanner's matcher only and are wiped on drop.

use super::cells::{read_entries, read_secrets, Cells, SCAN_IGNORES_ROW};
use super::write::WriteTx;
use super::Vault;
use crate::audit::AuditAction;
use crate::crypto;
use crate::error::{Error, Result};
use crate::model::FoundInPlaintext;
use crate::scan::{Finding, FindingIdKey, FindingKind, IgnoredFinding, OwnSecret, ScanReport};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use uuid::Uuid;
use zeroize::Zeroizing;

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
            if f.ignored || f.kind != FindingKind::OwnSecret || f.current != Some(true) {
                continue;
            }
            if let Some(id) = f.key_id {
                let place = format!("{}:{}", f.path, f.line);
                found.entry(id).or_insert((place, 0)).1 += 1;
            }
        }
        let count = |k: FindingKind| {
            report
                .findings
                .iter()
                .filter(|f| f.kind == k && !f.ignored)
                .count()
        };
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
                    "{}{}: {} files, {:.1} MB; {} of your secrets{}, {} key shapes, {} assignments{}{}",
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
                    if report.ignored > 0 {
                        format!("; {} ignored", report.ignored)
                    } else {
                        String::new()
                    },
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

/// The sealed record of the `scan_ignores` row: the key that names findings and the findings ignored.
#[derive(Serialize, Deserialize)]
struct IgnoreRecord {
    /// Hex of the 32-byte finding-id key.
    key: Zeroizing<String>,
    findings: Vec<IgnoredFinding>,
}

fn read_ignores(
    conn: &rusqlite::Connection,
    cells: &Cells<'_>,
) -> Result<Option<(IgnoreRecord, u64)>> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT generation, record FROM scan_ignores WHERE singleton = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((generation, sealed)) = row else {
        return Ok(None);
    };
    let plain = cells.open("scan_ignores", "1", "record", generation as u64, &sealed)?;
    let record: IgnoreRecord = serde_json::from_slice(&plain).map_err(|e| {
        Error::damaged(format!(
            "the list of ignored scan findings is unreadable ({e})"
        ))
    })?;
    Ok(Some((record, generation as u64)))
}

impl IgnoreRecord {
    fn id_key(&self) -> Result<FindingIdKey> {
        let mut key = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(self.key.as_bytes(), &mut key[..])
            .map_err(|_| Error::damaged("the key naming scan findings is unreadable"))?;
        Ok(FindingIdKey(key))
    }
}

impl WriteTx<'_> {
    fn put_ignores(&mut self, record: &IgnoreRecord, old_generation: Option<u64>) -> Result<()> {
        let generation = old_generation.map_or(1, |g| g + 1);
        let plain =
            Zeroizing::new(serde_json::to_vec(record).map_err(|e| Error::Storage(e.to_string()))?);
        let sealed = self
            .cells
            .seal("scan_ignores", "1", "record", generation, &plain);
        self.tx.execute(
            "INSERT INTO scan_ignores (singleton, generation, record) VALUES (1, ?1, ?2)
             ON CONFLICT(singleton) DO UPDATE SET generation = excluded.generation, record = excluded.record",
            params![generation as i64, sealed],
        )?;
        self.move_row_digest(SCAN_IGNORES_ROW, old_generation, generation);
        Ok(())
    }

    fn ignores(&mut self) -> Result<(IgnoreRecord, Option<u64>)> {
        Ok(match read_ignores(&self.tx, &self.cells)? {
            Some((record, generation)) => (record, Some(generation)),
            None => (
                IgnoreRecord {
                    key: Zeroizing::new(hex::encode(crypto::random_bytes::<32>())),
                    findings: Vec::new(),
                },
                None,
            ),
        })
    }
}

impl Vault {
    /// The key that names findings ([`crate::scan::Finding::id`]) for [`crate::scan::ScanOptions`]. Made
    /// (random, sealed) at the first scan of this vault, in a transaction of its own.
    pub fn finding_id_key(&mut self) -> Result<FindingIdKey> {
        if let Some((record, _)) = read_ignores(&self.conn, &self.cells())? {
            return record.id_key();
        }
        self.write(|tx| {
            let (record, generation) = tx.ignores()?;
            if generation.is_none() {
                tx.put_ignores(&record, None)?;
            }
            record.id_key()
        })
    }

    /// The findings marked ignored, newest first.
    pub fn ignored_findings(&self) -> Result<Vec<IgnoredFinding>> {
        let mut list = read_ignores(&self.conn, &self.cells())?
            .map(|(r, _)| r.findings)
            .unwrap_or_default();
        list.sort_by(|a, b| b.ignored_at.cmp(&a.ignored_at).then(a.path.cmp(&b.path)));
        Ok(list)
    }

    /// Leaves the ignored findings out of `report` (counted in `report.ignored`), or with `show` keeps
    /// them marked `ignored`. Findings without an id (a locked scan) are never ignored.
    pub fn apply_ignores(&self, report: &mut ScanReport, show: bool) -> Result<()> {
        let ignored: HashSet<String> = self.ignored_findings()?.into_iter().map(|f| f.id).collect();
        let mut count = 0;
        for f in &mut report.findings {
            f.ignored = f.id.as_ref().is_some_and(|id| ignored.contains(id));
            count += u64::from(f.ignored);
        }
        if !show {
            report.findings.retain(|f| !f.ignored);
        }
        report.ignored = count;
        report.ignored_shown = show;
        Ok(())
    }

    /// Marks findings ignored (remembered for later scans), in one transaction with one audit entry each.
    /// Findings without an id (from a locked scan) cannot be ignored; one already ignored is left as is.
    pub fn ignore_findings(&mut self, findings: &[Finding]) -> Result<Vec<IgnoredFinding>> {
        if findings.iter().any(|f| f.id.is_none()) {
            return Err(Error::input(
                "this finding comes from a scan with the vault locked: unlock the vault, scan again, then ignore it",
            ));
        }
        let known: HashSet<String> = self.ignored_findings()?.into_iter().map(|f| f.id).collect();
        if findings
            .iter()
            .all(|f| f.id.as_ref().is_some_and(|id| known.contains(id)))
        {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let (mut record, generation) = tx.ignores()?;
            let mut added = Vec::new();
            for f in findings {
                let id = f.id.clone().unwrap_or_default();
                if record.findings.iter().any(|i| i.id == id) {
                    continue;
                }
                let ignored = IgnoredFinding {
                    id,
                    path: f.path.clone(),
                    line: f.line,
                    rule: f.rule.clone(),
                    description: f.description.clone(),
                    key_name: f.key_name.clone(),
                    excerpt: f.excerpt.clone(),
                    ignored_at: tx.now,
                    ignored_by: tx.actor.to_string(),
                };
                tx.audit(
                    AuditAction::FindingIgnored,
                    None,
                    Some(format!(
                        "{}: later scans leave it out",
                        describe_ignored(&ignored)
                    )),
                )?;
                record.findings.push(ignored.clone());
                added.push(ignored);
            }
            if !added.is_empty() {
                tx.put_ignores(&record, generation)?;
            }
            Ok(added)
        })
    }

    /// Reports ignored findings again (by id, as `ignored_findings` lists them), in one transaction with
    /// one audit entry each. An id that is not ignored is an error and nothing changes.
    pub fn unignore_findings(&mut self, ids: &[String]) -> Result<Vec<IgnoredFinding>> {
        self.write(|tx| {
            let (mut record, generation) = tx.ignores()?;
            let mut removed = Vec::new();
            for id in ids {
                if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Error::input(
                        "a finding id is 16 hex characters: `keystead scan --ignored` lists the ignored ones",
                    ));
                }
                let Some(at) = record.findings.iter().position(|i| i.id == *id) else {
                    return Err(Error::input(format!(
                        "no ignored finding has the id {id}: `keystead scan --ignored` lists them"
                    )));
                };
                let f = record.findings.remove(at);
                tx.audit(
                    AuditAction::FindingUnignored,
                    None,
                    Some(format!("{}: scans report it again", describe_ignored(&f))),
                )?;
                removed.push(f);
            }
            if !removed.is_empty() {
                tx.put_ignores(&record, generation)?;
            }
            Ok(removed)
        })
    }
}

/// "path:line, rule (key 'name')" for audit entries.
fn describe_ignored(f: &IgnoredFinding) -> String {
    format!(
        "{}:{}, {}{}",
        f.path,
        f.line,
        f.rule,
        f.key_name
            .as_ref()
            .map(|n| format!(" (key {n})"))
            .unwrap_or_default()
    )
}
