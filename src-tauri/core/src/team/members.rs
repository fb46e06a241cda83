//! A team's member list: its signed document, and the team file beside it.
//!
//! ```json
//! {"format": "keystead-team-members", "version": 1,
//!  "payload": {"team_id": "…", "team_name": "desk", "version": 2, "previous": "<sha256 hex>",
//!              "signed_at": "…",
//!              "members": [{"name": "alice", "sharing_key": "keystead-share1:…", "role": "write"}]},
//!  "signature": {"alg": "ed25519", "public_key": "<base64url>", "value": "<base64url>"}}
//! ```
//!
//! The signature covers the exact bytes of `payload`, and is by the sharing key of a member (which member
//! may sign is decided in [`super::verify`], against the previous list).

use crate::error::{Error, Result};
use crate::share::{parse_verifying_key, ShareIdentity, SharingKey, WireSignature};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// `format` of a member list document.
pub const MEMBERS_FORMAT: &str = "keystead-team-members";
/// `format` of the team file.
pub const TEAM_FORMAT: &str = "keystead-team";
/// Most members in one list.
pub const MAX_MEMBERS: usize = 64;
/// Largest member list file read.
pub const MAX_LIST_BYTES: usize = 256 * 1024;

/// What a member may do: `read` members receive the keys; `write` members also change keys and the
/// member list.
#[derive(ts_rs::TS)]
#[ts(export)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Read,
    Write,
}

