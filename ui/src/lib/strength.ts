// A small, honest passphrase strength estimate: length × log2(size of the character classes used), with
// repeats and runs (aaaa, abcd, 1234) counted as a quarter of a character and a few notorious passphrases
// counted as nothing. It cannot know whether words were chosen at random, so it is an upper bound.

export type Strength = "weak" | "fair" | "strong";
export type StrengthEstimate = { bits: number; strength: Strength };

const COMMON = new Set([
  "password", "passw0rd", "password1", "password123", "12345678", "123456789", "1234567890", "qwertyuiop",
  "qwerty123", "iloveyou", "letmein1", "11111111", "00000000", "abc12345", "abcd1234", "bitcoin1", "satoshi1",
  "trustno1", "sunshine", "princess", "football", "baseball", "welcome1", "admin123", "changeme",
]);

/** Below this many bits a passphrase is weak; at or above STRONG_BITS it is strong. */
export const FAIR_BITS = 50;
export const STRONG_BITS = 75;

function poolSize(chars: string[]): number {
  let lower = false, upper = false, digit = false, symbol = false, space = false, other = false;
  for (const c of chars) {
    if (c >= "a" && c <= "z") lower = true;
    else if (c >= "A" && c <= "Z") upper = true;
    else if (c >= "0" && c <= "9") digit = true;
    else if (c === " ") space = true;
    else if (c.charCodeAt(0) < 128) symbol = true;
    else other = true;
  }
  return (lower ? 26 : 0) + (upper ? 26 : 0) + (digit ? 10 : 0) + (symbol ? 32 : 0) + (space ? 1 : 0) +
    (other ? 100 : 0);
}

export function estimateStrength(passphrase: string): StrengthEstimate {
  const chars = [...passphrase];
  if (chars.length === 0 || COMMON.has(passphrase.toLowerCase())) return { bits: 0, strength: "weak" };
  const pool = poolSize(chars);
  let length = 0;
  for (let i = 0; i < chars.length; i++) {
    const here = chars[i]?.codePointAt(0) ?? 0;
    const before = i > 0 ? (chars[i - 1]?.codePointAt(0) ?? 0) : NaN;
    const delta = here - before;
    length += delta === 0 || delta === 1 || delta === -1 ? 0.25 : 1;
  }
  const bits = Math.round(length * Math.log2(pool));
  const strength: Strength = bits >= STRONG_BITS ? "strong" : bits >= FAIR_BITS ? "fair" : "weak";
  return { bits, strength };
}
