//! Power loss: a test-only SQLite VFS (the default one, wrapped) counts every write, sync and truncate
//! of the vault file and its WAL, and at a seeded random one copies the file and WAL as they stand —
//! what the disk holds if the power fails just before that call — optionally with that write half done
//! (a torn write). The copy must pass `PRAGMA integrity_check`, open without a warning (the rollback
//! anchor as it was at that instant), verify its audit chain, and hold exactly the state before or
//! after the write in flight: add, edit, rotate, revoke, share import, passphrase change, contact add,
//! a checkpoint, and an unlock plus close (its throttle writes and the final checkpoint).
//! `KEYSTEAD_PROOF_POWER_CUTS` sets how many copies (default 30), `KEYSTEAD_PROOF_SEED` the seed.

mod common;

use common::proof::{env_count, seed_from_env, Rng};
use common::PASS;
use keystead_core::anchor::{AnchorKey, Mark, RollbackAnchor, Seen};
use keystead_core::vault::OpenOptions;
use keystead_core::{
    CredentialField, KdfParams, KeyEdit, NewKey, SecretFields, ShareExport, SystemClock, Vault,
};
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The VFS shim: every call forwards to the default VFS; writes, syncs and truncates of the file under
/// test are counted and the cut is taken before the chosen one.
mod power_cut {
    use rusqlite::ffi;
    use std::ffi::{c_char, c_int, c_void, CStr};
    use std::path::{Path, PathBuf};
    use std::ptr::null_mut;
    use std::sync::atomic::{AtomicPtr, Ordering};
    use std::sync::{Mutex, Once};

    /// Our file object: SQLite's header, then the default VFS's file object right after it.
    #[repr(C)]
    struct CutFile {
        base: ffi::sqlite3_file,
        real: *mut ffi::sqlite3_file,
        path: *mut PathBuf,
    }

    static REAL: AtomicPtr<ffi::sqlite3_vfs> = AtomicPtr::new(null_mut());
    static METHODS: AtomicPtr<ffi::sqlite3_io_methods> = AtomicPtr::new(null_mut());
    static INSTALL: Once = Once::new();

    /// Where and when to cut.
    pub struct Plan {
        /// The vault file under test (its `-wal` is watched too).
        pub vault: PathBuf,
        /// Cut before this call (0-based); `None` only counts.
        pub cut_at: Option<u64>,
        /// Apply the first half of the write the cut falls on to the copy.
        pub torn: bool,
        /// Where the copy goes (`vault.db`, `vault.db-wal`).
        pub out: PathBuf,
        /// Called at the cut, for what else must be copied at that instant (the rollback anchor).
        pub at_cut: Box<dyn FnMut() + Send>,
    }

    /// What a cut left.
    #[derive(Debug, Clone)]
    pub struct Cut {
        pub call: u64,
        pub what: String,
        pub copy: PathBuf,
    }

    struct State {
        plan: Option<Plan>,
        calls: u64,
        cut: Option<Cut>,
    }

    static STATE: Mutex<State> = Mutex::new(State {
        plan: None,
        calls: 0,
        cut: None,
    });

    /// Arms `plan` for the next calls.
    pub fn arm(plan: Plan) {
        let mut s = STATE.lock().unwrap();
        s.plan = Some(plan);
        s.calls = 0;
        s.cut = None;
    }

    /// Disarms; returns how many calls were counted and the cut, if one was taken.
    pub fn disarm() -> (u64, Option<Cut>) {
        let mut s = STATE.lock().unwrap();
        s.plan = None;
        (s.calls, s.cut.take())
    }

    enum Call<'a> {
        Write(&'a [u8], i64),
        Sync,
        Truncate(i64),
    }

    fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
        let mut s = p.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    }

    /// Counts `call` on the file at `path` and takes the cut before it when it is the chosen one.
    fn note(path: Option<&Path>, call: Call<'_>) {
        let Ok(mut guard) = STATE.lock() else { return };
        let s = &mut *guard;
        let Some(plan) = s.plan.as_mut() else { return };
        let Some(path) = path else { return };
        let wal = with_suffix(&plan.vault, "-wal");
        let which = if path == plan.vault {
            ""
        } else if path == wal {
            "-wal"
        } else {
            return;
        };
        let n = s.calls;
        s.calls += 1;
        if plan.cut_at != Some(n) || s.cut.is_some() {
            return;
        }
        let copy = plan.out.join("vault.db");
        for suffix in ["", "-wal"] {
            let from = with_suffix(&plan.vault, suffix);
            let to = with_suffix(&copy, suffix);
            let _ = std::fs::remove_file(&to);
            if from.exists() {
                std::fs::copy(&from, &to).expect("copy at the cut");
            }
        }
        let mut what = match &call {
            Call::Write(buf, off) => {
                format!("write of {} bytes at {off} to vault.db{which}", buf.len())
            }
            Call::Sync => format!("sync of vault.db{which}"),
            Call::Truncate(size) => format!("truncate of vault.db{which} to {size}"),
        };
        if let (true, Call::Write(buf, off)) = (plan.torn, &call) {
            use std::io::{Seek, SeekFrom, Write};
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(with_suffix(&copy, which))
                .expect("open the copy");
            f.seek(SeekFrom::Start(*off as u64)).unwrap();
            f.write_all(&buf[..buf.len() / 2]).unwrap();
            what.push_str(", torn in half");
        }
        (plan.at_cut)();
        s.cut = Some(Cut {
            call: n,
            what,
            copy,
        });
    }

    unsafe fn cut_file(f: *mut ffi::sqlite3_file) -> &'static CutFile {
        &*(f as *const CutFile)
    }

    unsafe fn real(
        f: *mut ffi::sqlite3_file,
    ) -> (*mut ffi::sqlite3_file, &'static ffi::sqlite3_io_methods) {
        let r = cut_file(f).real;
        (r, &*(*r).pMethods)
    }

    unsafe fn path_of(f: *mut ffi::sqlite3_file) -> Option<&'static Path> {
        let p = cut_file(f).path;
        (!p.is_null()).then(|| (*p).as_path())
    }

    macro_rules! forward {
        ($f:expr, $method:ident $(, $arg:expr)*) => {{
            let (r, m) = real($f);
            match m.$method {
                Some(call) => call(r $(, $arg)*),
                None => ffi::SQLITE_IOERR,
            }
        }};
    }

    unsafe extern "C" fn x_close(f: *mut ffi::sqlite3_file) -> c_int {
        let rc = forward!(f, xClose);
        let p = (*(f as *mut CutFile)).path;
        if !p.is_null() {
            drop(Box::from_raw(p));
            (*(f as *mut CutFile)).path = null_mut();
        }
        rc
    }
    unsafe extern "C" fn x_read(
        f: *mut ffi::sqlite3_file,
        buf: *mut c_void,
        n: c_int,
        off: i64,
    ) -> c_int {
        forward!(f, xRead, buf, n, off)
    }
    unsafe extern "C" fn x_write(
        f: *mut ffi::sqlite3_file,
        buf: *const c_void,
        n: c_int,
        off: i64,
    ) -> c_int {
        let bytes = std::slice::from_raw_parts(buf as *const u8, n.max(0) as usize);
        note(path_of(f), Call::Write(bytes, off));
        forward!(f, xWrite, buf, n, off)
    }
    unsafe extern "C" fn x_truncate(f: *mut ffi::sqlite3_file, size: i64) -> c_int {
        note(path_of(f), Call::Truncate(size));
        forward!(f, xTruncate, size)
    }
    unsafe extern "C" fn x_sync(f: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
        note(path_of(f), Call::Sync);
        forward!(f, xSync, flags)
    }
    unsafe extern "C" fn x_file_size(f: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
        forward!(f, xFileSize, size)
    }
    unsafe extern "C" fn x_lock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
        forward!(f, xLock, level)
    }
    unsafe extern "C" fn x_unlock(f: *mut ffi::sqlite3_file, level: c_int) -> c_int {
        forward!(f, xUnlock, level)
    }
    unsafe extern "C" fn x_check_reserved_lock(
        f: *mut ffi::sqlite3_file,
        out: *mut c_int,
    ) -> c_int {
        forward!(f, xCheckReservedLock, out)
    }
    unsafe extern "C" fn x_file_control(
        f: *mut ffi::sqlite3_file,
        op: c_int,
        arg: *mut c_void,
    ) -> c_int {
        forward!(f, xFileControl, op, arg)
    }
    unsafe extern "C" fn x_sector_size(f: *mut ffi::sqlite3_file) -> c_int {
        forward!(f, xSectorSize)
    }
    unsafe extern "C" fn x_device_characteristics(f: *mut ffi::sqlite3_file) -> c_int {
        forward!(f, xDeviceCharacteristics)
    }
    unsafe extern "C" fn x_shm_map(
        f: *mut ffi::sqlite3_file,
        page: c_int,
        size: c_int,
        extend: c_int,
        out: *mut *mut c_void,
    ) -> c_int {
        forward!(f, xShmMap, page, size, extend, out)
    }
    unsafe extern "C" fn x_shm_lock(
        f: *mut ffi::sqlite3_file,
        offset: c_int,
        n: c_int,
        flags: c_int,
    ) -> c_int {
        forward!(f, xShmLock, offset, n, flags)
    }
    unsafe extern "C" fn x_shm_barrier(f: *mut ffi::sqlite3_file) {
        let (r, m) = real(f);
        if let Some(call) = m.xShmBarrier {
            call(r)
        }
    }
    unsafe extern "C" fn x_shm_unmap(f: *mut ffi::sqlite3_file, delete: c_int) -> c_int {
        forward!(f, xShmUnmap, delete)
    }
    unsafe extern "C" fn x_fetch(
        f: *mut ffi::sqlite3_file,
        off: i64,
        n: c_int,
        out: *mut *mut c_void,
    ) -> c_int {
        forward!(f, xFetch, off, n, out)
    }
    unsafe extern "C" fn x_unfetch(f: *mut ffi::sqlite3_file, off: i64, p: *mut c_void) -> c_int {
        forward!(f, xUnfetch, off, p)
    }

    unsafe extern "C" fn x_open(
        vfs: *mut ffi::sqlite3_vfs,
        name: *const c_char,
        file: *mut ffi::sqlite3_file,
        flags: c_int,
        out_flags: *mut c_int,
    ) -> c_int {
        let _ = vfs;
        let real_vfs = REAL.load(Ordering::Acquire);
        let f = file as *mut CutFile;
        let real = (file as *mut u8).add(std::mem::size_of::<CutFile>()) as *mut ffi::sqlite3_file;
        (*f).base.pMethods = std::ptr::null();
        (*f).real = real;
        (*f).path = null_mut();
        (*real).pMethods = std::ptr::null();
        let rc = match (*real_vfs).xOpen {
            Some(open) => open(real_vfs, name, real, flags, out_flags),
            None => ffi::SQLITE_CANTOPEN,
        };
        if rc == ffi::SQLITE_OK && !(*real).pMethods.is_null() {
            (*f).base.pMethods = METHODS.load(Ordering::Acquire);
            if !name.is_null() {
                if let Ok(s) = CStr::from_ptr(name).to_str() {
                    (*f).path = Box::into_raw(Box::new(PathBuf::from(s)));
                }
            }
        }
        rc
    }

    /// Makes the shim SQLite's default VFS for this process (once).
    pub fn install() {
        INSTALL.call_once(|| unsafe {
            let real = ffi::sqlite3_vfs_find(std::ptr::null());
            assert!(!real.is_null(), "no default SQLite VFS");
            REAL.store(real, Ordering::Release);
            let methods = Box::new(ffi::sqlite3_io_methods {
                iVersion: 3,
                xClose: Some(x_close),
                xRead: Some(x_read),
                xWrite: Some(x_write),
                xTruncate: Some(x_truncate),
                xSync: Some(x_sync),
                xFileSize: Some(x_file_size),
                xLock: Some(x_lock),
                xUnlock: Some(x_unlock),
                xCheckReservedLock: Some(x_check_reserved_lock),
                xFileControl: Some(x_file_control),
                xSectorSize: Some(x_sector_size),
                xDeviceCharacteristics: Some(x_device_characteristics),
                xShmMap: Some(x_shm_map),
                xShmLock: Some(x_shm_lock),
                xShmBarrier: Some(x_shm_barrier),
                xShmUnmap: Some(x_shm_unmap),
                xFetch: Some(x_fetch),
                xUnfetch: Some(x_unfetch),
            });
            METHODS.store(Box::into_raw(methods), Ordering::Release);
            let mut vfs: ffi::sqlite3_vfs = *real;
            vfs.szOsFile = (*real).szOsFile + std::mem::size_of::<CutFile>() as c_int;
            vfs.zName = c"keystead-power-cut".as_ptr();
            vfs.pNext = null_mut();
            vfs.xOpen = Some(x_open);
            let vfs = Box::into_raw(Box::new(vfs));
            assert_eq!(ffi::sqlite3_vfs_register(vfs, 1), ffi::SQLITE_OK);
        });
    }
}

