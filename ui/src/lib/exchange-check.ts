// "Check on exchange" (issue 16): the record beside what the exchange reports, as rows of plain text.
// Rust decides the outcome and writes the drift sentences; this only lays them out.
import type { CheckSummary, RecordedView, Verification, VerifyOutcome } from "./ipc";
import { formatDate, formatDateTime, plural } from "./format";
import { formatAgo, parseTime } from "./countdown";

export interface CheckRow {
  label: string;
  recorded: string;
  exchange: string;
}

const NOT_REPORTED = "not reported";

function list(items: readonly string[]): string {
  return items.length === 0 ? "none" : items.join(", ");
}

/** The comparison rows of a check that brought a report; none for a rejected or failed check. */
export function checkRows(recorded: RecordedView, verification: Verification): CheckRow[] {
  const r = verification.report;
  if (r === null) return [];
  const ips = (): string => {
    if (r.ip_restricted === null) return NOT_REPORTED;
    if (!r.ip_restricted) return "any address";
    return r.ip_allowlist.length === 0 ? "restricted (addresses not reported)" : list(r.ip_allowlist);
  };
  return [
    {
      label: "Permissions",
      recorded: recorded.scopes_unknown ? "unknown" : list(recorded.permissions),
      exchange: r.permissions === null ? NOT_REPORTED : list(r.permissions),
    },
    {
      label: "Scopes",
      recorded: recorded.scopes_unknown ? "unknown" : list(recorded.scopes),
      exchange: r.scopes === null ? NOT_REPORTED : list(r.scopes),
    },
    {
      label: "IP allowlist",
      recorded: recorded.ip_allowlist.length === 0 ? "any address" : list(recorded.ip_allowlist),
      exchange: ips(),
    },
    {
      label: "Expires",
      recorded: recorded.expires_at === null ? "never" : formatDate(recorded.expires_at),
      exchange: r.expires_at === null ? NOT_REPORTED : formatDate(r.expires_at),
    },
    {
      label: "Created",
      recorded: formatDate(recorded.created_at),
      exchange: r.created_at === null ? NOT_REPORTED : formatDate(r.created_at),
    },
  ];
}

/** One line saying how the check ended. */
export function outcomeText(outcome: VerifyOutcome, exchangeName: string): string {
  switch (outcome) {
    case "agrees":
      return `${exchangeName} agrees with the record.`;
    case "drift":
      return `${exchangeName} reports something the record does not say:`;
    case "rejected":
      return `${exchangeName} rejected this key.`;
    case "failed":
      return `${exchangeName} could not be asked.`;
  }
}

/** The table's "Verified" cell: how long ago the exchange agreed, or a drift / rejected badge. */
export interface TableCheck {
  text: string;
  tone: "muted" | "ok" | "amber" | "red";
  title: string;
}

/** What the table shows of a key's last check on its exchange at `now` (epoch milliseconds). */
export function tableCheck(last: CheckSummary | null, exchangeName: string, now: number): TableCheck {
  if (last === null) return { text: "—", tone: "muted", title: "Not checked on its exchange yet" };
  const ago = formatAgo(parseTime(last.at), now);
  const when = formatDateTime(last.at);
  switch (last.outcome) {
    case "agrees":
      return { text: `verified ${ago}`, tone: "ok", title: `${exchangeName} agreed with the record (checked ${when})` };
    case "drift":
      return {
        text: "drift",
        tone: "amber",
        title: `${exchangeName} reported ${plural(last.differences, "difference")} from the record (checked ${when}): open the key to see them`,
      };
    case "rejected":
      return { text: "rejected", tone: "red", title: `${exchangeName} rejected this key (checked ${when}): deleted or wrong secret` };
    case "failed":
      return { text: "check failed", tone: "muted", title: `${exchangeName} could not be asked (tried ${when})` };
  }
}
