//! The trust rules of a team vault, as pure functions over parsed documents: which member lists follow
//! the one a vault trusts, and which entry files may change its keys. Every refusal has a named reason
//! ([`Refusal`]); a sync applies nothing from a refused file.

use super::members::{signing_key_fingerprint, MemberList, Role};
use crate::share::{SharingKey, TeamStamp};
use serde::Serialize;
use std::fmt;
use uuid::Uuid;

/// Why a member list or an entry file was refused.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    /// A member list for another team than the one this vault is in.
    ListOfAnotherTeam,
    /// A member list whose version or `previous` hash does not follow the list before it.
    ListChainBroken { version: u64 },
    /// The list this vault trusts is not the one the repository now holds at that version: the history
    /// of the member list was rewritten.
    ListHistoryRewritten { version: u64 },
    /// A member list signed by someone who is not a member of the list before it (or, for the first
    /// list, of itself).
    ListSignedByNonMember { version: u64, fingerprint: String },
    /// A member list signed by a read member.
    ListSignedByReadMember { version: u64, name: String },
    /// The file could not be opened: it does not decrypt (altered, or not encrypted to this vault),
    /// its document is malformed, or its signature does not verify.
    Unreadable { detail: String },
    /// An entry file without a signature.
    EntryUnsigned,
    /// An entry without a team stamp, or stamped for another team.
    EntryOfAnotherTeam,
    /// An entry file whose name is not the id of the key it holds (moved from another key's file).
    EntryWrongKey,
    /// An entry signed by someone who is not a member.
    EntrySignedByNonMember { fingerprint: String },
    /// An entry signed by a read member (who may not change keys).
    EntrySignedByReadMember { name: String },
    /// An entry for a key this vault holds as a personal key (not one of this team's keys): a team never
    /// changes a personal key, even one with the same id.
    EntryForPersonalKey,
    /// An entry whose revision is not above the one this vault holds: an older file replayed (or the
    /// same revision with other contents).
    EntryNotNewer { revision: u64, held: u64 },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ListOfAnotherTeam => f.write_str("the member list belongs to another team"),
            Self::ListChainBroken { version } => write!(
                f,
                "member list version {version} does not follow the list before it (wrong version number or previous-list hash)"
            ),
            Self::ListHistoryRewritten { version } => write!(
                f,
                "member list version {version} in the repository is not the one this vault trusts: the list's history was rewritten"
            ),
            Self::ListSignedByNonMember { version, fingerprint } => write!(
                f,
                "member list version {version} is signed by someone who was not a member ({fingerprint})"
            ),
            Self::ListSignedByReadMember { version, name } => write!(
                f,
                "member list version {version} is signed by {name}, a read member: only write members change the member list"
            ),
            Self::Unreadable { detail } => write!(f, "it cannot be opened: {detail}"),
            Self::EntryUnsigned => f.write_str("it is unsigned"),
            Self::EntryOfAnotherTeam => {
                f.write_str("it is not stamped for this team (a file from another team or a plain share file)")
            }
            Self::EntryWrongKey => {
                f.write_str("its file name is not the id of the key inside (moved from another key's file)")
            }
            Self::EntrySignedByNonMember { fingerprint } => {
                write!(f, "it is signed by someone who is not a member ({fingerprint})")
            }
            Self::EntrySignedByReadMember { name } => write!(
                f,
                "it is signed by {name}, a read member: read members cannot change team keys"
            ),
            Self::EntryForPersonalKey => f.write_str(
                "it is for a key this vault holds as a personal key, not as a key of this team: the team does not change it",
            ),
            Self::EntryNotNewer { revision, held } => write!(
                f,
                "it is revision {revision}, not newer than revision {held} this vault holds (an older file replayed)"
            ),
        }
    }
}

/// Checks the first list of a team: version 1, no previous list, signed by one of its write members.
pub fn verify_first_list(list: &MemberList) -> Result<(), Refusal> {
    if list.version != 1 || list.previous.is_some() {
        return Err(Refusal::ListChainBroken {
            version: list.version,
        });
    }
    signed_by_writer(list, list)
}

/// Checks that `next` may follow `prev`: same team, the next version, `previous` is `prev`'s hash, and
/// signed by a write member of `prev`.
pub fn verify_next_list(prev: &MemberList, next: &MemberList) -> Result<(), Refusal> {
    if next.team_id != prev.team_id {
        return Err(Refusal::ListOfAnotherTeam);
    }
    if next.version != prev.version + 1 || next.previous.as_deref() != Some(prev.hash.as_str()) {
        return Err(Refusal::ListChainBroken {
            version: next.version,
        });
    }
    signed_by_writer(prev, next)
}

