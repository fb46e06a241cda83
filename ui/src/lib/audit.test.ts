import { describe, expect, it } from "vitest";
import type { AuditRecord } from "./ipc";
import {
  actionFamily,
  actionIcon,
  actionLabel,
  auditSentence,
  newestFirst,
  filterAudit,
  groupByDay,
  incidentStepsDone,
  keysInLog,
} from "./audit";

let seq = 0;
function rec(over: Partial<AuditRecord>): AuditRecord {
  seq += 1;
  return {
    seq,
    at: new Date(2026, 10, 27, 10, 0, seq).toISOString(),
    action: "vault_unlocked",
    key_id: null,
    key_name: null,
    detail: null,
    actor: "app",
    recorded_while_locked: false,
    ...over,
  };
}

describe("auditSentence", () => {
  it("writes one sentence per action, naming the key and the detail", () => {
    const cases: [Partial<AuditRecord>, string][] = [
      [{ action: "vault_created", detail: "Argon2id 256 MiB, 3 passes" }, "Created the vault (Argon2id 256 MiB, 3 passes)."],
      [{ action: "vault_unlocked" }, "Unlocked the vault."],
      [{ action: "unlock_failed", detail: "wrong passphrase" }, "Unlock failed: wrong passphrase."],
      [{ action: "vault_locked", detail: "auto-lock after inactivity" }, "Locked the vault (auto-lock after inactivity)."],
      [{ action: "passphrase_changed" }, "Changed the vault passphrase."],
      [
        { action: "device_remembered", detail: "device 3f2a" },
        "Remembered this vault on a device, to unlock without the passphrase (device 3f2a).",
      ],
      [
        { action: "device_forgotten", detail: "2 remembered devices, with the passphrase change" },
        "Forgot a remembered device (2 remembered devices, with the passphrase change).",
      ],
      [
        { action: "team_key_received", key_name: "okx", detail: "from team desk, revision 2 by bob (ABCD-EF01-2345-6789)" },
        "Received “okx” from a team vault (from team desk, revision 2 by bob (ABCD-EF01-2345-6789)).",
      ],
      [
        { action: "key_created", key_name: "binance-main", detail: "Binance production, scopes: read, trade" },
        "Added “binance-main”: Binance production, scopes: read, trade.",
      ],
      [{ action: "key_edited", key_name: "okx", detail: "tags; notes" }, "Edited “okx”: tags; notes."],
      [{ action: "secret_revealed", key_name: "okx", detail: "secret" }, "Revealed secret of “okx”."],
      [
        { action: "secret_revealed", key_name: "okx", detail: "apiKey of version 1" },
        "Revealed apiKey of version 1 of “okx”.",
      ],
      [{ action: "secret_copied", key_name: "okx", detail: "apiKey" }, "Copied apiKey of “okx” to the clipboard."],
      [
        { action: "key_run", key_name: "okx", detail: "profile: ccxt; program: python3" },
        "Handed “okx” to a program (profile: ccxt; program: python3).",
      ],
      [
        { action: "key_rotated", key_name: "okx", detail: "version 1 → 2; reason: leaked" },
        "Rotated “okx”: version 1 → 2; reason: leaked.",
      ],
      [{ action: "key_revoked", key_name: "okx", detail: "status: active → revoked" }, "Revoked “okx” (status: active → revoked)."],
      [{ action: "key_compromised", key_name: "okx" }, "Marked “okx” compromised."],
      [
        { action: "incident_step", key_name: "okx", detail: "done: revoke the key on the exchange" },
        "Ticked “Revoke the key on the exchange” on the incident checklist of “okx”.",
      ],
      [
        { action: "incident_step", key_name: "okx", detail: "undone: update bots that used this key" },
        "Unticked “Update bots that used this key” on the incident checklist of “okx”.",
      ],
    ];
    for (const [over, sentence] of cases) expect(auditSentence(rec(over))).toBe(sentence);
  });

  it("copes with a missing key name and an action this build does not know", () => {
    expect(auditSentence(rec({ action: "key_edited", key_name: null }))).toBe("Edited a key.");
    const future = { action: "leak_scanned", key_name: "x", detail: "2 files" } as unknown as AuditRecord;
    expect(auditSentence(future)).toBe("Leak scanned: “x” (2 files).");
    expect(actionLabel("leak_scanned")).toBe("Leak scanned");
    expect(actionFamily("leak_scanned")).toBe("change");
  });

  it("says what was shared, with whom, and what an import changed", () => {
    const exported = rec({ action: "share_exported", key_name: null, detail: "keys: binance-main; to: bob (AB12-CD34-EF56-7890)" });
    expect(auditSentence(exported)).toBe("Exported keys to a share file (keys: binance-main; to: bob (AB12-CD34-EF56-7890)).");
    expect(actionFamily("share_exported")).toBe("secret");
    const imported = rec({ action: "share_imported", key_name: null, detail: "from alice; added: okx-bot" });
    expect(auditSentence(imported)).toBe("Imported keys from a share file (from alice; added: okx-bot).");
    // The per-key events name their key, as every other key event does.
    const one = rec({ action: "share_imported", key_name: "okx-bot", detail: "added from alice (AB12-CD34-EF56-7890)" });
    expect(auditSentence(one)).toBe("Imported “okx-bot” from a share file (added from alice (AB12-CD34-EF56-7890)).");
    const sent = rec({ action: "share_exported", key_name: "binance-main", detail: "keys: binance-main; to: bob" });
    expect(auditSentence(sent)).toBe("Shared “binance-main” in a share file (keys: binance-main; to: bob).");
    expect(actionLabel("contact_added")).toBe("Contact added");
  });

  it("keeps markup in names as plain text", () => {
    expect(auditSentence(rec({ action: "key_created", key_name: "<img src=x onerror=alert(1)>" }))).toBe(
      "Added “<img src=x onerror=alert(1)>”.",
    );
  });
});

