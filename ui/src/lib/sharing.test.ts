import { describe, expect, it } from "vitest";
import type { Contact, SharePreviewEntry } from "./ipc";
import {
  changesOf,
  choicesFor,
  exportProblem,
  exportResultText,
  formatBytes,
  importSummaryText,
  isFullPath,
  nothingChanged,
  parseRecipients,
  recipientsFor,
  type ExportDraft,
} from "./sharing";

const AGE = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
const SHARE = `keystead-share1:${AGE}:1Yx0mQ2hbyG7mB1tF8m0Vb3o1Ck3iH9nLrYt2fD5sZw`;

const draft = (patch: Partial<ExportDraft> = {}): ExportDraft => ({
  keys: [{ id: "k1", name: "binance-main", moves_funds: false }],
  contacts: ["bob"],
  extra: "",
  usePassphrase: false,
  passphrase: "",
  confirm: "",
  confirmedWithdraw: [],
  path: "/home/me/Downloads/keystead-share.age",
  ...patch,
});

const entry = (patch: Partial<SharePreviewEntry>): SharePreviewEntry => ({
  index: 0,
  id: null,
  name: "binance-main",
  exchange: "binance",
  exchange_name: "Binance",
  environment: "production",
  scopes: ["read"],
  secret_fields: ["apiKey", "secret"],
  status: "new",
  changed_fields: [],
  secrets_changed: false,
  existing_id: null,
  existing_name: null,
  replace_allowed: false,
  older_than_yours: false,
  default_choice: "add",
  ...patch,
});

describe("import choices", () => {
  it("offer only what Rust accepts for each status, the default first", () => {
    expect(choicesFor(entry({ status: "new" }))).toEqual(["add", "skip"]);
    expect(choicesFor(entry({ status: "identical" }))).toEqual(["skip", "keep_both"]);
    expect(choicesFor(entry({ status: "changed", replace_allowed: true }))).toEqual(["skip", "keep_both", "replace"]);
    expect(choicesFor(entry({ status: "conflicting", replace_allowed: true }))).toEqual([
      "skip",
      "keep_both",
      "replace",
    ]);
  });

  it("offers Replace only where Rust allows it (a contact's file made for this vault)", () => {
    expect(choicesFor(entry({ status: "changed" }))).toEqual(["skip", "keep_both"]);
    expect(choicesFor(entry({ status: "conflicting" }))).toEqual(["skip", "keep_both"]);
  });

  it("says when the file is older than your copy", () => {
    expect(changesOf(entry({ status: "changed", secrets_changed: true, older_than_yours: true })))
      .toBe("secrets changed, older than yours");
  });

  it("a changed entry lists its fields and says the secrets changed, never what they are", () => {
    expect(changesOf(entry({ status: "changed", changed_fields: ["scopes", "ip_allowlist"], secrets_changed: true })))
      .toBe("scopes, ip allowlist, secrets changed");
    expect(changesOf(entry({ status: "identical" }))).toBe("");
    expect(changesOf(entry({ status: "conflicting", existing_name: "binance-main" })))
      .toBe("another key of yours is named binance-main");
  });
});

describe("extra recipients", () => {
  it("are typed one per line or separated by commas, blanks and repeats dropped", () => {
    expect(parseRecipients("")).toEqual({ ok: true, value: [] });
    expect(parseRecipients(`${AGE}\n\n  ${SHARE} ,${AGE}`)).toEqual({ ok: true, value: [AGE, SHARE] });
  });

  it("refuse a word that is no sharing key, saying what to paste", () => {
    const parsed = parseRecipients(`${AGE}\nbob`);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/'bob' is not a sharing key: paste a keystead-share1:… line or an age1… key/);
  });

  it("go with the chosen contacts' keys, each once", () => {
    const bob = { name: "bob, the trader", sharing_key: SHARE } as Contact;
    expect(recipientsFor([bob], `${SHARE}\n${AGE}`)).toEqual([SHARE, AGE]);
    expect(recipientsFor([], "not a key")).toEqual([]);
  });
});

