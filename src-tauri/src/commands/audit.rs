//! Commands about the audit log: read it, verify its chain, export it as JSON or CSV.

use super::{blocking, AppStateRef};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::types::{AuditExportFormat, AuditStatus};
use keystead_core::private_file::{self, Existing};
use keystead_core::AuditRecord;
use std::path::{Path, PathBuf};
use tauri::{AppHandle, Manager};

#[tauri::command]
pub async fn audit_log(state: AppStateRef<'_>) -> AppResult<Vec<AuditRecord>> {
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.audit_log()?))).await
}

/// One key's events, oldest first, from core's per-key query (the detail panel's activity).
#[tauri::command]
pub async fn key_audit(state: AppStateRef<'_>, id: String) -> AppResult<Vec<AuditRecord>> {
    let id = uuid::Uuid::parse_str(&id)
        .map_err(|_| AppError::invalid(format!("'{id}' is not a key id.")))?;
    let state = state.inner().clone();
    blocking(move || state.with_vault(|v| Ok(v.audit_for(id)?))).await
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

/// The whole log as CSV, one row per event.
fn csv(records: &[AuditRecord]) -> String {
    let mut out = String::from("seq,at,action,key_id,key_name,detail,actor\n");
    for r in records {
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
    out
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
            AuditExportFormat::Csv => ("csv", csv(&records)),
        };
        let stamp = chrono::Utc::now().format("%Y-%m-%d-%H%M%S").to_string();
        let path = save_export(&dir, &stamp, ext, &text)?;
        Ok(path.display().to_string())
    })
    .await
}

/// Saves an export as `keystead-audit-<stamp>.<ext>` in `dir`, 0600 from its first byte and atomically
/// (a missing folder is made 0700).
fn save_export(dir: &Path, stamp: &str, ext: &str, text: &str) -> AppResult<PathBuf> {
    private_file::create_dir(dir).map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
    let path = dir.join(format!("keystead-audit-{stamp}.{ext}"));
    private_file::write(&path, text.as_bytes(), Existing::Replace).map_err(|e| {
        AppError::new(
            ErrorCode::Storage,
            format!("Could not write {}: {e}.", path.display()),
        )
    })?;
    Ok(path)
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

    #[cfg(unix)]
    #[test]
    fn an_audit_export_and_the_folder_it_makes_are_private_under_umask_000() {
        use crate::settings::tests::under_umask_000;
        use std::os::unix::fs::PermissionsExt;
        if !under_umask_000(
            "commands::audit::tests::an_audit_export_and_the_folder_it_makes_are_private_under_umask_000",
        ) {
            return;
        }
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let tmp = tempfile::tempdir().unwrap();
        let downloads = tmp.path().join("Downloads");
        let path = super::save_export(&downloads, "2026-01-10-090000", "json", "[]").unwrap();
        assert_eq!(
            path,
            downloads.join("keystead-audit-2026-01-10-090000.json")
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[]");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&downloads), 0o700);
    }
}
