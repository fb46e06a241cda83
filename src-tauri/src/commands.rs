//! Thin commands: take typed input, call core, map the error. Rules live in keystead-core.

use crate::error::{AppError, AppResult, ErrorCode};
use crate::settings::Settings;
use crate::state::AppState;
use crate::types::{
    AddKeyInput, AuditExportFormat, AuditStatus, CopyResult, EditKeyInput, IncidentStep,
    RevealedSecret, SecretInput, VaultStatus,
};
use keystead_core::catalog::{self, ExchangeInfo};
use keystead_core::vault::{self, OpenOptions};
use keystead_core::{
    parse, AuditRecord, CredentialField, KdfParams, KeyDetail, KeyEdit, KeySummary, NewKey, Scope,
};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, State};
use tauri_plugin_autostart::ManagerExt;

type AppStateRef<'a> = State<'a, Arc<AppState>>;

/// Runs blocking work (key derivation, SQLite, D-Bus) off the async runtime's worker threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::new(ErrorCode::Storage, format!("Internal error: {e}.")))?
}

fn open_options() -> OpenOptions {
    OpenOptions::new(Arc::new(keystead_core::SystemClock), "app")
        .with_anchor(Arc::new(keystead_core::anchor::KeyringAnchor::default()))
}

#[tauri::command]
pub async fn vault_status(state: AppStateRef<'_>) -> AppResult<VaultStatus> {
    let warnings = state
        .vault
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(|v| v.warnings().to_vec())
        .unwrap_or_default();
    Ok(VaultStatus {
        path: state.vault_path().display().to_string(),
        exists: state.vault_path().is_file(),
        unlocked: state.is_unlocked(),
        retry_after_ms: state.retry_after().as_millis() as u64,
        warnings,
    })
}

