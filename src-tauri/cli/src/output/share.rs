//! Sharing for people: your sharing key, contacts, and what a share file held or will import.

use super::{paint, Cell, Shown, Table, AMBER, DIM, RED};
use keystead_core::share::{ShareExportSummary, ShareImportSummary, SharePreview};
use keystead_core::{Contact, ImportChoice, ShareEntryStatus, ShareSender, SharingKeyInfo};
use std::path::Path;

pub fn whoami(key: &SharingKeyInfo) {
    println!("Your sharing key (give this one line to teammates so they can send you keys):");
    println!("{}", Shown(&key.sharing_key));
    println!(
        "Fingerprint: {}  (compare it with them by voice)",
        Shown(&key.fingerprint)
    );
    println!(
        "For someone with only the age tool, your age public key: {}",
        Shown(&key.age_recipient)
    );
}

pub fn contacts(list: &[Contact]) {
    if list.is_empty() {
        println!("No contacts yet. Add one with: keystead contacts add NAME KEY");
        return;
    }
    let mut table = Table::new(&["NAME", "FINGERPRINT", "KEY"]);
    for c in list {
        let key = Cell::from(&c.sharing_key);
        table.row(vec![
            (&c.name).into(),
            (&c.fingerprint).into(),
            if c.can_verify {
                key
            } else {
                Cell::join(
                    [
                        key,
                        Cell::painted("(age key only: files from them are not attributed)", DIM),
                    ],
                    "  ",
                )
            },
        ]);
    }
    table.print();
}

pub fn share_exported(path: &Path, s: &ShareExportSummary) {
    println!(
        "Wrote {} ({} bytes, {}): {} key{} ({}) for {}.",
        Shown(path.display()),
        s.bytes,
        if s.armored { "armored text" } else { "binary" },
        s.keys.len(),
        if s.keys.len() == 1 { "" } else { "s" },
        Shown(s.keys.join(", ")),
        Shown(s.recipients.join(", "))
    );
    if s.recipients.iter().any(|r| r == "passphrase") {
        println!("Give the passphrase to the recipient another way than the file (e.g. by phone).");
    }
}

fn sender_line(sender: &ShareSender) -> String {
    match sender {
        ShareSender::Contact { name, fingerprint } => {
            format!(
                "From: contact {} (fingerprint {}), signature verified",
                Shown(name),
                Shown(fingerprint)
            )
        }
        ShareSender::UnknownSender {
            fingerprint,
            claimed_name,
            ..
        } => format!(
            "From: {} (fingerprint {}), signed by a key that is not one of your contacts",
            paint(
                &claimed_name
                    .as_ref()
                    .map_or("an unknown sender".to_string(), |n| format!(
                        "unknown sender claiming to be {n}"
                    )),
                AMBER
            ),
            Shown(fingerprint)
        ),
        ShareSender::Unsigned => {
            format!("From: {}", paint("unsigned file (sender unknown)", AMBER))
        }
    }
}

pub fn share_preview(p: &SharePreview, choices: &[ImportChoice]) {
    println!("{}", sender_line(&p.sender));
    if let Some(at) = p.exported_at {
        let to = if p.to.is_empty() {
            String::new()
        } else {
            format!(" for {}", Shown(p.to.join(", ")))
        };
        println!("Exported {}{to}", at.format("%Y-%m-%d %H:%M UTC"));
    }
    for w in p.sender_warning.iter().chain(&p.warnings) {
        eprintln!("warning: {}", Shown(w));
    }
    // STATUS, NAME, EXCHANGE ENV, WHAT CHANGED, → CHOICE; the minimums keep short previews in one layout.
    let mut table = Table::without_header(5)
        .indent("  ")
        .min_widths(&[11, 4, 24, 28, 0]);
    for (e, choice) in p.entries.iter().zip(choices) {
        let (status, colour) = match e.status {
            ShareEntryStatus::New => ("new", ""),
            ShareEntryStatus::Identical => ("identical", DIM),
            ShareEntryStatus::Changed => ("changed", AMBER),
            ShareEntryStatus::Conflicting => ("conflicting", RED),
        };
        let mut what: Vec<Cell> = Vec::new();
        match e.status {
            ShareEntryStatus::Changed => {
                what.extend(e.changed_fields.iter().map(Cell::from));
                if e.secrets_changed {
                    what.push("secrets changed".into());
                }
            }
            ShareEntryStatus::Conflicting => what.push(
                format!(
                    "another key is named '{}'",
                    e.existing_name.as_deref().unwrap_or(&e.name)
                )
                .into(),
            ),
            _ => {}
        }
        if e.older_than_yours {
            what.push(Cell::painted("older than yours", AMBER));
        }
        let choice = match choice {
            ImportChoice::Add => "add",
            ImportChoice::Replace => "replace",
            ImportChoice::KeepBoth => "keep both",
            ImportChoice::Skip => "skip",
        };
        table.row(vec![
            Cell::painted(status, colour),
            (&e.name).into(),
            format!("{} {}", e.exchange_name, e.environment).into(),
            Cell::join(what, ", "),
            format!("→ {choice}").into(),
        ]);
    }
    table.print();
}

pub fn share_imported(s: &ShareImportSummary) {
    let list = |v: &[String]| {
        if v.is_empty() {
            "0".to_string()
        } else {
            format!("{} ({})", v.len(), Shown(v.join(", ")))
        }
    };
    println!(
        "Imported: added {}, replaced {}, skipped {}.",
        list(&s.added),
        list(&s.replaced),
        list(&s.skipped)
    );
}
