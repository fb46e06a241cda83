//! Commands about keys: the list, one key's detail, the exchange catalog, and every change to a key
//! (add, edit, rotate, revoke, mark compromised, incident checklist).

use super::secrets::with_step_up;
use super::{blocking, AppStateRef};
use crate::error::AppResult;
use crate::types::{AddKeyInput, EditKeyInput, IncidentStep, SecretInput, Typed};
use keystead_core::catalog::{self, ExchangeInfo};
use keystead_core::exchange::{CheckOptions, KeyVerification};
use keystead_core::{parse, KeyDetail, KeyEdit, KeyEntry, KeySummary, NewKey, Vault};

/// Runs one change to a key and answers with its detail, built from the entry core wrote (not looked up
/// again).
async fn change_key(
    state: &AppStateRef<'_>,
    change: impl FnOnce(&mut Vault) -> keystead_core::Result<KeyEntry> + Send + 'static,
) -> AppResult<KeyDetail> {
    let state = state.inner().clone();
    blocking(move || {
        state.change_keys(|v| {
            let entry = change(v)?;
            Ok(v.detail_of(&entry)?)
        })
    })
    .await
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

/// A date field of the form: empty means none.
fn optional_date(text: Option<String>) -> AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(text
        .filter(|t| !t.trim().is_empty())
        .map(|t| parse::date(&t))
        .transpose()?)
}

/// A rotation period field of the form: empty means none.
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
        env_names: input.env_names,
    };
    change_key(&state, move |v| v.add(new, secrets)).await
}

#[tauri::command]
pub async fn edit_key(
    state: AppStateRef<'_>,
    id: String,
    input: EditKeyInput,
    passphrase: Option<Typed>,
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
        env_names: Some(input.env_names),
    };
    // Removing the withdraw or transfer scope needs the passphrase again (core says when).
    let state = state.inner().clone();
    blocking(move || {
        state.change_keys(|v| {
            let entry = with_step_up(passphrase, |p| v.edit(&id, edit, p))?;
            Ok(v.detail_of(&entry)?)
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
    change_key(&state, move |v| v.rotate(&id, secrets, reason)).await
}

#[tauri::command]
pub async fn revoke_key(
    state: AppStateRef<'_>,
    id: String,
    reason: Option<String>,
) -> AppResult<KeyDetail> {
    change_key(&state, move |v| v.revoke(&id, reason)).await
}

#[tauri::command]
pub async fn mark_compromised(
    state: AppStateRef<'_>,
    id: String,
    reason: Option<String>,
) -> AppResult<KeyDetail> {
    change_key(&state, move |v| v.mark_compromised(&id, reason)).await
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

/// "Check on exchange": asks the key's exchange what the key may do (a request goes out only now, from
/// Rust; the base URL comes from the app's environment, never from the webview).
#[tauri::command]
pub async fn verify_key(state: AppStateRef<'_>, id: String) -> AppResult<KeyVerification> {
    let options = CheckOptions::from_env()?;
    let state = state.inner().clone();
    blocking(move || {
        // The vault is let go while the request is out (up to the timeout): other commands, the lock
        // timer and Ctrl+L do not wait for the exchange.
        let prepared = state.with_vault(|v| Ok(v.prepare_check(&id)?))?;
        let answer = prepared.run(&options);
        state.change_keys(|v| Ok(v.record_check(prepared, answer)?))
    })
    .await
}

/// "Accept exchange's view": the last check's report written into the record (an audited edit; removing
/// the withdraw or transfer scope needs the passphrase again, as any edit).
#[tauri::command]
pub async fn accept_exchange_view(
    state: AppStateRef<'_>,
    id: String,
    passphrase: Option<Typed>,
) -> AppResult<KeyDetail> {
    let state = state.inner().clone();
    blocking(move || {
        state.change_keys(|v| {
            let entry = with_step_up(passphrase, |p| v.accept_exchange_view(&id, p))?;
            Ok(v.detail_of(&entry)?)
        })
    })
    .await
}
