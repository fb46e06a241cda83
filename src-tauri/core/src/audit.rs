//! The audit log: an append-only list of events, each sealed like any record and chained with an HMAC
//! over the previous entry's MAC, its sequence number and its sealed bytes. The head (last sequence
//! number and MAC) is anchored in the MAC'd vault state, so removing entries from the end is detected.

use crate::crypto::{self, KEY_LEN, MAC_LEN};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;
use uuid::Uuid;

/// What happened.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuditAction {
    VaultCreated,
    VaultUnlocked,
    UnlockFailed,
    VaultLocked,
    /// The user accepted an older vault file (a backup restored on purpose) after the rollback warning.
    RestoredBackupAccepted,
    /// A copy of the vault file was written to a chosen place (where; or why it failed).
    VaultBackedUp,
    PassphraseChanged,
    KeyCreated,
    KeyEdited,
    SecretRevealed,
    SecretCopied,
    KeyRotated,
    KeyRevoked,
    KeyCompromised,
    /// A step of a compromised key's incident checklist ticked or unticked.
    IncidentStep,
    /// A reminder that a key is due (or overdue) was shown to the user.
    ReminderSent,
    /// The vault's sharing identity (age key pair and Ed25519 signing key) was made.
    SharingIdentityCreated,
    ContactAdded,
    ContactRenamed,
    ContactRemoved,
    /// Keys were written into an encrypted share file (which keys, to whom).
    ShareExported,
    /// A share file was imported (from whom, what was added or replaced).
    ShareImported,
    /// A key was added, or its secrets replaced, from another tool's file (a bot config, `.env`,
    /// KeePass, Bitwarden): which file and where in it.
    KeyImported,
    /// A leak scan ran (which folders, how much was read, how many findings, which keys were found).
    ScanRun,
    /// A scan found a key's current secret in a file (where); the key is flagged until rotated.
    KeyFoundInPlaintext,
    /// The user marked a scan finding ignored (which file, rule and key): later scans leave it out.
    FindingIgnored,
    /// An ignored finding is reported again.
    FindingUnignored,
    /// A key's secrets were handed to a program started by `run` (which profile, which program).
    KeyRun,
    /// This device was remembered: its slot (the vault key wrapped under a key in the OS keyring) was added.
    DeviceRemembered,
    /// A remembered device's slot was removed ("forget this device", or every one at a passphrase change).
    DeviceForgotten,
    /// A team vault was made in a git remote (its name, the remote, this vault as its first write member).
    TeamCreated,
    /// This vault joined a team after its member list was checked and confirmed (name, remote, creator).
    TeamJoined,
    /// A member was added to a team's member list (who, role, new list version).
    TeamMemberAdded,
    /// A member was removed from a team's member list (who, new list version, the keys to rotate).
    TeamMemberRemoved,
    /// A key was put into a team vault: encrypted to every member and pushed.
    TeamKeyShared,
    /// A team sync changed or added this key from the team (which revision, changed by whom).
    TeamKeyReceived,
    /// A team sync sent this member's change of the key to the team (which revision).
    TeamKeySent,
    /// A team sync ran: what came in, from whom, what was refused and why, what went out.
    TeamSynced,
    /// A key was checked on its exchange (outcome and how many differences; never a secret).
    KeyVerified,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VaultCreated => "vault_created",
            Self::VaultUnlocked => "vault_unlocked",
            Self::UnlockFailed => "unlock_failed",
            Self::VaultLocked => "vault_locked",
            Self::RestoredBackupAccepted => "restored_backup_accepted",
            Self::VaultBackedUp => "vault_backed_up",
            Self::PassphraseChanged => "passphrase_changed",
            Self::KeyCreated => "key_created",
            Self::KeyEdited => "key_edited",
            Self::SecretRevealed => "secret_revealed",
            Self::SecretCopied => "secret_copied",
            Self::KeyRotated => "key_rotated",
            Self::KeyRevoked => "key_revoked",
            Self::KeyCompromised => "key_compromised",
            Self::IncidentStep => "incident_step",
            Self::ReminderSent => "reminder_sent",
            Self::SharingIdentityCreated => "sharing_identity_created",
            Self::ContactAdded => "contact_added",
            Self::ContactRenamed => "contact_renamed",
            Self::ContactRemoved => "contact_removed",
            Self::ShareExported => "share_exported",
            Self::ShareImported => "share_imported",
            Self::KeyImported => "key_imported",
            Self::ScanRun => "scan_run",
            Self::KeyFoundInPlaintext => "key_found_in_plaintext",
            Self::FindingIgnored => "finding_ignored",
            Self::FindingUnignored => "finding_unignored",
            Self::KeyRun => "key_run",
            Self::DeviceRemembered => "device_remembered",
            Self::DeviceForgotten => "device_forgotten",
            Self::TeamCreated => "team_created",
            Self::TeamJoined => "team_joined",
            Self::TeamMemberAdded => "team_member_added",
            Self::TeamMemberRemoved => "team_member_removed",
            Self::TeamKeyShared => "team_key_shared",
            Self::TeamKeyReceived => "team_key_received",
            Self::TeamKeySent => "team_key_sent",
            Self::TeamSynced => "team_synced",
            Self::KeyVerified => "key_verified",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event as written. Never holds a secret: `detail` names fields, never values.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    pub action: AuditAction,
    pub key_id: Option<Uuid>,
    /// The key's name when the event happened (names change; the id does not).
    pub key_name: Option<String>,
    pub detail: Option<String>,
    /// Which program did it: `cli` or `app` (`unknown` for a record written while locked that named
    /// neither).
    pub actor: String,
    /// Sealed at an unlock from a table written without the vault key (failed unlocks, reminders sent
    /// while locked): its content was rebuilt from a fixed vocabulary and its time bounded, but nothing
    /// proves it happened as recorded. Events from before this mark existed read as `false`.
    #[serde(default)]
    pub recorded_while_locked: bool,
}

