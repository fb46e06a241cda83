//! Team vaults: keys kept in sync for a small team through a git repository the team already has.
//! Keystead runs no server; the repository is any git remote libgit2 reaches: a bare repository by
//! path or `file://`, `git://` (a `git daemon`), ssh (the user's agent) and https (the user's git
//! credential helper); see `check_remote` in the vault's team module.
//!
//! # The repository
//!
//! ```text
//! team.json                  {"format": "keystead-team", "version": 1, "team_id": "<uuid>", "name": "desk"}
//! members/000001.json        the first member list, signed by its creator (a write member of it)
//! members/000002.json        each next list signed by a write member of the list before it
//! keys/<key id>.age          one key: a keystead-share document, age-encrypted to every member
//! ```
//!
//! - `team.json` says what the repository is; it is not signed, so it is only believed when it agrees
//!   with the signed member lists (same team id and name).
//! - A member list (see [`members`]) is a signed JSON document like a share document: its payload holds
//!   the team id and name, its `version` (1, 2, …), the SHA-256 of the previous list's file (`previous`,
//!   none for version 1) and the members (display name, sharing key line, role `read` or `write`). Every
//!   list ever made stays in `members/`, so a vault that trusts version 3 checks 4, 5, … one by one: each
//!   must name the one before it by hash and be signed by a write member *of the one before it*. A list
//!   signed by a non-member, by a read member, or one whose chain breaks is refused and nothing from the
//!   sync is applied.
//! - An entry file is exactly the share document `keystead share export` writes, holding one key,
//!   encrypted with age to every current member (so Debian's `age -d -i` opens it with a member's
//!   identity), signed by the member who last changed the key. Its signed payload also carries
//!   `"team": {"team_id": …, "revision": n}`: the revision goes up by one with every change. An entry
//!   signed by a non-member or a read member, stamped for another team, named for another key, or whose
//!   revision is not above the one this vault holds (a replayed older file) is refused and named in the
//!   sync preview; nothing from it is applied.
//!
//! # In the vault
//!
//! The vault keeps one sealed record per team (the `teams` table, schema version 7; counted in the
//! entries digest like keys and contacts): the remote, the team id and name, this member's name, the
//! member list it trusts (the whole signed document), and for each team key the revision it holds, the
//! hash of that entry file and a keyed fingerprint of the key as last synced (so a local change is found
//! and sent). Which local keys belong to a team is that map. Each team has a private working clone
//! beside the vault file (`<vault>.teams/<team id>/`, mode 0700); it is a cache: every sync resets it to
//! the remote before checking anything.
//!
//! Not yet: removing a member (re-encryption and "rotate: member left"), resolving conflicts (a key
//! changed here and by someone else since the last sync is refused for now and named as a conflict).

pub(crate) mod git;
pub mod members;
pub mod verify;

pub use members::{MemberList, Role, TeamMember, MEMBERS_FORMAT, TEAM_FORMAT};
pub use verify::{
    check_chain, verify_entry, verify_first_list, verify_next_list, EntryFacts, EntryVerdict,
    HeldEntry, Refusal,
};
