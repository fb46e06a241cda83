// A passphrase change as the settings card shows it: what Rust is doing, and how far the re-sealing of
// every record under the new vault key has come.
import { formatCount } from "./format";
import type { RekeyProgress } from "./ipc";

/**
 * The line under the progress bar. `null`: no report from Rust yet (it checks the vault and derives the new
 * key first, which takes a fixed moment).
 */
export function rekeyStatus(progress: RekeyProgress | null): string {
  if (progress === null) return "Checking the vault and deriving the new key…";
  if (progress.done >= progress.total) return `Re-sealed ${formatCount(progress.total)} records; saving…`;
  return `Re-sealing ${formatCount(progress.done)} of ${formatCount(progress.total)}…`;
}

/** The outcome line, with the count of Rust's last report when one came. */
export function rekeyDone(progress: RekeyProgress | null): string {
  const sealed =
    progress === null
      ? "every record is sealed under a new vault key"
      : `${formatCount(progress.total)} ${progress.total === 1 ? "record" : "records"} sealed again under a new vault key`;
  return `Passphrase changed: ${sealed}. Use the new passphrase from now on.`;
}
