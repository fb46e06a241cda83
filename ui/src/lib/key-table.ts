// The key table's rows, groups and selection: plain functions, tested without a DOM. The rows themselves come
// from Rust one window at a time (key_rows); what is here maps a key's place among the shown keys to its row
// (group headers are rows too) and turns a click into the next selection.
import type { GroupBy, ListGroup, ListRow } from "./ipc";
import { formatCount } from "./format";

export type { GroupBy };

/** The selected keys' ids (in the order shown) and the anchor a Shift range starts from. */
export type Selection = { ids: readonly string[]; anchor: string | null };

export const NO_SELECTION: Selection = { ids: [], anchor: null };

/** The modifier keys that decide what a click or an arrow does to the selection. */
export type Modifiers = { shift: boolean; toggle: boolean };

export const GROUP_BY_LABELS: Record<GroupBy, string> = {
  none: "No grouping",
  exchange: "Group by exchange",
  account: "Group by account",
  bot: "Group by bot",
};

/** One row of the table: a group's header, or a key with its place among the shown keys. */
export type TableRow = ListRow;

/** How many of `groups` (in order) start at or before the key at `index`. */
function headersAbove(groups: readonly ListGroup[], index: number): number {
  let lo = 0;
  let hi = groups.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (groups[mid].first_key <= index) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The row the key at `index` (counted among the shown keys) sits in. */
export function rowOfKey(groups: readonly ListGroup[], index: number): number {
  return index + headersAbove(groups, index);
}

/** Whether `row` is a group's header. */
export function isHeaderRow(groups: readonly ListGroup[], row: number): boolean {
  let lo = 0;
  let hi = groups.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (groups[mid].row < row) lo = mid + 1;
    else hi = mid;
  }
  return lo < groups.length && groups[lo].row === row;
}

/**
 * What a click on `id` (or an arrow moving to it with Shift) asks for: a plain click selects that key alone;
 * Ctrl/Cmd toggles it and makes it the anchor; Shift selects the range from the anchor, which Rust reads in the
 * order shown (`range`), and Ctrl+Shift adds that range to what was selected. `ids` may be out of the order
 * shown: the caller asks Rust for the selected rows in order (selected_keys).
 */
export type SelectStep =
  | { kind: "set"; selection: Selection }
  | { kind: "range"; from: string; to: string; keep: readonly string[]; anchor: string };

export function clickStep(current: Selection, id: string, mods: Modifiers): SelectStep {
  if (mods.shift) {
    const anchor = current.anchor ?? id;
    return { kind: "range", from: anchor, to: id, keep: mods.toggle ? current.ids : [], anchor };
  }
  if (mods.toggle) {
    const ids = current.ids.includes(id) ? current.ids.filter((x) => x !== id) : [...current.ids, id];
    return { kind: "set", selection: { ids, anchor: id } };
  }
  return { kind: "set", selection: { ids: [id], anchor: id } };
}

/** The ids of `range` added to `keep`, each once. */
export function joinRange(keep: readonly string[], range: readonly string[]): string[] {
  const seen = new Set(keep);
  return [...keep, ...range.filter((id) => !seen.has(id))];
}

/** The selected keys' names for a confirmation (`names` holds the first of `total`): all of them up to `max`, then
 *  "and N more". */
export function namesLine(names: readonly string[], total = names.length, max = 5): string {
  if (total <= max && names.length >= total) return names.slice(0, total).join(", ");
  const shown = names.slice(0, Math.min(max, total));
  return `${shown.join(", ")} and ${formatCount(total - shown.length)} more`;
}