impl Role {
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "read" => Ok(Self::Read),
            "write" => Ok(Self::Write),
            _ => Err(Error::input("a member's role is read or write")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// One member of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub name: String,
    pub key: SharingKey,
    pub role: Role,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMember {
    name: String,
    sharing_key: String,
    role: Role,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireListPayload {
    team_id: Uuid,
    team_name: String,
    version: u64,
    previous: Option<String>,
    signed_at: DateTime<Utc>,
    members: Vec<WireMember>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireListIn<'a> {
    format: String,
    version: u64,
    #[serde(borrow)]
    payload: &'a RawValue,
    signature: WireSignature,
}

/// A member list whose signature verified (who may sign it is checked by [`super::verify`]).
#[derive(Debug, Clone)]
pub struct MemberList {
    pub team_id: Uuid,
    pub team_name: String,
    pub version: u64,
    pub previous: Option<String>,
    pub signed_at: DateTime<Utc>,
    pub members: Vec<TeamMember>,
    /// The Ed25519 key whose signature verified (a member's, or not: see [`super::verify`]).
    pub signer: [u8; 32],
    /// SHA-256 of the whole file, lower-case hex: what the next list names as `previous`.
    pub hash: String,
    /// The file as read, to keep in the vault as the trusted list.
    pub text: String,
}

impl MemberList {
    /// The member whose sharing key has this Ed25519 signing key.
    pub fn member_by_signing_key(&self, key: &[u8; 32]) -> Option<&TeamMember> {
        self.members
            .iter()
            .find(|m| m.key.signing_key_bytes().as_ref() == Some(key))
    }

    /// The member with this sharing key.
    pub fn member_by_key(&self, key: &SharingKey) -> Option<&TeamMember> {
        key.signing_key_bytes()
            .and_then(|k| self.member_by_signing_key(&k))
    }

    /// The member who signed this list, if they are in it.
    pub fn signer_member(&self) -> Option<&TeamMember> {
        self.member_by_signing_key(&self.signer)
    }

    /// The members who may change keys and the member list.
    pub fn write_members(&self) -> impl Iterator<Item = &TeamMember> {
        self.members.iter().filter(|m| m.role == Role::Write)
    }

    /// The next list: these members, signed by `identity`.
    pub fn next(
        &self,
        identity: &ShareIdentity,
        members: &[TeamMember],
        at: DateTime<Utc>,
    ) -> Result<String> {
        build_list(
            identity,
            self.team_id,
            &self.team_name,
            self.version + 1,
            Some(&self.hash),
            members,
            at,
        )
    }
}

/// A short digest of an Ed25519 signing key alone (for a signer who is no member, so has no sharing key
/// line to take the usual fingerprint of): four groups of four hex digits.
pub fn signing_key_fingerprint(key: &[u8; 32]) -> String {
    let d = Sha256::digest([b"keystead signing key fingerprint v1\0".as_slice(), key].concat());
    let hex: String = d[..8].iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "{}-{}-{}-{}",
        &hex[0..4],
        &hex[4..8],
        &hex[8..12],
        &hex[12..16]
    )
}

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn refused(reason: impl Into<String>) -> Error {
    Error::team(format!(
        "the team's member list was refused: {}",
        reason.into()
    ))
}

/// A team or member name: printable, trimmed, at most 64 characters.
pub fn check_name(what: &str, name: &str) -> Result<String> {
    let t = name.trim();
    if t.is_empty() || t.chars().count() > 64 || crate::parse::has_control_or_bidi(t) {
        return Err(Error::input(format!(
            "a {what} is 1 to 64 printable characters"
        )));
    }
    Ok(t.to_string())
}

/// A signed member list document.
pub fn build_list(
    identity: &ShareIdentity,
    team_id: Uuid,
    team_name: &str,
    version: u64,
    previous: Option<&str>,
    members: &[TeamMember],
    at: DateTime<Utc>,
) -> Result<String> {
    let payload = serde_json::to_string(&WireListPayload {
        team_id,
        team_name: team_name.to_string(),
        version,
        previous: previous.map(str::to_string),
        signed_at: at,
        members: members
            .iter()
            .map(|m| WireMember {
                name: m.name.clone(),
                sharing_key: m.key.to_string(),
                role: m.role,
            })
            .collect(),
    })
    .map_err(|e| Error::Storage(e.to_string()))?;
    let (public_key, value) = identity.sign_b64(payload.as_bytes());
    let sig = serde_json::to_string(&WireSignature {
        alg: "ed25519".into(),
        public_key,
        value,
    })
    .map_err(|e| Error::Storage(e.to_string()))?;
    Ok(format!(
        "{{\"format\":\"{MEMBERS_FORMAT}\",\"version\":1,\"payload\":{payload},\"signature\":{sig}}}\n"
    ))
}

/// Parses a member list file and verifies its signature (by the key it carries; whether that key may
/// sign is [`super::verify`]'s question).
pub fn parse_list(bytes: &[u8]) -> Result<MemberList> {
    if bytes.len() > MAX_LIST_BYTES {
        return Err(refused("it is larger than 256 KiB"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| refused("it is not UTF-8 text"))?;
    let wire: WireListIn<'_> =
        serde_json::from_str(text).map_err(|e| refused(format!("it is malformed ({e})")))?;
    if wire.format != MEMBERS_FORMAT || wire.version != 1 {
        return Err(refused(
            "it is not a Keystead member list this version reads (update Keystead)",
        ));
    }
    if wire.signature.alg != "ed25519" {
        return Err(refused("it names an unknown signature algorithm"));
    }
    let key = parse_verifying_key(&wire.signature.public_key).map_err(refused)?;
    let value: [u8; 64] = URL_SAFE_NO_PAD
        .decode(&wire.signature.value)
        .ok()
        .and_then(|v| v.as_slice().try_into().ok())
        .ok_or_else(|| refused("its signature is malformed"))?;
    key.verify_strict(
        wire.payload.get().as_bytes(),
        &ed25519_dalek::Signature::from_bytes(&value),
    )
    .map_err(|_| refused("it does not match its signature (altered after it was signed)"))?;
    let payload: WireListPayload = serde_json::from_str(wire.payload.get())
        .map_err(|e| refused(format!("its payload is malformed ({e})")))?;
    if payload.members.is_empty() || payload.members.len() > MAX_MEMBERS {
        return Err(refused(format!("it must name 1 to {MAX_MEMBERS} members")));
    }
    let team_name =
        check_name("team name", &payload.team_name).map_err(|e| refused(e.to_string()))?;
    let mut members: Vec<TeamMember> = Vec::with_capacity(payload.members.len());
    for m in payload.members {
        let name = check_name("member name", &m.name).map_err(|e| refused(e.to_string()))?;
        let key = SharingKey::parse(&m.sharing_key)
            .map_err(|e| refused(format!("member {name} has an invalid sharing key ({e})")))?;
        if !key.can_verify() {
            return Err(refused(format!(
                "member {name} has a plain age key: team members need a full sharing key"
            )));
        }
        if members.iter().any(|o| {
            o.name.eq_ignore_ascii_case(&name) || o.key.age_recipient() == key.age_recipient()
        }) {
            return Err(refused(format!("member {name} appears twice")));
        }
        members.push(TeamMember {
            name,
            key,
            role: m.role,
        });
    }
    let signer = key.to_bytes();
    Ok(MemberList {
        team_id: payload.team_id,
        team_name,
        version: payload.version,
        previous: payload.previous,
        signed_at: payload.signed_at,
        members,
        signer,
        hash: sha256_hex(bytes),
        text: text.to_string(),
    })
}

/// The team file (`team.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamFile {
    pub format: String,
    pub version: u64,
    pub team_id: Uuid,
    pub name: String,
}

impl TeamFile {
    pub fn new(team_id: Uuid, name: &str) -> Self {
        Self {
            format: TEAM_FORMAT.into(),
            version: 1,
            team_id,
            name: name.to_string(),
        }
    }

    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let f: Self = serde_json::from_slice(bytes).map_err(|e| {
            Error::team(format!(
                "this repository is not a Keystead team: its team.json is malformed ({e})"
            ))
        })?;
        if f.format != TEAM_FORMAT || f.version != 1 {
            return Err(Error::team(
                "this repository is not a Keystead team this version reads (team.json)",
            ));
        }
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn member(id: &ShareIdentity, name: &str, role: Role) -> TeamMember {
        TeamMember {
            name: name.into(),
            key: id.sharing_key(),
            role,
        }
    }

    #[test]
    fn a_list_round_trips_and_an_altered_byte_breaks_its_signature() {
        let alice = ShareIdentity::generate();
        let team = Uuid::new_v4();
        let text = build_list(
            &alice,
            team,
            "desk",
            1,
            None,
            &[member(&alice, "alice", Role::Write)],
            Utc::now(),
        )
        .unwrap();
        let list = parse_list(text.as_bytes()).unwrap();
        assert_eq!(list.team_id, team);
        assert_eq!(list.version, 1);
        assert_eq!(list.signer_member().unwrap().name, "alice");
        assert_eq!(list.hash, sha256_hex(text.as_bytes()));
        let altered = text.replace("\"write\"", "\"read\"");
        let e = parse_list(altered.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("does not match its signature"), "{e}");
    }
}
