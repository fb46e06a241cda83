// What the app says after a backup and in the first-run checklist: how to restore a copy, and the CLI line
// for a server. Plain text (the UI renders it as text).

export type RestoreStep = { text: string; command?: string };

/** A path quoted for a POSIX shell when it holds anything but plain path characters. */
export function shellQuoted(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/** How to bring a backup at `path` back: open it in the app or with the CLI, and what the rollback check says. */
export function restoreSteps(path: string): RestoreStep[] {
  return [
    { text: "In Keystead: Lock, then on the unlock screen choose \"Open an existing vault\" and pick this file." },
    { text: "Or with the command line:", command: `KEYSTEAD_VAULT=${shellQuoted(path)} keystead list` },
    {
      text:
        "Once the vault has changed since this backup, opening the copy is reported as an older file (a restored " +
        "backup): choose \"I restored this backup on purpose\" (or run keystead restore-accept) to use it.",
    },
  ];
}

/**
 * The server's side, as plain text to copy (no secret in it): its own vault, the keys that bot uses sent
 * from here with Share… (to the server's sharing key, `keystead whoami` there), and the bot started with
 * its key handed over in the environment instead of a .env file.
 */
export const SERVER_COMMANDS = [
  "keystead init",
  "keystead whoami",
  "keystead share import keys.age",
  "keystead run --key binance-bot -- python bot.py",
].join("\n");
