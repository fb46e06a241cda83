// The unlock screen can open another vault file: a path that does not exist yet creates a vault there,
// a bad path says what to fix. Run with scripts/e2e.sh.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { byTestId, click, screenshot, startApp, textOf, typeInto, waitText, waitVisible } from "./helpers.mjs";

const PASSPHRASE = "another vault passphrase";

describe("Keystead opens another vault file", () => {
  let app;
  let driver;

  before(async () => {
    app = await startApp();
    driver = app.driver;
  });

  after(async () => {
    await app?.quit();
  });

  test("a relative path is refused and a new absolute path gets a vault of its own", { timeout: 90_000 }, async () => {
    assert.equal(await textOf(driver, "vault-path"), app.vault);
    await click(driver, "vault-file-open");
    await typeInto(driver, "vault-file-path", "keys/vault.db");
    await click(driver, "vault-file-submit");
    await waitText(driver, byTestId("vault-file-error"), /full path/);
    await screenshot(driver, "13-other-vault-file-error");

    const other = path.join(path.dirname(app.vault), "team.db");
    await typeInto(driver, "vault-file-path", other);
    await click(driver, "vault-file-submit");
    await waitText(driver, byTestId("vault-path"), (t) => t === other);
    await typeInto(driver, "create-passphrase", PASSPHRASE);
    await typeInto(driver, "create-confirm", PASSPHRASE);
    await click(driver, "create-submit");
    await waitText(driver, byTestId("keys-empty"), /No keys yet/, 20_000);
    assert.ok(existsSync(other), "the vault was created at the chosen path");
    assert.ok(!existsSync(app.vault), "nothing was written at the first path");

    await click(driver, "lock");
    await waitVisible(driver, byTestId("unlock-passphrase"));
    assert.equal(await textOf(driver, "vault-path"), other);
  });
});
