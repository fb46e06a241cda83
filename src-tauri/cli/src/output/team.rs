//! Team vaults for people: the team, what joining means, a sync's preview and what it did. Every name and
//! reason comes from files other people wrote: all of it is printed through [`Shown`].

use super::{paint, Shown, AMBER, DIM, RED};
use keystead_core::vault::{
    TeamEntryStatus, TeamInfo, TeamJoinPreview, TeamMemberInfo, TeamShare, TeamSyncPreview,
    TeamSyncSummary,
};

fn members(list: &[TeamMemberInfo]) {
    for m in list {
        println!(
            "  {:<5}  {}  {}{}",
            m.role.as_str(),
            Shown(&m.fingerprint),
            Shown(&m.name),
            if m.is_you { " (you)" } else { "" }
        );
    }
}

pub fn team_info(t: &TeamInfo) {
    println!(
        "Team {} ({}), member list version {}",
        Shown(&t.name),
        Shown(&t.remote),
        t.members_version
    );
    println!(
        "You: {}, {}",
        Shown(&t.you),
        t.your_role.map_or("no longer a member", |r| r.as_str())
    );
    members(&t.members);
    if t.keys.is_empty() {
        println!("No team keys yet.");
    } else {
        println!(
            "Team keys here: {}",
            t.keys
                .iter()
                .map(|k| Shown(k).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    match t.last_sync {
        Some(at) => println!("Last sync: {}", at.format("%Y-%m-%d %H:%M UTC")),
        None => println!("Not synced yet."),
    }
}

pub fn team_join_preview(p: &TeamJoinPreview) {
    println!(
        "Team {} in {}, member list version {}:",
        Shown(&p.name),
        Shown(&p.remote),
        p.members_version
    );
    members(&p.members);
    println!(
        "Made by {}, fingerprint {}: compare it with them by voice before you join.",
        Shown(&p.creator_name),
        Shown(&p.creator_fingerprint)
    );
    println!(
        "You would join as {} ({}).",
        Shown(&p.you),
        p.your_role.as_str()
    );
}

pub fn team_sync_preview(p: &TeamSyncPreview) {
    if let Some(reason) = &p.list_reason {
        println!(
            "{}",
            paint(
                &format!("Refused: {reason}. Nothing of this sync is applied or sent."),
                RED
            )
        );
        return;
    }
    if let Some(from) = p.members_changed_from {
        println!("Member list: version {from} → {}:", p.members_version);
        members(&p.members);
    }
    for e in &p.entries {
        let name = e.name.as_deref().unwrap_or(&e.file);
        let line = match e.status {
            TeamEntryStatus::New => format!(
                "new      {} (revision {}, by {})",
                Shown(name),
                e.revision.unwrap_or_default(),
                Shown(e.by.as_deref().unwrap_or("?"))
            ),
            TeamEntryStatus::Changed => {
                let mut what = e.changed_fields.clone();
                if e.secrets_changed {
                    what.push("secrets".into());
                }
                format!(
                    "changed  {} (revision {}, by {}: {})",
                    Shown(name),
                    e.revision.unwrap_or_default(),
                    Shown(e.by.as_deref().unwrap_or("?")),
                    if what.is_empty() {
                        "re-encrypted".into()
                    } else {
                        what.join(", ")
                    }
                )
            }
            TeamEntryStatus::Conflict => {
                let mut what = e.changed_fields.clone();
                if e.secrets_changed {
                    what.push("secrets".into());
                }
                paint(
                    &format!(
                        "conflict {}: {}; theirs (revision {}, by {}) differs in: {}; keep one with --mine {} or --theirs {}",
                        name,
                        e.reason.as_deref().unwrap_or_default(),
                        e.revision.unwrap_or_default(),
                        Shown(e.by.as_deref().unwrap_or("?")),
                        if what.is_empty() { "nothing".into() } else { what.join(", ") },
                        name,
                        name
                    ),
                    AMBER,
                )
            }
            TeamEntryStatus::Kept => format!(
                "keep     {}: {}",
                Shown(name),
                e.reason.as_deref().unwrap_or_default()
            ),
            TeamEntryStatus::Refused => paint(
                &format!(
                    "refused  {} ({}): {}",
                    name,
                    e.file,
                    e.reason.as_deref().unwrap_or_default()
                ),
                RED,
            ),
        };
        if e.can_withdraw && e.status != TeamEntryStatus::Refused {
            println!("  {line}  {}", paint("can withdraw funds", AMBER));
        } else {
            println!("  {line}");
        }
    }
    for k in &p.outgoing {
        println!("  send     {} (your change)", Shown(k));
    }
    for k in &p.withheld {
        println!(
            "  {}",
            paint(
                &format!(
                    "not sent {k}: you changed it, but you are a read member or it is in conflict"
                ),
                DIM
            )
        );
    }
    if !p.has_changes() && p.entries.is_empty() && p.withheld.is_empty() {
        println!("Up to date.");
    }
}

pub fn team_synced(s: &TeamSyncSummary) {
    let list = |v: &[String]| {
        v.iter()
            .map(|k| Shown(k).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !s.added.is_empty() {
        println!("Added: {}", list(&s.added));
    }
    if !s.changed.is_empty() {
        println!("Changed: {}", list(&s.changed));
    }
    if !s.refused.is_empty() {
        println!("Refused (nothing applied from them): {}", list(&s.refused));
    }
    if !s.kept.is_empty() {
        println!("Kept yours (conflicts): {}", list(&s.kept));
    }
    if !s.sent.is_empty() {
        println!("Sent: {}", list(&s.sent));
    }
    if let Some(why) = &s.not_sent {
        println!("{}", paint(&format!("Not sent: {why}"), AMBER));
    }
    println!("Synced (member list version {}).", s.members_version);
}

pub fn team_shared(s: &TeamShare) {
    println!(
        "Put {} into team {}, encrypted to {}.",
        s.keys
            .iter()
            .map(|k| Shown(k).to_string())
            .collect::<Vec<_>>()
            .join(", "),
        Shown(&s.team),
        s.members
            .iter()
            .map(|k| Shown(k).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
}
