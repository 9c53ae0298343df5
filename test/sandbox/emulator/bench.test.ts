import { describe, expect, it } from "vitest";
import { benchEmulator } from "../../../src/sandbox/emulator/bench.js";

describe("bench hook", () => {
  it("measures GetRoutingControlState round trips through the real SDK", async () => {
    const result = await benchEmulator(100);
    expect(result.calls).toBe(100);
    // The target (≤ 2 ms) is checked by `npm run bench`; here only a bound no healthy run misses.
    expect(result.medianMsPerCall).toBeGreaterThan(0);
    expect(result.medianMsPerCall).toBeLessThan(25);
  });
});
