//! The scan itself: the parallel walk, one read per file into a per-thread buffer, and the matching of a
//! buffer against the own-secret automaton, the shape rules and the assignment rule.

use super::own::{describe, OwnMatcher};
use super::redact::redact;
use super::rules::{is_placeholder, ShapeRule, ASSIGNMENT_KEYWORDS, ASSIGNMENT_REGEX, SHAPE_RULES};
use super::{
    Confidence, Finding, FindingIdKey, FindingKind, OwnSecret, ScanOptions, ScanProgress,
    ScanReport, ScanStats,
};
use crate::crypto::KeyedMac;
use crate::error::{Error, Result};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use ignore::{WalkBuilder, WalkState};
use regex::bytes::{Regex, RegexSet, RegexSetBuilder};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Instant;

/// A NUL byte in this many leading bytes makes a file binary.
const BINARY_PROBE: usize = 8 * 1024;

/// The lazy DFA cache of the shape prefilter, per thread: the counted repetitions (`{64}`, `{86}`) of the
/// shape rules make many states, and a cache that thrashes is several times slower.
const DFA_CACHE: usize = 32 << 20;

/// What a keyword found by the keyword automaton asks for on its line.
enum KeywordUse {
    /// Run these keyword-only shape rules (indices into `SHAPE_RULES`).
    Rules(Vec<usize>),
    /// Run the assignment rule.
    Assignment,
}

/// Everything compiled once per scan and shared by the walker's threads.
pub(super) struct Engine<'a> {
    own: &'a [OwnSecret],
    /// Names findings (see [`Finding::id`]), when the vault gave a key.
    ids: Option<KeyedMac>,
    own_matcher: OwnMatcher,
    /// The shape rules reported without a keyword, as one prefilter over whole buffers.
    set: RegexSet,
    set_rules: Vec<usize>,
    /// The rules that run on whole tokens of their length, and those lengths as a bit mask.
    token_rules: Vec<usize>,
    token_lengths: u128,
    token_min: Option<usize>,
    regexes: Vec<Regex>,
    /// Keywords (in their usual casings) of the keyword-only rules and the assignment names' endings.
    keywords: AhoCorasick,
    keyword_uses: Vec<KeywordUse>,
    assignment: Regex,
}

/// A match before it becomes a finding: byte span and what found it.
struct Hit {
    start: usize,
    end: usize,
    what: HitKind,
}

enum HitKind {
    /// A pattern of the own-secret automaton.
    Own(usize),
    Shape(usize, Confidence),
    /// The name's span and the value's span is the hit's.
    Assignment(usize, usize),
}

/// The casings a keyword is usually written in (the keyword automaton is case-sensitive so that it stays
/// a small SIMD-searched set).
fn casings(word: &str) -> Vec<String> {
    let mut first = word.chars();
    let capital = match first.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + first.as_str(),
        None => String::new(),
    };
    let mut out = vec![word.to_string(), word.to_ascii_uppercase(), capital];
    out.dedup();
    out
}

