//! The system tray icon: Keystead keeps running there when its window closes, so reminders still fire.
//! Menu: how many keys are due, Open, Lock, Quit.

use crate::state::AppState;
use std::sync::Arc;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Emitter, Manager, Wry};

const TRAY_ID: &str = "main";

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
    app.manage(TrayMenu { tray, due });
    Ok(())
}

pub struct TrayMenu {
    tray: tauri::tray::TrayIcon<Wry>,
    due: MenuItem<Wry>,
}

/// Shows how many keys are due in the tray's menu and tooltip.
pub fn show_due_count(app: &AppHandle, n: usize) {
    if let Some(menu) = app.try_state::<TrayMenu>() {
        let text = due_text(n);
        let _ = menu.due.set_text(&text);
        let _ = menu.tray.set_tooltip(Some(format!("Keystead — {text}")));
    }
}

pub fn show_main_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
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
