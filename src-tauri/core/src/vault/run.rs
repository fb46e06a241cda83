//! Handing keys to a program (`run`): the one policy path, with the rules of reveal and copy (active, not
//! expired, step-up for keys that can move funds), one audit event per key and its "last used" set.

use super::index::find_row;
use super::Vault;
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::model::{KeyEntry, KeyStatus, KeyUse, KeyUseKind, RunRequest};
use crate::parse;
use crate::secret::SecretFields;
use chrono::{DateTime, Utc};
use secrecy::SecretString;

/// Longest program name recorded; a longer one is cut and ends with `…`.
const PROGRAM_CHARS: usize = 64;
/// What the step-up message says the passphrase is for.
const WHAT: &str = "handing it to a program";

/// The program's file name (the last part of a path), control and bidirectional characters replaced by
/// `?`, at most [`PROGRAM_CHARS`] characters: safe to show in a terminal or the window.
pub fn program_label(program: &str) -> String {
    let base = program
        .rsplit(['/', '\\'])
        .find(|part| !part.is_empty())
        .unwrap_or("");
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_control() || parse::is_bidi_control(c) {
                '?'
            } else {
                c
            }
        })
        .collect();
    if clean.is_empty() {
        return "?".into();
    }
    if clean.chars().count() > PROGRAM_CHARS {
        let cut: String = clean.chars().take(PROGRAM_CHARS - 1).collect();
        return cut + "…";
    }
    clean
}

/// Refuses a key `run` must not hand out: revoked or compromised always, expired unless allowed.
fn check_runnable(entry: &KeyEntry, now: DateTime<Utc>, allow_expired: bool) -> Result<()> {
    match entry.status {
        KeyStatus::Active => {}
        KeyStatus::Revoked => {
            return Err(Error::NotActive {
                name: entry.name.clone(),
                status: entry.status.to_string(),
                hint: "a revoked key is not handed to a program; add its replacement".into(),
            })
        }
        KeyStatus::Compromised => {
            return Err(Error::NotActive {
                name: entry.name.clone(),
                status: entry.status.to_string(),
                hint: "a compromised key is never handed to a program; replace it".into(),
            })
        }
    }
    if !allow_expired && entry.expires_at.is_some_and(|at| at <= now) {
        return Err(Error::NotActive {
            name: entry.name.clone(),
            status: "expired".into(),
            hint: "an expired key is not handed to a program unless expired keys are allowed for this run; rotate it or set a new expiry".into(),
        });
    }
    Ok(())
}

impl Vault {
    /// Releases the current secrets of the chosen keys to start a program with them. Every key must
    /// exist and be active; an expired one is refused unless `allow_expired` (revoked and compromised
    /// keys always are). If any key can withdraw or transfer funds, `step_up` must be the vault
    /// passphrase: one check covers every key of the run. In one transaction, each key gets a `key_run`
    /// audit event naming the profile and the program's file name (never its arguments) and its "last
    /// used" set to now; a refusal writes nothing (a wrong passphrase is audited as a failed unlock).
    pub fn release_for_run(
        &mut self,
        req: &RunRequest,
        step_up: Option<&SecretString>,
    ) -> Result<Vec<(KeyEntry, SecretFields)>> {
        let names: Vec<&str> = req
            .keys
            .iter()
            .map(|n| n.trim())
            .filter(|n| !n.is_empty())
            .collect();
        if names.is_empty() {
            return Err(Error::input(
                "no key chosen: name the keys the program is started with",
            ));
        }
        let profile = parse::text("profile", req.profile.trim(), 32)?;
        if profile.is_empty()
            || !profile
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(Error::input(format!(
                "the profile name {profile:?} is not a plain word"
            )));
        }
        let program = program_label(&req.program);

        // Before the passphrase is asked: every key exists and may be handed out, then one step-up
        // covering all of them (the transaction checks both rules again on what it reads).
        let now = self.clock.now();
        let mut found: Vec<KeyEntry> = Vec::new();
        for name in &names {
            let e = self.find(name)?;
            check_runnable(&e, now, req.allow_expired)?;
            found.push(e);
        }
        // The same rule as reveal and copy: a secret that can move funds, or a private key made in
        // Keystead, needs the passphrase again.
        let needed = found.iter().find(|e| e.release_needs_step_up(None, None));
        let proven = needed.is_some();
        if let Some(e) = needed {
            let name = e.name.clone();
            let why = e.step_up_why(None);
            self.step_up(&name, true, why, WHAT, step_up)?;
        }

        self.write(|tx| {
            let mut chosen: Vec<(KeyEntry, u64)> = Vec::new();
            for name in &names {
                let (e, g) = find_row(&tx.tx, &tx.cells, name)?;
                check_runnable(&e, tx.now, req.allow_expired)?;
                if e.release_needs_step_up(None, None) && !proven {
                    return Err(Error::StepUpRequired {
                        name: e.name.clone(),
                        why: e.step_up_why(None).into(),
                        what: WHAT.into(),
                    });
                }
                if !chosen.iter().any(|(c, _)| c.id == e.id) {
                    chosen.push((e, g));
                }
            }
            let mut released = Vec::with_capacity(chosen.len());
            for (mut entry, generation) in chosen {
                let (secrets, history) = tx.secrets_of(&entry, generation)?;
                entry.last_used_at = Some(tx.now);
                entry.last_use = Some(KeyUse {
                    how: KeyUseKind::Run,
                    by: tx.actor.to_string(),
                    host: crate::process::host_name(),
                    program: Some(program.clone()),
                });
                tx.put_entry(&entry, Some(generation), Some((&secrets, &history)))?;
                let mut detail = format!("profile: {profile}; program: {program}");
                if entry.release_needs_step_up(None, None) {
                    detail += "; passphrase given again";
                }
                tx.audit(AuditAction::KeyRun, Some(&entry), Some(detail))?;
                released.push((entry, secrets));
            }
            Ok(released)
        })
    }
}
