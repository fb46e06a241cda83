//! `run --mask`: the program's stdout and stderr go through keystead, which replaces every released
//! secret value, and its base64, base64url and percent-encoded forms, with a marker before passing the
//! output on; one thread per stream, matches split across reads are still found.

use aho_corasick::{AhoCorasick, MatchKind};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::thread::JoinHandle;
use zeroize::Zeroizing;

/// What replaces a secret in the program's output.
pub const MARKER: &[u8] = b"<concealed by keystead>";
/// Values shorter than this are not masked: a one- to three-character value would conceal every
/// occurrence of those characters in ordinary output.
pub const MIN_MASKED: usize = 4;
/// How much is read from the program at a time.
const CHUNK: usize = 8192;

/// The secrets to conceal and every encoded form of them, in buffers wiped when dropped.
pub struct Patterns {
    forms: Vec<Zeroizing<Vec<u8>>>,
}

impl Patterns {
    pub fn new() -> Self {
        Self { forms: Vec::new() }
    }

    /// Adds one value and its encoded forms. The caller refuses values shorter than [`MIN_MASKED`].
    pub fn add(&mut self, value: &[u8]) {
        let mut forms: Vec<Zeroizing<Vec<u8>>> = vec![Zeroizing::new(value.to_vec())];
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            let mut text = Zeroizing::new(String::with_capacity(value.len() * 4 / 3 + 4));
            engine.encode_string(value, &mut text);
            forms.push(Zeroizing::new(text.as_bytes().to_vec()));
        }
        forms.push(percent_encoded(value, b"0123456789ABCDEF"));
        forms.push(percent_encoded(value, b"0123456789abcdef"));
        for form in forms {
            if !self.forms.iter().any(|f| **f == *form) {
                self.forms.push(form);
            }
        }
    }
}

/// Every byte outside the URL-unreserved set (`A-Z a-z 0-9 - . _ ~`) as `%XX`, in the given hex digits.
fn percent_encoded(value: &[u8], hex: &[u8; 16]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(value.len() * 3));
    for &b in value {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', hex[usize::from(b >> 4)], hex[usize::from(b & 0xf)]]);
        }
    }
    out
}

/// The matcher over every form, longest match first where they overlap (a padded base64 over its
/// unpadded prefix).
pub struct Masker {
    automaton: AhoCorasick,
    /// Bytes held back between reads: one less than the longest pattern, so a match that starts in
    /// them is complete once the next read arrives.
    keep: usize,
}

impl Masker {
    /// Builds the matcher and drops the patterns (wiped). The automaton keeps its own copy of them,
    /// which aho-corasick does not wipe; it is dropped with the copiers once the program has exited.
    pub fn new(patterns: Patterns) -> io::Result<Self> {
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.forms.iter().map(|f| f.as_slice()))
            .map_err(io::Error::other)?;
        let longest = patterns.forms.iter().map(|f| f.len()).max().unwrap_or(1);
        Ok(Masker {
            automaton,
            keep: longest.saturating_sub(1),
        })
    }

    /// Writes `buf` with every match replaced, except its last bytes that could start a match not yet
    /// complete (all of them at the end of the stream): those are returned to go before the next read.
    fn pass(&self, buf: &[u8], at_end: bool, out: &mut Vec<u8>) -> usize {
        let safe = if at_end {
            buf.len()
        } else {
            buf.len().saturating_sub(self.keep)
        };
        let mut cursor = 0;
        for m in self.automaton.find_iter(buf) {
            // A match starting before `safe` has every byte of any longer pattern at its start in
            // `buf`, so it is final; one starting later waits for more output.
            if m.start() >= safe {
                break;
            }
            out.extend_from_slice(&buf[cursor..m.start()]);
            out.extend_from_slice(MARKER);
            cursor = m.end();
        }
        let upto = cursor.max(safe);
        out.extend_from_slice(&buf[cursor..upto]);
        upto
    }
}

/// Copies `from` to `to` with the secrets concealed, flushing after each read. Returns when the
/// program's side is closed or keystead's cannot be written to any more (the program then gets
/// SIGPIPE on its next write, as in a shell pipeline).
fn copy(masker: &Masker, mut from: impl Read, mut to: impl Write) {
    let mut pending = Zeroizing::new(Vec::with_capacity(CHUNK + masker.keep));
    let mut chunk = Zeroizing::new(vec![0u8; CHUNK]);
    let mut out = Zeroizing::new(Vec::with_capacity(CHUNK * 2));
    loop {
        let n = match from.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => 0,
        };
        let at_end = n == 0;
        pending.extend_from_slice(&chunk[..n]);
        out.clear();
        let used = masker.pass(&pending, at_end, &mut out);
        pending.drain(..used);
        if !out.is_empty() && (to.write_all(&out).is_err() || to.flush().is_err()) {
            return;
        }
        if at_end {
            return;
        }
    }
}

/// Starts one thread per stream copying it with the secrets concealed; the matcher is dropped when
/// both have ended.
pub fn start(
    masker: Masker,
    stdout: Option<std::process::ChildStdout>,
    stderr: Option<std::process::ChildStderr>,
) -> Vec<JoinHandle<()>> {
    let masker = Arc::new(masker);
    let mut threads = Vec::new();
    if let Some(s) = stdout {
        let m = Arc::clone(&masker);
        threads.push(std::thread::spawn(move || copy(&m, s, io::stdout())));
    }
    if let Some(s) = stderr {
        let m = Arc::clone(&masker);
        threads.push(std::thread::spawn(move || copy(&m, s, io::stderr())));
    }
    threads
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(values: &[&str], reads: &[&[u8]]) -> String {
        let mut p = Patterns::new();
        for v in values {
            p.add(v.as_bytes());
        }
        let m = Masker::new(p).unwrap();
        let mut pending = Vec::new();
        let mut out = Vec::new();
        for (i, r) in reads.iter().enumerate() {
            pending.extend_from_slice(r);
            let used = m.pass(&pending, false, &mut out);
            pending.drain(..used);
            assert!(pending.len() <= m.keep, "read {i}: at most keep bytes held");
        }
        let used = m.pass(&pending, true, &mut out);
        assert_eq!(used, pending.len());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_form_is_replaced_and_the_rest_passes_unchanged() {
        let v = "sk/live+1?";
        let b64 = STANDARD.encode(v);
        let url = URL_SAFE_NO_PAD.encode(v);
        let text = format!("a {v} b {b64} c {url} d sk%2Flive%2B1%3F e sk%2flive%2b1%3f f");
        let out = masked(&[v], &[text.as_bytes()]);
        let m = "<concealed by keystead>";
        assert_eq!(out, format!("a {m} b {m} c {m} d {m} e {m} f"));
    }

    #[test]
    fn a_value_split_across_reads_at_every_point_is_still_found() {
        let v = "sk-live-0123456789";
        let text = format!("x{v}y{v}");
        for cut in 0..=text.len() {
            let (a, b) = text.as_bytes().split_at(cut);
            let out = masked(&[v], &[a, b]);
            assert_eq!(
                out, "x<concealed by keystead>y<concealed by keystead>",
                "cut at {cut}"
            );
        }
        // One byte at a time.
        let bytes: Vec<&[u8]> = text.as_bytes().chunks(1).collect();
        assert_eq!(
            masked(&[v], &bytes),
            "x<concealed by keystead>y<concealed by keystead>"
        );
    }

    #[test]
    fn output_that_only_starts_like_a_secret_comes_out_at_the_end() {
        assert_eq!(masked(&["abcdef"], &[b"xxabc", b"de"]), "xxabcde");
    }
}
