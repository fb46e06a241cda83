//! The system tray icon: Keystead keeps running there when its window closes (the window is destroyed,
//! and created again on Open), so reminders still fire. Menu: how many keys are due, Open, Lock, Quit.

use crate::state::AppState;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Emitter, Manager, WebviewWindowBuilder, Wry};

const TRAY_ID: &str = "main";
/// The window's label: the capability in `capabilities/main.json` is granted to it by this name.
const MAIN_WINDOW: &str = "main";

/// The tray's first line and tooltip for `n` keys due.
pub fn due_text(n: usize) -> String {
    match n {
        0 => "No API keys due".to_string(),
        1 => "1 API key due".to_string(),
        n => format!("{n} API keys due"),
    }
}

pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let due = MenuItem::with_id(app, "due", due_text(0), false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", "Open Keystead", true, None::<&str>)?;
    let lock_item = MenuItem::with_id(app, "lock", "Lock", true, None::<&str>)?;
    let quit_item = MenuItem::with_id(app, "quit", "Quit Keystead", true, None::<&str>)?;
    let sep = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&due, &sep, &open, &lock_item, &quit_item])?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip(format!("Keystead — {}", due_text(0)))
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_main_window(app),
            "lock" => lock(app),
            "quit" => quit(app),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_main_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let tray = builder.build(app)?;
    app.manage(TrayMenu {
        tray,
        due,
        window_in_tray: AtomicBool::new(false),
    });
    Ok(())
}

pub struct TrayMenu {
    tray: tauri::tray::TrayIcon<Wry>,
    due: MenuItem<Wry>,
    /// The user closed the window to the tray (the window is destroyed or about to be); not set when
    /// something else closes the webview (a WebDriver session ending), which quits as before.
    window_in_tray: AtomicBool,
}

/// Shows how many keys are due in the tray's menu and tooltip.
pub fn show_due_count(app: &AppHandle, n: usize) {
    if let Some(menu) = app.try_state::<TrayMenu>() {
        let text = due_text(n);
        let _ = menu.due.set_text(&text);
        let _ = menu.tray.set_tooltip(Some(format!("Keystead — {text}")));
    }
}

/// Whether Keystead stays in the tray when its window closes: there is a tray and the user wants it.
fn keeps_running(app: &AppHandle) -> bool {
    let close_to_tray = app.state::<Arc<AppState>>().settings().close_to_tray;
    close_to_tray && app.try_state::<TrayMenu>().is_some()
}

/// The user closes the window (its close button): when Keystead stays in the tray, the window goes
/// (with its WebKit processes) and the app keeps running.
pub fn close_requested(app: &AppHandle) {
    if keeps_running(app) {
        if let Some(menu) = app.try_state::<TrayMenu>() {
            menu.window_in_tray.store(true, Ordering::SeqCst);
        }
    }
}

/// Whether the window was closed to the tray (so its destruction does not end the app).
pub fn window_in_tray(app: &AppHandle) -> bool {
    app.try_state::<TrayMenu>()
        .is_some_and(|menu| menu.window_in_tray.load(Ordering::SeqCst))
}

/// Creates the main window from its entry in `tauri.conf.json` (which has `"create": false`, so the
/// window exists only while open).
pub fn create_main_window(app: &AppHandle) -> tauri::Result<tauri::WebviewWindow> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == MAIN_WINDOW)
        .ok_or_else(|| tauri::Error::WindowNotFound)?
        .clone();
    let window = WebviewWindowBuilder::from_config(app, &config)?.build()?;
    if let Some(menu) = app.try_state::<TrayMenu>() {
        menu.window_in_tray.store(false, Ordering::SeqCst);
    }
    Ok(window)
}

/// Brings the window forward, creating it again when it was closed to the tray.
pub fn show_main_window(app: &AppHandle) {
    let window = match app.get_webview_window(MAIN_WINDOW) {
        Some(w) => w,
        None => match create_main_window(app) {
            Ok(w) => w,
            Err(e) => {
                eprintln!("keystead: could not open the window: {e}");
                return;
            }
        },
    };
    let _ = window.show();
    let _ = window.unminimize();
    let _ = window.set_focus();
}

fn lock(app: &AppHandle) {
    let state = app.state::<Arc<AppState>>().inner().clone();
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || {
        if state.lock("locked from the tray") {
            let _ = app.emit("vault-locked", ());
        }
    });
}

/// Locks (the vault's keys are wiped, our clipboard value cleared), then exits.
pub fn quit(app: &AppHandle) {
    let state = app.state::<Arc<AppState>>().inner().clone();
    state.lock("app closed");
    app.exit(0);
}

#[cfg(test)]
mod tests {
    use super::due_text;

    #[test]
    fn the_tray_says_how_many_keys_are_due_in_words() {
        assert_eq!(due_text(0), "No API keys due");
        assert_eq!(due_text(1), "1 API key due");
        assert_eq!(due_text(12), "12 API keys due");
    }
}
