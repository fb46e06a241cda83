//! Commands about keys: the list, one key's detail, the exchange catalog (and opening an exchange's
//! API-key page in the browser), every change to a key (add, edit, rotate, revoke, mark compromised,
//! incident checklist), and the key table's bulk changes.

use super::secrets::with_step_up;
use super::{blocking, AppStateRef};
use crate::error::{AppError, AppResult};
use crate::types::{AddKeyInput, EditKeyInput, IncidentStep, SecretInput, Typed};
use keystead_core::catalog::{self, ExchangeInfo};
use keystead_core::exchange::keypair::{self, GeneratedKeyPair};
use keystead_core::exchange::{CheckOptions, KeyVerification};
use keystead_core::key_list::{ListPage, ListQuery, SelectedKeys};
use keystead_core::{
    parse, BulkEdit, CredentialField, KeyDetail, KeyEdit, KeyEntry, KeyStatus, KeySummary, NewKey,
    Vault,
};
use uuid::Uuid;

/// Runs one change to a key and answers with its detail, built from the entry core wrote (not looked up
/// again).
async fn change_key(
    state: &AppStateRef<'_>,
    change: impl FnOnce(&mut Vault) -> keystead_core::Result<KeyEntry> + Send + 'static,
) -> AppResult<KeyDetail> {
    let state = state.inner().clone();
    blocking(move || {
        state.change_key_rows(|v| {
            let entry = change(v)?;
            Ok((v.detail_of(&entry)?, vec![entry.id]))
        })
    })
    .await
}

/// The active keys by name, for the share dialog's choice of keys (the table asks for windows).
#[tauri::command]
pub async fn active_keys(state: AppStateRef<'_>) -> AppResult<Vec<KeySummary>> {
    let state = state.inner().clone();
    blocking(move || state.with_key_list(|list| list.with_status(KeyStatus::Active))).await
}

/// One window of the key table: rows `start..start + len` of the view `query` asks for, with the
/// view's size, its group headers and the vault's counts. Sort, filters and search run in Rust.
#[tauri::command]
pub async fn key_rows(
    state: AppStateRef<'_>,
    query: ListQuery,
    start: u32,
    len: u32,
) -> AppResult<ListPage> {
    let state = state.inner().clone();
    blocking(move || state.with_key_list(|list| list.page(&query, start, len))).await
}

/// The shown keys' ids in the order shown, from `from` to `to` (a Shift range), or all of them (both
/// `None`: Ctrl+A).
#[tauri::command]
pub async fn key_ids(
    state: AppStateRef<'_>,
    query: ListQuery,
    from: Option<Uuid>,
    to: Option<Uuid>,
) -> AppResult<Vec<Uuid>> {
    let state = state.inner().clone();
    blocking(move || state.with_key_list(|list| list.ids(&query, from, to))).await
}

/// Those of `ids` that `query` shows, in the order shown, as the bulk bar shows them (ids, the active
/// ones, the first names, their tags): the table's selection after a search or a change.
#[tauri::command]
pub async fn selected_keys(
    state: AppStateRef<'_>,
    query: ListQuery,
    ids: Vec<Uuid>,
) -> AppResult<SelectedKeys> {
    let state = state.inner().clone();
    blocking(move || state.with_key_list(|list| list.selected(&query, &ids))).await
}

