import { beforeEach, describe, expect, it, vi } from "vitest";
import type { RekeyProgress } from "../bindings/RekeyProgress";

const invoke = vi.fn();
// Tauri's Channel as far as ipc.ts uses it: built with the message handler, serialised as its id.
const { FakeChannel } = vi.hoisted(() => ({
  FakeChannel: class<T> {
    constructor(readonly onmessage: (message: T) => void) {}
    toJSON(): string {
      return "__CHANNEL__:1";
    }
  },
}));
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args), Channel: FakeChannel }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn(async () => () => undefined) }));

const ipc = await import("./ipc");

beforeEach(() => {
  invoke.mockReset();
  ipc.onLockedError(null);
});

describe("ipc", () => {
  it("passes camelCase argument keys that Tauri maps to the Rust parameter names", async () => {
    invoke.mockResolvedValue(undefined);
    await ipc.changePassphrase("old", "new-one", () => undefined);
    expect(invoke).toHaveBeenLastCalledWith("change_passphrase", {
      current: "old",
      newPassphrase: "new-one",
      onProgress: expect.any(FakeChannel),
    });
    await ipc.revealSecret("id1", "secret", 2, "pw");
    expect(invoke).toHaveBeenLastCalledWith("reveal_secret", { id: "id1", field: "secret", version: 2, passphrase: "pw" });
    await ipc.copySecret("id1", "apiKey", null, null);
    expect(invoke).toHaveBeenLastCalledWith("copy_secret", { id: "id1", field: "apiKey", version: null, passphrase: null });
    await ipc.incidentStep("id1", "update_bots", true);
    expect(invoke).toHaveBeenLastCalledWith("incident_step", { id: "id1", step: "update_bots", done: true });
    await ipc.exportAudit("csv");
    expect(invoke).toHaveBeenLastCalledWith("export_audit", { format: "csv" });
    await ipc.lock();
    expect(invoke).toHaveBeenLastCalledWith("lock", undefined);
    await ipc.rememberDevice("pw");
    expect(invoke).toHaveBeenLastCalledWith("remember_device", { passphrase: "pw" });
    await ipc.unlockWithDevice();
    expect(invoke).toHaveBeenLastCalledWith("unlock_with_device", undefined);
  });

  it("hands a passphrase change's progress messages to the caller", async () => {
    invoke.mockResolvedValue(undefined);
    const seen: RekeyProgress[] = [];
    await ipc.changePassphrase("old", "new-one", (p) => seen.push(p));
    const channel = invoke.mock.lastCall?.[1].onProgress as InstanceType<typeof FakeChannel<RekeyProgress>>;
    expect(JSON.stringify({ onProgress: channel })).toBe('{"onProgress":"__CHANNEL__:1"}');
    channel.onmessage({ done: 0, total: 10_031 });
    channel.onmessage({ done: 4120, total: 10_031 });
    channel.onmessage({ done: 10_031, total: 10_031 });
    expect(seen).toEqual([
      { done: 0, total: 10_031 },
      { done: 4120, total: 10_031 },
      { done: 10_031, total: 10_031 },
    ]);
  });

  it("sends the sharing commands' arguments under the names Rust expects", async () => {
    invoke.mockResolvedValue(undefined);
    await ipc.renameContact("bob", "Bob K.");
    expect(invoke).toHaveBeenLastCalledWith("rename_contact", { name: "bob", newName: "Bob K." });
    await ipc.chooseShareFile(true, null);
    expect(invoke).toHaveBeenLastCalledWith("choose_share_file", { save: true, current: null });
    await ipc.sharePreview("/tmp/s.age", null);
    expect(invoke).toHaveBeenLastCalledWith("share_preview", { path: "/tmp/s.age", passphrase: null });
    await ipc.shareApply(["add", "skip"]);
    expect(invoke).toHaveBeenLastCalledWith("share_apply", { choices: ["add", "skip"] });
    const input = {
      keys: ["k1"],
      to: ["bob"],
      passphrase: null,
      armor: false,
      confirm_withdraw: [],
      sender_name: null,
      path: "/tmp/s.age",
      overwrite: false,
    };
    await ipc.shareExport(input);
    expect(invoke).toHaveBeenLastCalledWith("share_export", { input });
  });

  it("rethrows { code, message } as an IpcError", async () => {
    invoke.mockRejectedValue({ code: "step_up_required", message: "enter the vault passphrase" });
    const error = await ipc.revealSecret("id", "secret", null, null).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ipc.IpcError);
    expect(error).toMatchObject({ code: "step_up_required", message: "enter the vault passphrase" });
  });

  it("wraps anything else as unexpected", async () => {
    invoke.mockRejectedValue("command reveal_secret not allowed");
    await expect(ipc.activeKeys()).rejects.toMatchObject({ code: "unexpected", message: "command reveal_secret not allowed" });
    invoke.mockRejectedValue(42);
    await expect(ipc.activeKeys()).rejects.toMatchObject({ code: "unexpected" });
  });

  it("tells the app when a command finds the vault locked", async () => {
    const locked = vi.fn();
    ipc.onLockedError(locked);
    invoke.mockRejectedValue({ code: "locked", message: "The vault is locked: unlock it to continue." });
    await expect(ipc.activeKeys()).rejects.toMatchObject({ code: "locked" });
    expect(locked).toHaveBeenCalledTimes(1);
    invoke.mockRejectedValue({ code: "invalid", message: "bad" });
    await expect(ipc.activeKeys()).rejects.toMatchObject({ code: "invalid" });
    expect(locked).toHaveBeenCalledTimes(1);
  });
});
