// How a key was last used, in words: "copied in the app on trader-pc". Host and program come from the
// vault (names, never a value) and are rendered as text.
import type { KeyUse } from "../bindings/KeyUse";

export function lastUseText(use: KeyUse | null): string {
  if (use === null) return "";
  const how =
    use.how === "revealed"
      ? "shown"
      : use.how === "copied"
        ? "copied"
        : use.how === "verified"
          ? "checked on its exchange"
          : use.program !== null
          ? `handed to ${use.program} by keystead run`
          : "handed to a program by keystead run";
  const by =
    use.by === "app" ? " in the app" : use.by === "cli" && use.how !== "run" ? " with the CLI" : "";
  return use.host !== null ? `${how}${by} on ${use.host}` : `${how}${by}`;
}

/** The "Last used" line of a key's detail: never, or when and how. */
export function lastUsedLine(at: string | null, use: KeyUse | null, when: (at: string) => string): string {
  if (at === null) return "never (not shown, copied or run since it was added)";
  const how = lastUseText(use);
  return how === "" ? when(at) : `${when(at)}, ${how}`;
}
