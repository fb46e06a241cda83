//! Scheduled checks on the exchange (issue 16, off by default): while the vault is unlocked and the
//! user turned the schedule on, each due key is checked on its exchange, one at a time, with the vault
//! let go during each request; new drift or a newly rejected key raises a desktop notification through
//! the same path as reminders. Which keys are due and what the notification says are core's
//! (`keystead_core::exchange::schedule`); this module decides when, and sends.

use crate::error::{AppError, AppResult, ErrorCode};
use crate::reminders::Outgoing;
use crate::settings::Settings;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use keystead_core::exchange::schedule::{alert_text, CheckAlert};
use keystead_core::exchange::CheckOptions;
use keystead_core::reminders::single_key;
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager};

/// Sent to the window after a round recorded checks, so the table shows the new verdicts.
pub const KEYS_CHECKED_EVENT: &str = "keys-checked";

/// How often the task wakes to notice the schedule turned on or off, or the vault unlocked.
const TICK: Duration = Duration::from_secs(10);
/// The longest the task sleeps without looking again.
const MAX_SLEEP: Duration = Duration::from_secs(3600);
/// The shortest time between two rounds that found keys due (a key whose check cannot even be prepared
/// stays due).
const MIN_GAP: Duration = Duration::from_secs(60);
/// After a failed round (an invalid `KEYSTEAD_BASE_URL_*`, a vault that cannot be read), the next.
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(600);

/// What one round did.
#[derive(Debug, Default)]
pub struct Round {
    /// Checks recorded in the vault.
    pub checked: usize,
    /// The notification to show about drift or rejected keys.
    pub outgoing: Option<Outgoing>,
    /// When the next key falls due (`None`: the schedule is off, the vault locked, or nothing to check).
    pub next_at: Option<DateTime<Utc>>,
}

fn is_locked(e: &AppError) -> bool {
    e.code == ErrorCode::Locked
}

/// Whether a notification may name keys: the vault is unlocked when it is shown, or the user asked for
/// names while locked (the same rule as reminders).
pub fn may_name_keys(unlocked: bool, settings: &Settings) -> bool {
    unlocked || settings.show_names_when_locked
}

/// One round: checks each due key, never with the schedule off or the vault locked (then nothing is
/// read and no request is sent; `options` is not even asked for). Stops at a lock or when the schedule
/// is turned off midway.
pub fn run_round(
    state: &AppState,
    options: impl FnOnce() -> AppResult<CheckOptions>,
    now: DateTime<Utc>,
) -> AppResult<Round> {
    let schedule = state.settings().schedule();
    if schedule.every_hours.is_none() {
        return Ok(Round::default());
    }
    let keys = match state.with_vault_in_background(|v| Ok(v.list()?)) {
        Ok(keys) => keys,
        Err(e) if is_locked(&e) => return Ok(Round::default()),
        Err(e) => return Err(e),
    };
    let due = schedule.due(&keys, now);
    if due.is_empty() {
        return Ok(Round {
            next_at: schedule.next_at(&keys, now),
            ..Round::default()
        });
    }
    let options = options()?;
    let mut round = Round::default();
    let mut alerts = Vec::new();
    for id in due {
        if state.settings().exchange_check_hours.is_none() {
            break;
        }
        let prepared =
            match state.with_vault_in_background(|v| Ok(v.prepare_check(&id.to_string())?)) {
                Ok(p) => p,
                Err(e) if is_locked(&e) => break,
                Err(e) => {
                    eprintln!("keystead: scheduled check: {}", e.message);
                    continue;
                }
            };
        let previous = prepared.previous().cloned();
        let answer = prepared.run(&options);
        match state.with_vault_in_background(|v| Ok(v.record_check(prepared, answer)?)) {
            Ok(checked) => {
                round.checked += 1;
                alerts.extend(CheckAlert::of(id, &checked, previous.as_ref()));
            }
            Err(e) if is_locked(&e) => break,
            Err(e) => eprintln!("keystead: scheduled check: {}", e.message),
        }
    }
    if round.checked > 0 {
        state.keys_changed_in_background();
    }
    let settings = state.settings();
    round.outgoing =
        alert_text(&alerts, may_name_keys(state.is_unlocked(), &settings)).map(|text| Outgoing {
            text,
            key: single_key(alerts.iter().map(|a| a.entry_id)),
        });
    round.next_at = state
        .with_vault_in_background(|v| Ok(v.list()?))
        .ok()
        .and_then(|keys| settings.schedule().next_at(&keys, Utc::now()));
    Ok(round)
}

