import { describe, expect, it } from "vitest";
import { finish, ROOT, runCli, startCli } from "../cli/harness.js";
import { useCliSandbox } from "../fixtures/cli-sandbox.js";
import {
  calls,
  executionIds,
  expectImportedOnce,
  journal,
  newExecution,
  projectCopy,
  untilJournal,
} from "../fixtures/stepfunctions-sandbox.js";

/**
 * What `--engine stepfunctions`, `deploy`, `follow` and `resume` refuse, through the real CLI on
 * a real sandbox, each with exit 2 and a message saying what to do; and a follower killed at a
 * gate it never answered, whose gate `follow --approve` answers.
 */

const { home, env, cli, endpoints } = useCliSandbox("runbook-sfn-cli-");

const RUNBOOK = "failover-case-api";
const RUN = ["run", RUNBOOK, "--env", "sandbox", "--engine", "stepfunctions"];
const started = async () => (await calls(endpoints())).filter((c) => c.operation === "StartExecution");

describe("runbook --engine stepfunctions: refusals and follow", () => {
  it("before deploy: --plan changes nothing, and run says to deploy first", async () => {
    for (let i = 0; i < 2; i++) {
      const plan = await cli(["deploy", RUNBOOK, "--env", "sandbox", "--plan"]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toMatch(/\+ state machine runbook-failover-case-api +create/);
      expect(plan.stdout).toContain(
        "6 change(s). Apply them with: runbook deploy failover-case-api --env sandbox",
      );
    }
    const run = await cli([...RUN, "--approve"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("runbook failover-case-api is not deployed to Step Functions in us-west-2");
    expect(run.stderr).toContain("Deploy it first: runbook deploy failover-case-api");
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(await started()).toEqual([]);
  }, 60_000);

  it("an unknown engine is a usage error (2)", async () => {
    const r = await cli(["run", RUNBOOK, "--env", "sandbox", "--engine", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("argument 'nope' is invalid. Allowed choices are local, stepfunctions");
  });

  it("a runbook edited since its deploy is refused, not run on the stale machine", async () => {
    const deploy = await cli(["deploy", RUNBOOK, "--env", "sandbox"]);
    expect(deploy.code, deploy.stderr).toBe(0);
    const cwd = projectCopy((t) =>
      t.replace("name: Stop routing to the primary region\n", "name: Stop routing to region A\n"),
    );
    const run = await runCli([...RUN, "--approve"], cwd, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "the state machine deployed in us-west-2 is not what runbook failover-case-api exports now",
    );
    expect(run.stderr).toContain("Deploy it again (it shows what changes): runbook deploy failover-case-api");
    expect(await started()).toEqual([]);
    // The unedited runbook is what is deployed: its plan has nothing to change.
    const plan = await cli(["deploy", RUNBOOK, "--env", "sandbox", "--plan"]);
    expect(plan.stdout).toContain("Nothing to change");
  }, 60_000);

  it("follow refuses an execution of the local engine, pointing at resume", async () => {
    const before = executionIds(home);
    // The local engine stops at the first gate without --approve or a terminal (exit 5).
    const local = await cli(["run", RUNBOOK, "--env", "sandbox"]);
    expect(local.code, local.stderr).toBe(5);
    const [id] = executionIds(home).filter((x) => !before.includes(x));
    const follow = await cli(["follow", id!, "--env", "sandbox"]);
    expect(follow.code).toBe(2);
    expect(follow.stderr).toContain(`execution ${id} ran on this machine's engine, not on Step Functions`);
    expect(follow.stderr).toContain(`Continue it with: runbook resume ${id}`);
  }, 60_000);

  it("resume refuses a Step Functions execution; a follower killed at a gate it never answered is followed with --approve", async () => {
    expect((await cli(["deploy", RUNBOOK, "--env", "sandbox"])).code).toBe(0);
    const before = executionIds(home);
    const child = startCli(RUN, ROOT, env);
    const result = finish(child);
    const id = await newExecution(home, before, child);
    await untilJournal(home, id, "gate.requested", "confirm-scope");

    const resume = await cli(["resume", id, "--approve"]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain(`${id} runs in Step Functions, not on this machine`);
    expect(resume.stderr).toContain(`runbook follow ${id}`);

    // Killed with the gate journaled and unanswered: a new follower must answer it, not wait forever.
    child.kill("SIGKILL");
    await result;
    const follow = await cli(["follow", id, "--env", "sandbox", "--approve"]);
    expect(follow.code, follow.stdout.slice(-2000) + follow.stderr).toBe(0);
    const lines = journal(home, id);
    expect(lines.filter((e) => e.type === "gate.approved").map((e) => e.stepId)).toEqual([
      "confirm-scope",
      "promote",
    ]);
    expect(lines.at(-1)?.type).toBe("execution.completed");
    expectImportedOnce(lines, lines[1]!.origin!.executionArn);
    expect((await cli(["verify", id])).code).toBe(0);
    expect(await started()).toHaveLength(1);
  }, 120_000);
});
