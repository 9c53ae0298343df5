import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { finish, ROOT, runCli, startCli } from "../cli/harness.js";
import { useCliSandbox } from "../fixtures/cli-sandbox.js";
import {
  type Call,
  calls,
  clearCalls,
  executionIds,
  expectImportedOnce,
  journal,
  journalPathOf,
  newExecution,
  otherMachine,
  outcomes,
  projectCopy,
  untilJournal,
} from "../fixtures/stepfunctions-sandbox.js";

/**
 * The case-api failover through `--engine stepfunctions` end to end, through the real CLI on
 * one real sandbox: deployed, run and verified; an abort criterion firing into onAbort; gates
 * approved from a second shell by the approver's own keys; a follower SIGKILLed and followed
 * again; and the whole history followed from another machine, giving the same journal.
 */

const { home, env, cli, endpoints } = useCliSandbox("runbook-case-api-sfn-");

const RUNBOOK = "failover-case-api";
const RUN = ["run", RUNBOOK, "--env", "sandbox", "--engine", "stepfunctions"];
const MILESTONES = ["writes_fenced", "db_promoted", "traffic_shifted", "service_restored"];

const cliIn = (cwd: string, args: string[], extra: Record<string, string> = {}) =>
  runCli(args, cwd, { ...env, ...extra });
const keysOf = (who: "operator" | "approver" | "outsider") => {
  const p = endpoints().principals![who]!;
  return { AWS_ACCESS_KEY_ID: p.accessKeyId, AWS_SECRET_ACCESS_KEY: p.secretAccessKey };
};
const executionArn = (id: string) =>
  `arn:aws:states:us-west-2:${endpoints().accounts!.workload}:execution:runbook-${RUNBOOK}:${id}`;

/** A clean sandbox with this runbook (from `cwd`) deployed, and an empty call log. */
async function fresh(cwd = ROOT): Promise<void> {
  expect((await cli(["sandbox", "reset"])).code).toBe(0);
  const deploy = await cliIn(cwd, ["deploy", RUNBOOK, "--env", "sandbox"]);
  expect(deploy.code, deploy.stderr).toBe(0);
  await clearCalls(endpoints());
}

function start(args: string[], cwd = ROOT, extra: Record<string, string> = {}) {
  const before = executionIds(home);
  const child = startCli(args, cwd, { ...env, ...extra });
  const result = finish(child);
  return { result, id: newExecution(home, before, child), child };
}

/** Side effects: each ARC flip and the promotion once, by the functions' roles, never the operator. */
function expectFailoverEffects(mutations: Call[]): void {
  const { workload, recovery } = endpoints().accounts!;
  const cells = endpoints().routingControls;
  const arc = mutations.filter((c) => c.operation === "UpdateRoutingControlStates");
  const flipped = (cell: string, state: string) =>
    arc.filter((c) => JSON.stringify(c.params).includes(`"${cell}","RoutingControlState":"${state}"`));
  expect(arc).toHaveLength(2);
  expect(flipped(cells["us-east-1"]!, "Off")).toHaveLength(1);
  expect(flipped(cells["us-west-2"]!, "On")).toHaveLength(1);
  for (const c of arc)
    expect(c.principal).toMatch(new RegExp(`^arn:aws:sts::${recovery}:assumed-role/runbook-arc/`));
  const promotions = mutations.filter((c) => c.operation === "FailoverGlobalCluster");
  expect(promotions).toHaveLength(1);
  expect(promotions[0]!.principal).toMatch(
    new RegExp(`^arn:aws:sts::${workload}:assumed-role/runbook-${RUNBOOK}-steps/`),
  );
  // The operator's shell only started the execution; everything else ran in the recovery region.
  const operator = endpoints().principals!.operator!.arn;
  expect(mutations.filter((c) => c.principal === operator).map((c) => c.operation)).toEqual([
    "StartExecution",
  ]);
}

