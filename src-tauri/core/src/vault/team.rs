//! The vault's side of team vaults (see [`crate::team`] for the repository): the sealed record of each
//! team this vault is in, and the operations — make a team, join one, add a member, put keys in, sync.
//! Every check of a file pulled from the remote is one of the rules in [`crate::team::verify`]; every
//! change to the vault is one transaction with its audit entries. Git work (fetch, commit, push) happens
//! outside transactions: what was pushed is recorded only after the remote took it.

use super::cells::{read_entries, read_secrets, sealed_row, team_row};
use super::index::find_row;
use super::share_export::wire_entry;
use super::share_import::classify;
use super::{Vault, WriteTx};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::model::{KeyEntry, KeyStatus, Scope};
use crate::secret::{json_sized_once, SecretFields};
use crate::share::{
    self, OpenedShare, Seal, ShareEntryStatus, ShareIdentity, SharingKey, TeamStamp,
};
use crate::team::git::{private_dir, Clone};
use crate::team::members::{build_list, check_name, parse_list, sha256_hex, TeamFile};
use crate::team::{
    check_chain, verify_entry, EntryFacts, EntryVerdict, HeldEntry, MemberList, Refusal, Role,
    TeamMember,
};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use uuid::Uuid;

mod conflicts;
mod membership;
mod sync;

pub use conflicts::Keep;

/// What this vault holds of one team key.
#[derive(Clone, Serialize, Deserialize)]
struct HeldKey {
    revision: u64,
    /// SHA-256 of the entry file of that revision.
    file_hash: String,
    /// Keyed fingerprint of the key's shared fields and secrets as last synced: a local change shows as
    /// a different fingerprint.
    content: String,
    /// The member who made that revision.
    by: String,
}

impl HeldKey {
    /// What this vault holds after writing `bytes`, the entry file of `e` at `revision`, as `me`.
    fn written(
        cells: &super::cells::Cells<'_>,
        e: &KeyEntry,
        s: &SecretFields,
        revision: u64,
        bytes: &[u8],
        me: &str,
    ) -> Result<Self> {
        Ok(Self {
            revision,
            file_hash: sha256_hex(bytes),
            content: content_fp(cells, e, s)?,
            by: me.to_string(),
        })
    }
}

/// A team as sealed in its row of `teams`.
#[derive(Clone, Serialize, Deserialize)]
struct TeamRecord {
    id: Uuid,
    name: String,
    remote: String,
    /// This vault's name in the member list.
    me: String,
    /// The member list this vault trusts: the whole signed file.
    members: String,
    keys: BTreeMap<Uuid, HeldKey>,
    joined_at: DateTime<Utc>,
    last_sync: Option<DateTime<Utc>>,
}

impl TeamRecord {
    fn list(&self) -> Result<MemberList> {
        parse_list(self.members.as_bytes()).map_err(|_| {
            Error::damaged(format!(
                "the record of team {} holds an unreadable member list",
                self.id
            ))
        })
    }
}

/// A member as the CLI and the app show them.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamMemberInfo {
    pub name: String,
    pub role: Role,
    pub fingerprint: String,
    pub is_you: bool,
}

fn member_infos(list: &MemberList, me: &SharingKey) -> Vec<TeamMemberInfo> {
    list.members
        .iter()
        .map(|m| TeamMemberInfo {
            name: m.name.clone(),
            role: m.role,
            fingerprint: m.key.fingerprint(),
            is_you: m.key.age_recipient() == me.age_recipient(),
        })
        .collect()
}

/// A team this vault is in.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct TeamInfo {
    pub id: Uuid,
    pub name: String,
    pub remote: String,
    pub you: String,
    pub your_role: Option<Role>,
    pub members_version: u64,
    pub members: Vec<TeamMemberInfo>,
    /// The names of this vault's keys that belong to the team.
    pub keys: Vec<String>,
    pub last_sync: Option<DateTime<Utc>>,
}

