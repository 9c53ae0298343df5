import { describe, expect, it } from "vitest";
import type { Environment } from "../../src/environment/environment.js";
import { ExportError } from "../../src/errors.js";
import { executorSteps } from "../../src/language/runbook.js";
import { allStates } from "../../src/stepfunctions/asl.js";
import { HISTORY_EXPORT_LIMIT } from "../../src/stepfunctions/history-estimate.js";
import { stateMachinePolicies, uncoveredResources } from "../../src/stepfunctions/state-machine-policy.js";
import { DEFAULT_TASK_TIMEOUT_S } from "../../src/stepfunctions/step-states.js";
import { validateDefinition } from "../../src/stepfunctions/validate-definition.js";
import { ACCOUNT, awsExample, exported, sandbox, shipped, shippedRunbooks } from "./export-fixtures.js";

/**
 * What the export writes for the shipped runbooks: failover-case-api byte for byte, and for
 * every runbook in runbooks/ with both environments, either a machine that keeps the export's
 * promises or a refusal of the kind expected for it.
 */

/** Shipped runbooks the export refuses, and why; any other must export. */
const REFUSED: Record<string, RegExp> = {
  // Its `exec` steps need a machine to run on (issue 13: refused until the runbook says where).
  "failover-toy": /exec steps need to say where they run on Step Functions/,
};

const environments: [string, () => Environment][] = [
  ["aws-example", awsExample],
  ["sandbox", sandbox],
];

describe("export of the shipped runbooks", () => {
  it("failover-case-api for aws-example, state by state", async () => {
    const { definition, manifest } = exported(shipped("failover-case-api"));
    await expect(`${JSON.stringify(definition, null, 2)}\n`).toMatchFileSnapshot(
      "__snapshots__/failover-case-api.asl.json",
    );
    await expect(`${JSON.stringify(manifest, null, 2)}\n`).toMatchFileSnapshot(
      "__snapshots__/failover-case-api.manifest.json",
    );
  });

  it("gives the same bytes for the same runbook and environment", () => {
    const a = JSON.stringify(exported(shipped("failover-case-api")));
    const b = JSON.stringify(exported(shipped("failover-case-api")));
    expect(a).toBe(b);
  });

  for (const name of shippedRunbooks())
    for (const [envName, env] of environments)
      it(`${name} for ${envName}: exported with every promise kept, or refused as expected`, () => {
        const source = shipped(name);
        const environment = env();
        let machine: ReturnType<typeof exported>;
        try {
          machine = exported(source, environment, "us-west-2");
        } catch (err) {
          if (!(err instanceof ExportError) || !REFUSED[name]) throw err;
          expect(err.message).toMatch(REFUSED[name]);
          // Refusals point at the runbook: file:line:col.
          for (const d of err.diagnostics) expect(d.file).toBe(source.runbook.file);
          expect(err.diagnostics.every((d) => d.line > 1)).toBe(true);
          return;
        }
        expect(REFUSED[name], `${name} was expected to be refused`).toBeUndefined();
        const { definition, manifest } = machine;
        const states = allStates(definition);
        const names = states.map(([n]) => n);
        // Unique in the whole machine, within Step Functions' 80 characters and charset.
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) expect(n).toMatch(/^[A-Za-z0-9._:-]{1,80}$/);
        expect(Object.keys(manifest.states).sort()).toEqual([...names].sort());
        const tasks = states.filter(([, s]) => s.Type === "Task");
        for (const [n, s] of tasks) expect(s.TimeoutSeconds, n).toBeGreaterThanOrEqual(1);
        // ASL counts retries, runbooks count attempts.
        for (const step of [...executorSteps(source.runbook.steps), ...source.runbook.onAbort]) {
          const task = states.find(
            ([n]) => manifest.states[n]?.kind === "step" && manifest.states[n]?.stepId === step.id,
          );
          if (step.type === "approval") {
            expect(task).toBeUndefined();
            continue;
          }
          expect(task, step.id).toBeDefined();
          const own = task![1].Retry!.find((r) => r.ErrorEquals.includes("Runbook.Retryable"));
          if (step.retry.attempts === 1) expect(own).toBeUndefined();
          else expect(own?.MaxAttempts).toBe(step.retry.attempts - 1);
          if (step.timeoutMs !== undefined)
            expect(task![1].TimeoutSeconds).toBe(Math.ceil(step.timeoutMs / 1000));
        }
        expect(() => validateDefinition(definition)).not.toThrow();
        const policies = stateMachinePolicies(source.runbook, environment, {
          region: "us-west-2",
          accountId: ACCOUNT,
        });
        expect(uncoveredResources(definition, policies.states.policy)).toEqual([]);
        expect(manifest.historyEstimate.worstCase).toBeLessThanOrEqual(HISTORY_EXPORT_LIMIT);
      });

  it("names the functions and the recovery region as the contract says", () => {
    const { definition, manifest } = exported(shipped("failover-case-api"));
    const arns = new Set(
      allStates(definition).flatMap(([, s]) =>
        s.Type === "Task" ? [String(s.Parameters?.FunctionName)] : [],
      ),
    );
    expect([...arns].sort()).toEqual([
      `arn:aws:lambda:ap-southeast-3:${ACCOUNT}:function:runbook-failover-case-api-approvals`,
      `arn:aws:lambda:ap-southeast-3:${ACCOUNT}:function:runbook-failover-case-api-steps`,
    ]);
    expect(manifest).toMatchObject({
      stateMachineName: "runbook-failover-case-api",
      region: "ap-southeast-3",
      roles: {
        states: "runbook-failover-case-api-states",
        steps: "runbook-failover-case-api-steps",
        approvals: "runbook-failover-case-api-approvals",
      },
    });
    // A step without timeout: gets the export's default, which the history estimate counts with.
    const publish = allStates(definition).find(([n]) => n === "publish")![1];
    expect(publish.TimeoutSeconds).toBe(DEFAULT_TASK_TIMEOUT_S);
  });
});
