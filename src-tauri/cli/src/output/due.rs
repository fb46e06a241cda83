//! `due` for people: what is due within the window, most urgent first, and what happens then.

use super::keys::due_cell;
use super::{date, Cell, Table};
use chrono::{DateTime, Utc};
use keystead_core::due::DueState;
use keystead_core::KeySummary;

/// `due`: what is due within the window, most urgent first, and what happens then.
pub fn due_table(keys: &[KeySummary], window_days: u32, now: DateTime<Utc>) {
    let window = if window_days == 1 {
        "1 day".to_string()
    } else {
        format!("{window_days} days")
    };
    if keys.is_empty() {
        println!("Nothing due within {window}.");
        return;
    }
    let mut table = Table::new(&["NAME", "EXCHANGE", "DUE", "COUNTDOWN", "WHAT HAPPENS"]);
    for k in keys {
        let (countdown, colour) = due_cell(k, now);
        table.row(vec![
            (&k.name).into(),
            (&k.exchange_name).into(),
            date(k.due_at).into(),
            Cell::painted(&countdown, colour),
            k.due_reason.as_deref().unwrap_or_default().into(),
        ]);
    }
    table.print();
    let late = keys
        .iter()
        .filter(|k| k.due_state >= DueState::Overdue)
        .count();
    println!(
        "\n{} key{} due within {window}: {late} overdue or expired.",
        keys.len(),
        if keys.len() == 1 { "" } else { "s" }
    );
}
