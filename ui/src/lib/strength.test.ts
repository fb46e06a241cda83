import { describe, expect, it } from "vitest";
import { estimateStrength } from "./strength";

describe("estimateStrength", () => {
  it("calls empty, short and notorious passphrases weak", () => {
    expect(estimateStrength("")).toEqual({ bits: 0, strength: "weak" });
    expect(estimateStrength("hunter2").strength).toBe("weak");
    expect(estimateStrength("Password").bits).toBe(0);
    expect(estimateStrength("12345678").strength).toBe("weak");
  });

  it("discounts repeats and runs", () => {
    expect(estimateStrength("aaaaaaaaaaaaaaaa").strength).toBe("weak");
    expect(estimateStrength("abcdefghijklmnop").strength).toBe("weak");
    expect(estimateStrength("abcdefghijklmnop").bits).toBeLessThan(estimateStrength("qmzxwvkrtplbgshn").bits);
  });

  it("grows with length and character classes", () => {
    expect(estimateStrength("Tr0ub4dor&3").strength).toBe("fair");
    expect(estimateStrength("correct horse battery staple").strength).toBe("strong");
    expect(estimateStrength("kT9#qL2!vX7m").bits).toBeGreaterThan(estimateStrength("kt9qql2vx7mz").bits);
  });

  it("counts non-ASCII letters as characters, not bytes", () => {
    expect(estimateStrength("ключ").bits).toBeLessThan(estimateStrength("ключ-от-сейфа-42").bits);
  });
});
