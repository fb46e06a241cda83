import { describe, expect, it } from "vitest";
import { throttle } from "./activity";

describe("throttle", () => {
  it("sends at once, then at most once per interval", () => {
    let t = 1_000_000;
    let sent = 0;
    const touch = throttle(() => sent++, 20_000, () => t);
    touch();
    expect(sent).toBe(1);
    t += 5_000;
    touch();
    t += 14_999;
    touch();
    expect(sent).toBe(1);
    t += 1;
    touch();
    expect(sent).toBe(2);
    t += 19_999;
    touch();
    expect(sent).toBe(2);
  });
});
