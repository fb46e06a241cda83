// The Team screen (issue 18) over a real bare git repository: Alice (the CLI) makes team "desk", adds the app's
// vault (Bob) and shares a key; Bob joined with the CLI. In the app:
//   the Team screen shows the remote and the members with their fingerprints;
//   Sync now previews the key Alice shared, Apply brings it in, and the table's Team column and filter show it;
//   both change the key: Sync now shows the conflict, Bob keeps Alice's version whole, and the edit he made is gone;
//   the automatic sync setting is saved.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe } from "node:test";
import {
  By,
  SETTINGS,
  click,
  keyRows,
  poll,
  rowByName,
  screenshot,
  selectOption,
  startApp,
  stepsOf,
  textOf,
  typeInto,
  waitGone,
  waitText,
  waitVisible,
} from "./helpers.mjs";

const CLI_BIN = process.env.CLI_BIN ?? "";
const PASSPHRASE = "team screen passphrase";
const ALICE_PASSPHRASE = "alice's own passphrase";

describe("Keystead team vault", () => {
  let dir;
  let remote;
  let alice;
  let vault;
  let app = null;
  let driver;
  const step = stepsOf(() => (app === null ? null : driver), 90_000);
  const cli = (file, pass, args, input) =>
    execFileSync(CLI_BIN, args, {
      env: { ...process.env, KEYSTEAD_VAULT: file, KEYSTEAD_PASSPHRASE: pass, KEYSTEAD_KDF_TARGET_MS: "50" },
      input,
      encoding: "utf8",
    });
  const asAlice = (args, input) => cli(alice, ALICE_PASSPHRASE, args, input);

  before(() => {
    assert.ok(CLI_BIN !== "", "CLI_BIN comes from scripts/e2e.sh");
    dir = mkdtempSync(path.join(tmpdir(), "keystead-team-"));
    remote = path.join(dir, "desk.git");
    execFileSync("git", ["init", "--bare", "--quiet", "--initial-branch=main", remote]);
    alice = path.join(dir, "alice.db");
    vault = path.join(dir, "vault.db");
    asAlice(["init"]);
    cli(vault, PASSPHRASE, ["init"]);
    const bobKey = JSON.parse(cli(vault, PASSPHRASE, ["whoami", "--json"])).sharing_key;
    asAlice(["contacts", "add", "bob", bobKey]);
    asAlice(["team", "init", remote, "--name", "desk", "--as", "alice"]);
    asAlice(["team", "add-member", "bob", "--role", "write"]);
    asAlice(
      ["add", "--name", "desk-key", "--exchange", "binance", "--scopes", "enable_reading", "--secrets-stdin"],
      JSON.stringify({ apiKey: "e2e-team-api-key-0123456789", secret: "e2e-team-secret-0123456789abcdef" }),
    );
    asAlice(["team", "share", "desk-key"]);
    cli(vault, PASSPHRASE, ["team", "join", remote, "--yes"]);
    cli(
      vault,
      PASSPHRASE,
      ["add", "--name", "own-key", "--exchange", "bybit", "--scopes", "read", "--secrets-stdin"],
      JSON.stringify({ apiKey: "e2e-own-api-key-0123456789", secret: "e2e-own-secret-0123456789abcdef" }),
    );
  });

  after(async () => {
    await app?.quit();
    rmSync(dir, { recursive: true, force: true });
  });

  step("the Team screen shows the remote and each member's fingerprint and role", async () => {
    app = await startApp({ vault, settings: { ...SETTINGS, auto_lock_minutes: 30 } });
    driver = app.driver;
    await typeInto(driver, "unlock-passphrase", PASSPHRASE);
    await click(driver, "unlock-submit");
    await rowByName(driver, "own-key", 20_000);
    await click(driver, "team-open");
    await waitText(driver, "active-screen", (t) => t.includes("Team"));
    assert.equal(await textOf(driver, "team-name"), "desk");
    assert.equal(await textOf(driver, "team-remote"), remote);
    assert.equal(await textOf(driver, "team-last-sync"), "never");
    const members = await driver.findElements(By.css('[data-testid="team-member"]'));
    const rows = await Promise.all(members.map((m) => m.getText()));
    assert.equal(rows.length, 2);
    const aliceFp = JSON.parse(asAlice(["whoami", "--json"])).fingerprint;
    assert.ok(rows.some((r) => r.startsWith("alice") && r.includes("Write") && r.includes(aliceFp)), rows.join("\n"));
    assert.ok(rows.some((r) => r.startsWith("bob") && r.includes("you")), rows.join("\n"));
    await screenshot(driver, "team-screen");
  });

  step("Sync now previews Alice's key, Apply brings it in, and the table shows its team", async () => {
    await click(driver, "team-sync-now");
    await waitVisible(driver, "team-preview", 20_000);
    const entry = await waitVisible(driver, "team-entry");
    assert.equal(await entry.getAttribute("data-status"), "new");
    assert.match(await entry.getText(), /desk-key[\s\S]*Shared by alice \(revision 1\)/);
    await screenshot(driver, "team-sync-preview");
    await click(driver, "team-sync-apply");
    await waitText(driver, "team-sync-done", (t) => t === "1 key received ('desk-key').", 20_000);
    assert.notEqual(await textOf(driver, "team-last-sync"), "never");

    await click(driver, "keys-open");
    const row = await rowByName(driver, "desk-key", 10_000);
    assert.equal(await (await row.findElement(By.css('[data-testid="key-team"]'))).getText(), "desk");
    const own = await rowByName(driver, "own-key");
    assert.equal(await (await own.findElement(By.css('[data-testid="key-team"]'))).getText(), "personal");
    await selectOption(driver, "filter-team", "desk");
    await poll(async () => ((await keyRows(driver)).length === 1 ? true : null), { message: "only the team's key" });
    await screenshot(driver, "team-column-filter");
    await selectOption(driver, "filter-team", " personal");
    await poll(async () => ((await keyRows(driver)).length === 1 ? true : null), { message: "only the personal key" });
    await rowByName(driver, "own-key");
    await selectOption(driver, "filter-team", "");
  });

  step("a conflict is shown with who changed it, and keeping Alice's version replaces Bob's edit", async () => {
    // Alice notes something and syncs; Bob notes something else in the app before his sync.
    asAlice(["edit", "desk-key", "--notes", "alice's note"]);
    asAlice(["team", "sync", "--yes"]);
    await (await (await rowByName(driver, "desk-key")).findElement(By.css(".col-name"))).click();
    await click(driver, "edit");
    await waitVisible(driver, "key-form");
    await typeInto(driver, "form-notes", "bob's note");
    await click(driver, "form-submit");
    await waitGone(driver, "key-form");

    await click(driver, "team-open");
    await click(driver, "team-sync-now");
    await waitVisible(driver, "team-preview", 20_000);
    const entry = await waitVisible(driver, "team-entry");
    assert.equal(await entry.getAttribute("data-status"), "conflict");
    assert.match(await entry.getText(), /Changed here and by alice \(revision 2\) since the last sync/);
    assert.equal(await (await driver.findElement(By.css('[data-testid="team-sync-apply"]'))).isEnabled(), false,
      "nothing to apply before a version is chosen");
    await screenshot(driver, "team-conflict");
    await click(driver, "team-keep-theirs");
    await poll(async () => ((await (await waitVisible(driver, "team-entry")).getAttribute("data-status")) === "changed" ? true : null), {
      message: "the conflict resolved for Alice's version",
    });
    await click(driver, "team-sync-apply");
    await waitText(driver, "team-sync-done", (t) => t.startsWith("1 key changed ('desk-key')"), 20_000);
    const shown = JSON.parse(cli(vault, PASSPHRASE, ["show", "desk-key", "--json"]));
    assert.equal(shown.notes, "alice's note");
  });

  step("after Alice removes Carol, Bob's sync marks the key to rotate and offers the incident checklist", async () => {
    const carol = path.join(dir, "carol.db");
    cli(carol, "carol's passphrase", ["init"]);
    const carolKey = JSON.parse(cli(carol, "carol's passphrase", ["whoami", "--json"])).sharing_key;
    asAlice(["contacts", "add", "carol", carolKey]);
    asAlice(["team", "add-member", "carol", "--role", "read"]);
    asAlice(["team", "remove-member", "carol"]);
    await click(driver, "team-sync-now");
    await waitVisible(driver, "team-preview", 20_000);
    await click(driver, "team-sync-apply");
    await waitVisible(driver, "team-sync-done", 20_000);
    await click(driver, "keys-open");
    const row = await rowByName(driver, "desk-key");
    assert.match(await row.getText(), /member left/);
    await (await row.findElement(By.css(".col-name"))).click();
    await waitText(driver, "member-left", (t) => t.startsWith("Rotate it: carol left team desk") && t.includes("Git history keeps"));
    await waitVisible(driver, "incident-checklist");
    await screenshot(driver, "team-member-left");
    await click(driver, "detail-close");
    await click(driver, "team-open");
  });

  step("the automatic sync is off by default and its choice is saved", async () => {
    const select = await waitVisible(driver, "team-auto-sync");
    assert.equal(await select.getAttribute("value"), "off");
    await selectOption(driver, "team-auto-sync", "15");
    await poll(async () => {
      const config = process.env.XDG_CONFIG_HOME || path.join(homedir(), ".config");
      const saved = JSON.parse(readFileSync(path.join(config, "app.keystead.desktop", "settings.json"), "utf8"));
      return saved.team_sync_minutes === 15 ? true : null;
    }, { message: "the setting saved" });
  });
});