/// A rollback anchor whose record can be read at the cut and restored for the copy.
#[derive(Default)]
struct ProofAnchor(Mutex<Option<Mark>>);

impl RollbackAnchor for ProofAnchor {
    fn seen(&self, _: &str, _: &AnchorKey) -> Seen {
        self.0.lock().unwrap().map_or(Seen::Nothing, Seen::Counter)
    }
    fn record(&self, _: &str, _: &AnchorKey, mark: Mark) {
        *self.0.lock().unwrap() = Some(mark);
    }
}

fn opts(anchor: Arc<ProofAnchor>) -> OpenOptions {
    OpenOptions::new(Arc::new(SystemClock), "proof").with_anchor(anchor)
}

/// One key: its summary (without the clock-derived due fields), notes, and every version's secrets.
type KeySeen = (serde_json::Value, String, Vec<BTreeMap<String, String>>);

/// What the proof compares: every key with every secret version's values, the contacts, and the count
/// of audit events of each writing kind (reveals, which the check itself makes, left out).
#[derive(Debug, Clone, PartialEq)]
struct Observed {
    keys: BTreeMap<String, KeySeen>,
    contacts: Vec<String>,
    events: BTreeMap<String, usize>,
}

fn observe(v: &mut Vault) -> Observed {
    let mut events = BTreeMap::new();
    for r in v.audit_log().unwrap() {
        let action = serde_json::to_value(r.event.action).unwrap();
        let action = action.as_str().unwrap().to_string();
        if !matches!(action.as_str(), "secret_revealed" | "vault_unlocked") {
            *events.entry(action).or_default() += 1;
        }
    }
    let mut keys = BTreeMap::new();
    for s in v.list().unwrap() {
        let d = v.detail(&s.name).unwrap();
        let mut summary = serde_json::to_value(&d.summary).unwrap();
        // Derived from the clock, not stored; or (last use) written by this observation's own reveals.
        for k in [
            "days_left",
            "due_state",
            "due_at",
            "due_kind",
            "due_reason",
            "last_used_at",
            "last_use",
        ] {
            summary.as_object_mut().unwrap().remove(k);
        }
        let current = d.versions.last().map(|x| x.version);
        let mut versions = Vec::new();
        for ver in &d.versions {
            let mut fields = BTreeMap::new();
            for f in &ver.fields {
                let which = (Some(ver.version) != current).then_some(ver.version);
                let value = v.reveal(&s.name, *f, which, None).unwrap();
                fields.insert(f.as_str().to_string(), value.expose_secret().to_string());
            }
            versions.push(fields);
        }
        keys.insert(s.name.clone(), (summary, d.notes.clone(), versions));
    }
    let contacts = v.contacts().unwrap().into_iter().map(|c| c.name).collect();
    Observed {
        keys,
        contacts,
        events,
    }
}