impl<'a> Engine<'a> {
    pub(super) fn new(own: &'a [OwnSecret], ids: Option<&FindingIdKey>) -> Self {
        let regexes: Vec<Regex> = SHAPE_RULES
            .iter()
            .map(|r| Regex::new(r.regex).expect("shape rules compile"))
            .collect();
        let set_rules: Vec<usize> = (0..SHAPE_RULES.len())
            .filter(|&i| SHAPE_RULES[i].bare.is_some() && SHAPE_RULES[i].token.is_none())
            .collect();
        let token_rules: Vec<usize> = (0..SHAPE_RULES.len())
            .filter(|&i| SHAPE_RULES[i].token.is_some())
            .collect();
        let token_min = token_rules
            .iter()
            .filter_map(|&i| SHAPE_RULES[i].token)
            .min();
        let token_lengths: u128 = token_rules
            .iter()
            .filter_map(|&i| SHAPE_RULES[i].token)
            .fold(0u128, |mask, len| {
                mask | 1u128.checked_shl(len as u32).unwrap_or(0)
            });
        let set = RegexSetBuilder::new(set_rules.iter().map(|&i| SHAPE_RULES[i].regex))
            .dfa_size_limit(DFA_CACHE)
            .build()
            .expect("shape rules compile");
        let mut patterns: Vec<String> = Vec::new();
        let mut keyword_uses: Vec<KeywordUse> = Vec::new();
        let mut words: Vec<(&str, Vec<usize>)> = Vec::new();
        for (i, rule) in SHAPE_RULES.iter().enumerate() {
            if rule.bare.is_none() {
                for (word, _) in rule.context {
                    match words.iter_mut().find(|(w, _)| w == word) {
                        Some((_, rules)) => rules.push(i),
                        None => words.push((word, vec![i])),
                    }
                }
            }
        }
        for (word, rules) in words {
            let mut forms = casings(word);
            if word == "kucoin" {
                forms.push("KuCoin".into());
            }
            for form in forms {
                patterns.push(form);
                keyword_uses.push(KeywordUse::Rules(rules.clone()));
            }
        }
        for ending in ASSIGNMENT_KEYWORDS {
            for form in casings(ending) {
                if !patterns.contains(&form) {
                    patterns.push(form);
                    keyword_uses.push(KeywordUse::Assignment);
                }
            }
        }
        let keywords = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&patterns)
            .expect("keywords build");
        Self {
            own,
            ids: ids.map(|k| KeyedMac::new(&k.0)),
            own_matcher: OwnMatcher::new(own),
            set,
            set_rules,
            token_rules,
            token_lengths,
            token_min,
            regexes,
            keywords,
            keyword_uses,
            assignment: Regex::new(ASSIGNMENT_REGEX).expect("assignment rule compiles"),
        }
    }

    /// Every finding in `buf`, in order of position.
    pub(super) fn scan_buffer(
        &self,
        buf: &[u8],
        path: &str,
        commit: Option<&str>,
        out: &mut Vec<Finding>,
    ) {
        let mut own_hits: Vec<Hit> = Vec::new();
        self.own_matcher.find_each(buf, |start, end, pattern| {
            own_hits.push(Hit {
                start,
                end,
                what: HitKind::Own(pattern),
            })
        });
        let mut others: Vec<Hit> = Vec::new();
        // `is_match` stops at the first match and needs no overlapping search: most files have none.
        if self.set.is_match(buf) {
            for set_index in self.set.matches(buf).iter() {
                let rule_index = self.set_rules[set_index];
                self.shape_hits(rule_index, buf, 0, buf, &mut others);
            }
        }
        self.token_hits(buf, &mut others);
        let mut last_line: [usize; 2] = [usize::MAX, usize::MAX];
        for m in self.keywords.find_iter(buf) {
            let (line_start, line_end) = line_bounds(buf, m.start());
            let use_ = &self.keyword_uses[m.pattern().as_usize()];
            let slot = usize::from(matches!(use_, KeywordUse::Assignment));
            if last_line[slot] == line_start {
                continue;
            }
            last_line[slot] = line_start;
            let line = &buf[line_start..line_end];
            match use_ {
                KeywordUse::Rules(rules) => {
                    for &rule_index in rules {
                        self.shape_hits(rule_index, line, line_start, buf, &mut others);
                    }
                }
                KeywordUse::Assignment => {
                    for caps in self.assignment.captures_iter(line) {
                        let (Some(name), Some(value)) = (caps.get(1), caps.get(2)) else {
                            continue;
                        };
                        if is_placeholder(value.as_bytes()) {
                            continue;
                        }
                        others.push(Hit {
                            start: line_start + value.start(),
                            end: line_start + value.end(),
                            what: HitKind::Assignment(
                                line_start + name.start(),
                                line_start + name.end(),
                            ),
                        });
                    }
                }
            }
        }
        if own_hits.is_empty() && others.is_empty() {
            return;
        }
        // An own secret is reported as such only; among overlapping others the most confident stays
        // (a shape before an assignment, the earlier rule of the table on a tie).
        others.retain(|h| !own_hits.iter().any(|o| h.start < o.end && o.start < h.end));
        others.sort_by_key(|h| (h.start, std::cmp::Reverse(rank(h))));
        let mut kept: Vec<Hit> = Vec::with_capacity(others.len());
        for hit in others {
            match kept.last_mut() {
                Some(last) if hit.start < last.end => {
                    if rank(&hit) > rank(last) {
                        *last = hit;
                    }
                }
                _ => kept.push(hit),
            }
        }
        let mut hits = own_hits;
        hits.extend(kept);
        hits.sort_by_key(|h| h.start);
        let mut lines = LineCounter::default();
        for hit in hits {
            let (line, column) = lines.position(buf, hit.start);
            let matched = &buf[hit.start..hit.end];
            let base = Finding {
                id: None,
                ignored: false,
                path: path.to_string(),
                line,
                column,
                kind: FindingKind::KeyShape,
                rule: String::new(),
                description: String::new(),
                confidence: Confidence::High,
                key_id: None,
                key_name: None,
                version: None,
                current: None,
                field: None,
                exchange: None,
                excerpt: redact(&String::from_utf8_lossy(matched)),
                commit: commit.map(str::to_string),
            };
            match hit.what {
                HitKind::Own(pattern) => {
                    for owner in &self.own_matcher.owners[pattern] {
                        let secret = &self.own[owner.secret];
                        let rule = owner.encoding.rule();
                        out.push(Finding {
                            id: self.finding_id(path, commit, rule, Some(secret), matched),
                            kind: FindingKind::OwnSecret,
                            rule: rule.to_string(),
                            description: describe(secret, owner.encoding),
                            key_id: Some(secret.key_id),
                            key_name: Some(secret.key_name.clone()),
                            version: Some(secret.version),
                            current: Some(secret.current),
                            field: Some(secret.field),
                            ..base.clone()
                        });
                    }
                }
                HitKind::Shape(rule_index, confidence) => {
                    let rule = &SHAPE_RULES[rule_index];
                    out.push(Finding {
                        id: self.finding_id(path, commit, rule.id, None, matched),
                        rule: rule.id.to_string(),
                        description: rule.description.to_string(),
                        confidence,
                        exchange: rule.exchange.map(str::to_string),
                        ..base
                    });
                }
                HitKind::Assignment(name_start, name_end) => {
                    let name = String::from_utf8_lossy(&buf[name_start..name_end]).into_owned();
                    let (line, column) = lines.position(buf, name_start.min(hit.start));
                    out.push(Finding {
                        id: self.finding_id(path, commit, &name, None, matched),
                        line,
                        column,
                        kind: FindingKind::Assignment,
                        rule: "env-assignment".to_string(),
                        description: format!(
                            "a value assigned to the secret-looking name '{name}'"
                        ),
                        confidence: Confidence::Medium,
                        exchange: exchange_in(&name),
                        excerpt: format!("{name}={}", base.excerpt),
                        ..base
                    });
                }
            }
        }
    }

    /// [`Finding::id`]: a keyed MAC over the place (file, and commit for history), the rule (for an
    /// assignment, the name assigned), whose secret it is, and the matched bytes; never the line, so an
    /// ignored finding stays ignored when lines above it change.
    fn finding_id(
        &self,
        path: &str,
        commit: Option<&str>,
        rule: &str,
        own: Option<&OwnSecret>,
        matched: &[u8],
    ) -> Option<String> {
        let mac = self.ids.as_ref()?;
        let owner = own.map(|o| format!("{}/{}/{}", o.key_id, o.version, o.field.as_str()));
        let m = mac.mac(&[
            b"keystead finding id v1\0",
            path.as_bytes(),
            b"\0",
            commit.unwrap_or("").as_bytes(),
            b"\0",
            rule.as_bytes(),
            b"\0",
            owner.as_deref().unwrap_or("").as_bytes(),
            b"\0",
            matched,
        ]);
        Some(m[..8].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The token rules' matches: one pass over `buf` finding maximal runs of token bytes, each run of a
    /// rule's length checked with that rule.
    fn token_hits(&self, buf: &[u8], out: &mut Vec<Hit>) {
        let Some(min) = self.token_min else {
            return;
        };
        // A run of at least `min` token bytes starting at or after `at` covers `at + min - 1`: probing that
        // byte skips most of the text. Invariant: `at == 0` or `buf[at - 1]` is not a token byte.
        let n = buf.len();
        let mut at = 0;
        while at + min <= n {
            let probe = at + min - 1;
            if !is_token_byte(buf[probe]) {
                at = probe + 1;
                continue;
            }
            let mut start = probe;
            while start > at && is_token_byte(buf[start - 1]) {
                start -= 1;
            }
            let mut end = probe + 1;
            while end < n && is_token_byte(buf[end]) {
                end += 1;
            }
            let len = end - start;
            if len < 128 && self.token_lengths & (1u128 << len) != 0 {
                for &rule_index in &self.token_rules {
                    if SHAPE_RULES[rule_index].token == Some(len) {
                        self.shape_hits(rule_index, &buf[start..end], start, buf, out);
                    }
                }
            }
            at = end + 1;
        }
    }

    /// The matches of one shape rule in `hay` (which starts at `offset` in `buf`).
    fn shape_hits(
        &self,
        rule_index: usize,
        hay: &[u8],
        offset: usize,
        buf: &[u8],
        out: &mut Vec<Hit>,
    ) {
        let rule = &SHAPE_RULES[rule_index];
        for m in self.regexes[rule_index].find_iter(hay) {
            let (start, end) = (offset + m.start(), offset + m.end());
            let text = &buf[start..end];
            if rule.standalone
                && (start > 0 && is_token_byte(buf[start - 1])
                    || end < buf.len() && is_token_byte(buf[end]))
            {
                continue;
            }
            if rule.not_all_hex && text.iter().all(u8::is_ascii_hexdigit) {
                continue;
            }
            if rule.mixed
                && !(text.iter().any(u8::is_ascii_digit)
                    && text.iter().any(u8::is_ascii_alphabetic))
            {
                continue;
            }
            if let Some(confidence) = confidence_on_line(rule, buf, start) {
                out.push(Hit {
                    start,
                    end,
                    what: HitKind::Shape(rule_index, confidence),
                });
            }
        }
    }
}

fn rank(hit: &Hit) -> (Confidence, u8, std::cmp::Reverse<usize>) {
    match hit.what {
        HitKind::Shape(rule, confidence) => (confidence, 1, std::cmp::Reverse(rule)),
        HitKind::Assignment(..) => (Confidence::Medium, 0, std::cmp::Reverse(0)),
        HitKind::Own(_) => (Confidence::High, 2, std::cmp::Reverse(0)),
    }
}

static TOKEN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=' | b'_' | b'-');
        b += 1;
    }
    table
};

