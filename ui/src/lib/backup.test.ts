import { describe, expect, it } from "vitest";
import { SERVER_COMMANDS, restoreSteps, shellQuoted } from "./backup";

describe("restoreSteps", () => {
  it("says how to open the copy in the app and with the CLI, and that an older copy is reported", () => {
    const steps = restoreSteps("/media/usb/keystead-backup-2026-12-03.db");
    expect(steps.map((s) => s.text).join(" ")).toContain('"Open an existing vault"');
    expect(steps.find((s) => s.command)?.command).toBe(
      "KEYSTEAD_VAULT=/media/usb/keystead-backup-2026-12-03.db keystead list",
    );
    expect(steps.map((s) => s.text).join(" ")).toMatch(/reported as an older file \(a restored backup\)/);
    expect(steps.map((s) => s.text).join(" ")).toContain("I restored this backup on purpose");
  });

  it("quotes a path the shell would split or expand", () => {
    expect(shellQuoted("/home/me/My Backups/v.db")).toBe("'/home/me/My Backups/v.db'");
    expect(shellQuoted("/tmp/it's.db")).toBe(`'/tmp/it'\\''s.db'`);
    expect(shellQuoted("/tmp/$HOME.db")).toBe("'/tmp/$HOME.db'");
    expect(shellQuoted("/tmp/plain-name_1.db")).toBe("/tmp/plain-name_1.db");
  });
});

describe("SERVER_COMMANDS", () => {
  it("is plain commands, one a line, with no secret or placeholder key in it", () => {
    const lines = SERVER_COMMANDS.split("\n");
    expect(lines.every((l) => l.startsWith("keystead "))).toBe(true);
    expect(SERVER_COMMANDS).toContain("keystead run --key");
    expect(SERVER_COMMANDS).not.toMatch(/secret|apikey|password/i);
  });
});
