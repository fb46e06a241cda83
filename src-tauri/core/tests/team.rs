//! Team vaults over a bare git repository (file://): three members make, join and sync a team; files
//! a member may not write, altered or replayed files and a member list changed by a read member are
//! each refused and named, and nothing from them is applied.

use keystead_core::team::members::{build_list, parse_list};
use keystead_core::team::{Refusal, Role, TeamMember};
use keystead_core::vault::TeamEntryStatus;
use keystead_core::{AuditAction, CredentialField, KeyEdit, SharingKey};
use std::path::Path;
use tempfile::TempDir;

mod common;

use common::desk::Desk;
use common::fields_for as fields;

/// An empty bare repository whose HEAD names `main`, as `git init --bare` on a server would be.
fn bare_repository(path: &Path) {
    let repo = git2::Repository::init_bare(path).unwrap();
    repo.set_head("refs/heads/main").unwrap();
}

fn bare_remote(dir: &Path) -> String {
    let path = dir.join("desk.git");
    bare_repository(&path);
    format!("file://{}", path.display())
}

/// A team's remote: its folder, and the `git daemon` serving it (if any), stopped when dropped.
struct Remote {
    _dir: TempDir,
    url: String,
    daemon: Option<std::process::Child>,
}

impl Drop for Remote {
    fn drop(&mut self) {
        if let Some(mut child) = self.daemon.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn file_remote() -> Remote {
    let dir = tempfile::tempdir().unwrap();
    let url = bare_remote(dir.path());
    Remote {
        _dir: dir,
        url,
        daemon: None,
    }
}

/// A bare repository served by Debian's `git daemon` on 127.0.0.1 (git://), pushes allowed
/// (`--enable=receive-pack`), as a team's own small server would run it.
fn daemon_remote() -> Remote {
    use std::net::{TcpListener, TcpStream};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    bare_repository(&dir.path().join("desk.git"));
    for _attempt in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("git")
            .arg("daemon")
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", dir.path().display()))
            .args(["--export-all", "--enable=receive-pack", "--reuseaddr"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon (Debian's git package; scripts/test.sh installs it)");
        for _ in 0..100 {
            if child.try_wait().unwrap().is_some() {
                break; // the port was taken meanwhile: another one
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Remote {
                    _dir: dir,
                    url: format!("git://127.0.0.1:{port}/desk.git"),
                    daemon: Some(child),
                };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("git daemon did not start listening on 127.0.0.1");
}

/// Someone with write access to the remote (not through Keystead): a commit of `files` on top of
/// `main`, pushed.
fn push_raw(url: &str, files: &[(String, Vec<u8>)]) {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::clone(url, dir.path()).unwrap();
    let mut index = repo.index().unwrap();
    for (path, bytes) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, bytes).unwrap();
        index.add_path(Path::new(path)).unwrap();
    }
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("mallory", "m@example.org").unwrap();
    let parent = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "edit", &tree, &[&parent])
        .unwrap();
    let mut remote = repo.find_remote("origin").unwrap();
    remote
        .push(&["refs/heads/main:refs/heads/main"], None)
        .unwrap();
}

/// A file of the remote's `main`.
fn read_remote(url: &str, path: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::clone(url, dir.path()).unwrap();
    std::fs::read(dir.path().join(path)).unwrap()
}

/// The files under `folder` of the remote's `main`.
fn list_remote(url: &str, folder: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    git2::Repository::clone(url, dir.path()).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join(folder))
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

struct Team {
    url: String,
    alice: Desk,
    bob: Desk,
    carol: Desk,
    _remote: Remote,
}

/// Alice makes team "desk" and adds Bob (write) and Carol (read); both join after checking.
fn team() -> Team {
    team_on(file_remote())
}

fn team_on(remote: Remote) -> Team {
    let url = remote.url.clone();
    let (mut alice, mut bob, mut carol) = (Desk::new(), Desk::new(), Desk::new());
    let (kb, kc) = (bob.sharing_key(), carol.sharing_key());
    alice.vault.add_contact("bob", &kb).unwrap();
    alice.vault.add_contact("carol", &kc).unwrap();

    let info = alice.vault.team_init(&url, "desk", "alice").unwrap();
    assert_eq!(info.members.len(), 1);
    assert_eq!(info.your_role, Some(Role::Write));
    assert!(alice
        .last_detail(AuditAction::TeamCreated)
        .contains("team desk"));

    // Bob cannot join before he is a member: nothing is kept.
    let e = bob.vault.team_join_preview(&url).unwrap_err().to_string();
    assert!(e.contains("not a member of team desk yet"), "{e}");
    assert!(bob.vault.teams().unwrap().is_empty());

    alice
        .vault
        .team_add_member(None, "bob", Role::Write)
        .unwrap();
    let info = alice
        .vault
        .team_add_member(None, "carol", Role::Read)
        .unwrap();
    assert_eq!(info.members_version, 3);
    assert!(alice
        .last_detail(AuditAction::TeamMemberAdded)
        .contains("carol"));

    let alice_fp = alice.vault.sharing_key().unwrap().fingerprint;
    for (desk, name, role) in [
        (&mut bob, "bob", Role::Write),
        (&mut carol, "carol", Role::Read),
    ] {
        let join = desk.vault.team_join_preview(&url).unwrap();
        assert_eq!(join.preview.name, "desk");
        assert_eq!(join.preview.creator_name, "alice");
        assert_eq!(join.preview.creator_fingerprint, alice_fp);
        assert_eq!(join.preview.members.len(), 3);
        assert_eq!(join.preview.you, name);
        assert_eq!(join.preview.your_role, role);
        desk.vault.team_join(join).unwrap();
        assert!(desk
            .last_detail(AuditAction::TeamJoined)
            .contains("made by alice"));
    }
    Team {
        url,
        alice,
        bob,
        carol,
        _remote: remote,
    }
}

fn sync(
    desk: &mut Desk,
) -> (
    keystead_core::vault::TeamSyncPreview,
    keystead_core::vault::TeamSyncSummary,
) {
    let s = desk.vault.team_sync_preview(None).unwrap();
    let preview = s.preview.clone();
    let summary = desk.vault.team_sync_apply(s).unwrap();
    (preview, summary)
}

/// Alice adds key "k" (secret "one-secret-value") with `scopes` and puts it into the team.
fn share_k(t: &mut Team, scopes: &[&str]) {
    t.alice.add("k", "binance", scopes, "one");
    t.alice
        .vault
        .team_share(None, &["k".into()], &[], None)
        .unwrap();
}

fn key_id(desk: &Desk, name: &str) -> String {
    desk.vault.find(name).unwrap().id.to_string()
}

/// The flows that touch the remote most, over each kind of remote a test can run here: a bare
/// repository by file:// and a loopback `git daemon` (git://), pushes and all.
macro_rules! over_both_remotes {
    ($($name:ident),* $(,)?) => {
        mod over_file {
            $(#[test] fn $name() { super::$name(super::team()) })*
        }
        mod over_git_daemon {
            $(#[test] fn $name() { super::$name(super::team_on(super::daemon_remote())) })*
        }
    };
}

over_both_remotes!(
    three_members_share_a_key_and_see_each_others_rotation,
    a_read_members_change_pushed_past_keystead_is_refused_and_named,
    a_removed_member_gets_no_new_entries_and_every_key_they_could_read_is_to_be_rotated,
    a_conflict_is_resolved_by_keeping_one_side_whole_theirs_or_mine,
);

/// ssh (the user's agent) and https (a credential helper) are built in: a remote nobody answers on is
/// reported as unreachable, not as a protocol Keystead does not speak, and nothing is recorded.
#[test]
fn ssh_and_https_remotes_are_spoken_and_an_unreachable_one_is_named() {
    let mut alice = Desk::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port(); // free again once the listener is dropped here
    for url in [
        format!("ssh://git@127.0.0.1:{closed}/desk.git"),
        format!("https://127.0.0.1:{closed}/desk.git"),
    ] {
        let e = alice
            .vault
            .team_init(&url, "desk", "alice")
            .unwrap_err()
            .to_string();
        assert!(e.contains("fetching from the team's remote"), "{url}: {e}");
        assert!(!e.to_lowercase().contains("unsupported"), "{url}: {e}");
        assert!(alice.vault.teams().unwrap().is_empty());
    }
}

fn three_members_share_a_key_and_see_each_others_rotation(mut t: Team) {
    t.alice.add("k", "binance", &["read", "trade"], "one");
    let shared = t
        .alice
        .vault
        .team_share(None, &["k".into()], &[], None)
        .unwrap();
    assert_eq!(shared.keys, ["k"]);
    assert_eq!(shared.members, ["alice", "bob", "carol"]);
    let id = key_id(&t.alice, "k");
    assert_eq!(list_remote(&t.url, "keys"), [format!("{id}.age")]);
    assert!(t
        .alice
        .last_detail(AuditAction::TeamKeyShared)
        .contains("revision 1"));

    // Bob and Carol receive it.
    for desk in [&mut t.bob, &mut t.carol] {
        let (preview, summary) = sync(desk);
        assert_eq!(preview.entries.len(), 1, "{preview:?}");
        assert_eq!(preview.entries[0].status, TeamEntryStatus::New);
        assert_eq!(preview.entries[0].by.as_deref(), Some("alice"));
        assert_eq!(summary.added, ["k"]);
        assert_eq!(
            desk.secret("k", CredentialField::Secret),
            "one-secret-value"
        );
        assert_eq!(key_id(desk, "k"), id, "the same key, by id");
        assert!(desk
            .last_detail(AuditAction::TeamKeyReceived)
            .contains("revision 1 by alice"));
    }
    // A second sync has nothing to do.
    let again = t.bob.vault.team_sync_preview(None).unwrap();
    assert!(!again.preview.has_changes(), "{:?}", again.preview);

    // Bob rotates; his sync sends it; Alice and Carol see it, by Bob.
    t.bob
        .vault
        .rotate("k", fields("binance", "two"), Some("monthly".into()))
        .unwrap();
    let (preview, summary) = sync(&mut t.bob);
    assert_eq!(preview.outgoing, ["k"]);
    assert_eq!(summary.sent, ["k"], "{summary:?}");
    assert!(t
        .bob
        .last_detail(AuditAction::TeamKeySent)
        .contains("revision 2"));
    for desk in [&mut t.alice, &mut t.carol] {
        let (preview, summary) = sync(desk);
        let e = &preview.entries[0];
        assert_eq!(e.status, TeamEntryStatus::Changed);
        assert_eq!(e.by.as_deref(), Some("bob"));
        assert_eq!(e.revision, Some(2));
        assert!(e.secrets_changed);
        assert_eq!(summary.changed, ["k"]);
        assert_eq!(
            desk.secret("k", CredentialField::Secret),
            "two-secret-value"
        );
        assert!(desk
            .last_detail(AuditAction::TeamSynced)
            .contains("changed: k"));
    }

    // Carol, a read member, edits her copy: her sync does not send it, and says so.
    t.carol
        .vault
        .edit(
            "k",
            KeyEdit {
                notes: Some("carol was here".into()),
                ..KeyEdit::default()
            },
            None,
        )
        .unwrap();
    let (preview, summary) = sync(&mut t.carol);
    assert_eq!(preview.withheld, ["k"]);
    assert!(preview.outgoing.is_empty());
    assert!(summary.sent.is_empty());
    let status = t.alice.vault.team_status(None).unwrap();
    assert!(!status.preview.has_changes(), "{:?}", status.preview);
    assert_eq!(status.team.keys, ["k"]);
}

fn a_read_members_change_pushed_past_keystead_is_refused_and_named(mut t: Team) {
    share_k(&mut t, &["read"]);
    sync(&mut t.carol);
    t.carol
        .vault
        .rotate("k", fields("binance", "evil"), None)
        .unwrap();
    // What a changed client of Carol's would push.
    let forged = t.carol.vault.team_sign_entry(None, "k").unwrap();
    let id = key_id(&t.alice, "k");
    push_raw(&t.url, &[(format!("keys/{id}.age"), forged)]);

    let before = t.alice.snapshot();
    let (preview, summary) = sync(&mut t.alice);
    let e = &preview.entries[0];
    assert_eq!(e.status, TeamEntryStatus::Refused);
    assert_eq!(
        e.refusal,
        Some(Refusal::EntrySignedByReadMember {
            name: "carol".into()
        })
    );
    assert!(
        summary.refused[0].contains("carol, a read member"),
        "{summary:?}"
    );
    assert!(summary.changed.is_empty() && summary.added.is_empty());
    assert_eq!(t.alice.snapshot().1, before.1, "no key changed");
    assert_eq!(
        t.alice.secret("k", CredentialField::Secret),
        "one-secret-value"
    );
    assert!(t
        .alice
        .last_detail(AuditAction::TeamSynced)
        .contains("refused: k"));
}

#[test]
fn altered_replayed_and_foreign_entry_files_are_refused_and_nothing_is_applied() {
    let mut t = team();
    share_k(&mut t, &["read"]);
    let id = key_id(&t.alice, "k");
    let file = format!("keys/{id}.age");
    let revision_1 = read_remote(&t.url, &file);
    sync(&mut t.bob);
    t.bob
        .vault
        .rotate("k", fields("binance", "two"), None)
        .unwrap();
    sync(&mut t.bob);
    sync(&mut t.alice);
    assert_eq!(
        t.alice.secret("k", CredentialField::Secret),
        "two-secret-value"
    );

    // 1. Revision 1 pushed again over revision 2: an older file replayed.
    push_raw(&t.url, &[(file.clone(), revision_1)]);
    let before = t.alice.snapshot();
    let (preview, _) = sync(&mut t.alice);
    assert_eq!(
        preview.entries[0].refusal,
        Some(Refusal::EntryNotNewer {
            revision: 1,
            held: 2
        }),
        "{preview:?}"
    );
    assert_eq!(t.alice.snapshot().1, before.1);
    assert_eq!(
        t.alice.secret("k", CredentialField::Secret),
        "two-secret-value"
    );

    // 2. One character of the armored ciphertext changed.
    let mut altered = t.bob.vault.team_sign_entry(None, "k").unwrap();
    let at = altered.len() / 2;
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    push_raw(&t.url, &[(file.clone(), altered)]);
    let (preview, _) = sync(&mut t.alice);
    let e = &preview.entries[0];
    assert!(
        matches!(&e.refusal, Some(Refusal::Unreadable { .. })),
        "{preview:?}"
    );
    assert!(
        e.reason.as_deref().unwrap().contains("cannot be opened"),
        "{e:?}"
    );
    assert_eq!(
        t.alice.secret("k", CredentialField::Secret),
        "two-secret-value"
    );

    // 3. A file of another team, signed by someone who is no member of this one.
    let mut eve = Desk::new();
    let eve_dir = tempfile::tempdir().unwrap();
    let eve_url = bare_remote(eve_dir.path());
    eve.vault.team_init(&eve_url, "other", "eve").unwrap();
    eve.add("k", "binance", &["read"], "eve");
    let foreign = eve.vault.team_sign_entry(None, "k").unwrap();
    push_raw(&t.url, &[(file.clone(), foreign)]);
    let (preview, _) = sync(&mut t.alice);
    // Not encrypted to Alice (Eve's team has other members): it does not even open.
    assert!(matches!(
        preview.entries[0].refusal,
        Some(Refusal::Unreadable { .. })
    ));
    assert_eq!(
        t.alice.secret("k", CredentialField::Secret),
        "two-secret-value"
    );
    assert_eq!(t.alice.snapshot().1, before.1, "no key changed at all");
}

#[test]
fn a_member_list_changed_by_a_read_member_is_refused_and_nothing_of_the_sync_is_applied() {
    let mut t = team();
    share_k(&mut t, &["read"]);
    // Bob rotates and pushes, so Alice has something waiting.
    sync(&mut t.bob);
    t.bob
        .vault
        .rotate("k", fields("binance", "two"), None)
        .unwrap();
    sync(&mut t.bob);

    // Carol (read) writes list version 4, making herself a write member.
    let current = parse_list(&read_remote(&t.url, "members/000003.json")).unwrap();
    let carol_id = t.carol.vault.sharing_identity().unwrap();
    let mut members = current.members.clone();
    for m in &mut members {
        m.role = Role::Write;
    }
    let forged = build_list(
        &carol_id,
        current.team_id,
        "desk",
        4,
        Some(&current.hash),
        &members,
        chrono::Utc::now(),
    )
    .unwrap();
    push_raw(
        &t.url,
        &[("members/000004.json".into(), forged.into_bytes())],
    );

    let before = t.alice.snapshot();
    let s = t.alice.vault.team_sync_preview(None).unwrap();
    assert_eq!(
        s.preview.list_refusal,
        Some(Refusal::ListSignedByReadMember {
            version: 4,
            name: "carol".into()
        })
    );
    assert!(s.preview.entries.is_empty(), "nothing else is considered");
    let e = t.alice.vault.team_sync_apply(s).unwrap_err().to_string();
    assert!(e.contains("nothing was applied"), "{e}");
    assert!(e.contains("carol, a read member"), "{e}");
    assert_eq!(
        t.alice.snapshot(),
        before,
        "the vault did not change at all"
    );
    assert_eq!(
        t.alice.secret("k", CredentialField::Secret),
        "one-secret-value"
    );
    // Nor can anyone change the team on top of it.
    let e = t
        .alice
        .vault
        .team_share(None, &["k".into()], &[], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("refused"), "{e}");
}

#[test]
fn a_member_list_signed_by_a_stranger_is_refused() {
    let mut t = team();
    let current = parse_list(&read_remote(&t.url, "members/000003.json")).unwrap();
    let mut mallory = Desk::new();
    let mallory_id = mallory.vault.sharing_identity().unwrap();
    let mallory_key = SharingKey::parse(&mallory.sharing_key()).unwrap();
    let mut members = current.members.clone();
    members.push(TeamMember {
        name: "mallory".into(),
        key: mallory_key,
        role: Role::Write,
    });
    let forged = build_list(
        &mallory_id,
        current.team_id,
        "desk",
        4,
        Some(&current.hash),
        &members,
        chrono::Utc::now(),
    )
    .unwrap();
    push_raw(
        &t.url,
        &[("members/000004.json".into(), forged.into_bytes())],
    );
    let s = t.bob.vault.team_sync_preview(None).unwrap();
    assert!(
        matches!(
            s.preview.list_refusal,
            Some(Refusal::ListSignedByNonMember { version: 4, .. })
        ),
        "{:?}",
        s.preview
    );
    // And a vault joining now refuses the team altogether.
    let e = mallory
        .vault
        .team_join_preview(&t.url)
        .unwrap_err()
        .to_string();
    assert!(e.contains("refused"), "{e}");
    assert!(mallory.vault.teams().unwrap().is_empty());
}

#[test]
fn withdraw_keys_are_shared_only_confirmed_by_name_and_with_the_passphrase() {
    let mut t = team();
    t.alice.add("w", "binance", &["read", "withdraw"], "w");
    let e = t
        .alice
        .vault
        .team_share(None, &["w".into()], &[], None)
        .unwrap_err();
    assert!(
        matches!(e, keystead_core::Error::WithdrawNotConfirmed { .. }),
        "{e}"
    );
    let e = t
        .alice
        .vault
        .team_share(None, &["w".into()], &["w".into()], None)
        .unwrap_err();
    assert!(
        matches!(e, keystead_core::Error::StepUpRequired { .. }),
        "{e}"
    );
    assert!(
        list_remote(&t.url, "keys").is_empty(),
        "nothing left the vault"
    );
    let pass = secrecy::SecretString::from(common::PASS);
    t.alice
        .vault
        .team_share(None, &["w".into()], &["w".into()], Some(&pass))
        .unwrap();
    assert_eq!(list_remote(&t.url, "keys").len(), 1);
    let s = t.bob.vault.team_sync_preview(None).unwrap();
    assert!(s.preview.entries[0].can_withdraw, "the preview warns");
}

#[test]
fn the_working_clone_is_private_and_team_records_count_in_the_vaults_integrity_and_rekey() {
    let mut t = team();
    let dir = t.alice.vault.team_clone_path(None).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{dir:?}");
        let parent = std::fs::metadata(dir.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(parent & 0o777, 0o700);
    }
    assert!(t.alice.vault.integrity_problems().unwrap().is_empty());
    // A new vault key seals the team record again: the team still syncs afterwards.
    let pass = secrecy::SecretString::from(common::PASS);
    t.alice
        .vault
        .change_passphrase(&pass, keystead_core::KdfParams::FLOOR)
        .unwrap();
    assert!(t.alice.vault.integrity_problems().unwrap().is_empty());
    assert_eq!(t.alice.vault.teams().unwrap()[0].name, "desk");
    sync(&mut t.alice);
}

#[test]
fn a_version_6_vault_file_is_migrated_and_gets_its_teams_table() {
    let s = common::Sandbox::new();
    drop(s.open());
    s.sql()
        .execute_batch("DROP TABLE teams; PRAGMA user_version = 6;")
        .unwrap();
    let mut v = s.open();
    let version: i64 = s
        .sql()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, common::CURRENT_SCHEMA);
    assert!(v.teams().unwrap().is_empty());
    assert!(v.integrity_problems().unwrap().is_empty());
}

#[test]
fn the_team_never_changes_a_personal_key_even_one_with_the_same_id() {
    let mut t = team();
    // Bob gives Alice his personal key by a share file (which keeps its id); she puts it in the team.
    let ka = t.alice.sharing_key();
    t.bob.vault.add_contact("alice", &ka).unwrap();
    t.bob.add("p", "binance", &["read"], "bobs");
    let file = t.bob.export(&["p"], &["alice"]);
    common::desk::import_defaults(&mut t.alice, &file);
    assert_eq!(key_id(&t.alice, "p"), key_id(&t.bob, "p"));
    t.alice
        .vault
        .rotate("p", fields("binance", "alices"), None)
        .unwrap();
    t.alice
        .vault
        .team_share(None, &["p".into()], &[], None)
        .unwrap();

    let (preview, summary) = sync(&mut t.bob);
    assert_eq!(
        preview.entries[0].refusal,
        Some(Refusal::EntryForPersonalKey),
        "{preview:?}"
    );
    assert!(summary.changed.is_empty());
    assert_eq!(
        t.bob.secret("p", CredentialField::Secret),
        "bobs-secret-value"
    );
    assert!(t.bob.vault.teams().unwrap()[0].keys.is_empty());
}

fn a_removed_member_gets_no_new_entries_and_every_key_they_could_read_is_to_be_rotated(
    mut t: Team,
) {
    use keystead_core::{DueState, RiskFlag};
    share_k(&mut t, &["read", "trade"]);
    for desk in [&mut t.bob, &mut t.carol] {
        sync(desk);
    }
    let id = key_id(&t.alice, "k");
    let before = read_remote(&t.url, &format!("keys/{id}.age"));

    // Refusals change nothing: an unknown name, yourself, a read member.
    let refused = |desk: &mut Desk, who: &str| {
        desk.vault
            .team_remove_member(None, who)
            .unwrap_err()
            .to_string()
    };
    let e = refused(&mut t.alice, "dave");
    assert!(e.contains("the members are alice, bob, carol"), "{e}");
    let e = refused(&mut t.alice, "alice");
    assert!(e.contains("cannot remove yourself"), "{e}");
    let e = refused(&mut t.carol, "bob");
    assert!(e.contains("read member"), "{e}");

    // Alice removes Carol (by her contact name): the list and the entry are issued again.
    let info = t.alice.vault.team_remove_member(None, "carol").unwrap();
    assert_eq!(info.members_version, 4);
    let names: Vec<&str> = info.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    let after = read_remote(&t.url, &format!("keys/{id}.age"));
    assert_ne!(before, after, "the entry file is encrypted again");
    let detail = t.alice.last_detail(AuditAction::TeamMemberRemoved);
    assert!(
        detail.contains("carol") && detail.contains("rotate: k"),
        "{detail}"
    );

    // Alice's copy, and Bob's after his sync, say to rotate it: a flag and a due rotation.
    let (_, summary) = sync(&mut t.bob);
    assert_eq!(summary.members_version, 4);
    assert!(t
        .bob
        .last_detail(AuditAction::TeamSynced)
        .contains("a member left, rotate: k"));
    for desk in [&t.alice, &t.bob] {
        let row = desk.vault.summary("k").unwrap();
        assert!(
            row.risk_flags.contains(&RiskFlag::MemberLeft),
            "{:?}",
            row.risk_flags
        );
        assert_eq!(row.due_state, DueState::Overdue);
        assert!(
            row.due_reason
                .as_deref()
                .unwrap_or("")
                .contains("carol left team desk"),
            "{:?}",
            row.due_reason
        );
    }

    // Carol cannot open the new entry file (encrypted to Alice and Bob only): her sync names it refused
    // and applies nothing of it; she keeps what she had (hence the rotation).
    let s = t.carol.vault.team_sync_preview(None).unwrap();
    assert!(
        s.preview.members.iter().all(|m| m.name != "carol"),
        "{:?}",
        s.preview
    );
    assert_eq!(s.preview.entries.len(), 1);
    let entry = &s.preview.entries[0];
    assert_eq!(entry.status, TeamEntryStatus::Refused);
    assert!(
        entry
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("not made for you"),
        "{:?}",
        entry.reason
    );
    t.carol.vault.team_sync_apply(s).unwrap();
    assert_eq!(
        t.carol.secret("k", CredentialField::Secret),
        "one-secret-value"
    );

    // Bob rotates: the flag goes, in his vault and, after a sync, in Alice's.
    t.bob
        .vault
        .rotate("k", fields("binance", "two"), Some("carol left".into()))
        .unwrap();
    assert!(!t
        .bob
        .vault
        .summary("k")
        .unwrap()
        .risk_flags
        .contains(&RiskFlag::MemberLeft));
    sync(&mut t.bob);
    sync(&mut t.alice);
    let row = t.alice.vault.summary("k").unwrap();
    assert!(
        !row.risk_flags.contains(&RiskFlag::MemberLeft),
        "{:?}",
        row.risk_flags
    );
    assert_eq!(
        t.alice.secret("k", CredentialField::Secret),
        "two-secret-value"
    );
}

fn a_conflict_is_resolved_by_keeping_one_side_whole_theirs_or_mine(mut t: Team) {
    use keystead_core::vault::Keep;
    share_k(&mut t, &["read", "trade"]);
    sync(&mut t.bob);
    let note = |desk: &mut Desk, text: &str| {
        desk.vault
            .edit(
                "k",
                KeyEdit {
                    notes: Some(text.into()),
                    ..KeyEdit::default()
                },
                None,
            )
            .unwrap();
    };

    // Both change it; Alice syncs first. Bob's sync shows the conflict and applies nothing of it.
    note(&mut t.alice, "alice's note");
    note(&mut t.bob, "bob's note");
    sync(&mut t.alice);
    let mut s = t.bob.vault.team_sync_preview(None).unwrap();
    let e = &s.preview.entries[0];
    assert_eq!(e.status, TeamEntryStatus::Conflict);
    assert_eq!(e.by.as_deref(), Some("alice"));
    assert_eq!(e.changed_fields, ["notes"]);
    assert_eq!(s.conflicts(), ["k"]);
    let err = s.resolve("other", Keep::Theirs).unwrap_err().to_string();
    assert!(err.contains("the keys in conflict are: k"), "{err}");

    // Theirs: Alice's version replaces Bob's here; nothing is sent.
    s.resolve("k", Keep::Theirs).unwrap();
    assert_eq!(s.preview.entries[0].status, TeamEntryStatus::Changed);
    assert!(s.preview.withheld.is_empty());
    let summary = t.bob.vault.team_sync_apply(s).unwrap();
    assert_eq!(summary.changed, ["k"]);
    assert!(summary.sent.is_empty());
    assert_eq!(t.bob.vault.find("k").unwrap().notes, "alice's note");
    assert!(!t
        .bob
        .vault
        .team_sync_preview(None)
        .unwrap()
        .preview
        .has_changes());

    // Again, and this time Bob keeps his: it is sent over Alice's, and Alice receives it.
    note(&mut t.alice, "alice again");
    note(&mut t.bob, "bob keeps this");
    sync(&mut t.alice);
    let mut s = t.bob.vault.team_sync_preview(None).unwrap();
    assert_eq!(s.preview.entries[0].status, TeamEntryStatus::Conflict);
    s.resolve("k", Keep::Mine).unwrap();
    assert_eq!(s.preview.entries[0].status, TeamEntryStatus::Kept);
    assert_eq!(s.preview.outgoing, ["k"]);
    let summary = t.bob.vault.team_sync_apply(s).unwrap();
    assert_eq!(
        (summary.kept.clone(), summary.sent.clone()),
        (vec!["k".to_string()], vec!["k".to_string()]),
        "{summary:?}"
    );
    assert!(t
        .bob
        .last_detail(AuditAction::KeyEdited)
        .contains("kept this vault's version over revision"));
    assert_eq!(t.bob.vault.find("k").unwrap().notes, "bob keeps this");
    let (preview, summary) = sync(&mut t.alice);
    assert_eq!(
        preview.entries[0].status,
        TeamEntryStatus::Changed,
        "{preview:?}"
    );
    assert_eq!(summary.changed, ["k"]);
    assert_eq!(t.alice.vault.find("k").unwrap().notes, "bob keeps this");
    // Carol, who changed nothing, gets the last word without a conflict.
    let (_, summary) = sync(&mut t.carol);
    assert_eq!(summary.added, ["k"]);
    assert_eq!(t.carol.vault.find("k").unwrap().notes, "bob keeps this");
    // A read member may only take theirs.
    note(&mut t.carol, "carol's");
    note(&mut t.alice, "alice's last");
    sync(&mut t.alice);
    let mut s = t.carol.vault.team_sync_preview(None).unwrap();
    let err = s.resolve("k", Keep::Mine).unwrap_err().to_string();
    assert!(err.contains("read member"), "{err}");
}

/// A member added and removed again between two of Bob's syncs could read the team's keys meanwhile
/// (each entry was encrypted to them): Bob's sync, which walks every list in between, marks them too.
#[test]
fn a_member_added_and_removed_between_two_syncs_still_marks_the_keys_to_rotate() {
    use keystead_core::RiskFlag;
    let mut t = team();
    share_k(&mut t, &["read"]);
    sync(&mut t.bob);
    let mut dave = Desk::new();
    let kd = dave.sharing_key();
    t.alice.vault.add_contact("dave", &kd).unwrap();
    t.alice
        .vault
        .team_add_member(None, "dave", Role::Read)
        .unwrap();
    t.alice.vault.team_remove_member(None, "dave").unwrap();

    let (preview, summary) = sync(&mut t.bob);
    assert_eq!(preview.members_changed_from, Some(3), "{preview:?}");
    assert_eq!(summary.members_version, 5);
    let row = t.bob.vault.summary("k").unwrap();
    assert!(
        row.risk_flags.contains(&RiskFlag::MemberLeft),
        "{:?}",
        row.risk_flags
    );
    assert!(
        row.due_reason
            .as_deref()
            .unwrap_or("")
            .contains("dave left team desk"),
        "{:?}",
        row.due_reason
    );
}