fn is_token_byte(b: u8) -> bool {
    TOKEN_BYTES[b as usize]
}

/// The catalog exchange an assignment's name mentions (`BINANCE_API_SECRET` → binance).
fn exchange_in(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    [
        "binance",
        "coinbase",
        "kraken",
        "okx",
        "bybit",
        "kucoin",
        "bitget",
        "gate",
        "bitfinex",
        "deribit",
        "hyperliquid",
    ]
    .into_iter()
    .find(|id| lower.contains(id))
    .map(str::to_string)
}

/// The rule's confidence for a match at `start`: the highest of its context words on the line, else its
/// bare confidence (`None`: not reported).
fn confidence_on_line(rule: &ShapeRule, buf: &[u8], start: usize) -> Option<Confidence> {
    let mut best = rule.bare;
    if rule.context.is_empty() {
        return best;
    }
    let (line_start, line_end) = line_bounds(buf, start);
    let line = buf[line_start..line_end].to_ascii_lowercase();
    for (word, confidence) in rule.context {
        if best.is_some_and(|b| b >= *confidence) {
            continue;
        }
        if line.windows(word.len()).any(|w| w == word.as_bytes()) {
            best = Some(*confidence);
        }
    }
    best
}

/// The line holding `pos`, without its newline (lines longer than 4 KiB are cut around `pos`).
fn line_bounds(buf: &[u8], pos: usize) -> (usize, usize) {
    const LIMIT: usize = 4096;
    let from = pos.saturating_sub(LIMIT);
    let start = buf[from..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(from, |i| from + i + 1);
    let to = (pos + LIMIT).min(buf.len());
    let end = buf[pos..to]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(to, |i| pos + i);
    (start, end)
}

/// Line and column of increasing positions, counting newlines once.
#[derive(Default)]
struct LineCounter {
    pos: usize,
    line: u32,
    line_start: usize,
}

impl LineCounter {
    fn position(&mut self, buf: &[u8], at: usize) -> (u32, u32) {
        if at < self.pos {
            *self = Self::default();
        }
        for (i, &b) in buf[self.pos..at].iter().enumerate() {
            if b == b'\n' {
                self.line += 1;
                self.line_start = self.pos + i + 1;
            }
        }
        self.pos = at;
        let prefix = &buf[self.line_start..at];
        let column = match std::str::from_utf8(prefix) {
            Ok(text) => text.chars().count(),
            Err(_) => prefix.len(),
        };
        (self.line + 1, u32::try_from(column + 1).unwrap_or(u32::MAX))
    }
}

/// The counters and results the walker's threads share.
pub(super) struct Shared<'p> {
    pub started: Instant,
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub findings_count: AtomicU64,
    pub skipped_binary: AtomicU64,
    pub skipped_large: AtomicU64,
    pub skipped_unreadable: AtomicU64,
    pub skipped_links: AtomicU64,
    last_progress_ms: AtomicU64,
    pub findings: Mutex<Vec<Finding>>,
    pub repos: Mutex<Vec<PathBuf>>,
    on_progress: &'p (dyn Fn(&ScanProgress) + Sync),
}

