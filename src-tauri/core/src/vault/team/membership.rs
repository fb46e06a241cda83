//! Changing who is in a team: adding a member, removing one. Either way every team key is encrypted
//! again to the new member list, committed and pushed, then recorded in one transaction. Removing a member
//! also marks each team key "rotate: member left": git history keeps the files the member could open.

use super::{entry_file, key_file, list_file, HeldKey, TeamInfo, TeamRecord, TeamSync};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::model::{KeyStatus, MemberLeft};
use crate::share::ShareIdentity;
use crate::team::git::Clone;
use crate::team::members::{check_name, parse_list};
use crate::team::{MemberList, Role, TeamMember};
use crate::vault::cells::read_secrets;
use crate::vault::contacts::{find_contact, read_contacts};
use crate::vault::index::find_row;
use crate::vault::{Vault, WriteTx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A new member list, signed, with every team key encrypted again to it.
struct Reissue {
    list: MemberList,
    list_text: String,
    files: Vec<(String, Vec<u8>)>,
    held: Vec<(Uuid, HeldKey)>,
}

impl Vault {
    /// The next member list (`members`, signed by this vault) and every team key this vault holds,
    /// encrypted to it at its next revision. Writes nothing.
    fn reissue(
        &self,
        record: &TeamRecord,
        list: &MemberList,
        identity: &ShareIdentity,
        members: &[TeamMember],
        now: DateTime<Utc>,
    ) -> Result<Reissue> {
        let list_text = list.next(identity, members, now)?;
        let next = parse_list(list_text.as_bytes())?;
        let cells = self.cells();
        let mut files = vec![(list_file(next.version), list_text.clone().into_bytes())];
        let mut held = Vec::new();
        for (id, h) in &record.keys {
            let Ok((e, g)) = find_row(&self.conn, &cells, &id.to_string()) else {
                continue;
            };
            let (s, _) = read_secrets(&self.conn, &cells, &e, g)?;
            let revision = h.revision.saturating_add(1);
            let bytes = entry_file(
                identity, &record.me, now, &next, record.id, revision, &e, &s,
            )?;
            held.push((
                *id,
                HeldKey::written(&cells, &e, &s, revision, &bytes, &record.me)?,
            ));
            files.push((key_file(*id), bytes));
        }
        Ok(Reissue {
            list: next,
            list_text,
            files,
            held,
        })
    }

    /// Commits and pushes a reissue, then records it in one transaction with `audit` (which may change
    /// more in the same transaction).
    fn publish_reissue(
        &mut self,
        sync: &TeamSync,
        record: &TeamRecord,
        reissue: &Reissue,
        message: &str,
        audit: impl FnOnce(&mut WriteTx<'_>, &TeamRecord) -> Result<()>,
    ) -> Result<TeamRecord> {
        let clone = Clone::open_or_init(&self.team_clone_dir(record.id), &record.remote)?;
        clone.commit(&reissue.files, message, &record.me)?;
        clone.push()?;
        let (team_id, generation) = (record.id, sync.generation);
        self.write(|tx| {
            let mut record = tx.team_at(team_id, generation)?;
            record.members = reissue.list_text.clone();
            for (id, h) in &reissue.held {
                record.keys.insert(*id, h.clone());
            }
            tx.put_team(&record, Some(generation))?;
            audit(tx, &record)?;
            Ok(record)
        })
    }

    /// Adds a contact to the team's member list as `role`: the next list, signed by this vault, and every
    /// team key encrypted again to the new members (each at its next revision), committed and pushed,
    /// then recorded (audited `team_member_added`).
    pub fn team_add_member(
        &mut self,
        team: Option<&str>,
        contact: &str,
        role: Role,
    ) -> Result<TeamInfo> {
        let sync = self.team_up_to_date(team)?;
        let identity = self.sharing_identity()?;
        let me = identity.sharing_key();
        let list = sync.list.clone().expect("checked above");
        let (c, _) = find_contact(read_contacts(&self.conn, &self.cells())?, contact)?;
        let key = c.key()?;
        if !key.can_verify() {
            return Err(Error::team(format!(
                "contact {} was added with a plain age key: a member needs their full sharing key (keystead-share1:…), so their changes can be attributed",
                c.name
            )));
        }
        if list.member_by_key(&key).is_some() {
            return Err(Error::team(format!("{} is already a member", c.name)));
        }
        let name = check_name("member name", &c.name)?;
        if list
            .members
            .iter()
            .any(|m| m.name.eq_ignore_ascii_case(&name))
        {
            return Err(Error::team(format!(
                "a member is already named '{name}': rename the contact first"
            )));
        }
        let mut members = list.members.clone();
        members.push(TeamMember {
            name: name.clone(),
            key: key.clone(),
            role,
        });
        let (record, _) = self.team_record(Some(&sync.team_id.to_string()))?;
        let reissue = self.reissue(&record, &list, &identity, &members, self.clock.now())?;
        let message = format!("{} added {name} ({})", record.me, role.as_str());
        let record = self.publish_reissue(&sync, &record, &reissue, &message, |tx, record| {
            tx.audit(
                AuditAction::TeamMemberAdded,
                None,
                Some(format!(
                    "team {}: {name} ({}), {}; member list version {}; {} keys encrypted again to every member",
                    record.name,
                    key.fingerprint(),
                    role.as_str(),
                    reissue.list.version,
                    reissue.held.len()
                )),
            )
        })?;
        self.team_info(&record, &me)
    }

    /// Removes a member (by member name, or a contact's name) from the team: the next list without them,
    /// signed by this vault, every team key encrypted again to the members left, committed and pushed.
    /// Then, in one transaction, each team key is marked "rotate: member left" (a risk flag and a due
    /// rotation, until it is rotated): the removed member can still open the old files in git history.
    /// Audited `team_member_removed`, naming the keys to rotate.
    pub fn team_remove_member(&mut self, team: Option<&str>, member: &str) -> Result<TeamInfo> {
        let sync = self.team_up_to_date(team)?;
        let identity = self.sharing_identity()?;
        let me = identity.sharing_key();
        let list = sync.list.clone().expect("checked above");
        let wanted = member.trim();
        let by_contact = read_contacts(&self.conn, &self.cells())
            .ok()
            .and_then(|c| find_contact(c, wanted).ok())
            .and_then(|(c, _)| c.key().ok());
        let gone = list
            .members
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(wanted) || by_contact.as_ref() == Some(&m.key))
            .cloned()
            .ok_or_else(|| {
                Error::team(format!(
                    "no member of team {} is named '{}': the members are {}",
                    list.team_name,
                    wanted.escape_debug(),
                    list.members
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        if gone.key == me {
            return Err(Error::team(
                "you cannot remove yourself: ask another write member to remove you",
            ));
        }
        let members: Vec<TeamMember> = list
            .members
            .iter()
            .filter(|m| m.key != gone.key)
            .cloned()
            .collect();
        let (record, _) = self.team_record(Some(&sync.team_id.to_string()))?;
        let now = self.clock.now();
        let reissue = self.reissue(&record, &list, &identity, &members, now)?;
        let message = format!("{} removed {}", record.me, gone.name);
        let record = self.publish_reissue(&sync, &record, &reissue, &message, |tx, record| {
            let flagged = tx.mark_member_left(record, &gone.name)?;
            tx.audit(
                AuditAction::TeamMemberRemoved,
                None,
                Some(format!(
                    "team {}: {} ({}); member list version {}; {} keys encrypted again to the members left; rotate: {}",
                    record.name,
                    gone.name,
                    gone.key.fingerprint(),
                    reissue.list.version,
                    reissue.held.len(),
                    if flagged.is_empty() { "nothing".to_string() } else { flagged.join(", ") }
                )),
            )
        })?;
        self.team_info(&record, &me)
    }
}

impl WriteTx<'_> {
    /// Marks every active key of the team "rotate: `member` left" (each with its own audit line);
    /// answers their names.
    pub(super) fn mark_member_left(
        &mut self,
        record: &TeamRecord,
        member: &str,
    ) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for id in record.keys.keys() {
            let Ok((mut e, g)) = find_row(&self.tx, &self.cells, &id.to_string()) else {
                continue;
            };
            if e.status != KeyStatus::Active {
                continue;
            }
            e.member_left = Some(MemberLeft {
                team: record.name.clone(),
                member: member.to_string(),
                at: self.now,
            });
            e.updated_at = self.now;
            self.put_entry(&e, Some(g), None)?;
            self.audit(
                AuditAction::KeyEdited,
                Some(&e),
                Some(format!(
                    "rotate: {member} left team {}, and could read this key",
                    record.name
                )),
            )?;
            names.push(e.name);
        }
        Ok(names)
    }
}
