//! Conflicts: a team key changed here and by another member since the last sync. Nothing is merged: the
//! user keeps one side whole, the other member's version (applied here, yours kept in the key's history)
//! or this vault's (sent over theirs at the next revision).

use super::{TeamEntryStatus, TeamSync};
use crate::error::{Error, Result};
use crate::team::Role;

/// Which side of a conflict to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// This vault's version: sent to the team over the other member's.
    Mine,
    /// The other member's version: applied here, replacing this vault's change.
    Theirs,
}

impl TeamSync {
    /// The names (here) of the keys in conflict that can be resolved.
    pub fn conflicts(&self) -> Vec<String> {
        self.conflicts.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Resolves the conflict on key `name` (its name here, or its id) by keeping one side whole.
    /// Keeping mine needs write access.
    pub fn resolve(&mut self, name: &str, keep: Keep) -> Result<()> {
        let wanted = name.trim();
        let Some(i) = self.conflicts.iter().position(|(local, inc)| {
            local.eq_ignore_ascii_case(wanted) || inc.key_id.to_string() == wanted
        }) else {
            let open = self.conflicts();
            return Err(Error::team(if open.is_empty() {
                format!(
                    "'{}' is not in conflict: this sync has no conflict to resolve",
                    wanted.escape_debug()
                )
            } else {
                format!(
                    "'{}' is not in conflict; the keys in conflict are: {}",
                    wanted.escape_debug(),
                    open.join(", ")
                )
            }));
        };
        if keep == Keep::Mine && self.role != Some(Role::Write) {
            return Err(Error::team(
                "you are a read member of this team: only the other member's version can be kept",
            ));
        }
        let (local, inc) = self.conflicts.remove(i);
        self.preview.withheld.retain(|n| *n != local);
        if let Some(entry) = self
            .preview
            .entries
            .iter_mut()
            .find(|e| e.key_id == Some(inc.key_id))
        {
            match keep {
                Keep::Theirs => {
                    entry.status = TeamEntryStatus::Changed;
                    entry.reason = Some(format!(
                        "conflict resolved: {}'s version replaces yours (yours stays in the key's history)",
                        inc.by
                    ));
                }
                Keep::Mine => {
                    entry.status = TeamEntryStatus::Kept;
                    entry.reason = Some(format!(
                        "conflict resolved: your version is sent over {}'s",
                        inc.by
                    ));
                }
            }
        }
        match keep {
            Keep::Theirs => self.incoming.push(inc),
            Keep::Mine => {
                self.preview.outgoing.push(local);
                self.outgoing.push(inc.key_id);
                self.kept_mine.push(inc);
            }
        }
        Ok(())
    }
}
