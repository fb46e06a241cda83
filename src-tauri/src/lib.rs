//! The Keystead desktop app: a thin shell of commands over keystead-core, the lock timer and the
//! clipboard. The webview gets metadata; secrets leave Rust only through `reveal_secret`.

mod clipboard;
#[cfg(test)]
mod command_names;
mod commands;
mod error;
mod settings;
mod state;
mod types;

#[cfg(test)]
mod security_tests;

use state::AppState;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::Manager;

/// The vault file: `--vault PATH`, `KEYSTEAD_VAULT`, or the platform data dir.
fn vault_path() -> PathBuf {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--vault" {
            if let Some(p) = args.next() {
                return PathBuf::from(p);
            }
        } else if let Some(p) = a.strip_prefix("--vault=") {
            return PathBuf::from(p);
        }
    }
    std::env::var_os("KEYSTEAD_VAULT")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(keystead_core::vault::default_path)
        .unwrap_or_else(|| PathBuf::from("vault.db"))
}

pub fn run() {
    keystead_core::process::harden();
    tauri::Builder::default()
        .setup(|app| {
            let config = app.path().app_config_dir()?;
            let state = Arc::new(AppState::new(vault_path(), config.join("settings.json")));
            app.manage(state);
            commands::spawn_auto_lock(app.handle().clone());
            Ok(())
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::Destroyed = event {
                let state = window.state::<Arc<AppState>>().inner().clone();
                state.lock("app closed");
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::vault_status,
            commands::create_vault,
            commands::unlock,
            commands::use_vault_file,
            commands::lock,
            commands::touch,
            commands::list_keys,
            commands::key_detail,
            commands::catalog,
            commands::add_key,
            commands::edit_key,
            commands::rotate_key,
            commands::revoke_key,
            commands::mark_compromised,
            commands::incident_step,
            commands::reveal_secret,
            commands::copy_secret,
            commands::audit_log,
            commands::verify_audit,
            commands::export_audit,
            commands::get_settings,
            commands::set_settings,
            commands::change_passphrase,
        ])
        .run(tauri::generate_context!())
        .expect("error while running Keystead");
}