/// Starts the task: a round now, then whenever the next key falls due, the schedule changes, the user
/// changes a key (it may have turned its scheduled checks on) or the vault is unlocked.
pub fn spawn(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            let state = app.state::<Arc<AppState>>().inner().clone();
            let round = tauri::async_runtime::spawn_blocking(move || {
                run_round(&state, || Ok(CheckOptions::from_env()?), Utc::now())
            })
            .await;
            let retry = Utc::now() + RETRY_AFTER_ERROR;
            let next_at = match round {
                Ok(Ok(round)) => {
                    let state = app.state::<Arc<AppState>>();
                    if let Some(out) = &round.outgoing {
                        if let Err(e) = state.notify(&app, out) {
                            eprintln!("keystead: {}", e.message);
                        }
                    }
                    if round.checked > 0 {
                        let _ = app.emit(KEYS_CHECKED_EVENT, ());
                    }
                    round.next_at
                }
                Ok(Err(e)) => {
                    eprintln!("keystead: scheduled checks: {}", e.message);
                    Some(retry)
                }
                Err(_) => Some(retry),
            };
            // A key still due right after a round (its check could not even be prepared) waits a little.
            let gap = chrono::Duration::seconds(MIN_GAP.as_secs() as i64);
            let next_at = next_at.map(|at| at.max(Utc::now() + gap));
            wait_for_next_round(&app, next_at).await;
        }
    });
}

