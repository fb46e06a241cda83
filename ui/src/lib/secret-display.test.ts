import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { IpcError } from "./ipc";
import { SecretDisplay, secondsOf, secretSuffix, sameSecret, type SecretSource } from "./secret-display.svelte";

const API = { field: "apiKey", version: null } as const;
const SECRET = { field: "secret", version: null } as const;
const OLD_SECRET = { field: "secret", version: 1 } as const;

function display(source: Partial<SecretSource> = {}) {
  const used = vi.fn();
  const full: SecretSource = {
    reveal: source.reveal ?? (async (ref) => ({ value: `value of ${ref.field}`, hide_after_seconds: 30 })),
    copy: source.copy ?? (async () => ({ clears_in_seconds: 20 })),
  };
  return { shown: new SecretDisplay(full, used, () => Date.now()), used };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date("2026-01-10T12:00:00Z"));
});

afterEach(() => {
  vi.useRealTimers();
});

describe("secrets on screen", () => {
  it("a revealed secret hides itself when its time is up", async () => {
    const { shown, used } = display();
    await shown.run(SECRET, "reveal", null);
    expect(shown.revealed?.value).toBe("value of secret");
    expect(shown.hideSeconds(Date.now())).toBe(30);
    expect(used).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(29_000);
    expect(shown.hideSeconds(Date.now())).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(shown.revealed).toBeNull();
  });

  it("only one secret is shown at a time, and Hide drops it at once", async () => {
    const { shown } = display();
    await shown.run(API, "reveal", null);
    await shown.run(OLD_SECRET, "reveal", null);
    expect(shown.isRevealed(API)).toBe(false);
    expect(shown.isRevealed(OLD_SECRET)).toBe(true);
    expect(shown.isRevealed(SECRET)).toBe(false);
    shown.hide();
    expect(shown.revealed).toBeNull();
  });

  it("a copy counts down the clipboard delay without showing the value", async () => {
    const { shown } = display();
    await shown.run(SECRET, "copy", null);
    expect(shown.revealed).toBeNull();
    expect(shown.isCopied(SECRET)).toBe(true);
    vi.advanceTimersByTime(5_000);
    expect(shown.copySeconds(Date.now())).toBe(15);
    shown.clear();
    expect(shown.copied).toBeNull();
  });

  it("asks for the passphrase when Rust wants step-up, and returns the dialog's error", async () => {
    const reveal = vi.fn(async (_ref: unknown, passphrase: string | null) => {
      if (passphrase === null) throw new IpcError("step_up_required", "Type your passphrase.");
      if (passphrase !== "right") throw new IpcError("wrong_passphrase", "Wrong passphrase.");
      return { value: "v", hide_after_seconds: 10 };
    });
    const { shown } = display({ reveal });
    expect(await shown.run(SECRET, "reveal", null)).toBeNull();
    expect(shown.stepUp).toEqual({ ...SECRET, action: "reveal" });
    expect(shown.error).toBeNull();
    expect(await shown.run(SECRET, "reveal", "wrong")).toBe("Wrong passphrase.");
    expect(shown.stepUp).not.toBeNull();
    expect(await shown.run(SECRET, "reveal", "right")).toBeNull();
    expect(shown.stepUp).toBeNull();
    expect(shown.revealed?.value).toBe("v");
  });

  it("other errors are shown under the secrets", async () => {
    const { shown, used } = display({ copy: async () => Promise.reject(new IpcError("locked", "The vault is locked.")) });
    expect(await shown.run(SECRET, "copy", null)).toBeNull();
    expect(shown.error).toBe("The vault is locked.");
    expect(used).not.toHaveBeenCalled();
  });

  it("names and counts", () => {
    expect(sameSecret(null, SECRET)).toBe(false);
    expect(sameSecret({ field: "secret", version: null }, SECRET)).toBe(true);
    expect(sameSecret(OLD_SECRET, SECRET)).toBe(false);
    expect(secretSuffix(null)).toBe("");
    expect(secretSuffix(3)).toBe("-v3");
    // The shared clock may tick just before the reveal: never start above the full period.
    expect(secondsOf(1_000_500, 30, 970_000)).toBe(30);
    expect(secondsOf(1_000_000, 30, 1_000_001)).toBe(0);
  });
});
