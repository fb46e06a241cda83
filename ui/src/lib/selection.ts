// Checkbox lists (scopes, keys to share, contacts): what is chosen after a box or "Select all shown" changed.

/** `list` with `item` added (once) when `on`, removed when not. */
export function toggled<T>(list: readonly T[], item: T, on: boolean): T[] {
  if (on) return list.includes(item) ? [...list] : [...list, item];
  return list.filter((x) => x !== item);
}

/** The ids chosen plus every shown one, in the order of `all` (so the list reads as the table does). */
export function withShown<T extends { id: string }>(
  all: readonly T[],
  chosen: readonly string[],
  shown: readonly T[],
): string[] {
  const ids = new Set(chosen);
  for (const item of shown) ids.add(item.id);
  return all.filter((item) => ids.has(item.id)).map((item) => item.id);
}