/// What joining a team would mean, for the user to compare before anything is kept.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct TeamJoinPreview {
    pub id: Uuid,
    pub name: String,
    pub remote: String,
    pub members: Vec<TeamMemberInfo>,
    /// Who made the team (signed the first member list), to compare by voice.
    pub creator_name: String,
    pub creator_fingerprint: String,
    pub members_version: u64,
    /// This vault's name and role in the member list.
    pub you: String,
    pub your_role: Role,
}

/// A checked team, cloned beside the vault in a temporary folder until the user confirms; dropping it
/// unconfirmed removes the clone, so nothing is kept.
pub struct TeamJoin {
    pub preview: TeamJoinPreview,
    list_text: String,
    temp: PathBuf,
    dest: PathBuf,
}

impl fmt::Debug for TeamJoin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamJoin")
            .field("preview", &self.preview)
            .finish_non_exhaustive()
    }
}

impl Drop for TeamJoin {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.temp);
    }
}

/// How one pulled entry file compares with the vault.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TeamEntryStatus {
    /// A key this vault does not have yet.
    New,
    /// A newer revision of a key this vault has.
    Changed,
    /// Changed here and by another member since the last sync: nothing is applied or sent for it until
    /// one side is chosen.
    Conflict,
    /// A conflict resolved for this vault's version: it is sent over the other member's.
    Kept,
    /// Refused by a trust rule (see `refusal`): nothing from it is applied.
    Refused,
}

/// One entry file of a sync preview (unchanged files are not listed).
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct TeamEntryPreview {
    /// The file in the repository (`keys/<id>.age`).
    pub file: String,
    pub status: TeamEntryStatus,
    pub key_id: Option<Uuid>,
    /// The key's name in the file (absent when it could not be opened).
    pub name: Option<String>,
    pub revision: Option<u64>,
    /// The member who made this revision.
    pub by: Option<String>,
    pub changed_fields: Vec<String>,
    pub secrets_changed: bool,
    /// The key in the file can withdraw funds.
    pub can_withdraw: bool,
    pub refusal: Option<Refusal>,
    /// The refusal or the conflict in words.
    pub reason: Option<String>,
}

/// What a sync would do. Reads only.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct TeamSyncPreview {
    pub team: String,
    pub members_version: u64,
    /// Set when the remote holds a newer member list that checks: the version this vault trusts now.
    pub members_changed_from: Option<u64>,
    pub members: Vec<TeamMemberInfo>,
    /// The remote's member list was refused: nothing of this sync is applied.
    pub list_refusal: Option<Refusal>,
    pub list_reason: Option<String>,
    pub entries: Vec<TeamEntryPreview>,
    /// Keys this member changed since the last sync, which the sync sends.
    pub outgoing: Vec<String>,
    /// Keys this member changed that are not sent (a read member's change, or a conflict).
    pub withheld: Vec<String>,
}

impl TeamSyncPreview {
    /// Whether applying would change anything here or on the remote.
    pub fn has_changes(&self) -> bool {
        self.list_refusal.is_none()
            && (self.members_changed_from.is_some()
                || !self.outgoing.is_empty()
                || self
                    .entries
                    .iter()
                    .any(|e| matches!(e.status, TeamEntryStatus::New | TeamEntryStatus::Changed)))
    }
}

/// One accepted incoming entry, held with its secrets between preview and apply.
struct Incoming {
    key_id: Uuid,
    opened: OpenedShare,
    revision: u64,
    by: String,
    by_fingerprint: String,
    file_hash: String,
}

/// A checked sync, between preview and apply. Holds secrets (the opened entries): no `Debug` of them.
pub struct TeamSync {
    pub preview: TeamSyncPreview,
    team_id: Uuid,
    generation: u64,
    new_list: Option<String>,
    /// The members of any list from the trusted one to the new one whom the new list leaves out: each
    /// could read the team's keys (also one added and removed between two syncs of this vault).
    left: Vec<String>,
    incoming: Vec<Incoming>,
    outgoing: Vec<Uuid>,
    /// Entries changed here (the key's name here) and by another member since the last sync: applied
    /// or sent only once the user picks a side ([`TeamSync::resolve`]).
    conflicts: Vec<(String, Incoming)>,
    /// Conflicts resolved for this vault's version: sent above the other member's revision.
    kept_mine: Vec<Incoming>,
    list: Option<MemberList>,
    role: Option<Role>,
}

