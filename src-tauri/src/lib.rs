//! The Keystead desktop app: a thin shell of commands over keystead-core, the lock timer, the reminder
//! task, the tray and the clipboard. The webview gets metadata; secrets leave Rust only through
//! `reveal_secret`.

// First: its macros are used by the modules below.
#[macro_use]
mod command_list;
mod check_task;
mod clipboard;
mod commands;
mod error;
mod lock_timer;
mod mutex;
mod reminder_task;
mod reminders;
mod settings;
mod state;
mod team_task;
mod tray;
mod types;

#[cfg(test)]
mod security_tests;

use state::AppState;
use std::path::PathBuf;
use std::sync::Arc;
use tauri::{Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

/// A click on a reminder: show the window and open the key it is about (the UI opens it after unlock
/// when locked). A window recreated from the tray takes the key when its page starts.
fn open_from_notification(app: &tauri::AppHandle, notification_id: Option<i32>) {
    let state = app.state::<Arc<AppState>>();
    let key = notification_id.and_then(|id| state.key_of_notification(id));
    state.open_key_from_notification(key, |key| {
        let _ = app.emit("open-key", key.map(|k| k.to_string()));
    });
    tray::show_main_window(app);
}

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

/// `tauri::generate_handler!` over the commands of `command_list.rs`.
macro_rules! handler_of_commands {
    ($($module:ident::{$($name:ident),* $(,)?}),* $(,)?) => {
        tauri::generate_handler![$($(commands::$module::$name),*),*]
    };
}

/// Started at login: stay in the tray until the user opens the window.
const MINIMIZED_ARG: &str = "--minimized";

/// Whether a second launch with these arguments (the program first) brings the running window forward:
/// yes, unless it is the login autostart (`--minimized`), which must not pop the window up.
fn second_launch_shows_window(args: &[String]) -> bool {
    !args.iter().skip(1).any(|a| a == MINIMIZED_ARG)
}

/// How many times a launch starts over when the running instance it found on the session bus went away
/// before taking its arguments (it was quitting): the next try is the first instance. Counted in
/// [`RELAUNCH_ENV`] across the re-executions of this process.
const RELAUNCHES: u32 = 5;
const RELAUNCH_ENV: &str = "KEYSTEAD_RELAUNCH";

/// What a launch does when it found another Keystead on the session bus that did not take its
/// arguments: that instance was quitting (its name still held, its process leaving), so this launch
/// starts over in place (same process id, same arguments) and becomes the first instance. A running
/// instance that never answers, or any other failure to start, ends with a message saying what to do.
fn failed_to_start(e: tauri::Error, relaunches: u32) -> ! {
    if let tauri::Error::PluginInitialization(plugin, detail) = &e {
        if plugin == "single-instance" {
            // Re-executing in place keeps the process id (what started it, a launcher or WebDriver,
            // still follows it): Unix only.
            #[cfg(unix)]
            if relaunches < RELAUNCHES {
                use std::os::unix::process::CommandExt;
                std::thread::sleep(std::time::Duration::from_millis(300));
                let program =
                    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("keystead-app"));
                let err = std::process::Command::new(program)
                    .args(std::env::args_os().skip(1))
                    .env(RELAUNCH_ENV, (relaunches + 1).to_string())
                    .exec();
                eprintln!("keystead: could not start again: {err}");
            }
            eprintln!(
                "keystead: another Keystead is running on this desktop but does not answer ({detail}). \
                 Quit it from its tray icon (or end its process) and start Keystead again."
            );
            std::process::exit(1);
        }
    }
    eprintln!("keystead: could not start: {e}");
    std::process::exit(1);
}

pub fn run() {
    keystead_core::process::harden();
    let relaunches: u32 = std::env::var(RELAUNCH_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // Read once: what this process starts (a browser, say) does not inherit the count.
    std::env::remove_var(RELAUNCH_ENV);
    let app = tauri::Builder::default()
        // First among plugins: a second launch hands its arguments to the running instance over the
        // session bus and exits 0 here, before any window, tray icon or vault is touched.
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            if second_launch_shows_window(&args) {
                tray::show_main_window(app);
            }
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args([MINIMIZED_ARG])
                .build(),
        )
        .setup(|app| {
            let config = app.path().app_config_dir()?;
            let state = Arc::new(AppState::new(vault_path(), config.join("settings.json")));
            app.manage(state);
            if let Err(e) = tray::build(app.handle()) {
                // No tray on this desktop: closing the window then quits (see on_window_event).
                eprintln!("keystead: no system tray: {e}");
            }
            let handle = app.handle().clone();
            app.notification().on_action(move |performed| {
                if performed.action_id() == "tap" {
                    open_from_notification(&handle, performed.notification().map(|n| n.id()));
                }
            })?;
            // Started at login: no window (nor its WebKit processes) until the user opens it.
            if !std::env::args().any(|a| a == MINIMIZED_ARG) {
                tray::create_main_window(app.handle())?;
            }
            lock_timer::spawn(app.handle().clone());
            reminder_task::spawn(app.handle().clone());
            check_task::spawn(app.handle().clone());
            team_task::spawn(app.handle().clone());
            Ok(())
        })
        .on_window_event(|window, event| match event {
            tauri::WindowEvent::CloseRequested { .. } => tray::close_requested(window.app_handle()),
            tauri::WindowEvent::Destroyed => {
                window.state::<Arc<AppState>>().window_gone();
                // Closed to the tray, the window and its WebKit processes go; reminders need neither.
                // Otherwise (no tray, close-to-tray off, the webview closed by WebDriver): the last
                // window is gone, lock and leave.
                if !tray::window_in_tray(window.app_handle()) {
                    tray::quit(window.app_handle());
                }
            }
            _ => {}
        })
        .invoke_handler(with_command_list!(handler_of_commands))
        .build(tauri::generate_context!())
        .unwrap_or_else(|e| failed_to_start(e, relaunches));
    app.run(|app, event| {
        // No window left (`code` None; Quit exits with a code): stay in the tray.
        if let tauri::RunEvent::ExitRequested {
            code: None, api, ..
        } = event
        {
            if tray::window_in_tray(app) {
                api.prevent_exit();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::second_launch_shows_window;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_second_launch_shows_the_window_unless_started_at_login() {
        assert!(second_launch_shows_window(&args(&["keystead-app"])));
        assert!(second_launch_shows_window(&args(&[
            "keystead-app",
            "--vault",
            "/tmp/v.db"
        ])));
        assert!(!second_launch_shows_window(&args(&[
            "keystead-app",
            "--minimized"
        ])));
        // The program's own path is not an argument.
        assert!(second_launch_shows_window(&args(&["--minimized"])));
    }
}