fn binance(rng: &mut Rng) -> SecretFields {
    let mut s = SecretFields::new();
    s.insert(CredentialField::ApiKey, SecretString::from(rng.token("k")));
    s.insert(CredentialField::Secret, SecretString::from(rng.token("s")));
    s
}

fn wrapped_key(path: &Path) -> Vec<u8> {
    let db = rusqlite::Connection::open(path).unwrap();
    db.query_row("SELECT wrapped_key FROM header", [], |r| r.get(0))
        .unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Add,
    Edit,
    Rotate,
    Revoke,
    ShareImport,
    Passwd,
    ContactAdd,
    Checkpoint,
    Reopen,
}

const KINDS: [Kind; 9] = [
    Kind::Add,
    Kind::Edit,
    Kind::Rotate,
    Kind::Revoke,
    Kind::ShareImport,
    Kind::Passwd,
    Kind::ContactAdd,
    Kind::Checkpoint,
    Kind::Reopen,
];

/// Runs one write of `kind` on the live vault (reopening it for `Reopen`).
#[allow(clippy::too_many_arguments)]
fn perform(
    kind: Kind,
    live: &mut Option<Vault>,
    path: &Path,
    passphrase: &mut String,
    anchor: &Arc<ProofAnchor>,
    sender: &mut Vault,
    rng: &mut Rng,
    serial: usize,
    files: &Path,
) {
    let v = live.as_mut().unwrap();
    let active: Vec<String> = v
        .list()
        .unwrap()
        .into_iter()
        .filter(|k| k.status == keystead_core::KeyStatus::Active)
        .map(|k| k.name)
        .collect();
    let target = active.get(rng.below(active.len() as u64) as usize).cloned();
    let kind = match (kind, &target) {
        (Kind::Edit | Kind::Rotate | Kind::Revoke, None) => Kind::Add,
        _ => kind,
    };
    match kind {
        Kind::Add => {
            let new = NewKey {
                name: format!("key-{serial}"),
                exchange: "binance".into(),
                scopes: vec!["read".into()],
                notes: rng.token("n"),
                ..NewKey::default()
            };
            v.add(new, binance(rng)).unwrap();
        }
        Kind::Edit => {
            let edit = KeyEdit {
                scopes: Some(vec!["read".into(), "trade".into()]),
                ip_allowlist: Some(vec![format!("203.0.113.{}", 1 + rng.below(250))]),
                notes: Some(rng.token("edited-")),
                ..KeyEdit::default()
            };
            v.edit(target.as_deref().unwrap(), edit, None).unwrap();
        }
        Kind::Rotate => {
            v.rotate(
                target.as_deref().unwrap(),
                binance(rng),
                Some(format!("r{serial}")),
            )
            .unwrap();
        }
        Kind::Revoke => {
            v.revoke(target.as_deref().unwrap(), Some(rng.token("why-")))
                .unwrap();
        }
        Kind::ShareImport => {
            let name = format!("shared-{serial}");
            let new = NewKey {
                name: name.clone(),
                exchange: "binance".into(),
                scopes: vec!["read".into()],
                notes: rng.token("from-"),
                ..NewKey::default()
            };
            sender.add(new, binance(rng)).unwrap();
            let recipient = v.sharing_key().unwrap().sharing_key;
            let file = sender
                .share_export(&ShareExport {
                    keys: vec![name],
                    to: vec![recipient],
                    passphrase: None,
                    armor: false,
                    confirm_withdraw: vec![],
                    sender_name: None,
                    scrypt_work_factor: None,
                    step_up: None,
                })
                .unwrap();
            let _ = files;
            let opened = v.share_open(&file.bytes, None).unwrap();
            let preview = v.share_preview(&opened).unwrap();
            v.share_apply(&opened, &preview.default_choices()).unwrap();
        }
        Kind::Passwd => {
            let new = rng.token("pass-");
            v.change_passphrase(&SecretString::from(new.clone()), KdfParams::FLOOR)
                .unwrap();
            *passphrase = new;
        }
        Kind::ContactAdd => {
            let key = age::x25519::Identity::generate().to_public().to_string();
            v.add_contact(&format!("contact-{serial}"), &key).unwrap();
        }
        Kind::Checkpoint => v.checkpoint().unwrap(),
        Kind::Reopen => {
            drop(live.take());
            *live = Some(
                Vault::unlock(
                    path,
                    &SecretString::from(passphrase.clone()),
                    opts(anchor.clone()),
                )
                .unwrap(),
            );
        }
    }
}