impl fmt::Debug for TeamSync {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamSync")
            .field("preview", &self.preview)
            .finish_non_exhaustive()
    }
}

/// What a sync did.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Default, Serialize)]
pub struct TeamSyncSummary {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    /// Files refused, with the reason.
    pub refused: Vec<String>,
    pub sent: Vec<String>,
    /// Conflicts resolved for this vault's version (sent over the other member's).
    pub kept: Vec<String>,
    /// Why this member's changes were not sent, if the push failed (they are sent at the next sync).
    pub not_sent: Option<String>,
    pub members_version: u64,
}

/// What `team share` put in.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct TeamShare {
    pub team: String,
    pub keys: Vec<String>,
    pub members: Vec<String>,
}

/// What `team status` says: the sync preview, computed from a fresh fetch, applying nothing.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Serialize)]
pub struct TeamStatus {
    pub team: TeamInfo,
    pub preview: TeamSyncPreview,
}

fn read_teams(
    conn: &Connection,
    cells: &super::cells::Cells<'_>,
) -> Result<Vec<(TeamRecord, u64)>> {
    let mut stmt = conn.prepare("SELECT id, generation, record FROM teams")?;
    let rows = stmt.query_map([], sealed_row)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, generation, sealed) = row?;
        let plain = cells.open("teams", &id, "record", generation, &sealed)?;
        let record: TeamRecord = serde_json::from_slice(&plain)
            .map_err(|e| Error::damaged(format!("team record {id} is unreadable ({e})")))?;
        if record.id.to_string() != id {
            return Err(Error::damaged(format!(
                "team record {id} holds another team"
            )));
        }
        out.push((record, generation));
    }
    out.sort_by_cached_key(|(t, _)| t.name.to_lowercase());
    Ok(out)
}

/// The team each team key belongs to, by key id (for the list's team column and filter).
pub(super) fn team_of_keys(
    conn: &Connection,
    cells: &super::cells::Cells<'_>,
) -> Result<std::collections::HashMap<Uuid, String>> {
    Ok(read_teams(conn, cells)?
        .into_iter()
        .flat_map(|(t, _)| {
            let name = t.name;
            t.keys.into_keys().map(move |id| (id, name.clone()))
        })
        .collect())
}