/// The id of the key of that exact name, if any ("Show keys" after an import).
#[tauri::command]
pub async fn key_id_by_name(state: AppStateRef<'_>, name: String) -> AppResult<Option<Uuid>> {
    let state = state.inner().clone();
    blocking(move || state.with_key_list(|list| list.find_name(&name).map(|k| k.id))).await
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

/// Opens the exchange's API-key management page in the system browser. The webview names only the
/// exchange: the address comes from the catalog compiled into core, and only an https one is opened.
#[tauri::command]
pub async fn open_api_key_page(exchange: String) -> AppResult<()> {
    let page = catalog::exchange(&exchange)?.api_key_page;
    if !page.starts_with("https://") {
        return Err(AppError::invalid(
            "This exchange has no API-key page in Keystead's catalog.",
        ));
    }
    std::process::Command::new("xdg-open")
        .arg(page)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| {
            AppError::new(
                crate::error::ErrorCode::Storage,
                format!("Could not open the browser ({e}): copy the address {page} instead."),
            )
        })
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
    let pair = if input.key_pair {
        Some(key_pair_for_form(&state, &input.exchange, &secrets)?)
    } else {
        None
    };
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
        used_by: input.used_by,
    };
    match pair {
        Some((pair, api_key)) => {
            let added = change_key(&state, move |v| v.add_key_pair(new, api_key, pair)).await;
            if added.is_ok() {
                state.forget_key_pair();
            }
            added
        }
        None => change_key(&state, move |v| v.add(new, secrets)).await,
    }
}

/// The pair `new_key_pair` made for this form's exchange, and the API key typed for it (the only field
/// the form may send with a pair: the private key comes from Rust, never from the webview).
fn key_pair_for_form(
    state: &AppStateRef<'_>,
    exchange: &str,
    secrets: &keystead_core::SecretFields,
) -> AppResult<(GeneratedKeyPair, secrecy::SecretString)> {
    if secrets
        .fields()
        .iter()
        .any(|f| *f != CredentialField::ApiKey)
    {
        return Err(AppError::invalid(
            "A new key pair takes only the API key the exchange shows: its private key is made in Keystead.",
        ));
    }
    let api_key = secrets
        .get(CredentialField::ApiKey)
        .cloned()
        .ok_or_else(|| {
            AppError::invalid(
                "Paste the API key the exchange shows after you submit the public key.",
            )
        })?;
    let pair = state.key_pair_for(exchange).ok_or_else(|| {
        AppError::invalid("No new key pair is waiting for this exchange: press New key pair again.")
    })?;
    Ok((pair, api_key))
}

/// "New key pair" in the add form: makes an Ed25519 key pair for an exchange that takes them (Binance)
/// with the OS CSPRNG, keeps it in Rust until the form adds the key, and answers only the public key
/// (SubjectPublicKeyInfo PEM) to paste into the exchange's form.
#[tauri::command]
pub async fn new_key_pair(state: AppStateRef<'_>, exchange: String) -> AppResult<String> {
    let state = state.inner().clone();
    blocking(move || {
        let ex = catalog::exchange(&exchange)?;
        let kind = ex.key_pair.ok_or_else(|| {
            AppError::invalid(format!(
                "{} takes no key pairs made by the user: paste the API key and secret it shows.",
                ex.name
            ))
        })?;
        state.with_vault(|_| Ok(()))?;
        Ok(state.keep_key_pair(ex.id.to_string(), keypair::generate(kind)))
    })
    .await
}

/// The public key of a stored key pair (not a secret), for the detail panel.
#[tauri::command]
pub async fn public_key(state: AppStateRef<'_>, id: String) -> AppResult<String> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.public_key(&id)?))).await
}