async fn wait_for_next_round(app: &AppHandle, next_at: Option<DateTime<Utc>>) {
    let state = app.state::<Arc<AppState>>().inner().clone();
    let looking = |s: &AppState| (s.settings().schedule(), s.is_unlocked(), s.key_changes());
    let seen = looking(&state);
    let give_up = tokio::time::Instant::now() + MAX_SLEEP;
    loop {
        // The wall clock, not the monotonic one: it keeps running while the machine sleeps.
        if next_at.is_some_and(|at| Utc::now() >= at) || tokio::time::Instant::now() >= give_up {
            return;
        }
        tokio::time::sleep(TICK).await;
        if looking(&state) != seen {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keystead_core::exchange::schedule::ScheduleScope;
    use keystead_core::exchange::{check_base_url, VerifyOutcome};
    use keystead_core::vault::OpenOptions;
    use keystead_core::{CredentialField, KdfParams, NewKey, SecretFields, SystemClock, Vault};
    use secrecy::SecretString;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const PASS: &str = "scheduled checks passphrase";

    /// A loopback stand-in for Binance's key-information endpoint: counts the requests that reach it
    /// and answers that withdrawals are enabled (which the record does not say).
    fn fake_binance() -> (CheckOptions, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                seen.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                let body = r#"{"ipRestrict":false,"createTime":1767225600000,"enableReading":true,"enableWithdrawals":true,"enableSpotAndMarginTrading":false}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        let mut options = CheckOptions::default();
        options.base_urls.insert(
            "binance".into(),
            check_base_url(&format!("http://127.0.0.1:{port}")).unwrap(),
        );
        (options, count)
    }

    /// The app's state with an unlocked vault holding one Binance key that may only read.
    fn unlocked_with_a_key(dir: &std::path::Path) -> AppState {
        let path = dir.join("vault.db");
        let mut vault = Vault::create(
            &path,
            &SecretString::from(PASS),
            KdfParams::FLOOR,
            OpenOptions::new(Arc::new(SystemClock), "app"),
        )
        .unwrap();
        let mut secrets = SecretFields::new();
        secrets.insert(
            CredentialField::ApiKey,
            SecretString::from("binance-api-key-0123456789"),
        );
        secrets.insert(
            CredentialField::Secret,
            SecretString::from("binance-secret-0123456789abcdef"),
        );
        vault
            .add(
                NewKey {
                    name: "eth-bot".into(),
                    exchange: "binance".into(),
                    scopes: vec!["enable_reading".into()],
                    ..NewKey::default()
                },
                secrets,
            )
            .unwrap();
        let state = AppState::new(path, dir.join("settings.json"));
        state.install_vault(vault);
        state
    }

    fn schedule_every(state: &AppState, hours: Option<u32>) {
        state
            .save_settings(Settings {
                exchange_check_hours: hours,
                ..state.settings()
            })
            .unwrap();
    }

    #[test]
    fn with_the_schedule_off_or_the_vault_locked_no_request_is_ever_sent() {
        let dir = tempfile::tempdir().unwrap();
        let state = unlocked_with_a_key(dir.path());
        let (options, requests) = fake_binance();
        let asked = AtomicUsize::new(0);
        let opts = || {
            asked.fetch_add(1, Ordering::SeqCst);
            Ok(options.clone())
        };
        // Off by default.
        let round = run_round(&state, opts, Utc::now()).unwrap();
        assert_eq!((round.checked, round.next_at), (0, None));
        assert!(round.outgoing.is_none());
        // On, but locked.
        schedule_every(&state, Some(6));
        assert!(state.lock("test"));
        let round = run_round(&state, opts, Utc::now()).unwrap();
        assert_eq!((round.checked, round.next_at), (0, None));
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            requests.load(Ordering::SeqCst),
            0,
            "no request reached the exchange"
        );
        assert_eq!(
            asked.load(Ordering::SeqCst),
            0,
            "no check was even prepared"
        );
    }

    #[test]
    fn on_a_due_key_is_checked_once_its_drift_is_recorded_and_named_in_the_notification() {
        let dir = tempfile::tempdir().unwrap();
        let state = unlocked_with_a_key(dir.path());
        let (options, requests) = fake_binance();
        schedule_every(&state, Some(6));
        let before = Utc::now();
        let round = run_round(&state, || Ok(options.clone()), before).unwrap();
        assert_eq!(round.checked, 1);
        assert_eq!(requests.load(Ordering::SeqCst), 1);
        let out = round.outgoing.expect("drift raises a notification");
        assert_eq!(
            out.text.summary,
            "eth-bot (Binance) differs from the exchange"
        );
        assert_eq!(
            out.text.body,
            "Withdrawals are enabled on Binance but not recorded here."
        );
        assert!(!format!("{out:?}").contains("binance-secret"));
        let keys = state.with_vault(|v| Ok(v.list()?)).unwrap();
        assert_eq!(out.key, Some(keys[0].id), "a click opens the key");
        let last = keys[0].last_check.as_ref().unwrap();
        assert_eq!(last.outcome, VerifyOutcome::Drift);
        let next = round.next_at.unwrap();
        assert!(next >= before + chrono::Duration::hours(6), "{next}");

        // Checked just now: the next round within the period sends nothing.
        let again = run_round(&state, || Ok(options.clone()), Utc::now()).unwrap();
        assert_eq!(again.checked, 0);
        assert!(again.outgoing.is_none());
        // Seven hours later it is due again; the same drift is recorded, not notified a second time.
        let later = Utc::now() + chrono::Duration::hours(7);
        let round = run_round(&state, || Ok(options.clone()), later).unwrap();
        assert_eq!(round.checked, 1);
        assert_eq!(requests.load(Ordering::SeqCst), 2);
        assert!(round.outgoing.is_none(), "told once already");
    }

    #[test]
    fn a_key_turned_off_is_never_sent_and_with_only_chosen_keys_one_turned_on_is() {
        let dir = tempfile::tempdir().unwrap();
        let state = unlocked_with_a_key(dir.path());
        let (options, requests) = fake_binance();
        schedule_every(&state, Some(6));
        let turn = |on: Option<bool>| {
            let changes = state.key_changes();
            state
                .change_keys(|v| {
                    Ok(v.edit(
                        "eth-bot",
                        keystead_core::KeyEdit {
                            scheduled_check: Some(on),
                            ..Default::default()
                        },
                        None,
                    )?)
                })
                .unwrap();
            assert_eq!(state.key_changes(), changes + 1, "the task plans again");
        };
        turn(Some(false));
        let round = run_round(&state, || Ok(options.clone()), Utc::now()).unwrap();
        assert_eq!((round.checked, round.next_at), (0, None));
        // Only chosen keys: the key that follows the setting is left out, one turned on is checked.
        state
            .save_settings(Settings {
                exchange_check_keys: ScheduleScope::Chosen,
                ..state.settings()
            })
            .unwrap();
        turn(None);
        let round = run_round(&state, || Ok(options.clone()), Utc::now()).unwrap();
        assert_eq!((round.checked, round.next_at), (0, None));
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            requests.load(Ordering::SeqCst),
            0,
            "nothing reached the exchange"
        );
        turn(Some(true));
        let round = run_round(&state, || Ok(options.clone()), Utc::now()).unwrap();
        assert_eq!(round.checked, 1);
        assert_eq!(requests.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_notification_names_keys_only_unlocked_or_when_names_are_wanted_while_locked() {
        let quiet = Settings::default();
        let names = Settings {
            show_names_when_locked: true,
            ..Settings::default()
        };
        assert!(may_name_keys(true, &quiet));
        assert!(!may_name_keys(false, &quiet));
        assert!(may_name_keys(false, &names));
    }
}