fn pick_team(teams: Vec<(TeamRecord, u64)>, name: Option<&str>) -> Result<(TeamRecord, u64)> {
    if teams.is_empty() {
        return Err(Error::team(
            "this vault is in no team: make one in an empty git repository, or join one a member added you to",
        ));
    }
    let names = || {
        teams
            .iter()
            .map(|(t, _)| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name.map(str::trim) {
        None if teams.len() == 1 => Ok(teams.into_iter().next().expect("one team")),
        None => Err(Error::team(format!(
            "this vault is in several teams ({}): choose one by name",
            names()
        ))),
        Some(n) => {
            let all = names();
            teams
                .into_iter()
                .find(|(t, _)| t.name.eq_ignore_ascii_case(n) || t.id.to_string() == n)
                .ok_or_else(|| Error::team(format!("no team named '{n}' (your teams: {all})")))
        }
    }
}

/// The file of a key in the repository.
fn key_file(id: Uuid) -> String {
    format!("keys/{id}.age")
}

fn list_file(version: u64) -> String {
    format!("members/{version:06}.json")
}

/// Every member list in the repository, in version order; a file that does not parse, or is not named
/// for its version, is a refusal.
fn read_lists(clone: &Clone) -> Result<std::result::Result<Vec<MemberList>, Refusal>> {
    let mut lists = Vec::new();
    for (i, name) in clone.list("members")?.iter().enumerate() {
        let expected = list_file(i as u64 + 1);
        if format!("members/{name}") != expected {
            return Ok(Err(Refusal::ListChainBroken {
                version: i as u64 + 1,
            }));
        }
        let bytes = clone.read(&expected)?.unwrap_or_default();
        match parse_list(&bytes) {
            Ok(l) if l.version == i as u64 + 1 => lists.push(l),
            Ok(_) => {
                return Ok(Err(Refusal::ListChainBroken {
                    version: i as u64 + 1,
                }))
            }
            Err(e) => {
                return Ok(Err(Refusal::Unreadable {
                    detail: e.to_string(),
                }))
            }
        }
    }
    Ok(Ok(lists))
}

/// Keyed fingerprint of what a team shares of a key (its shared fields and secrets).
fn content_fp(cells: &super::cells::Cells<'_>, e: &KeyEntry, s: &SecretFields) -> Result<String> {
    let json = json_sized_once(&wire_entry(e, s)).map_err(|e| Error::Storage(e.to_string()))?;
    let text = std::str::from_utf8(&json).map_err(|e| Error::Storage(e.to_string()))?;
    Ok(cells.fingerprint(text))
}

/// The entry file of `e` at `revision`: its share document signed by this vault, encrypted to every
/// member of `list`.
#[allow(clippy::too_many_arguments)]
fn entry_file(
    identity: &ShareIdentity,
    me: &str,
    now: DateTime<Utc>,
    list: &MemberList,
    team_id: Uuid,
    revision: u64,
    e: &KeyEntry,
    s: &SecretFields,
) -> Result<Vec<u8>> {
    let keys: Vec<SharingKey> = list.members.iter().map(|m| m.key.clone()).collect();
    let recipients: Vec<String> = keys.iter().map(|k| k.age_recipient().to_string()).collect();
    let to: Vec<String> = list
        .members
        .iter()
        .map(|m| format!("member {} ({})", m.name, m.key.fingerprint()))
        .collect();
    let doc = share::build_document(
        identity,
        Some(me),
        now,
        &to,
        &recipients,
        &[wire_entry(e, s)],
        Some(&TeamStamp { team_id, revision }),
    )?;
    share::encrypt(&doc, Seal::Recipients(&keys), true)
}

fn role_of(list: &MemberList, me: &SharingKey) -> Option<Role> {
    list.member_by_key(me).map(|m| m.role)
}

/// The remote forms a team can live on: a bare repository by path or `file://`, `ssh://` or scp-like
/// `user@host:path` (the user's ssh agent), `https://` (the user's git credential helper), and
/// `git://` (a `git daemon`; nothing is secret in the repository, and every file is checked). Plain
/// `http://` would send a credential helper's token in the clear: only to this machine.
fn check_remote(remote: &str) -> Result<String> {
    const FORMS: &str = "the team remote is a git URL: ssh://git@host/team.git or git@host:team.git, https://host/team.git, git://host/team.git, or a bare repository's path (/srv/git/team.git, file:///srv/git/team.git)";
    let r = remote.trim();
    if r.is_empty() || r.len() > 2048 || crate::parse::has_control_or_bidi(r) {
        return Err(Error::input(FORMS));
    }
    let lower = r.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit('@').next().unwrap_or(host);
        let host = match host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => host.split(':').next().unwrap_or(""),
        };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(Error::input(format!(
                "plain http:// would send the remote's password or token unencrypted: use https:// (or ssh) for {r}"
            )));
        }
        return Ok(r.to_string());
    }
    let scheme_ok = ["file://", "ssh://", "git+ssh://", "https://", "git://"]
        .iter()
        .any(|p| lower.starts_with(p));
    // scp-like: user@host:path (a colon before any slash, and no scheme).
    let scp_like = !lower.contains("://")
        && r.split('/').next().is_some_and(|head| {
            head.split_once(':')
                .is_some_and(|(host, _)| !host.is_empty() && host.contains('@'))
        });
    let path = !lower.contains("://") && std::path::Path::new(r).is_absolute();
    if scheme_ok || scp_like || path {
        Ok(r.to_string())
    } else {
        Err(Error::input(FORMS))
    }
}

