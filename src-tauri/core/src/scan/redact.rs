//! Redaction of matched text for findings: the first 4 and last 2 characters, control and bidi characters escaped.

/// `vmPU…8A`: the first 4 and last 2 characters of `matched`, any control or bidirectional-override
/// character among them written as `\u{…}`. Values under 8 characters show only `…`.
pub fn redact(matched: &str) -> String {
    let chars: Vec<char> = matched.chars().collect();
    if chars.len() < 8 {
        return "…".to_string();
    }
    let mut out = String::with_capacity(16);
    for &c in &chars[..4] {
        push_escaped(&mut out, c);
    }
    out.push('…');
    for &c in &chars[chars.len() - 2..] {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    if c.is_control() || is_bidi(c) {
        out.push_str(&format!("\\u{{{:x}}}", c as u32));
    } else {
        out.push(c);
    }
}

/// Characters that change the display order of text (Trojan Source).
fn is_bidi(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn scan_redact_keeps_four_and_two() {
        assert_eq!(
            redact("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"),
            "vmPU…8A"
        );
        assert_eq!(redact("12345678"), "1234…78");
        assert_eq!(redact("1234567"), "…");
        assert_eq!(redact(""), "…");
        assert_eq!(redact("äöüßéèêë"), "äöüß…êë");
        assert_eq!(
            redact("\u{202e}\nabcdefgh\x1b"),
            "\\u{202e}\\u{a}ab…h\\u{1b}"
        );
    }
}
