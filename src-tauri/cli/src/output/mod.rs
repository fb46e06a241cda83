//! What the CLI prints. Tables for people, JSON for programs; colour only on a terminal without NO_COLOR.
//! Every table goes through [`Table`]; each noun's printing lives in its own module.

mod audit;
mod catalog;
mod due;
mod keys;
mod share;

pub use audit::{audit_report, audit_timeline};
pub use catalog::exchanges;
pub use due::due_table;
pub use keys::{detail, detail_json, incident_checklist, key_table, print_flags};
pub use share::{contacts, share_exported, share_imported, share_preview, whoami};

use crate::failure::{cannot_print, CliResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::Path;

fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

fn paint(text: &str, code: &str) -> String {
    if colour() && !code.is_empty() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

const RED: &str = "31";
const AMBER: &str = "33";
const DIM: &str = "2";

pub fn json<T: Serialize>(value: &T) -> CliResult<()> {
    let text = serde_json::to_string_pretty(value).map_err(cannot_print)?;
    println!("{text}");
    Ok(())
}

pub fn welcome(path: &Path) {
    println!("Keystead keeps your exchange API keys encrypted, shows what each key may do and when it is due,");
    println!("and records everything done with them.\n");
    if path.exists() {
        println!("Your vault: {}", path.display());
        println!("  keystead list              every key with its scopes and due date");
        println!("  keystead add --help        add a key");
        println!("  keystead audit --verify    check the audit trail");
    } else {
        println!("No vault yet at {}.", path.display());
        println!("  keystead init              create it (you choose a passphrase)");
        println!("  keystead exchanges         the exchanges Keystead knows");
    }
    println!("\nAll commands: keystead --help");
}

/// "12d 04h", "5h 10m", or "3d ago" for the past.
pub fn countdown(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (due - now).num_seconds();
    let past = secs < 0;
    let s = secs.unsigned_abs();
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60);
    let span = if d > 0 {
        format!("{d}d {h:02}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else {
        format!("{m}m")
    };
    if past {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

/// "2026-03-01 14:05 UTC", or "—" for none.
fn date(d: Option<DateTime<Utc>>) -> String {
    d.map_or("—".into(), |d| d.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// Columns aligned by visible width (colour codes take no room), two spaces apart, without trailing blanks.
/// A column is as wide as its widest cell, its header, or its minimum, whichever is widest.
struct Table {
    indent: &'static str,
    header: Option<Vec<String>>,
    min_widths: Vec<usize>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Self {
        Self {
            indent: "",
            header: Some(header.iter().map(|h| h.to_string()).collect()),
            min_widths: vec![0; header.len()],
            rows: Vec::new(),
        }
    }

    fn without_header(columns: usize) -> Self {
        Self {
            indent: "",
            header: None,
            min_widths: vec![0; columns],
            rows: Vec::new(),
        }
    }

    /// Printed before every line.
    fn indent(mut self, indent: &'static str) -> Self {
        self.indent = indent;
        self
    }

    /// Keeps short tables in a steady layout; a longer cell still widens its column.
    fn min_widths(mut self, widths: &[usize]) -> Self {
        self.min_widths = widths.to_vec();
        self
    }

    fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.min_widths.len(), "one cell per column");
        self.rows.push(cells);
    }

    fn lines(&self) -> Vec<String> {
        let mut widths = self.min_widths.clone();
        for cells in self.header.iter().chain(&self.rows) {
            for (w, cell) in widths.iter_mut().zip(cells) {
                *w = (*w).max(visible_width(cell));
            }
        }
        self.header
            .iter()
            .chain(&self.rows)
            .map(|cells| {
                let parts: Vec<String> = cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{c}{}", " ".repeat(w - visible_width(c))))
                    .collect();
                format!("{}{}", self.indent, parts.join("  "))
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    fn print(&self) {
        for line in self.lines() {
            println!("{line}");
        }
    }
}

/// Characters a terminal shows: ANSI colour codes take no room.
fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut in_code = false;
    for c in text.chars() {
        match (in_code, c) {
            (false, '\x1b') => in_code = true,
            (true, 'm') => in_code = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell_and_lines_have_no_trailing_blanks() {
        let mut t = Table::new(&["NAME", "EXCHANGE", "FLAGS"]);
        t.row(vec!["binance-main".into(), "Binance".into(), "".into()]);
        t.row(vec!["okx".into(), "OKX".into(), "no_ip".into()]);
        assert_eq!(
            t.lines(),
            [
                "NAME          EXCHANGE  FLAGS",
                "binance-main  Binance",
                "okx           OKX       no_ip",
            ]
        );
    }

    #[test]
    fn colour_codes_take_no_room() {
        let mut t = Table::new(&["STATUS", "NAME"]);
        t.row(vec!["\x1b[31mcompromised\x1b[0m".into(), "a".into()]);
        t.row(vec!["active".into(), "b".into()]);
        assert_eq!(
            t.lines(),
            [
                "STATUS       NAME",
                "\x1b[31mcompromised\x1b[0m  a",
                "active       b"
            ]
        );
    }

    #[test]
    fn a_cell_longer_than_the_minimum_widens_its_column_so_the_next_column_stays_aligned() {
        // The share preview padded each cell to a fixed width on its own, so one long list of changed
        // fields pushed that line's "→ choice" to the right of everyone else's.
        let mut t = Table::without_header(3).indent("  ").min_widths(&[3, 6, 0]);
        t.row(vec![
            "a".into(),
            "scopes, notes, secrets changed".into(),
            "→ replace".into(),
        ]);
        t.row(vec!["b".into(), "".into(), "→ add".into()]);
        assert_eq!(
            t.lines(),
            [
                "  a    scopes, notes, secrets changed  → replace",
                "  b                                    → add",
            ]
        );
    }
}
