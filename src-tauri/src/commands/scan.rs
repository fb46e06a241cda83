//! Commands for the leak scanner screen. Core scans (`keystead_core::scan`) and records
//! (`Vault::record_scan`); these hand it the folders the user chose, stream its progress, and act on a
//! finding of the last scan by its index (open its folder, ignore it), never on a path or finding sent by
//! the webview.
//!
//! The vault's secrets are read for the matcher under the vault lock and the lock is released for the
//! scan itself, so the app stays usable while a large tree is read.

use super::{blocking, chooser, AppStateRef};
use crate::error::{AppError, AppResult, ErrorCode};
use keystead_core::scan::{self, IgnoredFinding, ScanOptions, ScanProgress, ScanReport};
use std::path::PathBuf;
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager};

/// The desktop's folder chooser (several folders); an empty list when the user cancels.
#[tauri::command]
pub async fn choose_scan_folders(app: AppHandle) -> AppResult<Vec<String>> {
    let picked = chooser::show(
        &app,
        chooser::Request {
            title: "Folders to scan for leaked keys",
            filters: &[],
            mode: chooser::Mode::Folders,
            current: None,
        },
    )
    .await?;
    Ok(picked.iter().map(|p| p.display().to_string()).collect())
}

/// The usual places keys end up in a home folder that exist here: shell, Python and Jupyter histories.
#[tauri::command]
pub async fn scan_usual_places(app: AppHandle) -> AppResult<Vec<String>> {
    let home = app
        .path()
        .home_dir()
        .map_err(|e| AppError::new(ErrorCode::Storage, format!("No home folder: {e}.")))?;
    Ok([
        ".bash_history",
        ".zsh_history",
        ".histfile",
        ".local/share/fish/fish_history",
        ".python_history",
        ".ipython/profile_default/history.sqlite",
        ".jupyter",
        ".local/share/jupyter",
    ]
    .iter()
    .map(|p| home.join(p))
    .filter(|p| p.exists())
    .map(|p| p.display().to_string())
    .collect())
}

/// Scans the folders (full paths), streaming progress, and records the scan in the vault (audited; the
/// keys found are flagged). One scan at a time; `scan_cancel` stops it with what was found so far.
#[tauri::command]
pub async fn scan_start(
    state: AppStateRef<'_>,
    roots: Vec<String>,
    include_ignored: bool,
    history: bool,
    on_progress: Channel<ScanProgress>,
) -> AppResult<ScanReport> {
    let state = state.inner().clone();
    blocking(move || {
        let roots: Vec<PathBuf> = roots
            .iter()
            .map(|r| PathBuf::from(r.trim()))
            .filter(|r| !r.as_os_str().is_empty())
            .collect();
        if roots.is_empty() {
            return Err(AppError::invalid("Choose at least one folder to scan."));
        }
        if let Some(r) = roots.iter().find(|r| !r.is_absolute()) {
            return Err(AppError::invalid(format!(
                "Give each folder's full path ({} is not one), or press Choose folders….",
                r.display()
            )));
        }
        let cancel = state.start_scan()?;
        let run = || -> AppResult<ScanReport> {
            let (own, ids) = state.with_vault(|v| Ok((v.scan_secrets()?, v.finding_id_key()?)))?;
            let mut options = ScanOptions::new(roots.clone());
            options.finding_ids = Some(ids);
            options.include_ignored = include_ignored;
            options.history = history;
            let progress = |p: &ScanProgress| {
                let _ = on_progress.send(p.clone());
            };
            let result = scan::scan(&options, &own, &progress, &cancel);
            drop(own);
            let mut report = result?;
            report.own_secrets = true;
            state.change_keys(|v| {
                v.apply_ignores(&mut report, include_ignored)?;
                Ok(v.record_scan(&roots, &report)?)
            })?;
            Ok(report)
        };
        let out = run();
        state.end_scan(out.as_ref().ok().cloned());
        out
    })
    .await
}