impl<'p> Shared<'p> {
    fn new(started: Instant, on_progress: &'p (dyn Fn(&ScanProgress) + Sync)) -> Self {
        Self {
            started,
            files: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            findings_count: AtomicU64::new(0),
            skipped_binary: AtomicU64::new(0),
            skipped_large: AtomicU64::new(0),
            skipped_unreadable: AtomicU64::new(0),
            skipped_links: AtomicU64::new(0),
            last_progress_ms: AtomicU64::new(0),
            findings: Mutex::new(Vec::new()),
            repos: Mutex::new(Vec::new()),
            on_progress,
        }
    }

    /// Sends progress if the last was at least 100 ms ago (or always, with `force`).
    pub fn progress(&self, force: bool) {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.last_progress_ms.load(Relaxed);
        if !force
            && (now < last + 100
                || self
                    .last_progress_ms
                    .compare_exchange(last, now, Relaxed, Relaxed)
                    .is_err())
        {
            return;
        }
        (self.on_progress)(&ScanProgress {
            files: self.files.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
            findings: self.findings_count.load(Relaxed),
            seconds: self.started.elapsed().as_secs_f64(),
        });
    }

    /// Scans one text buffer (already read, within the size limit) unless it is binary.
    /// Scans one file's (or one blob's) bytes. `commit_of` is asked only when something was found
    /// (a blob of history: the commit that introduced it, one `git log`), and the findings then carry it.
    pub fn scan_text(
        &self,
        engine: &Engine,
        buf: &[u8],
        path: &str,
        commit_of: impl FnOnce() -> Option<String>,
    ) {
        if buf[..buf.len().min(BINARY_PROBE)].contains(&0) {
            self.skipped_binary.fetch_add(1, Relaxed);
            return;
        }
        self.files.fetch_add(1, Relaxed);
        self.bytes.fetch_add(buf.len() as u64, Relaxed);
        let mut found = Vec::new();
        engine.scan_buffer(buf, path, None, &mut found);
        if found.is_empty() {
            return;
        }
        if let Some(commit) = commit_of() {
            // The commit is part of each finding's id, so the (rare) blob with findings is scanned again.
            found.clear();
            engine.scan_buffer(buf, path, Some(&commit), &mut found);
        }
        {
            self.findings_count.fetch_add(found.len() as u64, Relaxed);
            self.findings.lock().expect("findings lock").extend(found);
        }
    }
}

