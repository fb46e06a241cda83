// The scanner screen's rules as plain functions: findings grouped by the key they belong to (own secrets
// first, ignored ones last), the progress line, and the summary sentence. Rust found everything; no secret is in a finding.
import type { Finding, ScanProgress, ScanReport } from "./ipc";
import { plural } from "./format";

export interface FindingGroup {
  /** The vault key's id, or null for key shapes and assignments. */
  keyId: string | null;
  title: string;
  /** Whether the key's current secret is among them (then it is exposed: rotate or mark compromised). */
  current: boolean;
  /** The findings with their index in the report (actions go by index). */
  items: { index: number; finding: Finding }[];
}

/** Own-secret findings by key (current secrets first), then everything else by rule, then the findings the
 * user ignored (when the scan shows them) in a group of their own, so they never make a key look exposed. */
export function groupFindings(findings: readonly Finding[]): FindingGroup[] {
  const byKey = new Map<string, FindingGroup>();
  const byRule = new Map<string, FindingGroup>();
  const ignored: FindingGroup = { keyId: null, title: "Ignored findings", current: false, items: [] };
  findings.forEach((finding, index) => {
    if (finding.ignored) {
      ignored.items.push({ index, finding });
    } else if (finding.kind === "own_secret" && finding.key_id !== null) {
      let g = byKey.get(finding.key_id);
      if (g === undefined) {
        g = { keyId: finding.key_id, title: `Your key “${finding.key_name ?? ""}”`, current: false, items: [] };
        byKey.set(finding.key_id, g);
      }
      if (finding.current === true) g.current = true;
      g.items.push({ index, finding });
    } else {
      const rule = finding.kind === "assignment" ? "Secret-looking assignments" : `Key shape: ${finding.rule}`;
      let g = byRule.get(rule);
      if (g === undefined) {
        g = { keyId: null, title: rule, current: false, items: [] };
        byRule.set(rule, g);
      }
      g.items.push({ index, finding });
    }
  });
  const keys = [...byKey.values()].sort((a, b) => Number(b.current) - Number(a.current));
  return [...keys, ...byRule.values(), ...(ignored.items.length > 0 ? [ignored] : [])];
}

const mb = (bytes: bigint | number) => Number(bytes) / 1e6;

/** "1,204 files · 35.2 MB · 118 MB/s · 3 findings" while it runs. */
export function progressText(p: ScanProgress): string {
  const rate = p.seconds > 0 ? mb(p.bytes) / p.seconds : 0;
  return `${Number(p.files).toLocaleString("en")} files · ${mb(p.bytes).toFixed(1)} MB · ${rate.toFixed(0)} MB/s · ${plural(Number(p.findings), "finding")}`;
}

/** What the scan found and read, in one sentence. */
export function reportText(r: ScanReport): string {
  const shown = r.findings.filter((f) => !f.ignored);
  const own = shown.filter((f) => f.kind === "own_secret");
  const keys = new Set(own.map((f) => f.key_id));
  const head =
    shown.length === 0
      ? "Nothing found"
      : own.length > 0
        ? `${plural(keys.size, "of your keys", "of your keys")} found in ${plural(own.length, "place")}${
            shown.length > own.length ? `, ${plural(shown.length - own.length, "other finding")}` : ""
          }`
        : `${plural(shown.length, "finding")}, none of them your own keys`;
  const ignored =
    r.ignored > 0 ? ` (${plural(Number(r.ignored), "ignored finding")} ${r.ignored_shown ? "shown" : "left out"})` : "";
  const s = r.stats;
  return `${head}${ignored}${r.cancelled ? " (cancelled)" : ""}. Read ${plural(Number(s.files), "file")}, ${mb(s.bytes).toFixed(1)} MB in ${s.seconds.toFixed(1)} s.`;
}