/// Stops the running scan (it returns what it found so far).
#[tauri::command]
pub async fn scan_cancel(state: AppStateRef<'_>) -> AppResult<()> {
    state.cancel_scan();
    Ok(())
}

/// Opens the folder that holds a finding of the last scan in the desktop's file manager.
#[tauri::command]
pub async fn open_finding_folder(state: AppStateRef<'_>, index: u32) -> AppResult<()> {
    let path = state
        .last_scan_path(index as usize)
        .ok_or_else(|| AppError::invalid("That finding is not in the last scan: scan again."))?;
    let folder = finding_folder(&path);
    std::process::Command::new("xdg-open")
        .arg(&folder)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| {
            AppError::new(
                ErrorCode::Storage,
                format!("Could not open {}: {e}.", folder.display()),
            )
        })?;
    Ok(())
}

/// The folder to show for a finding's path: a file's folder, or for a finding in git history
/// (`REPO@path in the tree`) the repository: the longest part before an `@` that is a folder (a path
/// on disk may hold an `@` too, as in `node_modules/@scope/`).
fn finding_folder(path: &str) -> PathBuf {
    let whole = PathBuf::from(path);
    if whole.is_dir() {
        return whole;
    }
    if whole.is_file() {
        return whole.parent().map(PathBuf::from).unwrap_or(whole);
    }
    path.rmatch_indices('@')
        .map(|(at, _)| PathBuf::from(&path[..at]))
        .find(|repo| repo.is_dir())
        .unwrap_or_else(|| whole.parent().map(PathBuf::from).unwrap_or(whole))
}

/// Marks finding `index` of the last scan ignored (remembered and audited in the vault: later scans leave
/// it out) and answers the last scan's report with it marked or left out.
#[tauri::command]
pub async fn ignore_finding(state: AppStateRef<'_>, index: u32) -> AppResult<ScanReport> {
    let state = state.inner().clone();
    blocking(move || {
        let finding = state.last_scan_finding(index as usize).ok_or_else(|| {
            AppError::invalid("That finding is not in the last scan: scan again.")
        })?;
        state.with_vault(|v| Ok(v.ignore_findings(std::slice::from_ref(&finding))?))?;
        state
            .mark_last_scan_ignored(finding.id.as_deref(), true)
            .ok_or_else(|| AppError::invalid("That finding is not in the last scan: scan again."))
    })
    .await
}

/// The findings marked ignored, newest first.
#[tauri::command]
pub async fn ignored_findings(state: AppStateRef<'_>) -> AppResult<Vec<IgnoredFinding>> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.ignored_findings()?))).await
}

/// Reports an ignored finding again (audited); answers the list that is left. A finding of the last scan
/// shown as ignored is shown as an ordinary one.
#[tauri::command]
pub async fn unignore_finding(
    state: AppStateRef<'_>,
    id: String,
) -> AppResult<Vec<IgnoredFinding>> {
    let state = state.inner().clone();
    blocking(move || {
        let left = state.with_vault(|v| {
            v.unignore_findings(std::slice::from_ref(&id))?;
            Ok(v.ignored_findings()?)
        })?;
        state.mark_last_scan_ignored(Some(&id), false);
        Ok(left)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::finding_folder;

    #[test]
    fn a_findings_folder_is_its_files_folder_or_its_repository() {
        let dir = tempfile::tempdir().unwrap();
        let scoped = dir.path().join("node_modules/@scope");
        std::fs::create_dir_all(&scoped).unwrap();
        std::fs::write(scoped.join("x.js"), "k").unwrap();
        let file = scoped.join("x.js").display().to_string();
        assert_eq!(finding_folder(&file), scoped);
        let repo = dir.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        let in_history = format!("{}@config/keys.py", repo.display());
        assert_eq!(finding_folder(&in_history), repo);
        let scoped_history = format!("{}@a@b.txt", scoped.display());
        assert_eq!(finding_folder(&scoped_history), scoped);
    }
}