/// Copies a public key: of the stored key `id`, or (no `id`) of the pair waiting for the add form. Not
/// a secret: not cleared later.
#[tauri::command]
pub async fn copy_public_key(state: AppStateRef<'_>, id: Option<String>) -> AppResult<()> {
    let state = state.inner().clone();
    blocking(move || {
        let pem = match id {
            Some(id) => state.with_vault(|v| Ok(v.public_key(&id)?))?,
            None => state.pending_public_key().ok_or_else(|| {
                AppError::invalid("No new key pair is waiting: press New key pair first.")
            })?,
        };
        state.copy_public(&pem)
    })
    .await
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
        scheduled_check: None,
        used_by: Some(input.used_by),
    };
    // Removing the withdraw or transfer scope needs the passphrase again (core says when).
    let state = state.inner().clone();
    blocking(move || {
        state.change_key_rows(|v| {
            let entry = with_step_up(passphrase, |p| v.edit(&id, edit, p))?;
            Ok((v.detail_of(&entry)?, vec![entry.id]))
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
    key_pair: Option<bool>,
) -> AppResult<KeyDetail> {
    let secrets = SecretInput::into_fields(secrets);
    if key_pair != Some(true) {
        return change_key(&state, move |v| v.rotate(&id, secrets, reason)).await;
    }
    // To the key pair `new_key_pair` made for this key's exchange, with the new API key typed for it.
    let exchange = {
        let (state, id) = (state.inner().clone(), id.clone());
        blocking(move || state.with_vault(|v| Ok(v.find(&id)?.exchange))).await?
    };
    let (pair, api_key) = key_pair_for_form(&state, &exchange, &secrets)?;
    let rotated = change_key(&state, move |v| {
        v.rotate_key_pair(&id, api_key, pair, reason)
    })
    .await;
    if rotated.is_ok() {
        state.forget_key_pair();
    }
    rotated
}

#[tauri::command]
pub async fn revoke_key(
    state: AppStateRef<'_>,
    id: String,
    reason: Option<String>,
) -> AppResult<KeyDetail> {
    change_key(&state, move |v| v.revoke(&id, reason)).await
}

/// The key table's bulk bar: one change (rotation reminder, add or remove a tag) to every chosen key,
/// all or nothing (core's rules and audit). Answers the names of the keys the batch covered.
#[tauri::command]
pub async fn bulk_edit_keys(
    state: AppStateRef<'_>,
    ids: Vec<String>,
    change: BulkEdit,
    passphrase: Option<Typed>,
) -> AppResult<Vec<String>> {
    let state = state.inner().clone();
    blocking(move || {
        state.change_key_rows(|v| {
            let changed = with_step_up(passphrase, |p| v.bulk_edit(&ids, &change, p))?;
            let ids = changed.iter().map(|e| e.id).collect();
            Ok((changed.into_iter().map(|e| e.name).collect(), ids))
        })
    })
    .await
}

/// The key table's bulk bar: revokes every chosen key with one reason, all or nothing.
#[tauri::command]
pub async fn revoke_keys(
    state: AppStateRef<'_>,
    ids: Vec<String>,
    reason: Option<String>,
) -> AppResult<Vec<String>> {
    let state = state.inner().clone();
    blocking(move || {
        state.change_key_rows(|v| {
            let revoked = v.revoke_many(&ids, reason)?;
            let ids = revoked.iter().map(|e| e.id).collect();
            Ok((revoked.into_iter().map(|e| e.name).collect(), ids))
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
/// Turns the app's scheduled checks on the exchange on or off for one key (`on` `None`: as the
/// setting says). Audited like any edit.
#[tauri::command]
pub async fn set_scheduled_check(
    state: AppStateRef<'_>,
    id: String,
    on: Option<bool>,
) -> AppResult<KeyDetail> {
    let edit = KeyEdit {
        scheduled_check: Some(on),
        ..KeyEdit::default()
    };
    let state = state.inner().clone();
    blocking(move || {
        state.change_key_rows(|v| {
            let entry = v.edit(&id, edit, None)?;
            Ok((v.detail_of(&entry)?, vec![entry.id]))
        })
    })
    .await
}

#[tauri::command]
pub async fn accept_exchange_view(
    state: AppStateRef<'_>,
    id: String,
    passphrase: Option<Typed>,
) -> AppResult<KeyDetail> {
    let state = state.inner().clone();
    blocking(move || {
        state.change_key_rows(|v| {
            let entry = with_step_up(passphrase, |p| v.accept_exchange_view(&id, p))?;
            Ok((v.detail_of(&entry)?, vec![entry.id]))
        })
    })
    .await
}
