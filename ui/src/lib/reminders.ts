// Reminder thresholds as the user types them in Settings ("14, 7, 3, 1, 0"). Rust checks them again
// (ReminderPolicy::validate); this gives the message while typing.

export const MAX_THRESHOLDS = 10;
export const MAX_THRESHOLD_DAYS = 365;

export type ThresholdParse = { days: number[]; error: null } | { days: null; error: string };

/** Parses days separated by commas or spaces; sorts them from the most distant to the closest. */
export function parseThresholds(text: string): ThresholdParse {
  const parts = text
    .split(/[\s,;]+/)
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (parts.length === 0) {
    return { days: null, error: "Give at least one number of days before the due date, e.g. 14, 7, 3, 1, 0." };
  }
  const days: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) {
      return { days: null, error: `"${p}" is not a whole number of days: use numbers like 14, 7, 3, 1, 0.` };
    }
    const n = Number(p);
    if (n > MAX_THRESHOLD_DAYS) {
      return { days: null, error: `${n} days is too far ahead: use 0 to ${MAX_THRESHOLD_DAYS} days.` };
    }
    if (days.includes(n)) {
      return { days: null, error: `${n} days is listed twice: list each number once.` };
    }
    days.push(n);
  }
  if (days.length > MAX_THRESHOLDS) {
    return { days: null, error: `${days.length} reminders per key is too many: use at most ${MAX_THRESHOLDS}.` };
  }
  days.sort((a, b) => b - a);
  return { days, error: null };
}

/** The thresholds as shown in the input. */
export function formatThresholds(days: readonly number[]): string {
  return days.join(", ");
}