/// What the power-cut runs counted.
#[derive(Debug, Default)]
struct Figures {
    copies: usize,
    torn: usize,
    before: usize,
    after: usize,
    by_kind: BTreeMap<String, usize>,
}

fn power_proof(cuts: usize, seed: u64) -> Figures {
    power_cut::install();
    let mut rng = Rng(seed);
    // In memory where there is a /dev/shm: the shim, not the disk, decides what a cut keeps.
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let mut path = dir.path().join("vault.db");
    let out = dir.path().join("cut");
    std::fs::create_dir(&out).unwrap();
    let mut passphrase = PASS.to_string();
    let mut anchor = Arc::new(ProofAnchor::default());
    let mut live = Some(
        Vault::create(
            &path,
            &SecretString::from(PASS),
            KdfParams::FLOOR,
            opts(anchor.clone()),
        )
        .unwrap(),
    );
    let sender_path = dir.path().join("sender.db");
    let mut sender = Vault::create(
        &sender_path,
        &SecretString::from(PASS),
        KdfParams::FLOOR,
        opts(Arc::new(ProofAnchor::default())),
    )
    .unwrap();
    let mut calls: BTreeMap<Kind, u64> = BTreeMap::new();
    let mut f = Figures::default();
    let mut serial = 0;
    let mut before = observe(live.as_mut().unwrap());
    while f.copies < cuts {
        serial += 1;
        if serial % 24 == 0 {
            // A fresh vault now and then keeps each check small.
            drop(live.take());
            path = dir.path().join(format!("vault-{serial}.db"));
            passphrase = PASS.to_string();
            anchor = Arc::new(ProofAnchor::default());
            live = Some(
                Vault::create(
                    &path,
                    &SecretString::from(PASS),
                    KdfParams::FLOOR,
                    opts(anchor.clone()),
                )
                .unwrap(),
            );
            before = observe(live.as_mut().unwrap());
        }
        let kind = KINDS[rng.below(KINDS.len() as u64) as usize];
        let header = wrapped_key(&path);
        let old_pass = passphrase.clone();
        // Any call, a quarter of the time one of the last three (the commit's final frames and sync).
        let cut_at = calls.get(&kind).map(|&n| match rng.below(4) {
            0 => n.saturating_sub(1 + rng.below(n.min(3))),
            _ => rng.below(n),
        });
        let torn = rng.below(3) == 0;
        let at_cut_anchor = Arc::new(Mutex::new(None));
        let (live_anchor, seen_anchor) = (anchor.clone(), at_cut_anchor.clone());
        power_cut::arm(power_cut::Plan {
            vault: path.clone(),
            cut_at,
            torn,
            out: out.clone(),
            at_cut: Box::new(move || {
                *seen_anchor.lock().unwrap() = *live_anchor.0.lock().unwrap();
            }),
        });
        perform(
            kind,
            &mut live,
            &path,
            &mut passphrase,
            &anchor,
            &mut sender,
            &mut rng,
            serial,
            dir.path(),
        );
        let (n, cut) = power_cut::disarm();
        calls.insert(kind, n);
        let after = observe(live.as_mut().unwrap());
        // The state after this write is the state before the next (the check's reveals aside).
        let before = std::mem::replace(&mut before, after.clone());
        let Some(cut) = cut else { continue };
        let context = format!(
            "power cut before call {} of {n} ({}) during {kind:?} (seed {seed}, write #{serial})",
            cut.call, cut.what
        );
        {
            let db = rusqlite::Connection::open(&cut.copy).unwrap();
            let check: String = db
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap_or_else(|e| panic!("integrity_check fails after {context}: {e}"));
            assert_eq!(check, "ok", "integrity_check after {context}");
        }
        let pass = if wrapped_key(&cut.copy) != header {
            passphrase.clone()
        } else {
            old_pass
        };
        let copy_anchor = Arc::new(ProofAnchor(Mutex::new(*at_cut_anchor.lock().unwrap())));
        let mut copy = Vault::unlock(&cut.copy, &SecretString::from(pass), opts(copy_anchor))
            .unwrap_or_else(|e| panic!("the copy does not open after {context}: {e}"));
        assert!(
            copy.warnings().is_empty(),
            "warnings after {context}: {:?}",
            copy.warnings()
        );
        let report = copy.verify_audit().unwrap();
        assert!(
            report.problem.is_none(),
            "audit chain after {context}: {:?}",
            report.problem
        );
        let seen = observe(&mut copy);
        drop(copy);
        if std::env::var_os("KEYSTEAD_PROOF_DEBUG").is_some() {
            eprintln!("{context}: after {}", seen == after && seen != before);
        }
        if seen == after && seen != before {
            f.after += 1;
        } else {
            assert_eq!(
                seen, before,
                "after {context} the copy is neither as before the write nor as after it"
            );
            f.before += 1;
        }
        f.copies += 1;
        if f.copies % 100 == 0 {
            eprintln!("power-loss proof: {} copies so far", f.copies);
        }
        f.torn += usize::from(torn && cut.what.contains("torn"));
        *f.by_kind.entry(format!("{kind:?}")).or_default() += 1;
    }
    f
}

#[test]
fn a_power_cut_at_any_write_of_any_kind_leaves_a_vault_as_before_or_after_that_write() {
    let cuts = env_count("KEYSTEAD_PROOF_POWER_CUTS", 30);
    let seed = seed_from_env();
    eprintln!(
        "power-loss proof: {cuts} copies, seed {seed} (KEYSTEAD_PROOF_SEED={seed} repeats it)"
    );
    let started = Instant::now();
    let f = power_proof(cuts, seed);
    eprintln!(
        "power-loss proof: seed {seed}: {} copies opened ({} with a torn write), {} as before the write, \
         {} as after it, by kind: {:?}, {:.0} s",
        f.copies,
        f.torn,
        f.before,
        f.after,
        f.by_kind,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(f.copies, cuts);
}
