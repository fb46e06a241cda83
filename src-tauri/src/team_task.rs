//! Automatic team sync (off by default; Settings → Team sync every N minutes): right after each unlock
//! and then every N minutes while the vault is unlocked, each team is synced the way Sync now does it,
//! through core's checks. A sync that needs the user (a conflict to choose, a refused member list) is
//! not applied: the Team screen says so, and the user opens it with Sync now. Never while a sync the
//! user opened waits for their choice.

use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use crate::types::TeamAutoSync;
use chrono::{DateTime, Utc};
use keystead_core::vault::{TeamEntryStatus, TeamSyncSummary};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter, Manager};

/// Sent to the window after an automatic sync, so the table and the Team screen load again.
pub const TEAMS_SYNCED_EVENT: &str = "teams-synced";

/// How often the task looks at the lock state and the setting.
const TICK: Duration = Duration::from_secs(10);

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn is_locked(e: &AppError) -> bool {
    e.code == ErrorCode::Locked
}

/// One line for what an applied sync did.
pub fn summary_text(s: &TeamSyncSummary) -> String {
    let mut parts = Vec::new();
    let count = |n: usize, what: &str| plural(n as u64, what, &format!("{what}s"));
    if !s.added.is_empty() {
        parts.push(format!("{} received", count(s.added.len(), "key")));
    }
    if !s.changed.is_empty() {
        parts.push(format!("{} changed", count(s.changed.len(), "key")));
    }
    if !s.sent.is_empty() {
        parts.push(format!("{} sent", count(s.sent.len(), "key")));
    }
    if !s.refused.is_empty() {
        parts.push(format!("{} refused", count(s.refused.len(), "file")));
    }
    if let Some(why) = &s.not_sent {
        parts.push(format!("not sent: {why}"));
    }
    if parts.is_empty() {
        "up to date".into()
    } else {
        parts.join(", ")
    }
}

/// One round over every team (nothing when the setting is off, the vault locked, or a sync the user
/// opened is waiting). Answers what it did per team, and whether keys changed.
pub fn run_round(state: &AppState, now: DateTime<Utc>) -> AppResult<(Vec<TeamAutoSync>, bool)> {
    if state.settings().team_sync_minutes.is_none() || state.has_pending_team_sync() {
        return Ok((Vec::new(), false));
    }
    let teams = match state.with_vault_in_background(|v| Ok(v.teams()?)) {
        Ok(teams) => teams,
        Err(e) if is_locked(&e) => return Ok((Vec::new(), false)),
        Err(e) => return Err(e),
    };
    let mut notes = Vec::new();
    let mut changed = false;
    for team in teams {
        let note = |text: String, needs_you: bool| TeamAutoSync {
            team: team.name.clone(),
            at: now,
            text,
            needs_you,
        };
        let sync =
            match state.with_vault_in_background(|v| Ok(v.team_sync_preview(Some(&team.name))?)) {
                Ok(sync) => sync,
                Err(e) if is_locked(&e) => break,
                Err(e) => {
                    notes.push(note(format!("could not sync: {}", e.message), false));
                    continue;
                }
            };
        if sync.preview.list_refusal.is_some() {
            notes.push(note(
                "the member list on the remote was refused: press Sync now to see why".into(),
                true,
            ));
            continue;
        }
        let conflicts = sync.conflicts().len();
        if conflicts > 0 {
            notes.push(note(
                format!(
                    "{} for your choice: press Sync now",
                    plural(conflicts as u64, "conflict waits", "conflicts wait")
                ),
                true,
            ));
            continue;
        }
        let refused = sync
            .preview
            .entries
            .iter()
            .any(|e| e.status == TeamEntryStatus::Refused);
        if !sync.preview.has_changes() && !refused {
            notes.push(note("up to date".into(), false));
            continue;
        }
        match state.with_vault_in_background(|v| Ok(v.team_sync_apply(sync)?)) {
            Ok(summary) => {
                changed |= !summary.added.is_empty() || !summary.changed.is_empty();
                notes.push(note(summary_text(&summary), false));
            }
            Err(e) if is_locked(&e) => break,
            Err(e) => notes.push(note(format!("could not sync: {}", e.message), false)),
        }
    }
    if changed {
        state.keys_changed_in_background();
    }
    Ok((notes, changed))
}

