//! Team vaults: `team init`, `join`, `add-member`, `remove-member`, `share`, `sync`, `status`. Every rule is core's; this
//! asks, prints and passes the step-up.

use super::{open, open_with_step_up};
use crate::args::{TeamCommand, TeamRole};
use crate::failure::{usage, CliResult};
use crate::output::Shown;
use crate::{output, prompt};
use keystead_core::team::Role;
use keystead_core::vault::Keep;
use keystead_core::RiskFlag;
use std::io::IsTerminal;
use std::path::Path;

pub fn team(path: &Path, command: TeamCommand) -> CliResult<()> {
    match command {
        TeamCommand::Init { remote, name, me } => {
            let me = me
                .or_else(|| std::env::var("USER").ok())
                .filter(|m| !m.trim().is_empty())
                .ok_or_else(|| usage("give your name in the member list with --as NAME"))?;
            let mut vault = open(path)?;
            let info = vault.team_init(&remote, &name, &me)?;
            output::team_info(&info);
            println!(
                "Add members with: keystead team add-member CONTACT --role read|write; they then run keystead team join {}",
                output::Shown(&info.remote)
            );
        }
        TeamCommand::Join { remote, yes } => {
            let mut vault = open(path)?;
            let join = vault.team_join_preview(&remote)?;
            output::team_join_preview(&join.preview);
            let go = yes
                || if std::io::stdin().is_terminal() {
                    prompt::confirm_no_default("Join this team?")
                } else {
                    return Err(usage(
                        "nothing was kept: pass --yes to join without asking (after comparing the fingerprint)",
                    ));
                };
            if !go {
                println!("Nothing was kept.");
                return Ok(());
            }
            let info = vault.team_join(join)?;
            println!(
                "Joined team {}. Its keys come in with: keystead team sync",
                output::Shown(&info.name)
            );
        }
        TeamCommand::AddMember {
            contact,
            role,
            team,
        } => {
            let mut vault = open(path)?;
            let role = match role {
                TeamRole::Read => Role::Read,
                TeamRole::Write => Role::Write,
            };
            let info = vault.team_add_member(team.as_deref(), &contact, role)?;
            output::team_info(&info);
        }
        TeamCommand::RemoveMember { member, team } => {
            let mut vault = open(path)?;
            let info = vault.team_remove_member(team.as_deref(), &member)?;
            output::team_info(&info);
            let due: Vec<String> = vault
                .list()?
                .into_iter()
                .filter(|k| k.risk_flags.contains(&RiskFlag::MemberLeft))
                .map(|k| k.name)
                .collect();
            if !due.is_empty() {
                println!(
                    "\nRotate on the exchange, then here (keystead rotate NAME): {}",
                    Shown(&due.join(", "))
                );
                println!("Git history keeps the files they could open: removing them does not unshare a key.");
            }
        }
        TeamCommand::Share {
            keys,
            confirm_withdraw,
            team,
        } => {
            let (mut vault, mut step_up) = open_with_step_up(path)?;
            let shared =
                step_up.run(|p| vault.team_share(team.as_deref(), &keys, &confirm_withdraw, p))?;
            output::team_shared(&shared);
        }
        TeamCommand::Sync {
            yes,
            mine,
            theirs,
            team,
        } => {
            let mut vault = open(path)?;
            let mut sync = vault.team_sync_preview(team.as_deref())?;
            for (names, keep) in [(&mine, Keep::Mine), (&theirs, Keep::Theirs)] {
                for name in names {
                    sync.resolve(name, keep)?;
                }
            }
            output::team_sync_preview(&sync.preview);
            if sync.preview.list_refusal.is_some() {
                return Err(usage(
                    "nothing was applied: the team's member list on the remote was refused",
                ));
            }
            if !sync.preview.has_changes() {
                // Still recorded: the sync ran and what it refused is in the audit log.
                let refused = sync
                    .preview
                    .entries
                    .iter()
                    .any(|e| e.status == keystead_core::vault::TeamEntryStatus::Refused);
                if refused {
                    vault.team_sync_apply(sync)?;
                }
                return Ok(());
            }
            let go = yes
                || if std::io::stdin().is_terminal() {
                    prompt::confirm("Apply this sync?")
                } else {
                    return Err(usage(
                        "nothing was applied: pass --yes to sync without asking, or run keystead team status to only see it",
                    ));
                };
            if !go {
                println!("Nothing was applied.");
                return Ok(());
            }
            let summary = vault.team_sync_apply(sync)?;
            output::team_synced(&summary);
        }
        TeamCommand::Status { team, json } => {
            let mut vault = open(path)?;
            let status = vault.team_status(team.as_deref())?;
            if json {
                return output::json(&status);
            }
            output::team_info(&status.team);
            println!();
            output::team_sync_preview(&status.preview);
        }
    }
    Ok(())
}