fn signed_by_writer(authority: &MemberList, list: &MemberList) -> Result<(), Refusal> {
    match authority.member_by_signing_key(&list.signer) {
        None => Err(Refusal::ListSignedByNonMember {
            version: list.version,
            fingerprint: signing_key_fingerprint(&list.signer),
        }),
        Some(m) if m.role != Role::Write => Err(Refusal::ListSignedByReadMember {
            version: list.version,
            name: m.name.clone(),
        }),
        Some(_) => Ok(()),
    }
}

/// Walks the repository's lists (`lists[i]` is version `i + 1`) from the one this vault trusts (none
/// when joining: from the first) and answers the newest list that checks. The trusted list must be the
/// repository's list of that version, byte for byte.
pub fn check_chain<'a>(
    trusted: Option<&'a MemberList>,
    lists: &'a [MemberList],
) -> Result<&'a MemberList, Refusal> {
    let (mut current, start) = match trusted {
        Some(t) => {
            let index = t.version as usize - 1;
            match lists.get(index) {
                Some(l) if l.hash == t.hash => (l, index + 1),
                _ => return Err(Refusal::ListHistoryRewritten { version: t.version }),
            }
        }
        None => {
            let first = lists
                .first()
                .ok_or(Refusal::ListChainBroken { version: 1 })?;
            verify_first_list(first)?;
            (first, 1)
        }
    };
    for next in &lists[start..] {
        verify_next_list(current, next)?;
        current = next;
    }
    Ok(current)
}

/// What an opened entry file says about itself, as the checks need it.
pub struct EntryFacts<'a> {
    /// The sharing key whose signature verified (None: unsigned).
    pub signer: Option<&'a SharingKey>,
    pub stamp: Option<TeamStamp>,
    /// The id of the key inside.
    pub key_id: Option<Uuid>,
    /// SHA-256 of the entry file.
    pub file_hash: &'a str,
}

/// What this vault holds of a team key.
#[derive(Debug, Clone, Copy)]
pub struct HeldEntry<'a> {
    pub revision: u64,
    pub file_hash: &'a str,
}

/// An entry file that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryVerdict {
    /// The very file this vault last synced.
    Unchanged,
    /// A newer revision, by this member, to apply.
    Newer { revision: u64, by: String },
}