/// Starts the task: a round right after each unlock (and when the setting is turned on or changed),
/// then every N minutes while unlocked.
pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut was_unlocked = false;
        let mut last: Option<(Instant, u32)> = None;
        loop {
            let state = app.state::<Arc<AppState>>().inner().clone();
            let unlocked = state.is_unlocked();
            let minutes = state.settings().team_sync_minutes;
            let due = match (unlocked, minutes) {
                (true, Some(m)) => {
                    !was_unlocked
                        || last.is_none_or(|(at, every)| {
                            every != m || at.elapsed() >= Duration::from_secs(u64::from(m) * 60)
                        })
                }
                _ => false,
            };
            was_unlocked = unlocked;
            if !unlocked {
                last = None;
            }
            if let (true, Some(m)) = (due, minutes) {
                last = Some((Instant::now(), m));
                let round = tauri::async_runtime::spawn_blocking({
                    let state = state.clone();
                    move || run_round(&state, Utc::now())
                })
                .await;
                match round {
                    Ok(Ok((notes, _))) if !notes.is_empty() => {
                        state.set_team_auto_sync(notes);
                        let _ = app.emit(TEAMS_SYNCED_EVENT, ());
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => eprintln!("keystead: team sync: {}", e.message),
                    Err(_) => {}
                }
            }
            tokio::time::sleep(TICK).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use keystead_core::team::Role;
    use keystead_core::vault::OpenOptions;
    use keystead_core::{CredentialField, KdfParams, NewKey, SecretFields, SystemClock, Vault};
    use secrecy::{ExposeSecret, SecretString};

    const PASS: &str = "team sync passphrase";

    fn vault(path: &std::path::Path) -> Vault {
        Vault::create(
            path,
            &SecretString::from(PASS),
            KdfParams::FLOOR,
            OpenOptions::new(Arc::new(SystemClock), "app"),
        )
        .unwrap()
    }

    fn secrets(tag: &str) -> SecretFields {
        let mut s = SecretFields::new();
        s.insert(
            CredentialField::ApiKey,
            SecretString::from(format!("{tag}-api-key-0123456789")),
        );
        s.insert(
            CredentialField::Secret,
            SecretString::from(format!("{tag}-secret-0123456789abcdef")),
        );
        s
    }

    /// Alice's vault makes team "desk" in a bare repository and adds the app's vault (Bob, write);
    /// the app's vault joins. Answers Alice's vault and the app's state.
    fn team(dir: &std::path::Path) -> (Vault, AppState) {
        let repo = git2::Repository::init_bare(dir.join("desk.git")).unwrap();
        repo.set_head("refs/heads/main").unwrap();
        let url = format!("file://{}", dir.join("desk.git").display());
        let mut alice = vault(&dir.join("alice.db"));
        let mut bob = vault(&dir.join("bob.db"));
        let bob_key = bob.sharing_key().unwrap().sharing_key;
        alice.add_contact("bob", &bob_key).unwrap();
        alice.team_init(&url, "desk", "alice").unwrap();
        alice.team_add_member(None, "bob", Role::Write).unwrap();
        let join = bob.team_join_preview(&url).unwrap();
        bob.team_join(join).unwrap();
        let state = AppState::new(dir.join("bob.db"), dir.join("settings.json"));
        state.install_vault(bob);
        (alice, state)
    }

    fn every(state: &AppState, minutes: Option<u32>) {
        state
            .save_settings(Settings {
                team_sync_minutes: minutes,
                ..state.settings()
            })
            .unwrap();
    }

    fn share(alice: &mut Vault, name: &str, tag: &str) {
        alice
            .add(
                NewKey {
                    name: name.into(),
                    exchange: "binance".into(),
                    scopes: vec!["enable_reading".into()],
                    ..NewKey::default()
                },
                secrets(tag),
            )
            .unwrap();
        alice.team_share(None, &[name.into()], &[], None).unwrap();
    }

    #[test]
    fn off_by_default_then_a_round_brings_the_teams_keys_in_and_says_what_it_did() {
        let dir = tempfile::tempdir().unwrap();
        let (mut alice, state) = team(dir.path());
        share(&mut alice, "desk-key", "one");

        // Off (the default): nothing is fetched or applied.
        let (notes, changed) = run_round(&state, Utc::now()).unwrap();
        assert!(notes.is_empty() && !changed);
        assert!(state.with_vault(|v| Ok(v.list()?)).unwrap().is_empty());

        every(&state, Some(15));
        let (notes, changed) = run_round(&state, Utc::now()).unwrap();
        assert!(changed);
        assert_eq!(notes.len(), 1);
        assert_eq!(
            (notes[0].team.as_str(), notes[0].text.as_str()),
            ("desk", "1 key received")
        );
        assert!(!notes[0].needs_you);
        let keys = state.with_vault(|v| Ok(v.list()?)).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(
            keys[0].team.as_deref(),
            Some("desk"),
            "the list names the key's team"
        );
        let secret = state
            .with_vault(|v| Ok(v.reveal("desk-key", CredentialField::Secret, None, None)?))
            .unwrap();
        assert_eq!(secret.expose_secret(), "one-secret-0123456789abcdef");

        let (notes, changed) = run_round(&state, Utc::now()).unwrap();
        assert!(!changed);
        assert_eq!(notes[0].text, "up to date");

        // Locked: nothing.
        state.lock("test");
        let (notes, _) = run_round(&state, Utc::now()).unwrap();
        assert!(notes.is_empty());
    }

    #[test]
    fn a_conflict_is_left_for_the_user_and_a_sync_they_opened_is_never_applied_behind_them() {
        let dir = tempfile::tempdir().unwrap();
        let (mut alice, state) = team(dir.path());
        share(&mut alice, "desk-key", "one");
        every(&state, Some(15));
        run_round(&state, Utc::now()).unwrap();
        // Both change the key; Alice syncs first.
        let note = |v: &mut Vault, text: &str| {
            v.edit(
                "desk-key",
                keystead_core::KeyEdit {
                    notes: Some(text.into()),
                    ..Default::default()
                },
                None,
            )
            .unwrap();
        };
        note(&mut alice, "alice's");
        let s = alice.team_sync_preview(None).unwrap();
        alice.team_sync_apply(s).unwrap();
        state
            .with_vault(|v| {
                note(v, "bob's");
                Ok(())
            })
            .unwrap();

        let (notes, changed) = run_round(&state, Utc::now()).unwrap();
        assert!(!changed);
        assert!(notes[0].needs_you, "{notes:?}");
        assert_eq!(
            notes[0].text,
            "1 conflict waits for your choice: press Sync now"
        );
        let detail = state.with_vault(|v| Ok(v.detail("desk-key")?)).unwrap();
        assert_eq!(detail.notes, "bob's", "nothing of the conflict applied");

        // The user opened a sync: the task leaves it alone.
        let sync = state
            .with_vault(|v| Ok(v.team_sync_preview(None)?))
            .unwrap();
        state.set_pending_team_sync(Some(sync));
        let (notes, _) = run_round(&state, Utc::now()).unwrap();
        assert!(notes.is_empty());
    }
}
