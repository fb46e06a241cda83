//! `contacts add|list|remove|rename`: the teammates you share keys with.

use super::open;
use crate::args::ContactsCommand;
use crate::failure::CliResult;
use crate::output::{self, Shown};
use std::path::Path;

pub fn contacts(path: &Path, command: ContactsCommand) -> CliResult<()> {
    let mut vault = open(path)?;
    match command {
        ContactsCommand::Add { name, key } => {
            let c = vault.add_contact(&name, &key)?;
            println!(
                "Added contact '{}', fingerprint {}.",
                Shown(&c.name),
                Shown(&c.fingerprint)
            );
            if c.can_verify {
                println!("Compare the fingerprint with them (by voice, not in the chat you got the key from).");
            } else {
                println!("This is an age key only: you can send them files, but files from them cannot be attributed.");
            }
        }
        ContactsCommand::List { json } => {
            let list = vault.contacts()?;
            if json {
                output::json(&list)?;
            } else {
                output::contacts(&list);
            }
        }
        ContactsCommand::Remove { name } => {
            let c = vault.remove_contact(&name)?;
            println!("Removed contact '{}'. Keys you shared with them before still work: rotate them if they left the team.", Shown(&c.name));
        }
        ContactsCommand::Rename { old, new } => {
            let c = vault.rename_contact(&old, &new)?;
            println!("Renamed contact '{}' to '{}'.", Shown(&old), Shown(&c.name));
        }
    }
    Ok(())
}
