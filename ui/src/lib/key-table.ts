// The key table's multi-select and grouping: plain functions over the shown keys, tested without a DOM.
// Selection is a list of key ids plus an anchor (the row a Shift range starts from); grouping turns the
// sorted keys into rows with a header per group.
import type { KeySummary } from "./ipc";

export type Selection = { ids: readonly string[]; anchor: string | null };

export const NO_SELECTION: Selection = { ids: [], anchor: null };

/** The modifier keys that decide what a click or an arrow does to the selection. */
export type Modifiers = { shift: boolean; toggle: boolean };

/** The ids from `from` to `to` (either order) in the order shown; just `to` when `from` is not shown. */
export function rangeIds(shown: readonly string[], from: string | null, to: string): string[] {
  const b = shown.indexOf(to);
  if (b < 0) return [];
  const a = from === null ? -1 : shown.indexOf(from);
  if (a < 0) return [to];
  return shown.slice(Math.min(a, b), Math.max(a, b) + 1);
}

/**
 * The selection after a click on `id` (or an arrow moving to it with Shift): a plain click selects that key
 * alone; Ctrl/Cmd toggles it and makes it the anchor; Shift selects the range from the anchor (Ctrl+Shift adds
 * the range to what was selected). Ids no longer shown are dropped.
 */
export function clickSelect(current: Selection, shown: readonly string[], id: string, mods: Modifiers): Selection {
  const visible = current.ids.filter((x) => shown.includes(x));
  if (mods.shift) {
    const anchor = current.anchor !== null && shown.includes(current.anchor) ? current.anchor : id;
    const range = rangeIds(shown, anchor, id);
    const ids = mods.toggle ? inShownOrder(shown, [...visible, ...range]) : range;
    return { ids, anchor };
  }
  if (mods.toggle) {
    const ids = visible.includes(id) ? visible.filter((x) => x !== id) : inShownOrder(shown, [...visible, id]);
    return { ids, anchor: id };
  }
  return { ids: [id], anchor: id };
}

/** Ctrl+A: every shown key, the anchor kept when it is shown. */
export function selectAll(current: Selection, shown: readonly string[]): Selection {
  const anchor = current.anchor !== null && shown.includes(current.anchor) ? current.anchor : (shown[0] ?? null);
  return { ids: [...shown], anchor };
}

/** The selection limited to the keys still shown (after a search or filter change, or a reload). */
export function keepShown(current: Selection, shown: readonly string[]): Selection {
  const ids = current.ids.filter((x) => shown.includes(x));
  if (ids.length === current.ids.length) return current;
  return { ids, anchor: current.anchor !== null && shown.includes(current.anchor) ? current.anchor : null };
}

function inShownOrder(shown: readonly string[], ids: readonly string[]): string[] {
  const set = new Set(ids);
  return shown.filter((x) => set.has(x));
}

export type GroupBy = "none" | "exchange" | "account" | "bot";

export const GROUP_BY_LABELS: Record<GroupBy, string> = {
  none: "No grouping",
  exchange: "Group by exchange",
  account: "Group by account",
  bot: "Group by bot",
};

/** One row of the table: a group's header, or a key (with its place among the keys, for the keyboard). */
export type TableRow =
  | { kind: "group"; label: string; count: number; key: string }
  | { kind: "key"; key: KeySummary; index: number };

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
const NO_ACCOUNT = "No account";
const NO_BOT = "Used by no bot";

/** A key's group. A key several bots use is grouped under all of them ("freqtrade + hummingbot"), so each key
 * is in one group only and a selection never holds the same key twice. */
function groupLabel(key: KeySummary, by: Exclude<GroupBy, "none">): string {
  if (by === "exchange") return key.exchange_name;
  if (by === "bot") {
    const bots = [...new Set(key.used_by.map((u) => u.bot))].sort((a, b) => collator.compare(a, b));
    return bots.length === 0 ? NO_BOT : bots.join(" + ");
  }
  return key.account?.trim() || NO_ACCOUNT;
}

/** The group of keys that have none of what the grouping is by: listed last. */
const LAST: Partial<Record<GroupBy, string>> = { account: NO_ACCOUNT, bot: NO_BOT };

/**
 * The rows for `keys` (already sorted and filtered) grouped `by`: groups in name order (keys without an account or a bot
 * last), each key in its given order under its group's header. Without grouping, one row per key. `index` counts
 * keys only, so the rows' keys read top to bottom in `keysInRows` order.
 */
export function groupRows(keys: readonly KeySummary[], by: GroupBy): TableRow[] {
  if (by === "none") return keys.map((key, index) => ({ kind: "key", key, index }));
  const groups = new Map<string, KeySummary[]>();
  for (const key of keys) {
    const label = groupLabel(key, by);
    const list = groups.get(label);
    if (list) list.push(key);
    else groups.set(label, [key]);
  }
  const labels = [...groups.keys()].sort((a, b) => {
    if (a === b) return 0;
    if (a === LAST[by]) return 1;
    if (b === LAST[by]) return -1;
    return collator.compare(a, b) || (a < b ? -1 : 1);
  });
  const rows: TableRow[] = [];
  let index = 0;
  for (const label of labels) {
    const list = groups.get(label) ?? [];
    rows.push({ kind: "group", label, count: list.length, key: `${by}:${label}` });
    for (const key of list) rows.push({ kind: "key", key, index: index++ });
  }
  return rows;
}

/** The keys of `rows` in the order they are shown (what Shift ranges and the arrows walk). */
export function keysInRows(rows: readonly TableRow[]): KeySummary[] {
  const out: KeySummary[] = [];
  for (const row of rows) if (row.kind === "key") out.push(row.key);
  return out;
}

/** The selected keys' names for a confirmation: all of them up to `max`, then "and N more". */
export function namesLine(names: readonly string[], max = 5): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}
