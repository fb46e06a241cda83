//! What the CLI prints. Tables for people, JSON for programs; colour only on a terminal without NO_COLOR.
//! Every table goes through [`Table`]; each noun's printing lives in its own module.
//!
//! Text from the user or from a file (names, notes, reasons, a share file's labels, paths, error messages
//! quoting them) is printed through [`Shown`] or [`shown`]: control characters and text-direction
//! characters become visible `\u{1b}`-style escapes, so no text can move the cursor, recolour, erase a
//! line or reorder what follows. [`paint`] and [`Cell`] escape before they colour. JSON output is escaped
//! by serde and left as it is.

mod audit;
mod catalog;
mod due;
mod import;
mod keys;
mod scan;
mod share;
mod team;
mod verify;

pub use audit::{audit_report, audit_timeline};
pub use catalog::exchanges;
pub use due::due_table;
pub use import::{import_preview, imported};
pub use keys::{detail, detail_json, incident_checklist, key_table, print_flags};
pub use scan::{ignored_findings, scan_report};
pub use share::{contacts, share_exported, share_imported, share_preview, whoami};
pub use team::{team_info, team_join_preview, team_shared, team_sync_preview, team_synced};
pub use verify::verification;

use crate::failure::{cannot_print, CliResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt::{self, Display, Write as _};
use std::io::IsTerminal;
use std::path::Path;

/// Characters a terminal acts on or that change how the text around them reads: C0 controls (ESC, CR,
/// LF, TAB, …), DEL, C1 controls (U+0080–U+009F, e.g. U+009B CSI), the bidirectional embeddings,
/// overrides and isolates (U+202A–U+202E, U+2066–U+2069), the direction marks (U+200E, U+200F, U+061C),
/// and the line and paragraph separators (U+2028, U+2029).
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}'
        )
}

/// The one escaping rule: each character of [`must_escape`] becomes `\u{…}` (lowercase hex, as Rust
/// writes it), everything else is written as it is (backslashes included).
fn escape_into(out: &mut impl fmt::Write, text: &str) -> fmt::Result {
    let mut rest = text;
    while let Some(at) = rest.find(must_escape) {
        out.write_str(&rest[..at])?;
        let c = rest[at..].chars().next().unwrap_or_default();
        write!(out, "\\u{{{:x}}}", c as u32)?;
        rest = &rest[at + c.len_utf8()..];
    }
    out.write_str(rest)
}

/// `text` as the terminal may show it (see [`escape_into`]); borrowed when nothing needs escaping.
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.contains(must_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let _ = escape_into(&mut out, text);
    Cow::Owned(out)
}

/// Displays any value with [`shown`]'s escaping: `println!("Added '{}'", Shown(&name))`,
/// `Shown(path.display())`. Width and fill flags are not applied.
pub struct Shown<T>(pub T);

impl<T: Display> Display for Shown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Escaping<'a, 'b>(&'a mut fmt::Formatter<'b>);
        impl fmt::Write for Escaping<'_, '_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                escape_into(self.0, s)
            }
        }
        write!(Escaping(f), "{}", self.0)
    }
}

/// Multi-line text (notes): each line escaped, the lines joined with `separator` (e.g. a newline and the
/// indent of the page).
pub fn shown_lines(text: &str, separator: &str) -> String {
    text.split('\n')
        .map(shown)
        .collect::<Vec<_>>()
        .join(separator)
}

fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// `text`, escaped, then coloured when colour is on.
pub(crate) fn paint(text: &str, code: &str) -> String {
    paint_if(colour(), text, code)
}

fn paint_if(on: bool, text: &str, code: &str) -> String {
    let text = shown(text);
    if on && !code.is_empty() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.into_owned()
    }
}

pub(crate) const RED: &str = "31";
pub(crate) const AMBER: &str = "33";
pub(crate) const DIM: &str = "2";

/// `value` as JSON on stdout: indented for a person at a terminal, compact for a program reading a pipe (half
/// the bytes, and half the time of `list --json` on 10,000 keys).
pub fn json<T: Serialize>(value: &T) -> CliResult<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if terminal {
        serde_json::to_writer_pretty(&mut out, value).map_err(cannot_print)?;
    } else {
        serde_json::to_writer(&mut out, value).map_err(cannot_print)?;
    }
    writeln!(out)
        .and_then(|()| out.flush())
        .map_err(cannot_print)?;
    Ok(())
}

