// Hostile user text for the webview tests: HTML and script injection, SVG, `javascript:` URLs, template and
// entity tricks, right-to-left overrides and isolates, emoji and combining marks, NUL and other control
// characters, terminal escapes, very long text. Each payload that could run script sets a flag on `window`
// (`__hostile`), so a test can tell that none ran. Built from a fixed list and fixed variants: the same
// strings every run.

const SCRIPTS = [
  "<script>window.__hostile='script'</script>",
  "<img src=x onerror=\"window.__hostile='img'\">",
  "<img src=x onerror=window.__hostile=1 />",
  "<svg onload=\"window.__hostile='svg'\"></svg>",
  "<svg><script>window.__hostile='svg-script'</script></svg>",
  "<svg><animate onbegin=window.__hostile=2 attributeName=x dur=1s>",
  "<a href=\"javascript:window.__hostile='href'\">click me</a>",
  "javascript:window.__hostile='url'",
  "JaVaScRiPt:window.__hostile=3",
  "<iframe src=\"javascript:window.__hostile='iframe'\"></iframe>",
  "<iframe srcdoc=\"<script>parent.__hostile='srcdoc'</script>\"></iframe>",
  "\"><img src=x onerror=window.__hostile=4>",
  "'><script>window.__hostile=5</script>",
  "</textarea><script>window.__hostile=6</script>",
  "</title><script>window.__hostile=7</script>",
  "<details open ontoggle=window.__hostile=8>",
  "<body onload=window.__hostile=9>",
  "<object data=\"javascript:window.__hostile=10\"></object>",
  "<embed src=\"javascript:window.__hostile=11\">",
  "<form action=\"javascript:window.__hostile=12\"><button>go</button></form>",
  "<math><mtext><table><mglyph><style><img src=x onerror=window.__hostile=13>",
  "<style>*{display:none!important}</style>",
  "<link rel=stylesheet href=\"https://evil.example/x.css\">",
  "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__hostile=14\">",
  "<base href=\"https://evil.example/\">",
  "{{constructor.constructor('window.__hostile=15')()}}",
  "${window.__hostile=16}",
  "<!--",
  "]]><![CDATA[",
  "&lt;b&gt;entity&lt;/b&gt; &amp; &quot; &#x27; &#60;script&#62;",
  "%3Cscript%3Ewindow.__hostile=17%3C/script%3E",
  "\\u003cscript\\u003ewindow.__hostile=18\\u003c/script\\u003e",
  "'; DROP TABLE entries;--",
  "$(touch /tmp/keystead-pwned) `id` %s%n%x",
];

const TEXT = [
  "\u202Egnp.exe",
  "bot\u2066isolated\u2069 \u200Fmark",
  "🔑💸🚀 👩‍👩‍👧‍👦 🏳️‍🌈",
  "Z̴̡͎̈́a̷̧l̶̨g̸̢o̵̡",
  "ｆｕｌｌｗｉｄｔｈ ｎａｍｅ",
  "zero\u200Bwidth\u200Djoin\uFEFFbom",
  "NUL\u0000inside\u0000",
  "\u001b[31mred\u001b[0m \u001b[2J\u001b[H",
  "\u001b]0;pwned title\u0007",
  "\u001b]8;;https://evil.example\u001b\\link\u001b]8;;\u001b\\",
  "line one\r\nInjected-Header: yes",
  "tab\tand\u000bvertical\u000cfeed",
  "\u0085next line\u2028line sep\u2029para sep",
  "العربية עברית mixed",
];

const VARIANTS = [
  (s) => s,
  (s) => s.toUpperCase(),
  (s) => `pre ${s}`,
  (s) => `${s} post`,
  (s) => `${s}${s}`,
  (s) => `"${s}"`,
  (s) => `<b>${s}</b>`,
  (s) => `  ${s}  `,
  (s) => `${s}\n${s}`,
  (s) => `key-${s}`,
  (s) => `${s} 🔑`,
  (s) => `[${s}](javascript:window.__hostile=99)`,
];

/** Every hostile string: each payload in every variant, then some very long ones. */
export function hostileStrings() {
  const out = [];
  for (const base of [...SCRIPTS, ...TEXT]) {
    for (const variant of VARIANTS) out.push(variant(base));
  }
  out.push("A".repeat(5000), `${"<img src=x onerror=window.__hostile=100>".repeat(100)}`, "🔑".repeat(2000));
  return out;
}

/** Unicode White_Space, which Rust's `str::trim` removes (JavaScript's `trim` differs: it keeps U+0085 and
 * removes U+FEFF). */
const WHITE = "\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
const EDGES = new RegExp(`^[${WHITE}]+|[${WHITE}]+$`, "gu");

/** `text` trimmed as keystead-core trims names and account labels. */
export const rustTrim = (text) => text.replace(EDGES, "");

/** Whether keystead-core takes `text` as a key name (parse::key_name): no control or bidi characters, at most
 * 128 characters once trimmed, not empty. */
export function nameable(text) {
  const t = rustTrim(text);
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
  return t !== "" && [...t].length <= 128 && !control.test(t);
}