#[tauri::command]
pub async fn create_vault(state: AppStateRef<'_>, passphrase: String) -> AppResult<()> {
    let passphrase = SecretString::from(passphrase);
    vault::check_passphrase(&passphrase)?;
    let state = state.inner().clone();
    blocking(move || {
        let kdf = KdfParams::calibrate(Duration::from_millis(500))?;
        let v =
            keystead_core::Vault::create(&state.vault_path(), &passphrase, kdf, open_options())?;
        *state.vault.lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
        state.unlock_succeeded();
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn unlock(state: AppStateRef<'_>, passphrase: String) -> AppResult<()> {
    state.check_retry()?;
    let passphrase = SecretString::from(passphrase);
    let state = state.inner().clone();
    blocking(move || {
        match keystead_core::Vault::unlock(&state.vault_path(), &passphrase, open_options()) {
            Ok(mut v) => {
                v.record_unlock()?;
                *state.vault.lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
                state.unlock_succeeded();
                Ok(())
            }
            Err(keystead_core::Error::WrongPassphrase) => {
                state.unlock_failed();
                Err(AppError::new(
                    ErrorCode::WrongPassphrase,
                    "Wrong passphrase. Check it (Caps Lock?) and try again.",
                ))
            }
            Err(e) => Err(e.into()),
        }
    })
    .await
}

/// Chooses another vault file (an existing one to unlock, or a new path to create one at).
#[tauri::command]
pub async fn use_vault_file(state: AppStateRef<'_>, path: String) -> AppResult<VaultStatus> {
    let path = std::path::PathBuf::from(path.trim());
    if path.as_os_str().is_empty() || !path.is_absolute() {
        return Err(AppError::invalid(
            "Give the vault file's full path, e.g. /home/you/keys/vault.db.",
        ));
    }
    if path.is_dir() {
        return Err(AppError::invalid(format!(
            "{} is a folder: give the path of the vault file in it.",
            path.display()
        )));
    }
    if !path.exists() && !path.parent().is_some_and(|p| p.is_dir()) {
        return Err(AppError::invalid(format!(
            "The folder of {} does not exist.",
            path.display()
        )));
    }
    state.set_vault_path(path)?;
    vault_status(state).await
}

#[tauri::command]
pub async fn lock(state: AppStateRef<'_>) -> AppResult<()> {
    let state = state.inner().clone();
    blocking(move || {
        state.lock("locked by the user");
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn touch(state: AppStateRef<'_>) -> AppResult<()> {
    state.touch();
    Ok(())
}

#[tauri::command]
pub async fn list_keys(state: AppStateRef<'_>) -> AppResult<Vec<KeySummary>> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.list()?))).await
}

#[tauri::command]
pub async fn key_detail(state: AppStateRef<'_>, id: String) -> AppResult<KeyDetail> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.detail(&id)?))).await
}

#[tauri::command]
pub async fn catalog() -> AppResult<Vec<ExchangeInfo>> {
    Ok(catalog::exchanges().iter().map(|e| e.info()).collect())
}

fn optional_date(text: Option<String>) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(text
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse::date(&t))
        .transpose()?)
}

fn optional_days(text: Option<String>) -> AppResult<Option<u32>> {
    Ok(text
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse::days(&t))
        .transpose()?)
}

#[tauri::command]
pub async fn add_key(state: AppStateRef<'_>, input: AddKeyInput) -> AppResult<KeyDetail> {
    let mut input = input;
    let secrets = SecretInput::into_fields(std::mem::take(&mut input.secrets));
    let new = NewKey {
        name: input.name,
        exchange: input.exchange,
        account: input.account,
        environment: Some(input.environment),
        scopes: input.scopes,
        ip_allowlist: input.ip_allowlist,
        expires_at: optional_date(input.expires_at)?,
        rotation_days: optional_days(input.rotate_every)?,
        tags: input.tags,
        notes: input.notes,
    };
    let state = state.inner().clone();
    blocking(move || {
        state.change_keys(|v| {
            let entry = v.add(new, secrets)?;
            Ok(v.detail(&entry.id.to_string())?)
        })
    })
    .await
}

#[tauri::command]
pub async fn edit_key(
    state: AppStateRef<'_>,
    id: String,
    input: EditKeyInput,
) -> AppResult<KeyDetail> {
    let edit = KeyEdit {
        name: Some(input.name),
        account: Some(input.account.filter(|a| !a.trim().is_empty())),
        environment: Some(input.environment),
        scopes: Some(input.scopes),
        ip_allowlist: Some(input.ip_allowlist),
        expires_at: Some(optional_date(input.expires_at)?),
        rotation_days: Some(optional_days(input.rotate_every)?),
        tags: Some(input.tags),
        notes: Some(input.notes),
    };
    let state = state.inner().clone();
    blocking(move || {
        state.change_keys(|v| {
            v.edit(&id, edit)?;
            Ok(v.detail(&id)?)
        })
    })
    .await
}

#[tauri::command]
pub async fn rotate_key(
    state: AppStateRef<'_>,
    id: String,
    secrets: Vec<SecretInput>,
    reason: Option<String>,
) -> AppResult<KeyDetail> {
    let secrets = SecretInput::into_fields(secrets);
    let state = state.inner().clone();
    blocking(move || {
        state.change_keys(|v| {
            v.rotate(&id, secrets, reason)?;
            Ok(v.detail(&id)?)
        })
    })
    .await
}

#[tauri::command]
pub async fn revoke_key(
    state: AppStateRef<'_>,
    id: String,
    reason: Option<String>,
) -> AppResult<KeyDetail> {
    let state = state.inner().clone();
    blocking(move || {
        state.change_keys(|v| {
            v.revoke(&id, reason)?;
            Ok(v.detail(&id)?)
        })
    })
    .await
}

#[tauri::command]
pub async fn mark_compromised(
    state: AppStateRef<'_>,
    id: String,
    reason: Option<String>,
) -> AppResult<KeyDetail> {
    let state = state.inner().clone();
    blocking(move || {
        state.change_keys(|v| {
            v.mark_compromised(&id, reason)?;
            Ok(v.detail(&id)?)
        })
    })
    .await
}

#[tauri::command]
pub async fn incident_step(
    state: AppStateRef<'_>,
    id: String,
    step: IncidentStep,
    done: bool,
) -> AppResult<()> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.record_incident_step(&id, step.label(), done)?)))
        .await
}