/// The programs a record written while locked may name; anything else is sealed as `unknown`, never as
/// the stored text.
pub fn locked_time_actor(stored: &str) -> &'static str {
    match stored {
        "app" => "app",
        "cli" => "cli",
        _ => "unknown",
    }
}

/// An event with its place in the chain.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub seq: u64,
    #[serde(flatten)]
    pub event: AuditEvent,
}

/// The result of checking the whole chain.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Entries read from the file.
    pub entries: u64,
    /// The first problem found, if any.
    pub problem: Option<AuditProblem>,
}

impl AuditReport {
    pub fn intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// The first break in the chain, named by the sequence number a person can look up.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditProblem {
    /// Entry `seq` does not match its MAC: edited, swapped or replaced.
    Altered { seq: u64 },
    /// Entry `seq` is missing from the middle of the chain.
    Missing { seq: u64 },
    /// The chain ends at `last_present` but the vault recorded entries up to `expected_last`.
    Truncated {
        last_present: u64,
        expected_last: u64,
    },
    /// The chain goes on past the recorded head, or the head's MAC differs: written without the vault key.
    HeadMismatch { seq: u64 },
}

impl fmt::Display for AuditProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Altered { seq } => write!(f, "entry #{seq} was altered, swapped or replaced"),
            Self::Missing { seq } => write!(f, "entry #{seq} was deleted"),
            Self::Truncated { last_present, expected_last } => write!(
                f,
                "entries #{}–#{expected_last} were removed from the end (the chain stops at #{last_present})",
                last_present + 1
            ),
            Self::HeadMismatch { seq } => {
                write!(f, "entry #{seq} does not match the vault's recorded head of the chain")
            }
        }
    }
}

/// The MAC of entry `seq`, chained to the previous entry's MAC.
pub(crate) fn chain_mac(
    key: &[u8; KEY_LEN],
    prev: &[u8; MAC_LEN],
    seq: u64,
    sealed: &[u8],
) -> [u8; MAC_LEN] {
    crypto::mac(key, &[prev, &seq.to_le_bytes(), sealed])
}

/// The MAC before the first entry.
pub(crate) const GENESIS: [u8; MAC_LEN] = [0u8; MAC_LEN];

/// Walks the chain in sequence order and reports the first break. The HMAC is keyed once and cloned
/// per entry; rows are borrowed, so a million entries verify without a million allocations.
pub(crate) struct ChainWalk {
    keyed: Hmac<Sha256>,
    prev: [u8; MAC_LEN],
    expected: u64,
    pub entries: u64,
}

impl ChainWalk {
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        Self {
            keyed: <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length"),
            prev: GENESIS,
            expected: 1,
            entries: 0,
        }
    }

    /// Checks the next row; the first problem ends the walk.
    pub fn next(&mut self, seq: u64, sealed: &[u8], stored_mac: &[u8]) -> Option<AuditProblem> {
        self.entries += 1;
        if seq != self.expected {
            return Some(AuditProblem::Missing { seq: self.expected });
        }
        let mut m = self.keyed.clone();
        m.update(&self.prev);
        m.update(&seq.to_le_bytes());
        m.update(sealed);
        let mac: [u8; MAC_LEN] = m.finalize().into_bytes().into();
        if !crypto::mac_eq(&mac, stored_mac) {
            return Some(AuditProblem::Altered { seq });
        }
        self.prev = mac;
        self.expected += 1;
        None
    }

    /// Compares where the chain ended with the anchored head (seq, mac).
    pub fn finish(self, head: (u64, [u8; MAC_LEN])) -> Option<AuditProblem> {
        let last = self.expected - 1;
        let (head_seq, head_mac) = head;
        if last < head_seq {
            Some(AuditProblem::Truncated {
                last_present: last,
                expected_last: head_seq,
            })
        } else if last > head_seq || !crypto::mac_eq(&self.prev, &head_mac) {
            Some(AuditProblem::HeadMismatch { seq: last })
        } else {
            None
        }
    }
}
