import { describe, expect, it } from "vitest";
import type { TeamEntryPreview, TeamSyncPreview, TeamSyncSummary } from "./ipc";
import { autoSyncLabel, entryLine, openConflicts, previewDoesSomething, summaryText } from "./team";

const entry = (over: Partial<TeamEntryPreview>): TeamEntryPreview => ({
  file: "keys/0190.age",
  status: "new",
  key_id: "0190",
  name: "desk-key",
  revision: 1,
  by: "alice",
  changed_fields: [],
  secrets_changed: false,
  can_withdraw: false,
  refusal: null,
  reason: null,
  ...over,
});

const preview = (over: Partial<TeamSyncPreview>): TeamSyncPreview => ({
  team: "desk",
  members_version: 3,
  members_changed_from: null,
  members: [],
  list_refusal: null,
  list_reason: null,
  entries: [],
  outgoing: [],
  withheld: [],
  ...over,
});

const summary = (over: Partial<TeamSyncSummary>): TeamSyncSummary => ({
  added: [],
  changed: [],
  refused: [],
  sent: [],
  kept: [],
  not_sent: null,
  members_version: 3,
  ...over,
});

describe("team sync wording", () => {
  it("says who made each entry and what it changes", () => {
    expect(entryLine(entry({}))).toBe("Shared by alice (revision 1)");
    expect(entryLine(entry({ can_withdraw: true }))).toBe("Shared by alice (revision 1). It can withdraw funds");
    expect(entryLine(entry({ status: "changed", by: "bob", revision: 2, changed_fields: ["notes"], secrets_changed: true }))).toBe(
      "Changed by bob (revision 2): notes, the secret",
    );
    expect(entryLine(entry({ status: "conflict", by: "bob", revision: 2, changed_fields: ["notes"] }))).toBe(
      "Changed here and by bob (revision 2) since the last sync: notes. Keep one version whole; nothing is merged.",
    );
    expect(entryLine(entry({ status: "refused", reason: "signed by carol, a read member" }))).toBe("signed by carol, a read member");
  });

  it("counts with plurals and names the keys", () => {
    expect(summaryText(summary({ added: ["a"], sent: ["b", "c"] }))).toBe("1 key received ('a'); 2 keys sent ('b' and 'c').");
    expect(summaryText(summary({}))).toBe("Up to date: nothing came in or went out.");
    expect(summaryText(summary({ refused: ["x: altered"], not_sent: "the remote moved on" }))).toBe(
      "1 file refused; your changes were not sent: the remote moved on.",
    );
  });

  it("has nothing to apply under a refused member list, and lists open conflicts", () => {
    const p = preview({ entries: [entry({}), entry({ status: "conflict", name: "b" })] });
    expect(previewDoesSomething(p)).toBe(true);
    expect(openConflicts(p).map((e) => e.name)).toEqual(["b"]);
    expect(previewDoesSomething({ ...p, list_refusal: { reason: "list_of_another_team" } })).toBe(false);
    expect(previewDoesSomething(preview({}))).toBe(false);
  });

  it("labels the automatic sync choices", () => {
    expect(autoSyncLabel(null)).toBe("Off: only when I press Sync now");
    expect(autoSyncLabel(15)).toBe("At unlock, then every 15 min");
    expect(autoSyncLabel(60)).toBe("At unlock, then every hour");
    expect(autoSyncLabel(240)).toBe("At unlock, then every 4 hours");
  });
});
