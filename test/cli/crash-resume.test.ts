import { describe, expect, it } from "vitest";
import {
  effects,
  freePort,
  journalLines,
  makeWorkdir,
  onlyExecutionId,
  runCli,
  startCli,
  until,
} from "./harness.js";

/**
 * The promise of the engine: SIGKILL at any moment, resume, and every side effect of the
 * failover happened exactly once, with a journal whose chain verifies.
 */

const killPoints: { name: string; when: (events: { type: string; stepId?: string }[]) => boolean }[] = [
  {
    name: "right after the fence intent is journaled",
    when: (e) => e.some((x) => x.type === "step.intent" && x.stepId === "fence-writes"),
  },
  {
    name: "in the middle of the promotion",
    when: (e) => e.some((x) => x.type === "step.intent" && x.stepId === "promote"),
  },
  {
    name: "right after the promotion succeeded",
    when: (e) => e.some((x) => x.type === "step.succeeded" && x.stepId === "promote"),
  },
  {
    name: "during the traffic shift",
    when: (e) => e.some((x) => x.type === "step.intent" && x.stepId === "shift-traffic"),
  },
  {
    name: "while waiting for caches to expire",
    when: (e) => e.some((x) => x.type === "step.intent" && x.stepId === "settle"),
  },
];

describe("SIGKILL and resume", () => {
  for (const point of killPoints) {
    it(`completes with each side effect once when killed ${point.name}`, async () => {
      const cwd = makeWorkdir();
      const port = String(await freePort());
      const child = startCli(
        ["run", "failover-toy", "--approve", "--json", "-i", `port=${port}`, "-i", "promoteSeconds=1"],
        cwd,
      );
      let id = "";
      await until(
        () => {
          try {
            id ||= onlyExecutionId(cwd);
          } catch {
            return false;
          }
          return point.when(journalLines(cwd, id));
        },
        30_000,
        point.name,
      );
      child.kill("SIGKILL");
      await new Promise((r) => child.on("close", r));

      const status = await runCli(["status", id], cwd);
      expect(status.stdout).toMatch(/status: (interrupted|completed)/);

      const resumed = await runCli(["resume", id, "--approve", "--json"], cwd);
      expect(resumed.stderr).toBe("");
      expect(resumed.code).toBe(0);
      expect(effects(cwd)).toEqual(["fence A", "promote B", "route B"]);

      const verify = await runCli(["verify", id], cwd);
      expect(verify.code).toBe(0);
      expect(verify.stdout).toMatch(/chain verified/);
      const types = journalLines(cwd, id).map((e) => e.type);
      expect(types.at(-1)).toBe("execution.completed");
      expect(types).toContain("execution.resumed");
      expect(types).toContain("lock.takenOver");
    });
  }

  it("a second resume of a completed execution changes nothing", async () => {
    const cwd = makeWorkdir();
    const port = String(await freePort());
    const run = await runCli(
      ["run", "failover-toy", "--approve", "--json", "-i", `port=${port}`, "-i", "promoteSeconds=0"],
      cwd,
    );
    expect(run.code).toBe(0);
    const id = onlyExecutionId(cwd);
    const before = journalLines(cwd, id).length;
    const again = await runCli(["resume", id], cwd);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already completed/);
    expect(journalLines(cwd, id)).toHaveLength(before);
    expect(effects(cwd)).toEqual(["fence A", "promote B", "route B"]);
  });
});
