import { describe, expect, it } from "vitest";
import type { Finding, ScanReport } from "./ipc";
import { groupFindings, progressText, reportText } from "./scanning";

function finding(over: Partial<Finding> = {}): Finding {
  return {
    id: "0123456789abcdef",
    ignored: false,
    path: "/bots/.env",
    line: 1,
    column: 1,
    kind: "own_secret",
    rule: "own-secret",
    description: "your key 'a' (secret, version 1)",
    confidence: "high",
    key_id: "id-a",
    key_name: "a",
    version: 1,
    current: true,
    field: "secret",
    exchange: null,
    excerpt: "vmPU…8A",
    commit: null,
    ...over,
  };
}

const stats = { files: 3, bytes: 2_500_000, skipped_binary: 0, skipped_large: 0, skipped_unreadable: 0, skipped_links: 0, seconds: 0.5 };

describe("scanner screen", () => {
  it("groups own secrets by key, exposed current secrets first, then shapes by rule, keeping report indexes", () => {
    const groups = groupFindings([
      finding({ key_id: "id-b", key_name: "b", current: false }),
      finding({ kind: "key_shape", rule: "aws-access-key", key_id: null, key_name: null }),
      finding(),
      finding({ line: 9 }),
    ]);
    expect(groups.map((g) => g.title)).toEqual(["Your key “a”", "Your key “b”", "Key shape: aws-access-key"]);
    expect(groups[0].current).toBe(true);
    expect(groups[0].items.map((i) => i.index)).toEqual([2, 3]);
    expect(groups[1].current).toBe(false);
  });

  it("puts ignored findings in their own last group, where they never mark a key exposed", () => {
    const groups = groupFindings([finding({ ignored: true }), finding({ key_id: "id-b", key_name: "b", current: false })]);
    expect(groups.map((g) => g.title)).toEqual(["Your key “b”", "Ignored findings"]);
    expect(groups[1].items.map((i) => i.index)).toEqual([0]);
    expect(groups.some((g) => g.current)).toBe(false);
  });

  it("says what was found and read, with plurals", () => {
    const report: ScanReport = { findings: [finding(), finding({ line: 2 })], stats, cancelled: false, own_secrets: true, ignored: 0, ignored_shown: false };
    expect(reportText(report)).toBe("1 of your keys found in 2 places. Read 3 files, 2.5 MB in 0.5 s.");
    expect(reportText({ ...report, findings: [] })).toBe("Nothing found. Read 3 files, 2.5 MB in 0.5 s.");
    expect(reportText({ ...report, findings: [finding(), finding({ kind: "key_shape", key_id: null })] })).toBe(
      "1 of your keys found in 1 place, 1 other finding. Read 3 files, 2.5 MB in 0.5 s.",
    );
    expect(reportText({ ...report, ignored: 2 })).toBe(
      "1 of your keys found in 2 places (2 ignored findings left out). Read 3 files, 2.5 MB in 0.5 s.",
    );
    expect(
      reportText({ ...report, findings: [finding({ ignored: true })], ignored: 1, ignored_shown: true }),
    ).toBe("Nothing found (1 ignored finding shown). Read 3 files, 2.5 MB in 0.5 s.");
    expect(progressText({ files: 1204, bytes: 35_200_000, findings: 1, seconds: 0.5 })).toBe(
      "1,204 files · 35.2 MB · 70 MB/s · 1 finding",
    );
  });
});
