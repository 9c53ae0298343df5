import { describe, expect, it } from "vitest";
import { statusCommand } from "../../src/commands/status.js";
import { fakeIO, homeWith } from "../report/helpers.js";
import {
  RECONCILED_AT,
  RECONCILED_ID,
  reconciledHome,
  ungracefulFailover,
} from "../report/reconciled-journal.js";

describe("runbook status of a reconciled failover", () => {
  it("prints one line with the exact RPO, the bound and the lost writes", async () => {
    const { home } = reconciledHome();
    const f = fakeIO(home);
    expect(await statusCommand(RECONCILED_ID, {}, f.io)).toBe(0);
    const lines = f.stdout().split("\n");
    expect(lines.filter((l) => l.startsWith("RPO reconciled"))).toEqual([
      `RPO reconciled 2.43s (bound 8.6s): 120 lost writes, 2 conflicts — runbook timeline ${RECONCILED_ID}`,
    ]);
    // Under the RTO line, which still shows the bound it measured.
    const rto = lines.findIndex((l) => l.startsWith("RTO achieved"));
    expect(lines[rto]).toContain("RPO observed 8.6s");
    expect(lines[rto + 1]).toMatch(/^RPO reconciled/);
  });

  it("--json carries the reconciled RPO beside the observed one", async () => {
    const { home } = reconciledHome();
    const f = fakeIO(home);
    await statusCommand(RECONCILED_ID, { json: true }, f.io);
    expect(JSON.parse(f.stdout()).rpo).toEqual({
      observedMs: 8600,
      objectiveMs: 5000,
      reconciledMs: 2430,
      reconciledAt: RECONCILED_AT,
    });
  });

  it("says nothing of reconciliation before one ran", async () => {
    const f = fakeIO(homeWith({ [RECONCILED_ID]: ungracefulFailover() }));
    await statusCommand(RECONCILED_ID, {}, f.io);
    expect(f.stdout()).not.toContain("reconciled");
    expect(f.stdout()).toContain("RPO observed 8.6s");
  });
});
