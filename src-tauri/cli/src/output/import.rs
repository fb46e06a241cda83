//! File imports for people: what each file is, what each key found would become, and after the import
//! what was added and what is still in plaintext, with the `keystead run` lines that replace it.

use super::{paint, Cell, Shown, Table, AMBER, DIM, RED};
use keystead_core::import::{ImportEntryChoice, ImportPreview, ImportSummary};
use keystead_core::{ImportChoice, ShareEntryStatus};

pub fn import_preview(p: &ImportPreview, choices: &[ImportEntryChoice], detected: bool) {
    for s in &p.sources {
        println!(
            "{}: {} ({}), {} key{}",
            Shown(&s.path),
            Shown(&s.format_label),
            if detected { "detected" } else { "--format" },
            s.keys,
            if s.keys == 1 { "" } else { "s" }
        );
    }
    // STATUS, NAME, EXCHANGE, FIELDS, → CHOICE; a problem goes on its own line under its entry.
    let mut table = Table::without_header(5)
        .indent("  ")
        .min_widths(&[11, 4, 10, 16, 0]);
    for (e, choice) in p.entries.iter().zip(choices) {
        let existing = e.existing_name.as_deref().unwrap_or(&e.name);
        let status = match e.status {
            ShareEntryStatus::New => Cell::from("new"),
            ShareEntryStatus::Identical => {
                Cell::painted(&format!("identical to '{existing}'"), DIM)
            }
            ShareEntryStatus::Changed => Cell::painted(
                &format!("changed: same API key as '{existing}', other secret"),
                AMBER,
            ),
            ShareEntryStatus::Conflicting => {
                Cell::painted(&format!("name taken by '{existing}'"), RED)
            }
        };
        let exchange = match (&e.exchange_name, &choice.exchange) {
            (Some(name), _) => Cell::from(name),
            (None, Some(id)) => Cell::from(format!("{id} (--exchange)")),
            (None, None) => Cell::painted(
                &match &e.exchange_hint {
                    Some(h) => format!("? (the file says '{h}')"),
                    None => "?".to_string(),
                },
                AMBER,
            ),
        };
        let fields = e
            .secret_fields
            .iter()
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let action = match choice.action {
            ImportChoice::Add => "add",
            ImportChoice::Replace => "replace",
            ImportChoice::KeepBoth => "keep both",
            ImportChoice::Skip => "skip",
        };
        table.row(vec![
            status,
            (&e.name).into(),
            exchange,
            fields.into(),
            format!("→ {action}").into(),
        ]);
    }
    for (line, (e, choice)) in table.lines().iter().zip(p.entries.iter().zip(choices)) {
        println!("{line}");
        let solved = e.needs_exchange && choice.exchange.is_some();
        if let Some(problem) = e.problem.as_deref().filter(|_| !solved) {
            println!(
                "      {}",
                paint(&format!("! {}: {problem}", e.location), AMBER)
            );
        }
    }
    for w in &p.warnings {
        eprintln!("warning: {}", Shown(w));
    }
}

pub fn imported(s: &ImportSummary) {
    for (label, names) in [
        ("Added", &s.added),
        ("Replaced", &s.replaced),
        ("Skipped", &s.skipped),
    ] {
        if !names.is_empty() {
            println!("{label}: {}", Shown(names.join(", ")));
        }
    }
    for left in &s.plaintext {
        println!();
        println!(
            "Still in plaintext: {} ({})",
            Shown(&left.path),
            Shown(&left.format_label)
        );
        println!("  {}", Shown(&left.advice));
        for command in &left.run_commands {
            println!("    {}", Shown(command));
        }
    }
}