impl WriteTx<'_> {
    fn put_team(&mut self, record: &TeamRecord, old_generation: Option<u64>) -> Result<u64> {
        let id = record.id.to_string();
        let generation = old_generation.map_or(1, |g| g + 1);
        let plain = serde_json::to_vec(record).map_err(|e| Error::Storage(e.to_string()))?;
        let sealed = self.cells.seal("teams", &id, "record", generation, &plain);
        self.tx.execute(
            "INSERT INTO teams (id, generation, record) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET generation = excluded.generation, record = excluded.record",
            params![id, generation as i64, sealed],
        )?;
        self.move_row_digest(&team_row(&id), old_generation, generation);
        Ok(generation)
    }

    /// The team record again inside the transaction; refuses when another sync changed it meanwhile.
    fn team_at(&self, id: Uuid, generation: u64) -> Result<TeamRecord> {
        let row: Option<(i64, Vec<u8>)> = self
            .tx
            .query_row(
                "SELECT generation, record FROM teams WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match row {
            Some((g, sealed)) if g as u64 == generation => {
                let plain =
                    self.cells
                        .open("teams", &id.to_string(), "record", generation, &sealed)?;
                serde_json::from_slice(&plain)
                    .map_err(|e| Error::damaged(format!("team record {id} is unreadable ({e})")))
            }
            _ => Err(Error::team(
                "the team changed in this vault meanwhile (another sync?): run the command again",
            )),
        }
    }
}

impl Vault {
    /// Where the working clones of this vault's teams live: beside the vault file.
    fn teams_dir(&self) -> PathBuf {
        let mut p = self.path().as_os_str().to_owned();
        p.push(".teams");
        PathBuf::from(p)
    }

    fn team_clone_dir(&self, id: Uuid) -> PathBuf {
        self.teams_dir().join(id.to_string())
    }

    fn team_record(&self, name: Option<&str>) -> Result<(TeamRecord, u64)> {
        pick_team(read_teams(&self.conn, &self.cells())?, name)
    }

    fn team_info(&self, record: &TeamRecord, me: &SharingKey) -> Result<TeamInfo> {
        let list = record.list()?;
        let entries = read_entries(&self.conn, &self.cells())?;
        let mut keys: Vec<String> = record
            .keys
            .keys()
            .filter_map(|id| entries.iter().find(|(e, _)| e.id == *id))
            .map(|(e, _)| e.name.clone())
            .collect();
        keys.sort_by_key(|k| k.to_lowercase());
        Ok(TeamInfo {
            id: record.id,
            name: record.name.clone(),
            remote: record.remote.clone(),
            you: record.me.clone(),
            your_role: role_of(&list, me),
            members_version: list.version,
            members: member_infos(&list, me),
            keys,
            last_sync: record.last_sync,
        })
    }

    /// The teams this vault is in.
    pub fn teams(&mut self) -> Result<Vec<TeamInfo>> {
        let me = self.sharing_identity()?.sharing_key();
        read_teams(&self.conn, &self.cells())?
            .iter()
            .map(|(t, _)| self.team_info(t, &me))
            .collect()
    }

