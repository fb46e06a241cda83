// The secrets of one key on screen in the detail panel: at most one revealed value at a time, dropped when its
// time is up, on Hide, or when the panel goes; the last copy with its clipboard countdown; and the step-up
// Rust asked for. Reveal and copy are passed in (the panel binds them to ipc), so tests need no Rust.
import type { CopyResult, CredentialField, RevealedSecret } from "./ipc";
import { toIpcError } from "./ipc";
import { secondsLeft } from "./countdown";

/** One secret field of the current version (`version` null) or of an older one. */
export type SecretRef = { field: CredentialField; version: number | null };
export type SecretAction = "reveal" | "copy";

export interface SecretSource {
  reveal(ref: SecretRef, passphrase: string | null): Promise<RevealedSecret>;
  copy(ref: SecretRef, passphrase: string | null): Promise<CopyResult>;
}

type Revealed = SecretRef & { value: string; hidesAt: number; total: number };
type Copied = SecretRef & { clearsAt: number; total: number };

export function sameSecret(a: SecretRef | null, b: SecretRef): boolean {
  return a !== null && a.field === b.field && a.version === b.version;
}

/** The test-id suffix of a secret line: "" for the current version, "-v2" for version 2. */
export function secretSuffix(version: number | null): string {
  return version === null ? "" : `-v${version}`;
}

/** Seconds left of a period that ends at `until` and lasts `total` s, never above `total` (the clock ticks late). */
export function secondsOf(until: number, total: number, now: number): number {
  return Math.min(total, secondsLeft(until, now));
}

export class SecretDisplay {
  revealed = $state<Revealed | null>(null);
  copied = $state<Copied | null>(null);
  /** The last reveal or copy error shown under the secrets (not one from the step-up dialog). */
  error = $state<string | null>(null);
  /** Rust wants the passphrase for this reveal or copy. */
  stepUp = $state<(SecretRef & { action: SecretAction }) | null>(null);
  #hideTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly source: SecretSource,
    /** Called after each reveal or copy (Rust audited it: the panel reloads its events). */
    private readonly onused: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  isRevealed(ref: SecretRef): boolean {
    return sameSecret(this.revealed, ref);
  }

  isCopied(ref: SecretRef): boolean {
    return sameSecret(this.copied, ref);
  }

  hideSeconds(now: number): number {
    return this.revealed === null ? 0 : secondsOf(this.revealed.hidesAt, this.revealed.total, now);
  }

  copySeconds(now: number): number {
    return this.copied === null ? 0 : secondsOf(this.copied.clearsAt, this.copied.total, now);
  }

  hide(): void {
    if (this.#hideTimer !== null) clearTimeout(this.#hideTimer);
    this.#hideTimer = null;
    this.revealed = null;
  }

  /** After the key changed (rotate, edit…): nothing of the old state stays on screen. */
  clear(): void {
    this.hide();
    this.copied = null;
  }

  /**
   * Reveals or copies `ref`. Without a passphrase, a `step_up_required` answer opens the step-up (`stepUp`);
   * with one, an error is returned for the dialog to show. Otherwise errors land in `error`; returns null.
   */
  async run(ref: SecretRef, action: SecretAction, passphrase: string | null): Promise<string | null> {
    this.error = null;
    try {
      if (action === "reveal") {
        const result = await this.source.reveal(ref, passphrase);
        this.hide();
        const total = result.hide_after_seconds;
        this.revealed = { ...ref, value: result.value, hidesAt: this.now() + total * 1000, total };
        this.#hideTimer = setTimeout(() => this.hide(), total * 1000);
      } else {
        const result = await this.source.copy(ref, passphrase);
        const total = result.clears_in_seconds;
        this.copied = { ...ref, clearsAt: this.now() + total * 1000, total };
      }
      this.stepUp = null;
      this.onused();
      return null;
    } catch (e) {
      const err = toIpcError(e);
      if (err.code === "step_up_required" && passphrase === null) {
        this.stepUp = { ...ref, action };
        return null;
      }
      if (this.stepUp !== null) return err.message;
      this.error = err.message;
      return null;
    }
  }
}