/// A withdraw-enabled key's secrets need the passphrase again (step-up): the one operation that can
/// lose money gets a second check even on an unlocked vault. Wrong answers are audited and slowed down
/// like failed unlocks.
fn step_up(
    state: &AppState,
    v: &mut keystead_core::Vault,
    id: &str,
    passphrase: Option<String>,
) -> AppResult<()> {
    let key = v.find(id)?;
    if !key.scopes.contains(&Scope::Withdraw) {
        return Ok(());
    }
    let Some(p) = passphrase else {
        return Err(AppError::new(
            ErrorCode::StepUpRequired,
            format!(
                "'{}' can withdraw funds: enter the vault passphrase to use its secrets.",
                key.name
            ),
        ));
    };
    state.check_retry()?;
    match v.verify_passphrase(&SecretString::from(p)) {
        Ok(()) => Ok(()),
        Err(keystead_core::Error::WrongPassphrase) => {
            state.unlock_failed();
            v.record_step_up_failure(id)?;
            Err(AppError::new(
                ErrorCode::WrongPassphrase,
                "Wrong passphrase: the secret stays hidden.",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[tauri::command]
pub async fn reveal_secret(
    state: AppStateRef<'_>,
    id: String,
    field: CredentialField,
    version: Option<u32>,
    passphrase: Option<String>,
) -> AppResult<RevealedSecret> {
    let state = state.inner().clone();
    blocking(move || {
        let hide_after_seconds = state.settings().reveal_seconds;
        state.with_vault(|v| {
            step_up(&state, v, &id, passphrase)?;
            let value = v.reveal(&id, field, version)?;
            Ok(RevealedSecret {
                value: value.expose_secret().to_string(),
                hide_after_seconds,
            })
        })
    })
    .await
}

#[tauri::command]
pub async fn copy_secret(
    app: AppHandle,
    state: AppStateRef<'_>,
    id: String,
    field: CredentialField,
    version: Option<u32>,
    passphrase: Option<String>,
) -> AppResult<CopyResult> {
    let state = state.inner().clone();
    let seconds = state.settings().clipboard_clear_seconds;
    let for_copy = state.clone();
    blocking(move || {
        for_copy.with_vault(|v| {
            step_up(&for_copy, v, &id, passphrase)?;
            let value = v.secret_for_copy(&id, field, version)?;
            for_copy
                .clipboard
                .copy(&value)
                .map_err(|e| AppError::new(ErrorCode::Storage, format!("Could not copy: {e}.")))
        })
    })
    .await?;
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(Duration::from_secs(seconds.into())).await;
        let state = app.state::<Arc<AppState>>().inner().clone();
        let _ = tauri::async_runtime::spawn_blocking(move || state.clipboard.clear_if_ours()).await;
    });
    Ok(CopyResult {
        clears_in_seconds: seconds,
    })
}

#[tauri::command]
pub async fn audit_log(state: AppStateRef<'_>) -> AppResult<Vec<AuditRecord>> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.audit_log()?))).await
}

#[tauri::command]
pub async fn verify_audit(state: AppStateRef<'_>) -> AppResult<AuditStatus> {
    let state = state.inner().clone();
    blocking(move || {
        state.with_vault(|v| {
            let report = v.verify_audit()?;
            let warnings = v.warnings().to_vec();
            Ok(match (&report.problem, warnings.first()) {
                (None, None) => AuditStatus {
                    intact: true,
                    entries: report.entries,
                    message: format!("Chain intact — {} events", report.entries),
                },
                (Some(p), _) => AuditStatus {
                    intact: false,
                    entries: report.entries,
                    message: capitalise(&p.to_string()),
                },
                (None, Some(w)) => AuditStatus {
                    intact: false,
                    entries: report.entries,
                    message: capitalise(w),
                },
            })
        })
    })
    .await
}

fn capitalise(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// One CSV field, quoted when needed (RFC 4180), and defused against spreadsheet formula injection.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[tauri::command]
pub async fn export_audit(
    app: AppHandle,
    state: AppStateRef<'_>,
    format: AuditExportFormat,
) -> AppResult<String> {
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| AppError::new(ErrorCode::Storage, format!("No folder to save into: {e}.")))?;
    let state = state.inner().clone();
    blocking(move || {
        let records = state.with_vault(|v| Ok(v.audit_log()?))?;
        let (ext, text) = match format {
            AuditExportFormat::Json => (
                "json",
                serde_json::to_string_pretty(&records)
                    .map_err(|e| AppError::invalid(e.to_string()))?,
            ),
            AuditExportFormat::Csv => {
                let mut out = String::from("seq,at,action,key_id,key_name,detail,actor\n");
                for r in &records {
                    let e = &r.event;
                    let row = [
                        r.seq.to_string(),
                        e.at.to_rfc3339(),
                        e.action.to_string(),
                        e.key_id.map(|i| i.to_string()).unwrap_or_default(),
                        e.key_name.clone().unwrap_or_default(),
                        e.detail.clone().unwrap_or_default(),
                        e.actor.clone(),
                    ];
                    out += &row
                        .iter()
                        .map(|f| csv_field(f))
                        .collect::<Vec<_>>()
                        .join(",");
                    out.push('\n');
                }
                ("csv", out)
            }
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
        let stamp = chrono::Utc::now().format("%Y-%m-%d-%H%M%S");
        let path = dir.join(format!("keystead-audit-{stamp}.{ext}"));
        std::fs::write(&path, text).map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("Could not write {}: {e}.", path.display()),
            )
        })?;
        Ok(path.display().to_string())
    })
    .await
}

#[tauri::command]
pub async fn get_settings(state: AppStateRef<'_>) -> AppResult<Settings> {
    Ok(state.settings())
}

#[tauri::command]
pub async fn set_settings(
    app: AppHandle,
    state: AppStateRef<'_>,
    settings: Settings,
) -> AppResult<Settings> {
    settings.check()?;
    if settings.start_at_login != state.settings().start_at_login {
        let autostart = app.autolaunch();
        let done = if settings.start_at_login {
            autostart.enable()
        } else {
            autostart.disable()
        };
        done.map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("Could not change \"start at login\": {e}. Nothing was saved."),
            )
        })?;
    }
    settings.save(&state.settings_path)?;
    *state.settings.lock().unwrap_or_else(|e| e.into_inner()) = settings.clone();
    if !settings.show_names_when_locked {
        state.reminders.forget_names();
    }
    state.reminders.wake();
    Ok(settings)
}

