// One Keystead per desktop session (issue 15, item 7): a stopped instance leaves no claim on the session bus,
// so the next start is a first instance again; with the window closed to the tray (its WebKit web process
// gone, issue 15 item 6), launching the app again brings the window back, still unlocked, and the second
// process exits 0 at once, leaving one process; a second launch with
// `--minimized` (the login autostart) leaves the window in the tray. Run with scripts/e2e.sh.
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe } from "node:test";
import {
  APP_BIN,
  appPids,
  attachToWindow,
  click,
  closeToTray,
  poll,
  screenshot,
  sleep,
  startApp,
  stepsOf,
  typeInto,
  visibleWindows,
  waitText,
  waitVisible,
  webProcessesOf,
} from "./helpers.mjs";

const PASSPHRASE = "single instance passphrase";
/** The name tauri-plugin-single-instance owns on the session bus: the app's identifier + ".SingleInstance". */
const BUS_NAME = "app.keystead.desktop.SingleInstance";
/** The object the plugin serves the hand-over at: the name as a path. */
const BUS_PATH = "/app/keystead/desktop/SingleInstance";
const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Whether some process owns `BUS_NAME` on this run's private session bus. */
function busNameOwned() {
  const reply = execFileSync(
    "dbus-send",
    [
      "--session",
      "--print-reply",
      "--dest=org.freedesktop.DBus",
      "/org/freedesktop/DBus",
      "org.freedesktop.DBus.NameHasOwner",
      `string:${BUS_NAME}`,
    ],
    { encoding: "utf8", timeout: 5000 },
  );
  return /boolean true/.test(reply);
}

/**
 * Launches the app binary again, as a user or the login autostart would, in this run's environment (HOME,
 * DISPLAY, DBUS_SESSION_BUS_ADDRESS); resolves with its exit code, stderr and how long it ran. A process
 * still running after `timeout` ms is killed and counts as a failure.
 */
function launchAgain(args, timeout = 10_000) {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(APP_BIN, args, { env: process.env, timeout, killSignal: "SIGKILL", encoding: "utf8" }, (err, _stdout, stderr) => {
      const code = err ? (err.killed ? `killed after ${timeout} ms` : err.code) : 0;
      resolve({ code, stderr, ms: Date.now() - started });
    });
  });
}

describe("one instance", () => {
  let app = null;
  let driver = null;
  const step = stepsOf(() => driver, 90_000);

  const start = async () => {
    app = await startApp();
    driver = app.driver;
  };

  const stop = async () => {
    const running = app;
    app = null;
    driver = null;
    await running?.quit();
  };

  after(async () => {
    await app?.quit();
  });

  step("a stopped instance releases its name on the bus: start, stop, start again", async () => {
    assert.equal(busNameOwned(), false, "no Keystead runs yet");
    await start();
    await waitVisible(driver, "create-passphrase", 20_000);
    assert.equal(busNameOwned(), true, "the running instance owns the single-instance name");
    await stop();
    assert.deepEqual(appPids(), [], "the app exited");
    // pgrep stops matching once the process is a zombie; the bus daemon drops its name when it reads the
    // closed connection, a moment later.
    await poll(async () => !busNameOwned(), { timeout: 5000, message: "the name to go with the process" });
    await start();
    await waitVisible(driver, "create-passphrase", 20_000);
    assert.equal(appPids().length, 1, "the new start is a first instance, in one process");
    await typeInto(driver, "create-passphrase", PASSPHRASE);
    await typeInto(driver, "create-confirm", PASSPHRASE);
    await click(driver, "create-submit");
    await waitText(driver, "keys-empty", /No keys yet/, 20_000);
  });

  step("closed to the tray, a second launch brings the window back and exits 0 at once", async () => {
    const [first] = appPids();
    assert.equal(webProcessesOf(first), 1, "the open window has its WebKit web process");
    await closeToTray();
    assert.deepEqual(appPids(), [first], "Keystead still runs, in the tray");
    // The window is destroyed, not hidden: its WebKit web process goes with it.
    await poll(async () => webProcessesOf(first) === 0, { timeout: 10_000, message: "the web process to exit" });

    const second = await launchAgain(["--vault", app.vault]);
    assert.equal(second.code, 0, `the second launch exits 0 (stderr: ${second.stderr})`);
    await poll(async () => visibleWindows().length > 0, { timeout: 10_000, message: "the window to come back" });
    assert.deepEqual(appPids(), [first], "still exactly one Keystead process, the first one");
    // A new window on the same process: the vault is still unlocked, the page shows it.
    await attachToWindow(driver);
    assert.equal(webProcessesOf(first), 1, "the web process is back");
    await waitText(driver, "keys-empty", /No keys yet/);
    await screenshot(driver, "60-second-launch-brought-window-forward");
    console.log(`second launch exited 0 after ${second.ms} ms`);
  });

  step("a second launch with --minimized (the login autostart) leaves the window in the tray", async () => {
    await closeToTray();
    const [first] = appPids();
    const second = await launchAgain(["--minimized", "--vault", app.vault]);
    assert.equal(second.code, 0, `the second launch exits 0 (stderr: ${second.stderr})`);
    // The running instance got the launch by now; give its window the time it took to show above.
    await sleep(2000);
    assert.deepEqual(visibleWindows(), [], "the window stays in the tray");
    assert.deepEqual(appPids(), [first], "still exactly one Keystead process");

    // Then an ordinary launch still brings it forward.
    const third = await launchAgain([]);
    assert.equal(third.code, 0, `the third launch exits 0 (stderr: ${third.stderr})`);
    await poll(async () => visibleWindows().length > 0, { timeout: 10_000, message: "the window to come back" });
    assert.deepEqual(appPids(), [first]);
  });

  step("a launch that meets an instance quitting (its name still held, no answer) starts as the first one", async () => {
    await stop();
    await poll(async () => !busNameOwned(), { timeout: 5000, message: "the name to go with the process" });
    // A stand-in for an instance on its way out: it owns the name and leaves the bus when called.
    // Debian's Python, which has python3-dbus and -gi (scripts/e2e.sh).
    const python = process.env.E2E_PYTHON ?? "/usr/bin/python3";
    const holder = spawn(python, [path.join(HERE, "dying-instance.py"), BUS_NAME, BUS_PATH], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => holder.on("exit", resolve));
    try {
      await new Promise((resolve, reject) => {
        holder.stdout.on("data", (d) => String(d).includes("ready") && resolve());
        holder.on("exit", (code) => reject(new Error(`the stand-in exited (${code}) before owning the name`)));
      });
      assert.equal(busNameOwned(), true, "the stand-in owns the single-instance name");
      // Before: the plugin's failed hand-over ended the launch with a panic, and no window came.
      await start();
      await waitVisible(driver, "create-passphrase", 20_000);
      await exited;
      assert.equal(appPids().length, 1, "one Keystead process, the first instance now");
      assert.equal(busNameOwned(), true, "and it owns the name");
    } finally {
      holder.kill("SIGKILL");
    }
  });
});
