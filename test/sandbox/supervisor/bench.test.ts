import { describe, expect, it } from "vitest";
import { benchSandboxUp } from "../../../src/sandbox/supervisor/bench.js";

describe("benchSandboxUp", () => {
  it("brings a whole sandbox up within the 20 s budget, and down again", async () => {
    const { upMs } = await benchSandboxUp();
    console.info(`sandbox up: ${upMs} ms`);
    expect(upMs).toBeGreaterThan(0);
    expect(upMs).toBeLessThanOrEqual(20_000);
  });
});