describe("groupByDay", () => {
  const at = (d: number, h: number, m = 0) => new Date(Date.UTC(2026, 10, d, h, m)).toISOString();
  const records = [
    rec({ seq: 1, at: at(25, 9) }),
    rec({ seq: 2, at: at(25, 23, 59) }),
    rec({ seq: 3, at: at(26, 0, 1) }),
    rec({ seq: 4, at: at(27, 8) }),
    rec({ seq: 5, at: at(27, 17) }),
  ];

  it("groups by UTC day, newest day and newest event first", () => {
    const days = groupByDay(records);
    expect(days.map((d) => d.day)).toEqual(["2026-11-27", "2026-11-26", "2026-11-25"]);
    expect(days.map((d) => d.records.map((r) => r.seq))).toEqual([[5, 4], [3], [2, 1]]);
  });

  it("does not depend on the order given", () => {
    expect(groupByDay([...records].reverse())).toEqual(groupByDay(records));
    expect(groupByDay([])).toEqual([]);
  });

  it("orders by time when sequence and time disagree, one group per day", () => {
    // Failed unlocks are recorded at the next unlock with the time they happened.
    const late = [
      rec({ seq: 10, at: at(27, 9) }),
      rec({ seq: 11, at: at(25, 22) }),
      rec({ seq: 12, at: at(27, 9, 1) }),
      rec({ seq: 13, at: at(27, 9, 1) }),
    ];
    const days = groupByDay(late);
    expect(days.map((d) => d.day)).toEqual(["2026-11-27", "2026-11-25"]);
    expect(days.map((d) => d.records.map((r) => r.seq))).toEqual([[13, 12, 10], [11]]);
  });
});

describe("filterAudit and keysInLog", () => {
  const log = [
    rec({ action: "vault_unlocked" }),
    rec({ action: "key_created", key_id: "a", key_name: "old-name" }),
    rec({ action: "secret_copied", key_id: "a", key_name: "new-name" }),
    rec({ action: "key_revoked", key_id: "b", key_name: "bybit" }),
  ];

  it("filters by key and by action family", () => {
    expect(filterAudit(log, { keyId: "a", family: "" }).map((r) => r.action)).toEqual(["key_created", "secret_copied"]);
    expect(filterAudit(log, { keyId: "", family: "incident" }).map((r) => r.action)).toEqual(["key_revoked"]);
    expect(filterAudit(log, { keyId: "a", family: "secret" }).map((r) => r.action)).toEqual(["secret_copied"]);
    expect(filterAudit(log, { keyId: "", family: "" })).toHaveLength(4);
  });

  it("names each key by its latest name", () => {
    expect(keysInLog(log)).toEqual([
      { id: "b", name: "bybit" },
      { id: "a", name: "new-name" },
    ]);
  });
});

describe("newestFirst", () => {
  it("puts the latest event first and leaves its input alone", () => {
    const a1 = rec({ action: "key_created", key_id: "a" });
    const a2 = rec({ action: "secret_revealed", key_id: "a" });
    const input = [a1, a2];
    expect(newestFirst(input).map((r) => r.seq)).toEqual([a2.seq, a1.seq]);
    expect(input.map((r) => r.seq)).toEqual([a1.seq, a2.seq]);
    expect(newestFirst([])).toEqual([]);
  });
});

describe("incidentStepsDone", () => {
  it("reads the ticks back from the key's audit events, latest event winning", () => {
    const log = [
      rec({ action: "incident_step", key_id: "k", detail: "done: revoke the key on the exchange" }),
      rec({ action: "incident_step", key_id: "k", detail: "done: create a replacement key" }),
      rec({ action: "incident_step", key_id: "other", detail: "done: update bots that used this key" }),
      rec({ action: "incident_step", key_id: "k", detail: "undone: revoke the key on the exchange" }),
      rec({ action: "incident_step", key_id: "k", detail: "done: scan for other copies of this key" }),
      rec({ action: "key_edited", key_id: "k", detail: "done: check recent withdrawals and the withdrawal whitelist" }),
    ];
    expect(incidentStepsDone(log, "k")).toEqual(["create_replacement", "scan_for_copies"]);
    expect(incidentStepsDone(log, "other")).toEqual(["update_bots"]);
    expect(incidentStepsDone([], "k")).toEqual([]);
  });
});

describe("reminder events", () => {
  it("say which key the reminder was about and when it is due", () => {
    const text = auditSentence({
      action: "reminder_sent",
      key_name: "binance-main",
      detail: "3 days left, due 2026-01-13 09:00 UTC",
    });
    expect(text).toContain("binance-main");
    expect(text).toContain("3 days left");
  });
});

describe("actionIcon", () => {
  it("a reminder does not wear the rotate icon, a copy not the eye", () => {
    expect(actionIcon("reminder_sent")).toBe("reminder");
    expect(actionIcon("reminder_sent")).not.toBe(actionIcon("key_rotated"));
    expect(actionIcon("secret_copied")).toBe("copy");
    expect(actionIcon("secret_copied")).not.toBe(actionIcon("secret_revealed"));
    expect(actionIcon("secret_revealed")).toBe("reveal");
    expect(actionIcon("key_rotated")).toBe("rotation");
    expect(actionIcon("leak_scanned")).toBe("change");
    expect(actionLabel("vault_backed_up")).toBe("Vault backed up");
  });
});