/// Reads `path` into `buf` (cleared first). `Ok(false)`: over `max` bytes.
fn read_file(path: &Path, max: u64, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > max {
        return Ok(false);
    }
    buf.clear();
    file.take(max.saturating_add(1)).read_to_end(buf)?;
    Ok(buf.len() as u64 <= max)
}

/// See [`super::scan`].
pub fn scan(
    options: &ScanOptions,
    own: &[OwnSecret],
    on_progress: &(dyn Fn(&ScanProgress) + Sync),
    cancel: &AtomicBool,
) -> Result<ScanReport> {
    // The seconds reported include compiling the rules and the own-secret automaton.
    let started = Instant::now();
    if options.roots.is_empty() {
        return Err(Error::input(
            "nothing to scan: name at least one folder or file",
        ));
    }
    let mut roots = Vec::with_capacity(options.roots.len());
    for root in &options.roots {
        match root.symlink_metadata() {
            // A root given as a symlink is what the user chose: scan where it points.
            Ok(meta) if meta.file_type().is_symlink() => match std::fs::canonicalize(root) {
                Ok(target) => roots.push(target),
                Err(_) => {
                    return Err(Error::input(format!(
                        "'{}' is a symlink to something that does not exist: check the path and scan again",
                        root.display()
                    )))
                }
            },
            Ok(_) => roots.push(root.clone()),
            Err(_) => {
                return Err(Error::input(format!(
                    "'{}' does not exist or cannot be read: check the path (a folder or a file) and scan again",
                    root.display()
                )))
            }
        }
    }
    if options.history {
        super::history::check_git()?;
    }
    let engine = Engine::new(own, options.finding_ids.as_ref());
    let shared = Shared::new(started, on_progress);
    let mut builder = WalkBuilder::new(&roots[0]);
    for root in &roots[1..] {
        builder.add(root);
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    builder.threads(threads).follow_links(false);
    if options.include_ignored {
        builder.standard_filters(false);
    } else {
        // Hidden files (.env, shell history) are scanned; .gitignore applies in any folder, not only
        // inside a git work tree.
        builder.hidden(false).require_git(false);
    }
    let max = options.max_file_size;
    builder.build_parallel().run(|| {
        let engine = &engine;
        let shared = &shared;
        let mut buf: Vec<u8> = Vec::new();
        Box::new(move |entry| {
            if cancel.load(Relaxed) {
                return WalkState::Quit;
            }
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    if err.is_io() || err.io_error().is_some() {
                        shared.skipped_unreadable.fetch_add(1, Relaxed);
                    }
                    return WalkState::Continue;
                }
            };
            let Some(file_type) = entry.file_type() else {
                return WalkState::Continue;
            };
            if file_type.is_symlink() {
                shared.skipped_links.fetch_add(1, Relaxed);
                return WalkState::Continue;
            }
            if file_type.is_dir() {
                if entry.file_name() == ".git" {
                    if let Some(repo) = entry.path().parent() {
                        shared
                            .repos
                            .lock()
                            .expect("repos lock")
                            .push(repo.to_path_buf());
                    }
                    return WalkState::Skip;
                }
                return WalkState::Continue;
            }
            if !file_type.is_file() {
                return WalkState::Continue;
            }
            let path = entry.path();
            match read_file(path, max, &mut buf) {
                Ok(true) => shared.scan_text(engine, &buf, &path.display().to_string(), || None),
                Ok(false) => {
                    shared.skipped_large.fetch_add(1, Relaxed);
                }
                Err(_) => {
                    shared.skipped_unreadable.fetch_add(1, Relaxed);
                }
            }
            if buf.capacity() > 4 * 1024 * 1024 {
                buf = Vec::new();
            }
            shared.progress(false);
            WalkState::Continue
        })
    });
    if options.history && !cancel.load(Relaxed) {
        let mut repos = std::mem::take(&mut *shared.repos.lock().expect("repos lock"));
        repos.sort();
        repos.dedup();
        for repo in repos {
            if cancel.load(Relaxed) {
                break;
            }
            super::history::scan_history(&repo, max, &engine, &shared, cancel)?;
        }
    }
    shared.progress(true);
    let mut findings = std::mem::take(&mut *shared.findings.lock().expect("findings lock"));
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule))
    });
    Ok(ScanReport {
        findings,
        stats: ScanStats {
            files: shared.files.load(Relaxed),
            bytes: shared.bytes.load(Relaxed),
            skipped_binary: shared.skipped_binary.load(Relaxed),
            skipped_large: shared.skipped_large.load(Relaxed),
            skipped_unreadable: shared.skipped_unreadable.load(Relaxed),
            skipped_links: shared.skipped_links.load(Relaxed),
            seconds: shared.started.elapsed().as_secs_f64(),
        },
        cancelled: cancel.load(Relaxed),
        own_secrets: !own.is_empty(),
        ignored: 0,
        ignored_shown: false,
    })
}