    /// Makes a team in `remote`, an empty git repository: the team file and the first member list, with
    /// this vault as its only (write) member named `me`, committed and pushed; then the team is recorded
    /// here (audited `team_created`).
    pub fn team_init(&mut self, remote: &str, name: &str, me: &str) -> Result<TeamInfo> {
        let remote = check_remote(remote)?;
        let name = check_name("team name", name)?;
        let me_name = check_name("member name", me)?;
        let identity = self.sharing_identity()?;
        let teams = read_teams(&self.conn, &self.cells())?;
        if let Some((t, _)) = teams
            .iter()
            .find(|(t, _)| t.name.eq_ignore_ascii_case(&name))
        {
            return Err(Error::team(format!(
                "this vault is already in a team named '{}': choose another name",
                t.name
            )));
        }
        let id = Uuid::new_v4();
        let dir = self.team_clone_dir(id);
        private_dir(&self.teams_dir())?;
        let made = (|| -> Result<String> {
            let clone = Clone::open_or_init(&dir, &remote)?;
            if clone.fetch()?.is_some() {
                return Err(Error::team(
                    "the remote already holds commits: a team is made in an empty git repository (git init --bare); to become a member of the team in it, join it",
                ));
            }
            let now = self.clock.now();
            let list = build_list(
                &identity,
                id,
                &name,
                1,
                None,
                &[TeamMember {
                    name: me_name.clone(),
                    key: identity.sharing_key(),
                    role: Role::Write,
                }],
                now,
            )?;
            clone.commit(
                &[
                    (
                        "team.json".into(),
                        TeamFile::new(id, &name).to_text().into_bytes(),
                    ),
                    (list_file(1), list.clone().into_bytes()),
                ],
                &format!("Team {name} made by {me_name}"),
                &me_name,
            )?;
            clone.push()?;
            Ok(list)
        })();
        let list = match made {
            Ok(l) => l,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let record = TeamRecord {
            id,
            name: name.clone(),
            remote: remote.clone(),
            me: me_name.clone(),
            members: list,
            keys: BTreeMap::new(),
            joined_at: self.clock.now(),
            last_sync: Some(self.clock.now()),
        };
        self.write(|tx| {
            tx.put_team(&record, None)?;
            tx.audit(
                AuditAction::TeamCreated,
                None,
                Some(format!(
                    "team {name} in {remote}; first write member: {me_name} ({})",
                    identity.sharing_key().fingerprint()
                )),
            )
        })?;
        self.team_info(&record, &identity.sharing_key())
    }

    /// Fetches the team in `remote` and checks its member lists from the first one; answers what the
    /// user must confirm (name, members, the creator's fingerprint). Nothing is kept unless
    /// [`Vault::team_join`] is called with it.
    pub fn team_join_preview(&mut self, remote: &str) -> Result<TeamJoin> {
        let remote = check_remote(remote)?;
        let me = self.sharing_identity()?.sharing_key();
        let teams = read_teams(&self.conn, &self.cells())?;
        if let Some((t, _)) = teams.iter().find(|(t, _)| t.remote == remote) {
            return Err(Error::team(format!(
                "this vault is already in the team in that remote ({})",
                t.name
            )));
        }
        private_dir(&self.teams_dir())?;
        let temp = self.teams_dir().join(format!(".join-{}", Uuid::new_v4()));
        let mut join = TeamJoin {
            preview: TeamJoinPreview {
                id: Uuid::nil(),
                name: String::new(),
                remote: remote.clone(),
                members: Vec::new(),
                creator_name: String::new(),
                creator_fingerprint: String::new(),
                members_version: 0,
                you: String::new(),
                your_role: Role::Read,
            },
            list_text: String::new(),
            temp: temp.clone(),
            dest: PathBuf::new(),
        };
        let clone = Clone::open_or_init(&temp, &remote)?;
        let tip = clone.fetch()?.ok_or_else(|| {
            Error::team("the remote holds no team yet (no commits): make one there first")
        })?;
        clone.reset_to(tip)?;
        let file = TeamFile::parse(&clone.read("team.json")?.ok_or_else(|| {
            Error::team("this repository is not a Keystead team: it has no team.json")
        })?)?;
        let lists = match read_lists(&clone)? {
            Ok(l) => l,
            Err(r) => return Err(Error::team(format!("the team was refused: {r}"))),
        };
        let newest = check_chain(None, &lists)
            .map_err(|r| Error::team(format!("the team was refused: {r}")))?;
        if newest.team_id != file.team_id || newest.team_name != file.name {
            return Err(Error::team(
                "the team was refused: its team.json does not agree with its signed member list",
            ));
        }
        if teams.iter().any(|(t, _)| t.id == newest.team_id) {
            return Err(Error::team("this vault is already in that team"));
        }
        let you = newest.member_by_key(&me).ok_or_else(|| {
            Error::team(format!(
                "you are not a member of team {} yet: give your sharing key to one of its write members ({}), who adds you as a member; then join again",
                newest.team_name,
                newest.write_members().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let creator = lists[0]
            .signer_member()
            .ok_or_else(|| Error::team("the team was refused: its first list has no signer"))?;
        join.preview = TeamJoinPreview {
            id: newest.team_id,
            name: newest.team_name.clone(),
            remote,
            members: member_infos(newest, &me),
            creator_name: creator.name.clone(),
            creator_fingerprint: creator.key.fingerprint(),
            members_version: newest.version,
            you: you.name.clone(),
            your_role: you.role,
        };
        join.list_text = newest.text.clone();
        join.dest = self.team_clone_dir(newest.team_id);
        Ok(join)
    }

    /// Joins the team the user confirmed: keeps its clone and records it (audited `team_joined`). Its
    /// keys come in with the next sync.
    pub fn team_join(&mut self, join: TeamJoin) -> Result<TeamInfo> {
        if join.dest.exists() {
            std::fs::remove_dir_all(&join.dest)
                .map_err(|e| Error::Storage(format!("replacing an old clone: {e}")))?;
        }
        std::fs::rename(&join.temp, &join.dest)
            .map_err(|e| Error::Storage(format!("keeping the team's clone: {e}")))?;
        let p = &join.preview;
        let record = TeamRecord {
            id: p.id,
            name: p.name.clone(),
            remote: p.remote.clone(),
            me: p.you.clone(),
            members: join.list_text.clone(),
            keys: BTreeMap::new(),
            joined_at: self.clock.now(),
            last_sync: None,
        };
        let me = self.sharing_identity()?.sharing_key();
        self.write(|tx| {
            tx.put_team(&record, None)?;
            tx.audit(
                AuditAction::TeamJoined,
                None,
                Some(format!(
                    "team {} in {} as {} ({}); made by {} ({}); member list version {}",
                    p.name,
                    p.remote,
                    p.you,
                    p.your_role.as_str(),
                    p.creator_name,
                    p.creator_fingerprint,
                    p.members_version
                )),
            )
        })?;
        self.team_info(&record, &me)
    }

    /// The sync preview from a fresh fetch, and the team: what is ahead (changed here), behind (newer on
    /// the remote), refused or in conflict. Changes nothing in the vault.
    pub fn team_status(&mut self, team: Option<&str>) -> Result<TeamStatus> {
        let sync = self.team_sync_preview(team)?;
        let me = self.sharing_identity()?.sharing_key();
        let (record, _) = self.team_record(Some(&sync.team_id.to_string()))?;
        Ok(TeamStatus {
            team: self.team_info(&record, &me)?,
            preview: sync.preview.clone(),
        })
    }

    /// Requires the remote to hold nothing this vault has not synced (a write to the remote is made on
    /// top of what this vault checked), and answers the checked sync.
    fn team_up_to_date(&mut self, team: Option<&str>) -> Result<TeamSync> {
        let sync = self.team_sync_preview(team)?;
        if let Some(r) = &sync.preview.list_refusal {
            return Err(Error::team(format!(
                "the team's member list on the remote was refused ({r}): nothing was changed"
            )));
        }
        if sync.preview.members_changed_from.is_some()
            || !sync.incoming.is_empty()
            || !sync.outgoing.is_empty()
            || sync
                .preview
                .entries
                .iter()
                .any(|e| e.status == TeamEntryStatus::Conflict)
        {
            return Err(Error::team(
                "the team has changes this vault has not synced: sync the team first",
            ));
        }
        if sync.role != Some(Role::Write) {
            return Err(Error::team(
                "you are a read member of this team: only write members change it",
            ));
        }
        Ok(sync)
    }

    /// Puts keys of this vault into the team: each encrypted to every member, signed by this vault,
    /// committed and pushed, then recorded as team keys (one `team_key_shared` event per key). Keys that
    /// can withdraw funds must each be confirmed by name, and the passphrase given again.
    pub fn team_share(
        &mut self,
        team: Option<&str>,
        names: &[String],
        confirm_withdraw: &[String],
        step_up: Option<&secrecy::SecretString>,
    ) -> Result<TeamShare> {
        let names: Vec<&str> = names
            .iter()
            .flat_map(|t| t.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        if names.is_empty() {
            return Err(Error::NoKeysChosen);
        }
        let mut chosen: Vec<KeyEntry> = Vec::new();
        for n in &names {
            let e = self.find(n)?;
            if e.status != KeyStatus::Active {
                return Err(Error::NotActive {
                    name: e.name.clone(),
                    status: e.status.to_string(),
                    hint: "only active keys are shared".into(),
                });
            }
            if !chosen.iter().any(|c| c.id == e.id) {
                chosen.push(e);
            }
        }
        let unconfirmed: Vec<&str> = chosen
            .iter()
            .filter(|e| {
                e.version_moves_funds(None)
                    && !confirm_withdraw
                        .iter()
                        .flat_map(|t| t.split(','))
                        .map(str::trim)
                        .any(|c| c.eq_ignore_ascii_case(&e.name) || c == e.id.to_string())
            })
            .map(|e| e.name.as_str())
            .collect();
        if !unconfirmed.is_empty() {
            return Err(Error::WithdrawNotConfirmed {
                names: unconfirmed.join(","),
            });
        }
        let sync = self.team_up_to_date(team)?;
        let (record, _) = self.team_record(Some(&sync.team_id.to_string()))?;
        if let Some(e) = chosen.iter().find(|e| record.keys.contains_key(&e.id)) {
            return Err(Error::team(format!(
                "'{}' is already a key of team {}: its changes are sent when the team syncs",
                e.name, record.name
            )));
        }
        if let Some(e) = chosen.iter().find(|e| e.release_needs_step_up(None, None)) {
            let name = e.name.clone();
            let why = e.step_up_why(None);
            self.step_up(&name, true, why, "sharing it with the team", step_up)?;
        }
        let list = sync.list.clone().expect("checked above");
        let identity = self.sharing_identity()?;
        let ids: Vec<Uuid> = chosen.iter().map(|e| e.id).collect();
        let keys =
            self.team_publish(record.id, sync.generation, &identity, &list, &ids, "share")?;
        Ok(TeamShare {
            team: record.name.clone(),
            keys,
            members: list.members.iter().map(|m| m.name.clone()).collect(),
        })
    }

    /// The entry file this vault would write for key `name` at its next revision, encrypted to the
    /// members it trusts; pushes and records nothing. What a changed client of a read member could push
    /// (the tests push it to see it refused), and a file to open with the `age` tool.
    pub fn team_sign_entry(&mut self, team: Option<&str>, name: &str) -> Result<Vec<u8>> {
        let identity = self.sharing_identity()?;
        let (record, _) = self.team_record(team)?;
        let list = record.list()?;
        let cells = self.cells();
        let (e, g) = find_row(&self.conn, &cells, name)?;
        let (s, _) = read_secrets(&self.conn, &cells, &e, g)?;
        let revision = record
            .keys
            .get(&e.id)
            .map_or(1, |h| h.revision.saturating_add(1));
        entry_file(
            &identity,
            &record.me,
            self.clock.now(),
            &list,
            record.id,
            revision,
            &e,
            &s,
        )
    }

    /// The working clone of a team (for tests and for people who want to look at it).
    pub fn team_clone_path(&self, team: Option<&str>) -> Result<PathBuf> {
        let (record, _) = self.team_record(team)?;
        Ok(self.team_clone_dir(record.id))
    }
}

#[cfg(test)]
mod tests {
    use super::check_remote;

    #[test]
    fn remotes_take_the_forms_git_reaches_and_plain_http_only_to_this_machine() {
        for ok in [
            "/srv/git/desk.git",
            "file:///srv/git/desk.git",
            "ssh://git@example.org/desk.git",
            "git@github.com:acme/desk.git",
            "https://gitea.example.org/acme/desk.git",
            "git://127.0.0.1:9418/desk.git",
            "http://127.0.0.1:8080/desk.git",
            "http://[::1]/desk.git",
            "http://localhost/desk.git",
        ] {
            assert_eq!(check_remote(&format!(" {ok} ")).unwrap(), ok);
        }
        let e = check_remote("http://gitea.example.org/desk.git")
            .unwrap_err()
            .to_string();
        assert!(e.contains("use https://"), "{e}");
        for bad in [
            "",
            "desk.git",
            "ftp://example.org/desk.git",
            "a\u{202e}b",
            "github.com:desk",
        ] {
            let e = check_remote(bad).unwrap_err().to_string();
            assert!(e.contains("ssh://git@host/team.git"), "{bad}: {e}");
        }
    }
}