pub fn welcome(path: &Path) {
    println!("Keystead keeps your exchange API keys encrypted, shows what each key may do and when it is due,");
    println!("and records everything done with them.\n");
    if path.exists() {
        println!("Your vault: {}", Shown(path.display()));
        println!("  keystead list              every key with its scopes and due date");
        println!("  keystead add --help        add a key");
        println!("  keystead audit --verify    check the audit trail");
    } else {
        println!("No vault yet at {}.", Shown(path.display()));
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

/// One table cell: escaped text, perhaps with the CLI's own colour codes. Made only from text (escaped
/// here) or by [`Cell::painted`], so a cell cannot carry a raw control character from its data.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cell(String);

impl Cell {
    /// `text`, escaped and coloured (see [`paint`]).
    fn painted(text: &str, code: &str) -> Self {
        Self(paint(text, code))
    }

    /// Multi-line text (notes): each line escaped, the lines joined with `separator` (e.g. a newline and
    /// the indent of the page).
    fn lines(text: &str, separator: &str) -> Self {
        Self(shown_lines(text, separator))
    }

    /// Cells one after the other, `separator` between them.
    fn join(cells: impl IntoIterator<Item = Cell>, separator: &str) -> Self {
        Self(
            cells
                .into_iter()
                .map(|c| c.0)
                .collect::<Vec<_>>()
                .join(&shown(separator)),
        )
    }

    fn width(&self) -> usize {
        visible_width(&self.0)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Self(shown(text).into_owned())
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Self::from(text.as_str())
    }
}

impl From<&String> for Cell {
    fn from(text: &String) -> Self {
        Self::from(text.as_str())
    }
}

/// Columns aligned by visible width (colour codes take no room; escapes are measured as shown), two
/// spaces apart, without trailing blanks. A column is as wide as its widest cell, its header, or its
/// minimum, whichever is widest.
struct Table {
    indent: &'static str,
    header: Option<Vec<Cell>>,
    min_widths: Vec<usize>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    fn new(header: &[&str]) -> Self {
        Self {
            indent: "",
            header: Some(header.iter().map(|h| Cell::from(*h)).collect()),
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

    fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.min_widths.len(), "one cell per column");
        self.rows.push(cells);
    }

    fn lines(&self) -> Vec<String> {
        let mut widths = self.min_widths.clone();
        for cells in self.header.iter().chain(&self.rows) {
            for (w, cell) in widths.iter_mut().zip(cells) {
                *w = (*w).max(cell.width());
            }
        }
        self.header
            .iter()
            .chain(&self.rows)
            .map(|cells| {
                let parts: Vec<String> = cells
                    .iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{}{}", c.0, " ".repeat(w - c.width())))
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
    fn control_and_direction_characters_become_visible_escapes() {
        for (raw, escaped) in [
            ('\0', r"\u{0}"),
            ('\t', r"\u{9}"),
            ('\n', r"\u{a}"),
            ('\r', r"\u{d}"),
            ('\x1b', r"\u{1b}"),
            ('\x1f', r"\u{1f}"),
            ('\x7f', r"\u{7f}"),
            ('\u{80}', r"\u{80}"),
            ('\u{9b}', r"\u{9b}"),
            ('\u{9f}', r"\u{9f}"),
            ('\u{61c}', r"\u{61c}"),
            ('\u{200e}', r"\u{200e}"),
            ('\u{200f}', r"\u{200f}"),
            ('\u{202a}', r"\u{202a}"),
            ('\u{202e}', r"\u{202e}"),
            ('\u{2066}', r"\u{2066}"),
            ('\u{2069}', r"\u{2069}"),
            ('\u{2028}', r"\u{2028}"),
            ('\u{2029}', r"\u{2029}"),
        ] {
            let text = format!("a{raw}b");
            assert_eq!(shown(&text), format!("a{escaped}b"), "{raw:?}");
            assert_eq!(Shown(&text).to_string(), format!("a{escaped}b"), "{raw:?}");
        }
        assert_eq!(
            shown("\r\x1b[2K\x1b[32m✔ verified\x1b[0m"),
            r"\u{d}\u{1b}[2K\u{1b}[32m✔ verified\u{1b}[0m"
        );
    }

    #[test]
    fn ordinary_text_is_shown_as_it_is() {
        for text in [
            "binance-main",
            "Zürich désk, Łódź, 東京, Привет, مرحبا, שלום",
            "🚀 bot 👩‍💻 ✔ — “quoted” • ‘x’",
            r"C:\keys\bot \u{1b} typed by hand",
            "\u{a0}\u{2009}\u{200d}\u{fe0f}",
            "",
        ] {
            assert!(
                matches!(shown(text), Cow::Borrowed(t) if t == text),
                "{text:?}"
            );
            assert_eq!(Shown(text).to_string(), text);
        }
        assert_eq!(
            Shown(Path::new("/tmp/a b").display()).to_string(),
            "/tmp/a b"
        );
    }

    #[test]
    fn colour_comes_after_escaping_and_multi_line_text_keeps_its_lines() {
        assert_eq!(paint_if(true, "a\x1bb", RED), "\x1b[31ma\\u{1b}b\x1b[0m");
        assert_eq!(paint_if(false, "a\x1bb", RED), "a\\u{1b}b");
        assert_eq!(
            Cell::lines("one\r\ntwo\x1b", "\n    ").0,
            "one\\u{d}\n    two\\u{1b}"
        );
        assert_eq!(
            Cell::join([Cell::from("a\u{202e}"), Cell::from("b")], ", ").0,
            "a\\u{202e}, b"
        );
    }

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
        t.row(vec![Cell(paint_if(true, "compromised", RED)), "a".into()]);
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

    #[test]
    fn a_cell_with_control_and_direction_characters_is_escaped_and_measured_as_shown() {
        // Raw, ESC without a closing `m` hid the rest of the cell from the width count, and a right-to-left
        // override reordered the columns after it.
        let mut t = Table::new(&["NAME", "NOTE"]);
        t.row(vec!["a\x1b[2Kb\u{9b}c\u{202e}d".into(), "x".into()]);
        t.row(vec!["plain".into(), "y".into()]);
        let lines = t.lines();
        assert_eq!(
            lines,
            [
                "NAME                         NOTE",
                "a\\u{1b}[2Kb\\u{9b}c\\u{202e}d  x",
                "plain                        y",
            ]
        );
        // Each line's second column starts at the same character offset.
        let column = |l: &str, s: &str| l[..l.find(s).unwrap()].chars().count();
        assert_eq!(column(&lines[1], "  x") + 2, column(&lines[0], "NOTE"));
        assert_eq!(column(&lines[2], "y"), column(&lines[0], "NOTE"));
    }
}
