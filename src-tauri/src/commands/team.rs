//! Commands of the Team screen: the teams this vault is in, and a sync shown before it is applied
//! (preview, a choice per conflict, apply or cancel). Every rule (what is trusted, refused, sent) is
//! core's (`Vault::team_sync_preview` / `team_sync_apply`); making, joining and changing members stay
//! in the CLI (`keystead team …`).
//!
//! A previewed sync holds the incoming keys' secrets: it waits in Rust (`AppState`) between preview and
//! apply, and is dropped on apply, cancel and lock. The webview only sees the preview and the summary.

use super::{blocking, AppStateRef};
use crate::error::{AppError, AppResult};
use crate::types::TeamOverview;
use keystead_core::vault::{Keep, TeamSyncPreview, TeamSyncSummary};
use serde::Deserialize;
use ts_rs::TS;

/// Which side of a conflict the user keeps.
#[derive(TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeepSide {
    Mine,
    Theirs,
}

/// The teams, their members and remotes, and what the automatic sync last did.
#[tauri::command]
pub async fn team_overview(state: AppStateRef<'_>) -> AppResult<TeamOverview> {
    let state = state.inner().clone();
    blocking(move || {
        let teams = state.with_vault(|v| Ok(v.teams()?))?;
        Ok(TeamOverview {
            teams,
            auto_sync: state.team_auto_sync(),
        })
    })
    .await
}

/// Fetches team `team` and checks everything in it: what a sync would bring in, refuse and send.
/// Nothing is applied; the checked sync waits in Rust for `team_sync_apply`.
#[tauri::command]
pub async fn team_sync_preview(state: AppStateRef<'_>, team: String) -> AppResult<TeamSyncPreview> {
    let state = state.inner().clone();
    blocking(move || {
        state.set_pending_team_sync(None);
        let sync = state.with_vault(|v| Ok(v.team_sync_preview(Some(&team))?))?;
        let preview = sync.preview.clone();
        state.set_pending_team_sync(Some(sync));
        Ok(preview)
    })
    .await
}

/// Keeps one side of a conflict whole (`key`: its name here); answers the preview as it now is.
#[tauri::command]
pub async fn team_sync_resolve(
    state: AppStateRef<'_>,
    key: String,
    keep: KeepSide,
) -> AppResult<TeamSyncPreview> {
    let keep = match keep {
        KeepSide::Mine => Keep::Mine,
        KeepSide::Theirs => Keep::Theirs,
    };
    state.with_pending_team_sync(|sync| {
        sync.resolve(&key, keep)?;
        Ok(sync.preview.clone())
    })
}

/// Applies the previewed sync in one transaction and pushes this member's changes. A member list the
/// remote holds that was refused applies nothing.
#[tauri::command]
pub async fn team_sync_apply(state: AppStateRef<'_>) -> AppResult<TeamSyncSummary> {
    let state = state.inner().clone();
    blocking(move || {
        let sync = state.take_pending_team_sync().ok_or_else(|| {
            AppError::invalid("No team sync is open: press Sync now to see what it would do.")
        })?;
        if sync.preview.list_refusal.is_some() {
            return Err(AppError::invalid(
                "Nothing was applied: the team's member list on the remote was refused (see why above). Ask a write member to check the repository.",
            ));
        }
        state.change_keys(|v| Ok(v.team_sync_apply(sync)?))
    })
    .await
}

/// Forgets the previewed sync (its incoming secrets are wiped).
#[tauri::command]
pub async fn team_sync_cancel(state: AppStateRef<'_>) -> AppResult<()> {
    state.set_pending_team_sync(None);
    Ok(())
}