/// Shows a sample reminder, so the user sees how (and whether) their desktop shows Keystead's
/// notifications. Says nothing about any key.
#[tauri::command]
pub async fn send_test_notification(app: AppHandle, state: AppStateRef<'_>) -> AppResult<()> {
    let text = keystead_core::reminders::ReminderText {
        summary: "Keystead notifications work".to_string(),
        body: "Reminders like this one appear before an API key expires or is due for rotation."
            .to_string(),
    };
    state
        .reminders
        .show(&app, &crate::reminders::Outgoing { text, key: None })
}

#[tauri::command]
pub async fn change_passphrase(
    state: AppStateRef<'_>,
    current: String,
    new_passphrase: String,
) -> AppResult<()> {
    let current = SecretString::from(current);
    let new_passphrase = SecretString::from(new_passphrase);
    vault::check_passphrase(&new_passphrase)?;
    let state = state.inner().clone();
    blocking(move || {
        state.with_vault(|v| {
            v.verify_passphrase(&current).map_err(|e| match e {
                keystead_core::Error::WrongPassphrase => AppError::new(
                    ErrorCode::WrongPassphrase,
                    "The current passphrase is wrong: nothing was changed.",
                ),
                e => e.into(),
            })?;
            let kdf = KdfParams::calibrate(Duration::from_millis(500))?;
            Ok(v.change_passphrase(&new_passphrase, kdf)?)
        })
    })
    .await
}

/// Locks after the configured idle time; tells the webview so it clears its state.
pub fn spawn_auto_lock(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let state = app.state::<Arc<AppState>>().inner().clone();
            let limit = Duration::from_secs(u64::from(state.settings().auto_lock_minutes) * 60);
            if state.is_unlocked() && state.idle_for() >= limit {
                let locked = tauri::async_runtime::spawn_blocking(move || {
                    state.lock("auto-lock after inactivity")
                })
                .await
                .unwrap_or(false);
                if locked {
                    let _ = app.emit("vault-locked", ());
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_export_quotes_separators_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
    }
}
