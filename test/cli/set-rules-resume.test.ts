import { writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmulator, defaultTopology, type Emulator } from "../../src/sandbox/emulator/index.js";
import { journalLines, makeWorkdir, onlyExecutionId, runCli, startCli, until } from "./harness.js";

/**
 * `events.set-rules` through the built CLI against the emulator, killed with SIGKILL in the
 * middle of its work and resumed: every rule ends ENABLED with at most one EnableRule each
 * in the emulator's call log. A proxy in front of the emulator holds one chosen request
 * unanswered, so the kill lands at exactly that point.
 */

const RULES = ["job-a", "job-b", "job-c"];
const B = "us-west-2";
const CREDENTIALS = { AWS_ACCESS_KEY_ID: "sandbox", AWS_SECRET_ACCESS_KEY: "sandbox-secret" };

const RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata: { name: move-nightly-jobs, environment: nonprod }
steps:
  - id: enable-jobs
    type: events.set-rules
    with: { region: ${B}, rules: [${RULES.join(", ")}], state: ENABLED }
`;

interface HoldingProxy {
  url: string;
  /** Calls seen so far, as `Operation Name`. */
  seen: string[];
  /** Resolves when the chosen request arrived (and was left unanswered). */
  held: Promise<void>;
  release(): void;
  close(): Promise<void>;
}

async function holdingProxy(
  target: string,
  hold: (seen: readonly string[]) => boolean,
): Promise<HoldingProxy> {
  const seen: string[] = [];
  let holding = true;
  let onHeld = () => {};
  const held = new Promise<void>((resolve) => {
    onHeld = resolve;
  });
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const server: Server = createServer(async (req, res) => {
    const body = await read(req);
    const operation =
      String(req.headers["x-amz-target"] ?? "")
        .split(".")
        .at(-1) ?? "";
    let name = "";
    try {
      name = (JSON.parse(body.toString() || "{}") as { Name?: string }).Name ?? "";
    } catch {}
    seen.push(`${operation} ${name}`.trim());
    if (holding && hold(seen)) {
      onHeld();
      return; // never answered: the CLI waits here until it is killed
    }
    const upstream = request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    held,
    release: () => {
      holding = false;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const killPoints: { name: string; hold: (seen: readonly string[]) => boolean; enabledBeforeKill: number }[] =
  [
    {
      name: "between two EnableRule calls",
      hold: (seen) => seen.at(-1) === "EnableRule job-b",
      enabledBeforeKill: 1,
    },
    {
      name: "after the last EnableRule, before the outcome is journaled",
      hold: (seen) => seen.includes("EnableRule job-c") && seen.at(-1)?.startsWith("DescribeRule") === true,
      enabledBeforeKill: 3,
    },
  ];

describe("events.set-rules: SIGKILL and resume", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    const topology = defaultTopology();
    topology.eventRules = RULES.map((name) => ({
      region: B,
      name,
      scheduleExpression: "cron(0 2 * * ? *)",
      state: "DISABLED" as const,
    }));
    emulator = await createEmulator({ topology, evaluationIntervalMs: 100_000 });
  });
  afterAll(() => emulator.close());

  for (const point of killPoints) {
    it(`each rule is enabled once when killed ${point.name}`, async () => {
      emulator.dataPlane.reset();
      emulator.clearCalls();
      const proxy = await holdingProxy(emulator.url, point.hold);
      try {
        const cwd = makeWorkdir();
        writeFileSync(join(cwd, "move-nightly-jobs.yaml"), RUNBOOK);
        writeFileSync(
          join(cwd, "lab.yaml"),
          `apiVersion: runbook/v1
kind: Environment
metadata: { name: lab, environment: nonprod }
aws: { region: ${B}, endpoints: { "*": "${proxy.url}" } }
`,
        );
        const child = startCli(
          ["run", "move-nightly-jobs.yaml", "--env", "lab.yaml", "--approve", "--json"],
          cwd,
          CREDENTIALS,
        );
        const exited = new Promise((resolve) => child.on("close", resolve));
        await Promise.race([
          proxy.held,
          exited.then(() => {
            throw new Error(`the CLI ended before the held request (calls: ${proxy.seen.join(", ")})`);
          }),
        ]);
        const enableCalls = () =>
          emulator.calls
            .filter((c) => c.operation === "EnableRule")
            .map((c) => (c.params as { Name: string }).Name);
        expect(enableCalls()).toHaveLength(point.enabledBeforeKill);
        child.kill("SIGKILL");
        await exited;
        proxy.release();

        const id = onlyExecutionId(cwd);
        await until(() => journalLines(cwd, id).some((e) => e.type === "step.intent"), 5_000, "the intent");
        const resumed = await runCli(["resume", id, "--approve", "--json"], cwd, CREDENTIALS);
        expect(resumed.code, resumed.stderr).toBe(0);

        expect(enableCalls().sort()).toEqual(RULES);
        expect(emulator.dataPlane.status().eventRules).toEqual(
          Object.fromEntries(RULES.map((r) => [r, { [B]: "ENABLED" }])),
        );
        const events = journalLines(cwd, id) as { type: string; data?: { inPlace?: boolean } }[];
        const checked = events.filter((e) => e.type === "step.checked").at(-1);
        // All three were enabled before the kill: resume's check finds the work done.
        expect(checked?.data?.inPlace).toBe(point.enabledBeforeKill === RULES.length);
        expect(events.map((e) => e.type)).toContain("execution.resumed");
        expect(events.at(-1)?.type).toBe("execution.completed");
        expect((await runCli(["verify", id], cwd)).code).toBe(0);
      } finally {
        await proxy.close();
      }
    }, 60_000);
  }
});