/// The rules for one entry file of team `team_id` named `keys/<file_key>.age`, checked against the
/// member list this sync trusts and what the vault holds of that key.
pub fn verify_entry(
    list: &MemberList,
    team_id: Uuid,
    file_key: Uuid,
    facts: &EntryFacts<'_>,
    held: Option<HeldEntry<'_>>,
) -> Result<EntryVerdict, Refusal> {
    let signer = facts.signer.ok_or(Refusal::EntryUnsigned)?;
    let stamp = facts
        .stamp
        .filter(|s| s.team_id == team_id)
        .ok_or(Refusal::EntryOfAnotherTeam)?;
    if facts.key_id != Some(file_key) {
        return Err(Refusal::EntryWrongKey);
    }
    let member = list
        .member_by_key(signer)
        .ok_or_else(|| Refusal::EntrySignedByNonMember {
            fingerprint: signer.fingerprint(),
        })?;
    if member.role != Role::Write {
        return Err(Refusal::EntrySignedByReadMember {
            name: member.name.clone(),
        });
    }
    if let Some(h) = held {
        if stamp.revision == h.revision && facts.file_hash == h.file_hash {
            return Ok(EntryVerdict::Unchanged);
        }
        if stamp.revision <= h.revision {
            return Err(Refusal::EntryNotNewer {
                revision: stamp.revision,
                held: h.revision,
            });
        }
    }
    Ok(EntryVerdict::Newer {
        revision: stamp.revision,
        by: member.name.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::members::{build_list, parse_list, TeamMember};
    use super::*;
    use crate::share::ShareIdentity;
    use chrono::Utc;

    struct People {
        alice: ShareIdentity,
        bob: ShareIdentity,
        carol: ShareIdentity,
        mallory: ShareIdentity,
    }

    fn people() -> People {
        People {
            alice: ShareIdentity::generate(),
            bob: ShareIdentity::generate(),
            carol: ShareIdentity::generate(),
            mallory: ShareIdentity::generate(),
        }
    }

    fn m(id: &ShareIdentity, name: &str, role: Role) -> TeamMember {
        TeamMember {
            name: name.into(),
            key: id.sharing_key(),
            role,
        }
    }

    fn list(
        signer: &ShareIdentity,
        team: Uuid,
        version: u64,
        prev: Option<&MemberList>,
        members: &[TeamMember],
    ) -> MemberList {
        let text = build_list(
            signer,
            team,
            "desk",
            version,
            prev.map(|p| p.hash.as_str()),
            members,
            Utc::now(),
        )
        .unwrap();
        parse_list(text.as_bytes()).unwrap()
    }

    /// v1: alice (write); v2: + bob (read), by alice.
    fn two_lists(p: &People, team: Uuid) -> Vec<MemberList> {
        let v1 = list(
            &p.alice,
            team,
            1,
            None,
            &[m(&p.alice, "alice", Role::Write)],
        );
        let v2 = list(
            &p.alice,
            team,
            2,
            Some(&v1),
            &[
                m(&p.alice, "alice", Role::Write),
                m(&p.bob, "bob", Role::Read),
            ],
        );
        vec![v1, v2]
    }

    #[test]
    fn a_chain_of_lists_each_signed_by_a_write_member_of_the_one_before_checks() {
        let p = people();
        let team = Uuid::new_v4();
        let lists = two_lists(&p, team);
        assert_eq!(check_chain(None, &lists).unwrap().version, 2);
        assert_eq!(check_chain(Some(&lists[0]), &lists).unwrap().version, 2);
        assert_eq!(check_chain(Some(&lists[1]), &lists).unwrap().version, 2);
    }

    #[test]
    fn a_first_list_signed_by_someone_not_in_it_is_refused() {
        let p = people();
        let v1 = list(
            &p.mallory,
            Uuid::new_v4(),
            1,
            None,
            &[m(&p.alice, "alice", Role::Write)],
        );
        assert!(matches!(
            verify_first_list(&v1),
            Err(Refusal::ListSignedByNonMember { version: 1, .. })
        ));
    }

    #[test]
    fn a_list_signed_by_a_non_member_of_the_previous_list_is_refused_even_if_it_adds_them() {
        let p = people();
        let team = Uuid::new_v4();
        let mut lists = two_lists(&p, team);
        let v3 = list(
            &p.mallory,
            team,
            3,
            Some(&lists[1]),
            &[
                m(&p.alice, "alice", Role::Write),
                m(&p.mallory, "mallory", Role::Write),
            ],
        );
        lists.push(v3);
        let e = check_chain(Some(&lists[1]), &lists).unwrap_err();
        assert!(
            matches!(e, Refusal::ListSignedByNonMember { version: 3, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("not a member"), "{e}");
    }

    #[test]
    fn a_list_signed_by_a_read_member_is_refused_and_names_them() {
        let p = people();
        let team = Uuid::new_v4();
        let mut lists = two_lists(&p, team);
        // Bob (read) makes himself a write member.
        let v3 = list(
            &p.bob,
            team,
            3,
            Some(&lists[1]),
            &[
                m(&p.alice, "alice", Role::Write),
                m(&p.bob, "bob", Role::Write),
            ],
        );
        lists.push(v3);
        let e = check_chain(Some(&lists[1]), &lists).unwrap_err();
        assert_eq!(
            e,
            Refusal::ListSignedByReadMember {
                version: 3,
                name: "bob".into()
            }
        );
    }

    #[test]
    fn a_list_signed_by_a_member_who_only_becomes_write_in_it_is_refused() {
        let p = people();
        let team = Uuid::new_v4();
        let v1 = list(
            &p.alice,
            team,
            1,
            None,
            &[
                m(&p.alice, "alice", Role::Write),
                m(&p.carol, "carol", Role::Read),
            ],
        );
        // Carol was a read member of v1; a v2 signed by her is refused although v2 says she writes.
        let v2 = list(
            &p.carol,
            team,
            2,
            Some(&v1),
            &[
                m(&p.alice, "alice", Role::Write),
                m(&p.carol, "carol", Role::Write),
            ],
        );
        assert!(matches!(
            verify_next_list(&v1, &v2),
            Err(Refusal::ListSignedByReadMember { version: 2, .. })
        ));
    }

    #[test]
    fn a_list_that_skips_a_version_names_another_previous_list_or_another_team_is_refused() {
        let p = people();
        let team = Uuid::new_v4();
        let lists = two_lists(&p, team);
        let members = [m(&p.alice, "alice", Role::Write)];
        let skip = list(&p.alice, team, 4, Some(&lists[1]), &members);
        assert!(matches!(
            verify_next_list(&lists[1], &skip),
            Err(Refusal::ListChainBroken { version: 4 })
        ));
        let wrong_prev = list(&p.alice, team, 3, Some(&lists[0]), &members);
        assert!(matches!(
            verify_next_list(&lists[1], &wrong_prev),
            Err(Refusal::ListChainBroken { version: 3 })
        ));
        let other = list(&p.alice, Uuid::new_v4(), 3, Some(&lists[1]), &members);
        assert_eq!(
            verify_next_list(&lists[1], &other),
            Err(Refusal::ListOfAnotherTeam)
        );
    }

    #[test]
    fn a_rewritten_list_history_is_refused() {
        let p = people();
        let team = Uuid::new_v4();
        let lists = two_lists(&p, team);
        let mut other = lists.clone();
        other[1] = list(
            &p.alice,
            team,
            2,
            Some(&lists[0]),
            &[m(&p.alice, "alice", Role::Write)],
        );
        assert_eq!(
            check_chain(Some(&lists[1]), &other).unwrap_err(),
            Refusal::ListHistoryRewritten { version: 2 }
        );
    }

    fn facts<'a>(signer: &'a SharingKey, team: Uuid, revision: u64, key: Uuid) -> EntryFacts<'a> {
        EntryFacts {
            signer: Some(signer),
            stamp: Some(TeamStamp {
                team_id: team,
                revision,
            }),
            key_id: Some(key),
            file_hash: "h2",
        }
    }

    #[test]
    fn entries_from_non_members_read_members_other_teams_or_other_keys_are_refused() {
        let p = people();
        let team = Uuid::new_v4();
        let lists = two_lists(&p, team);
        let list = &lists[1];
        let key = Uuid::new_v4();
        let (alice, bob, mallory) = (
            p.alice.sharing_key(),
            p.bob.sharing_key(),
            p.mallory.sharing_key(),
        );
        assert_eq!(
            verify_entry(list, team, key, &facts(&alice, team, 1, key), None),
            Ok(EntryVerdict::Newer {
                revision: 1,
                by: "alice".into()
            })
        );
        assert!(matches!(
            verify_entry(list, team, key, &facts(&mallory, team, 1, key), None),
            Err(Refusal::EntrySignedByNonMember { .. })
        ));
        assert_eq!(
            verify_entry(list, team, key, &facts(&bob, team, 1, key), None),
            Err(Refusal::EntrySignedByReadMember { name: "bob".into() })
        );
        assert_eq!(
            verify_entry(
                list,
                team,
                key,
                &facts(&alice, Uuid::new_v4(), 1, key),
                None
            ),
            Err(Refusal::EntryOfAnotherTeam)
        );
        assert_eq!(
            verify_entry(
                list,
                team,
                Uuid::new_v4(),
                &facts(&alice, team, 1, key),
                None
            ),
            Err(Refusal::EntryWrongKey)
        );
        let mut unsigned = facts(&alice, team, 1, key);
        unsigned.signer = None;
        assert_eq!(
            verify_entry(list, team, key, &unsigned, None),
            Err(Refusal::EntryUnsigned)
        );
    }

    #[test]
    fn an_entry_not_newer_than_the_held_revision_is_refused_unless_it_is_the_same_file() {
        let p = people();
        let team = Uuid::new_v4();
        let lists = two_lists(&p, team);
        let key = Uuid::new_v4();
        let alice = p.alice.sharing_key();
        let held = |revision| HeldEntry {
            revision,
            file_hash: "h1",
        };
        assert_eq!(
            verify_entry(
                &lists[1],
                team,
                key,
                &facts(&alice, team, 2, key),
                Some(held(3))
            ),
            Err(Refusal::EntryNotNewer {
                revision: 2,
                held: 3
            })
        );
        // Same revision, other contents (file hash h2 against h1): refused too.
        assert!(matches!(
            verify_entry(
                &lists[1],
                team,
                key,
                &facts(&alice, team, 3, key),
                Some(held(3))
            ),
            Err(Refusal::EntryNotNewer { .. })
        ));
        let same = HeldEntry {
            revision: 3,
            file_hash: "h2",
        };
        assert_eq!(
            verify_entry(
                &lists[1],
                team,
                key,
                &facts(&alice, team, 3, key),
                Some(same)
            ),
            Ok(EntryVerdict::Unchanged)
        );
        assert!(matches!(
            verify_entry(
                &lists[1],
                team,
                key,
                &facts(&alice, team, 4, key),
                Some(held(3))
            ),
            Ok(EntryVerdict::Newer { revision: 4, .. })
        ));
    }
}
