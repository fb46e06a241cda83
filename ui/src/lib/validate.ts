// Inline validation for the forms. The rules mirror keystead-core's `parse` module so the user hears about
// a mistake while typing; Rust checks again and has the last word.

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(error: string): Checked<T> => ({ ok: false, error });

/** Shortest passphrase Rust accepts, in characters. */
export const MIN_PASSPHRASE_CHARS = 8;
/** Longest key name, in characters. */
export const MAX_NAME_CHARS = 128;

/** Length in Unicode characters, as Rust's `chars().count()` counts. */
export const charCount = (text: string): number => [...text].length;

function isIpv4(text: string): boolean {
  const parts = text.split(".");
  if (parts.length !== 4) return false;
  // Rust's parser refuses leading zeros ("010.0.0.1"), which some tools read as octal.
  return parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

function isHexGroup(text: string): boolean {
  return /^[0-9a-fA-F]{1,4}$/.test(text);
}

/** Groups of an IPv6 half ("2001:db8" → 2; a trailing IPv4 counts as 2), or -1 if malformed. */
function ipv6Groups(half: string, mayEndInIpv4: boolean): number {
  if (half === "") return 0;
  const groups = half.split(":");
  let count = 0;
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] ?? "";
    if (i === groups.length - 1 && mayEndInIpv4 && g.includes(".")) {
      if (!isIpv4(g)) return -1;
      count += 2;
    } else if (isHexGroup(g)) {
      count += 1;
    } else {
      return -1;
    }
  }
  return count;
}

function isIpv6(text: string): boolean {
  const halves = text.split("::");
  if (halves.length > 2) return false;
  if (halves.length === 1) return ipv6Groups(text, true) === 8;
  const head = ipv6Groups(halves[0] ?? "", false);
  const tail = ipv6Groups(halves[1] ?? "", true);
  // "::" stands for at least one group of zeros.
  return head >= 0 && tail >= 0 && head + tail <= 7;
}

/** One allowlist entry: an IPv4 or IPv6 address, optionally with a /prefix (≤ 32 or ≤ 128). */
export function checkIpEntry(text: string): Checked<string> {
  const t = text.trim();
  const bad = fail<string>(
    `bad IP allowlist entry '${t}': use an IPv4 or IPv6 address, or a CIDR range such as 203.0.113.0/24`,
  );
  const slash = t.indexOf("/");
  const addr = slash === -1 ? t : t.slice(0, slash);
  const prefix = slash === -1 ? null : t.slice(slash + 1);
  const v4 = isIpv4(addr);
  if (!v4 && !isIpv6(addr)) return bad;
  if (prefix !== null) {
    if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > (v4 ? 32 : 128)) return bad;
  }
  return ok(t);
}

/** The allowlist textarea: one entry per line (commas also separate), blanks skipped, duplicates dropped. */
export function checkIpAllowlist(text: string): Checked<string[]> {
  const entries: string[] = [];
  for (const item of text.split(/[\n,]/)) {
    if (item.trim() === "") continue;
    const checked = checkIpEntry(item);
    if (!checked.ok) return fail(checked.error);
    if (!entries.includes(checked.value)) entries.push(checked.value);
  }
  return ok(entries);
}

const UNIT_DAYS = new Map<string, number>([
  ["", 1], ["d", 1], ["day", 1], ["days", 1],
  ["w", 7], ["week", 7], ["weeks", 7],
  ["m", 30], ["mo", 30], ["month", 30], ["months", 30],
  ["y", 365], ["year", 365], ["years", 365],
]);

/** A rotation period: 90d, 12w, 3m (30-day months), 1y (365 days) or a bare number of days; 1 day to 100 years. */
export function checkDuration(text: string): Checked<number> {
  const t = text.trim().toLowerCase();
  const bad = fail<number>(
    `bad duration '${text}': write a number of days, weeks, months or years, e.g. 90d, 12w, 3m or 1y`,
  );
  const match = /^([0-9]+)(.*)$/.exec(t);
  if (match === null) return bad;
  const [, digits = "", unit = ""] = match;
  const per = UNIT_DAYS.get(unit.trim());
  if (per === undefined) return bad;
  const n = Number(digits);
  if (n > 4_294_967_295) return bad; // does not fit Rust's u32
  const days = n * per;
  if (days < 1 || days > 36_500) return fail(`bad duration '${text}': use between 1 day and 100 years`);
  return ok(days);
}

/** A key name: trimmed, not empty, at most 128 characters, no control characters. */
export function checkKeyName(text: string): Checked<string> {
  const t = text.trim();
  if (t === "") return fail("the key name is empty: give it a name such as binance-main");
  if (charCount(t) > MAX_NAME_CHARS) {
    return fail(`the key name is longer than ${MAX_NAME_CHARS} characters: choose a shorter name`);
  }
  // Control characters, and the bidirectional controls that make "‮gnp.exe" read as "exe.png".
  if (/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(t)) {
    return fail(
      "the key name contains control or text-direction characters: use letters, digits, spaces and punctuation",
    );
  }
  return ok(t);
}

/** Tags typed as words separated by commas or spaces; duplicates dropped. */
export function parseTags(text: string): string[] {
  const tags: string[] = [];
  for (const tag of text.split(/[,\s]+/)) if (tag !== "" && !tags.includes(tag)) tags.push(tag);
  return tags;
}

/** The bots typed in "Used by": `bot` or `bot@host`, separated by commas or new lines; each once. Rust
 *  checks each (names, hosts) and says what is wrong. */
export function parseUsedBy(text: string): string[] {
  const out: string[] = [];
  for (const item of text.split(/[,\n]+/)) {
    const t = item.trim();
    if (t !== "" && !out.includes(t)) out.push(t);
  }
  return out;
}

/** A YYYY-MM-DD date as the date input gives it, or "" for none. */
export function checkDate(text: string): Checked<string | null> {
  const t = text.trim();
  if (t === "") return ok(null);
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (m !== null) {
    const d = new Date(`${t}T00:00:00Z`);
    if (!Number.isNaN(d.getTime()) && d.toISOString().startsWith(t)) return ok(t);
  }
  return fail(`bad date '${t}': write it as YYYY-MM-DD (e.g. 2027-03-01)`);
}

/** A whole number from `min` to `max` (the settings' minutes and seconds). */
export function wholeInRange(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

/** Longest variable name a key may give `keystead run` (core validate::MAX_VARIABLE_CHARS). */
export const MAX_VARIABLE_CHARS = 128;

/**
 * A key's own variable name for `keystead run` (mirrors core validate::check_env_names' syntax rule;
 * Rust also refuses names such as PATH or LD_PRELOAD). Blank means none: `null`.
 */
export function checkVariableName(text: string): Checked<string | null> {
  const t = text.trim();
  if (t === "") return ok(null);
  if (t.length > MAX_VARIABLE_CHARS || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(t)) {
    return fail(
      `"${t.slice(0, 40)}" is not a plain variable name: use letters, digits and _ (not first), e.g. BINANCE_API_KEY`,
    );
  }
  return ok(t);
}