describe("why Export is not ready", () => {
  it("is null for keys, a contact and a full path", () => {
    expect(exportProblem(draft())).toBeNull();
    expect(exportProblem(draft({ contacts: [], extra: AGE }))).toBeNull();
  });

  it("asks for a key, then for someone who can open the file", () => {
    expect(exportProblem(draft({ keys: [] }))).toMatch(/at least one key/);
    expect(exportProblem(draft({ contacts: [] }))).toMatch(/Choose who can open the file/);
    expect(exportProblem(draft({ extra: "alice" }))).toMatch(/'alice' is not a sharing key/);
  });

  it("with a passphrase: at least 8 characters, typed twice the same, and contacts are ignored", () => {
    const pass = { usePassphrase: true, contacts: [] };
    expect(exportProblem(draft({ ...pass }))).toMatch(/Type the passphrase/);
    expect(exportProblem(draft({ ...pass, passphrase: "short", confirm: "short" }))).toMatch(/too short.*8 characters/);
    expect(exportProblem(draft({ ...pass, passphrase: "long enough", confirm: "long enougH" }))).toMatch(/differ/);
    expect(exportProblem(draft({ ...pass, passphrase: "long enough", confirm: "long enough", extra: "junk" }))).toBeNull();
  });

  it("names each key whose secret can move funds until it is confirmed", () => {
    const keys = [
      { id: "k1", name: "binance-main", moves_funds: false },
      { id: "k2", name: "okx-withdraw", moves_funds: true },
    ];
    expect(exportProblem(draft({ keys }))).toBe(
      "Confirm that you mean to send okx-withdraw: it can withdraw or transfer funds.",
    );
    expect(exportProblem(draft({ keys, confirmedWithdraw: ["k2"] }))).toBeNull();
  });

  it("wants a full path", () => {
    expect(exportProblem(draft({ path: " " }))).toMatch(/Choose…/);
    expect(exportProblem(draft({ path: "share.age" }))).toMatch(/full path/);
    expect(isFullPath("C:\\Users\\me\\share.age")).toBe(true);
    expect(isFullPath("~/share.age")).toBe(false);
  });
});

describe("reports", () => {
  it("say what was shared, with whom, where and how big", () => {
    expect(formatBytes(812)).toBe("812 B");
    expect(formatBytes(3482)).toMatch(/^3[.,]4 KiB$/);
    const text = exportResultText({
      path: "/tmp/s.age",
      summary: { keys: ["a", "b"], recipients: ["contact bob (ABCD-EF01-2345-6789)"], armored: false, bytes: 900 },
    });
    expect(text).toBe("Shared 2 keys with contact bob (ABCD-EF01-2345-6789) → /tmp/s.age (900 B)");
  });

  it("say what an import added, replaced and skipped", () => {
    const sender = { kind: "unsigned" } as const;
    expect(importSummaryText({ sender, added: ["a"], replaced: ["b", "c"], skipped: ["d"] }))
      .toBe("Added 1 key: a. Replaced 2 keys: b, c. Skipped d.");
    expect(importSummaryText({ sender, added: [], replaced: [], skipped: ["d"] }))
      .toBe("Nothing imported: every key was skipped.");
  });
});

describe("errors on import", () => {
  it("end by saying nothing changed, once", () => {
    expect(nothingChanged("Could not open /x: not found. Check the path.", "Nothing was imported."))
      .toBe("Could not open /x: not found. Check the path. Nothing was imported.");
    expect(nothingChanged("the file is damaged", "Nothing was changed."))
      .toBe("the file is damaged. Nothing was changed.");
    expect(nothingChanged("Wrong share passphrase: ask the sender. Nothing was imported", "Nothing was imported."))
      .toBe("Wrong share passphrase: ask the sender. Nothing was imported.");
  });
});
