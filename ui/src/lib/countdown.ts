// Countdowns to a key's due date, as the table and the detail panel show them.
import type { DueKind, DueState } from "./ipc";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Days before the due date at which a key turns "due soon" (core's DUE_SOON_DAYS). */
export const DUE_SOON_DAYS = 14;

const pad = (n: number) => String(n).padStart(2, "0");

/**
 * The time left until `dueAt` at `now` (both epoch milliseconds):
 * - more than a day: "12 d 04 h"
 * - less than a day: "04 h 12 m 09 s"
 * - past: "expired 3 d ago" ("overdue 3 d" for a rotation date), under a day "expired 05 h 12 m ago",
 *   under a minute "expired just now"
 * - no due date: "—"
 */
export function formatCountdown(dueAt: number | null, now: number, kind: DueKind | null = null): string {
  if (dueAt === null || Number.isNaN(dueAt)) return "—";
  const left = dueAt - now;
  if (left > 0) {
    if (left >= DAY) {
      const days = Math.floor(left / DAY);
      const hours = Math.floor((left % DAY) / HOUR);
      return `${days} d ${pad(hours)} h`;
    }
    const hours = Math.floor(left / HOUR);
    const minutes = Math.floor((left % HOUR) / MINUTE);
    const seconds = Math.floor((left % MINUTE) / SECOND);
    return `${pad(hours)} h ${pad(minutes)} m ${pad(seconds)} s`;
  }
  const past = -left;
  let span: string;
  if (past >= DAY) span = `${Math.floor(past / DAY)} d`;
  else if (past >= MINUTE) span = `${pad(Math.floor(past / HOUR))} h ${pad(Math.floor((past % HOUR) / MINUTE))} m`;
  else span = "";
  if (kind === "rotation") return span === "" ? "overdue just now" : `overdue ${span}`;
  return span === "" ? "expired just now" : `expired ${span} ago`;
}

/**
 * How long ago `at` was (epoch milliseconds), for "last used": "never", "just now" (under a minute),
 * "12 m ago", "05 h ago", "3 d ago".
 */
export function formatAgo(at: number | null, now: number): string {
  if (at === null || Number.isNaN(at)) return "never";
  const past = Math.max(0, now - at);
  if (past < MINUTE) return "just now";
  if (past < HOUR) return `${Math.floor(past / MINUTE)} m ago`;
  if (past < DAY) return `${pad(Math.floor(past / HOUR))} h ago`;
  return `${Math.floor(past / DAY)} d ago`;
}

/** Parses an RFC 3339 time from Rust into epoch milliseconds; null stays null. */
export function parseTime(value: string | null): number | null {
  if (value === null) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : t;
}

/**
 * The due state at `now`, so a countdown changes colour the second it crosses a threshold (Rust computed
 * `fallback` when the list was loaded). Same rule as core: past a rotation date is overdue, past any other
 * date is expired, within 14 days is due soon.
 */
export function liveDueState(
  dueAt: number | null,
  kind: DueKind | null,
  now: number,
  fallback: DueState,
): DueState {
  if (dueAt === null) return fallback;
  const left = dueAt - now;
  if (left <= 0) return kind === "rotation" ? "overdue" : "expired";
  if (left <= DUE_SOON_DAYS * DAY) return "due_soon";
  return "ok";
}

/** Whole seconds from `now` until `until` (never negative), for "hides in 27 s". */
export function secondsLeft(until: number, now: number): number {
  return Math.max(0, Math.ceil((until - now) / SECOND));
}