describe("failover-case-api on Step Functions in the sandbox", () => {
  it("deploys idempotently, runs to completion, verifies, and journals what Step Functions did", async () => {
    const plan = await cli(["deploy", RUNBOOK, "--env", "sandbox"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/\+ state machine runbook-failover-case-api +create/);
    expect(plan.stdout).toMatch(/\+ function runbook-failover-case-api-steps +create/);
    expect(plan.stdout).toContain("Deployed 6 change(s)");
    const again = await cli(["deploy", RUNBOOK, "--env", "sandbox"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("Nothing to change");
    expect(again.stdout).not.toMatch(/^ {2}[+~] /m);
    await clearCalls(endpoints());

    const before = executionIds(home);
    const run = await cli([...RUN, "--approve"]);
    expect(run.code, run.stdout.slice(-2000) + run.stderr).toBe(0);
    const [id] = executionIds(home).filter((x) => !before.includes(x));
    expect((await cli(["verify", id!])).code).toBe(0);

    const lines = journal(home, id!);
    expectImportedOnce(lines, executionArn(id!));
    expect(lines.at(-1)?.type).toBe("execution.completed");
    const timeline = await cli(["timeline", id!, "-f", "json"]);
    expect(timeline.code, timeline.stderr).toBe(0);
    const t = JSON.parse(timeline.stdout) as {
      header: { outcome: string };
      milestones: { name: string }[];
      steps: { id: string; status: string }[];
    };
    expect(t.header.outcome).toBe("completed");
    expect(t.milestones.map((m) => m.name)).toEqual(["incident_declared", ...MILESTONES]);
    const ran = Object.fromEntries(
      t.steps.filter((s) => s.status !== "not run").map((s) => [s.id, s.status]),
    );
    expect(ran).toEqual(outcomes(lines));
    expect(ran).toMatchObject({
      "confirm-scope": "succeeded",
      promote: "succeeded",
      "secrets-in-sync": "skipped",
    });
    expect(t.steps.find((s) => s.id === "restore-primary-routing")?.status).toBe("not run");
    expectFailoverEffects(await calls(endpoints()));
    expect(readFileSync(journalPathOf(home, id!), "utf8")).not.toContain(
      endpoints().credentials.secretAccessKey,
    );
  }, 120_000);

  it("an abort criterion fires into onAbort: exit 3, routing restored, the database never promoted", async () => {
    await fresh();
    const { result, id: started } = start(RUN);
    const id = await started;
    await untilJournal(home, id, "gate.requested", "confirm-scope");
    const approve = await cli(["approve", id, "--step", "confirm-scope"], keysOf("operator"));
    expect(approve.code, approve.stderr).toBe(0);
    // While promote waits for its approval (still guarded), the recovery region's 5xx alarm fires.
    await untilJournal(home, id, "gate.requested", "promote");
    expect((await cli(["sandbox", "fault", "alarm", "case-api-5xx-us-west-2", "ALARM"])).code).toBe(0);
    try {
      const run = await result;
      expect(run.code, run.stdout.slice(-2000) + run.stderr).toBe(3);
    } finally {
      await cli(["sandbox", "fault", "alarm", "case-api-5xx-us-west-2", "--clear"]);
    }
    const lines = journal(home, id);
    expectImportedOnce(lines, executionArn(id));
    expect(lines.find((e) => e.type === "abort.fired")?.data).toMatchObject({
      criterion: "recovery-region-5xx",
    });
    expect(outcomes(lines)).toMatchObject({ "restore-primary-routing": "succeeded", page: "succeeded" });
    expect(lines.some((e) => e.type === "step.intent" && e.stepId === "promote")).toBe(false);
    expect(lines.at(-1)).toMatchObject({ type: "execution.aborted" });
    expect((await cli(["verify", id])).code).toBe(0);
    const ops = (await calls(endpoints())).map((c) => c.operation);
    expect(ops).not.toContain("FailoverGlobalCluster");
    const status = JSON.parse((await cli(["sandbox", "status", "--json"])).stdout) as {
      routingControls: Record<string, string>;
      writerRegion: string;
    };
    expect(status.routingControls["us-east-1"]).toBe("On");
    expect(status.writerRegion).toBe("us-east-1");
  }, 120_000);

  it("gates approved from a second shell by the approver's keys; the outsider is refused", async () => {
    const approver = endpoints().principals!.approver!.arn;
    const cwd = projectCopy((text) =>
      text
        .replace(
          "    type: approval\n    with:\n",
          `    type: approval\n    with:\n      approvers: ["${approver}"]\n`,
        )
        .replace('{ prompt: "Promote', `{ approvers: ["${approver}"], prompt: "Promote`),
    );
    await fresh(cwd);
    const { result, id: started } = start(RUN, cwd);
    const id = await started;
    await untilJournal(home, id, "gate.requested", "confirm-scope");

    const outsider = await cliIn(cwd, ["approve", id, "--step", "confirm-scope"], keysOf("outsider"));
    expect(outsider.code).toBe(2);
    expect(outsider.stderr).toContain("the approval function refused this approve of gate confirm-scope");
    expect(outsider.stderr).toContain("user/outsider is not an approver of gate confirm-scope");
    // The gate stays open: the follower, polling every 100-800 ms, sees no approval.
    await new Promise((r) => setTimeout(r, 1500));
    expect(journal(home, id).filter((e) => e.type === "gate.approved")).toEqual([]);
    const listed = JSON.parse(
      (await cli(["list", "--stepfunctions", "--env", "sandbox", "--json"])).stdout,
    ) as {
      id: string;
      status: string;
    }[];
    expect(listed.find((x) => x.id === id)?.status).toBe("RUNNING");

    for (const step of ["confirm-scope", "promote"]) {
      await untilJournal(home, id, "gate.requested", step);
      const ok = await cliIn(cwd, ["approve", id, "--step", step], keysOf("approver"));
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain(`approved gate ${step} of ${id}`);
    }
    const run = await result;
    expect(run.code, run.stdout.slice(-2000) + run.stderr).toBe(0);
    const lines = journal(home, id);
    expect(lines.filter((e) => e.type === "gate.approved").map((e) => [e.stepId, e.data.by])).toEqual([
      ["confirm-scope", approver],
      ["promote", approver],
    ]);
    expectImportedOnce(lines, executionArn(id));
    expect((await cli(["verify", id])).code).toBe(0);
    expectFailoverEffects(await calls(endpoints()));
  }, 120_000);

  it("a follower SIGKILLed mid-run: the execution goes on, follow finishes it, nothing imported twice", async () => {
    await fresh();
    const { result, id: started, child } = start([...RUN, "--approve"]);
    const id = await started;
    await untilJournal(home, id, "step.intent", "fence-writes");
    child.kill("SIGKILL");
    expect((await result).signal).toBe("SIGKILL");

    const listed = await cli(["list", "--stepfunctions", "--env", "sandbox", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const row = (JSON.parse(listed.stdout) as { id: string; status: string; followedHere: boolean }[]).find(
      (x) => x.id === id,
    );
    expect(["RUNNING", "SUCCEEDED"]).toContain(row?.status);
    expect(row?.followedHere).toBe(true);

    const follow = await cli(["follow", id, "--env", "sandbox", "--approve"]);
    expect(follow.code, follow.stdout.slice(-2000) + follow.stderr).toBe(0);
    expect(follow.stdout).toContain(`completed ${id}`);
    expect((await cli(["verify", id])).code).toBe(0);
    const lines = journal(home, id);
    expectImportedOnce(lines, executionArn(id));
    expect(lines.filter((e) => e.type === "execution.completed")).toHaveLength(1);
    expectFailoverEffects(await calls(endpoints()));

    // An uninterrupted import of the same history gives the same lines (types, steps, origins).
    const other = otherMachine(home);
    expect((await runCli(["follow", id, "--env", "sandbox"], ROOT, { RUNBOOK_HOME: other })).code).toBe(0);
    const shape = (ls: typeof lines) => ls.map((e) => [e.type, e.stepId, e.origin?.eventId]);
    expect(shape(journal(other, id))).toEqual(shape(lines));
  }, 120_000);

  it("follow from another machine imports a finished execution's whole history", async () => {
    await fresh();
    const before = executionIds(home);
    const run = await cli([...RUN, "--approve"]);
    expect(run.code, run.stderr).toBe(0);
    const [id] = executionIds(home).filter((x) => !before.includes(x));

    const other = otherMachine(home);
    const there = (args: string[]) => runCli(args, ROOT, { RUNBOOK_HOME: other });
    expect(executionIds(other)).toEqual([]);
    const follow = await there(["follow", id!, "--env", "sandbox"]);
    expect(follow.code, follow.stderr).toBe(0);
    expect((await there(["verify", id!])).code).toBe(0);
    const status = await there(["status", id!, "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ executionId: id, status: "completed" });
    // Same history, same import: the same journal, byte for byte (hash chain included).
    expect(readFileSync(journalPathOf(other, id!), "utf8")).toBe(
      readFileSync(journalPathOf(home, id!), "utf8"),
    );
  }, 120_000);
});
