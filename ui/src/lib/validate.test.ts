import { describe, expect, it } from "vitest";
import {
  checkDate,
  checkDuration,
  checkIpAllowlist,
  checkIpEntry,
  checkKeyName,
  checkVariableName,
  parseTags,
  passphraseMatch,
  wholeInRange,
} from "./validate";

const value = <T>(c: { ok: true; value: T } | { ok: false; error: string }) => (c.ok ? c.value : `ERR ${c.error}`);

describe("checkIpEntry (mirrors core parse::ip_entry)", () => {
  it("accepts IPv4 and IPv6 addresses and CIDR ranges", () => {
    for (const good of [
      "203.0.113.7",
      "0.0.0.0",
      "255.255.255.255",
      "198.51.100.0/24",
      "10.0.0.0/0",
      "10.0.0.0/32",
      "2001:db8::1",
      "::1",
      "::",
      "2001:db8::/32",
      "fe80::1/128",
      "1:2:3:4:5:6:7:8",
      "1::8",
      "1:2:3:4:5:6::8",
      "::ffff:192.0.2.1",
      "64:ff9b::192.0.2.33/96",
      "  203.0.113.7  ",
    ]) {
      expect(checkIpEntry(good).ok, good).toBe(true);
    }
  });

  it("refuses what Rust refuses", () => {
    for (const bad of [
      "203.0.113",
      "10.0.0.0/33",
      "example.com",
      "::1/129",
      "256.1.1.1",
      "010.0.0.1",
      "1.2.3.4/",
      "1.2.3.4/-1",
      "1.2.3.4/a",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7::8",
      "1::2::3",
      "12345::1",
      "::g",
      "192.0.2.1::",
      "fe80::1%eth0",
      "",
      "1.2.3.4 5",
    ]) {
      expect(checkIpEntry(bad).ok, bad).toBe(false);
    }
  });

  it("explains the mistake the way core does", () => {
    const c = checkIpEntry("example.com");
    expect(c.ok ? "" : c.error).toMatch(/bad IP allowlist entry 'example.com'.*CIDR range/);
  });
});

describe("checkIpAllowlist", () => {
  it("takes one entry per line or comma, skips blanks and drops duplicates", () => {
    expect(value(checkIpAllowlist("203.0.113.7, 198.51.100.0/24\n\n2001:db8::1\n203.0.113.7\n"))).toEqual([
      "203.0.113.7",
      "198.51.100.0/24",
      "2001:db8::1",
    ]);
    expect(value(checkIpAllowlist(""))).toEqual([]);
  });

  it("fails on the first bad line", () => {
    expect(value(checkIpAllowlist("203.0.113.7\n10.0.0.0/33"))).toMatch(/^ERR bad IP allowlist entry '10.0.0.0\/33'/);
  });
});

describe("checkDuration (mirrors core parse::days)", () => {
  it("accepts days, weeks, 30-day months, 365-day years and bare days", () => {
    expect(value(checkDuration("90d"))).toBe(90);
    expect(value(checkDuration("90"))).toBe(90);
    expect(value(checkDuration("12w"))).toBe(84);
    expect(value(checkDuration("3m"))).toBe(90);
    expect(value(checkDuration("1y"))).toBe(365);
    expect(value(checkDuration(" 2 Weeks "))).toBe(14);
    expect(value(checkDuration("6 months"))).toBe(180);
    expect(value(checkDuration("100y"))).toBe(36_500);
    expect(value(checkDuration("36500"))).toBe(36_500);
    expect(value(checkDuration("1d"))).toBe(1);
  });

  it("refuses bad units, zero, negatives and more than 100 years", () => {
    for (const bad of ["9x", "d", "0d", "-5d", "+5d", "99999999999d", "1000y", "36501d", "5215w", "", "1.5m", "d90"]) {
      expect(checkDuration(bad).ok, bad).toBe(false);
    }
    expect(value(checkDuration("0d"))).toMatch(/between 1 day and 100 years/);
    expect(value(checkDuration("9x"))).toMatch(/e\.g\. 90d, 12w, 3m or 1y/);
  });
});

describe("checkKeyName", () => {
  it("trims and refuses empty, long and control-character names", () => {
    expect(value(checkKeyName("  binance-main "))).toBe("binance-main");
    expect(checkKeyName("   ").ok).toBe(false);
    expect(checkKeyName("a\u0007b").ok).toBe(false);
    expect(checkKeyName("a\u0085b").ok).toBe(false);
    // Bidirectional controls, as core parse::key_name refuses them: "\u202Egnp.exe" reads "exe.png".
    for (const bidi of ["\u202Egnp.exe", "a\u200Fb", "a\u2066b\u2069", "a\u202Ab"]) expect(checkKeyName(bidi).ok, bidi).toBe(false);
    expect(value(checkKeyName("العربية"))).toBe("العربية");
    expect(checkKeyName("x".repeat(129)).ok).toBe(false);
    expect(checkKeyName("é".repeat(128)).ok).toBe(true);
    expect(value(checkKeyName("<img src=x onerror=alert(1)>"))).toBe("<img src=x onerror=alert(1)>");
  });
});

describe("checkDate and parseTags", () => {
  it("accepts real YYYY-MM-DD dates and empty", () => {
    expect(value(checkDate("2027-03-01"))).toBe("2027-03-01");
    expect(value(checkDate(""))).toBeNull();
    expect(checkDate("2027-02-30").ok).toBe(false);
    expect(checkDate("01/03/2027").ok).toBe(false);
  });

  it("splits tags on commas and spaces", () => {
    expect(parseTags("bot, tax  grid,bot")).toEqual(["bot", "tax", "grid"]);
    expect(parseTags("  ")).toEqual([]);
  });
});

describe("wholeInRange", () => {
  it("takes whole numbers inside the bounds only", () => {
    expect(wholeInRange(1, 1, 240)).toBe(true);
    expect(wholeInRange(240, 1, 240)).toBe(true);
    expect(wholeInRange(0, 1, 240)).toBe(false);
    expect(wholeInRange(241, 1, 240)).toBe(false);
    expect(wholeInRange(2.5, 1, 240)).toBe(false);
    expect(wholeInRange(Number.NaN, 1, 240)).toBe(false);
  });
});

describe("checkVariableName (mirrors core validate::check_env_names' syntax)", () => {
  it("takes plain variable names, blank as none", () => {
    expect(value(checkVariableName(" BINANCE_API_KEY "))).toBe("BINANCE_API_KEY");
    expect(value(checkVariableName("_x1"))).toBe("_x1");
    expect(value(checkVariableName("   "))).toBe(null);
  });
  it("refuses names a shell or exec would not take", () => {
    for (const bad of ["1KEY", "MY-KEY", "KEY NAME", "KÉY", "A=B", "$(id)", "X".repeat(129)]) {
      expect(checkVariableName(bad).ok, bad).toBe(false);
    }
  });
});

describe("passphraseMatch", () => {
  it("says nothing until the confirmation is typed, then whether it matches", () => {
    expect(passphraseMatch("correct horse", "")).toBe("empty");
    expect(passphraseMatch("correct horse", "correct hors")).toBe("differ");
    expect(passphraseMatch("correct horse", "correct horse")).toBe("match");
    expect(passphraseMatch("", "x")).toBe("differ");
  });
});
