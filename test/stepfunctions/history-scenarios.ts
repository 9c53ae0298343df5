import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { Runbook } from "../../src/language/runbook.js";
import type { Manifest } from "../../src/stepfunctions/manifest.js";
import {
  type Chain,
  HistoryBuilder,
  header,
  lambdaOutput,
  manifestOf,
  runbookOf,
  stepErrorCause,
  stepResult,
} from "./history-fixtures.js";

/**
 * Whole executions as Step Functions would record them for small runbooks, each with the
 * runbook and the manifest its export gives: what the import tests replay.
 */

export interface Scenario {
  runbook: Runbook;
  manifest: Manifest;
  events: HistoryEvent[];
  inputs: Record<string, string>;
}

const input = (rb: Runbook, inputs: Record<string, string> = {}) => ({
  run: { executionId: "exec-1", runbook: rb.name, environment: "sandbox", mode: "run", inputs },
});

/** Three steps in a row: one retried (a failure, a timeout), one already in place, milestones and a measure. */
export function retriesScenario(): Scenario {
  const runbook = runbookOf(`${header("retries", "objectives: { rto: 5m, rpo: 1m }")}
steps:
  - id: fence
    type: test.effect
    with: { name: fence }
    timeout: 30s
    retry: { attempts: 3, backoff: 2s, maxBackoff: 10s }
    milestone: writes_fenced
  - { id: promote, type: test.effect, with: { name: promote }, milestone: db_promoted }
  - { id: validate, type: test.effect, with: { name: "\${{ steps.promote.outputs.value }}" }, milestone: service_restored }
`);
  const manifest = manifestOf({
    start: { kind: "start" },
    fence: { kind: "step", stepId: "fence", phase: "main" },
    "milestone.writes_fenced": { kind: "milestone", stepId: "fence", milestone: "writes_fenced" },
    promote: { kind: "step", stepId: "promote", phase: "main" },
    "milestone.db_promoted": { kind: "milestone", stepId: "promote", milestone: "db_promoted" },
    validate: { kind: "step", stepId: "validate", phase: "main" },
    "milestone.service_restored": { kind: "milestone", stepId: "validate", milestone: "service_restored" },
    end: { kind: "end" },
  });
  const h = new HistoryBuilder();
  h.started(input(runbook));
  h.pass("start");
  h.stepTask("fence", "fence", [
    { error: "Runbook.Retryable", message: "throttled by ARC", cls: "retryable" },
    { timeout: true, after: 2000 },
    {
      after: 4000,
      result: stepResult(
        { value: "fence" },
        {
          measures: { rpo_observed_ms: { value: 1200, unit: "ms" } },
          calls: { "arc:UpdateRoutingControlStates": 1 },
          account: "222222222222",
          principal: "arn:aws:sts::222222222222:assumed-role/runbook/exec-1",
        },
      ),
    },
  ]);
  h.pass("milestone.writes_fenced");
  h.stepTask("promote", "promote", [
    {
      result: stepResult(
        { value: "promote" },
        { alreadyInPlace: true, detail: "writer already in us-west-2" },
      ),
    },
  ]);
  h.pass("milestone.db_promoted");
  h.stepTask("validate", "validate", [{ result: stepResult({ value: "promote" }) }], undefined, { ms: 300 });
  h.pass("milestone.service_restored");
  h.enter("end", "Succeed");
  h.exit("end", "Succeed", { last: h.events.length });
  h.push("ExecutionSucceeded", { executionSucceededEventDetails: { output: "{}" } });
  return { runbook, manifest, events: h.events, inputs: {} };
}

/** A parallel block whose branches interleave, one child skipped by its condition. */
export function parallelScenario(o: { lambdaHiccup?: boolean } = {}): Scenario {
  const hiccup = o.lambdaHiccup ?? true;
  const runbook =
    runbookOf(`${header("par", "objectives: { rto: 5m, rpo: 1m }\ninputs: { mode: { default: graceful } }")}
steps:
  - id: both
    milestone: traffic_shifted
    parallel:
      - { id: left, type: test.effect, with: { name: left } }
      - { id: right, type: test.effect, with: { name: right }, when: "\${{ inputs.mode == 'ungraceful' }}" }
      - { id: middle, type: test.effect, with: { name: middle } }
  - { id: last, type: test.effect, with: { name: last } }
`);
  const manifest = manifestOf({
    start: { kind: "start" },
    both: { kind: "step", stepId: "both" },
    left: { kind: "step", stepId: "left" },
    "right.when": { kind: "when", stepId: "right" },
    "right.skip": { kind: "skip", stepId: "right" },
    right: { kind: "step", stepId: "right" },
    middle: { kind: "step", stepId: "middle" },
    "both.merge-0": { kind: "merge", stepId: "both" },
    "milestone.traffic_shifted": { kind: "milestone", stepId: "both", milestone: "traffic_shifted" },
    last: { kind: "step", stepId: "last" },
  });
  const h = new HistoryBuilder();
  const inputs = { mode: "graceful" };
  h.started(input(runbook, inputs));
  h.pass("start");
  const par = h.enter("both", "Parallel");
  h.push("ParallelStateStarted", {}, par);
  const l: Chain = { last: par.last };
  const r: Chain = { last: par.last };
  const m: Chain = { last: par.last };
  h.enter("left", "Task", l);
  h.enter("middle", "Task", m);
  h.scheduled(l, { action: "step", stepId: "left", state: {} });
  h.enter("right.when", "Choice", r);
  h.scheduled(m, { action: "step", stepId: "middle", state: {} });
  h.exit("right.when", "Choice", r);
  h.wait(50);
  // Lambda's own hiccup: Step Functions retries it (a retrier of its own), the runner checks first.
  if (hiccup)
    h.failed(m, "Lambda.ServiceException", JSON.stringify({ errorMessage: "Lambda is unavailable" }));
  h.pass("right.skip", r);
  h.wait(1000);
  if (hiccup) h.scheduled(m, { action: "step", stepId: "middle", state: {} });
  h.succeeded(l, lambdaOutput(stepResult({ value: "left" })));
  h.exit("left", "Task", l);
  h.succeeded(m, lambdaOutput(stepResult({ value: "middle" })));
  h.exit("middle", "Task", m);
  h.push("ParallelStateSucceeded", {}, m);
  h.exit("both", "Parallel", par);
  h.pass("both.merge-0");
  h.pass("milestone.traffic_shifted");
  h.stepTask("last", "last", [{ result: stepResult({ value: "last" }) }]);
  h.push("ExecutionSucceeded", { executionSucceededEventDetails: { output: "{}" } });
  return { runbook, manifest, events: h.events, inputs };
}

/** Two approvals for a `type: approval` step, a gated step approved, then a gate declined: onAbort runs. */
export function gatesScenario(): Scenario {
  const runbook = runbookOf(`${header("gates", "inputs: { service: { default: case-api } }")}
steps:
  - id: confirm
    type: approval
    with: { prompt: "Fail over \${{ inputs.service }}?", approvers: [alice, bob], minApprovals: 2 }
  - { id: promote, type: test.effect, with: { name: promote }, approval: { prompt: "Promote \${{ steps.confirm.outputs.approvedBy }}?", approvers: [carol] } }
  - { id: shift, type: test.effect, with: { name: shift }, approval: { prompt: "Shift traffic?" } }
onAbort:
  - { id: undo, type: test.effect, with: { name: undo } }
`);
  const manifest = manifestOf({
    start: { kind: "start" },
    "confirm.gate-1": { kind: "gate", stepId: "confirm" },
    "confirm.gate-2": { kind: "gate", stepId: "confirm" },
    "promote.gate-1": { kind: "gate", stepId: "promote" },
    promote: { kind: "step", stepId: "promote" },
    "shift.gate-1": { kind: "gate", stepId: "shift" },
    shift: { kind: "step", stepId: "shift" },
    "onAbort.undo": { kind: "step", stepId: "undo", phase: "onAbort" },
    aborted: { kind: "aborted" },
  });
  const inputs = { service: "case-api" };
  const state = { run: { inputs, executionId: "exec-1" }, steps: {} };
  const h = new HistoryBuilder();
  h.started(input(runbook, inputs));
  h.pass("start");
  h.gateTask("confirm.gate-1", "confirm", 1, { approvedBy: "alice" }, state);
  h.gateTask("confirm.gate-2", "confirm", 2, { approvedBy: "bob" }, state);
  const approved = { steps: { confirm: { outputs: { approvedBy: ["alice", "bob"] } } }, run: state.run };
  h.gateTask(
    "promote.gate-1",
    "promote",
    1,
    {
      approvedBy: "carol",
      proof: { method: "sts:GetCallerIdentity", requestId: "req-1", nonce: "n-1" },
    },
    approved,
  );
  h.stepTask("promote", "promote", [{ result: stepResult({ value: "promote" }) }]);
  const gate = h.gateTask("shift.gate-1", "shift", 1, { declinedBy: "dave", reason: "not now" });
  h.exit("shift.gate-1", "Task", gate);
  h.stepTask("onAbort.undo", "undo", [{ result: stepResult({ value: "undo" }) }]);
  h.enter("aborted", "Fail");
  h.push("ExecutionFailed", {
    executionFailedEventDetails: { error: "Runbook.Aborted", cause: "gate shift declined" },
  });
  return { runbook, manifest, events: h.events, inputs };
}

const abortBook = `${header("guarded")}
abort:
  - { id: lag, probe: { type: test.flag-clear, with: { flag: lag } }, every: 10s }
steps:
  - { id: fence, type: test.effect, with: { name: fence } }
  - { id: slow, type: test.effect, with: { name: slow } }
  - { id: promote, type: test.effect, with: { name: promote }, pointOfNoReturn: true }
onAbort:
  - { id: unfence, type: test.effect, with: { name: unfence } }
  - { id: page, type: test.effect, with: { name: page }, always: true }
`;

/** A guard: the steps in one branch, a watcher in the other whose second probe trips. */
export function guardScenario(): Scenario {
  const runbook = runbookOf(abortBook);
  const manifest = manifestOf({
    start: { kind: "start" },
    "guard.1": { kind: "guard" },
    fence: { kind: "step", stepId: "fence" },
    slow: { kind: "step", stepId: "slow" },
    "guard.1.watch.lag": { kind: "probe", criterion: "lag" },
    "guard.1.wait.lag": { kind: "watch", criterion: "lag" },
    promote: { kind: "step", stepId: "promote", pointOfNoReturn: true },
    "onAbort.unfence": { kind: "step", stepId: "unfence", phase: "onAbort" },
    "onAbort.page": { kind: "step", stepId: "page", phase: "onAbort" },
    aborted: { kind: "aborted" },
  });
  const h = new HistoryBuilder();
  h.started(input(runbook));
  h.pass("start");
  const guard = h.enter("guard.1", "Parallel");
  h.push("ParallelStateStarted", {}, guard);
  const a: Chain = { last: guard.last };
  const b: Chain = { last: guard.last };
  h.probe("guard.1.watch.lag", "lag", { failures: 0, tripped: false }, b);
  h.stepTask("fence", "fence", [{ result: stepResult({ value: "fence" }) }], a);
  h.enter("guard.1.wait.lag", "Wait", b);
  h.enter("slow", "Task", a);
  h.scheduled(a, { action: "step", stepId: "slow", state: {} });
  h.wait(10_000);
  h.exit("guard.1.wait.lag", "Wait", b);
  h.probe("guard.1.watch.lag", "lag", { failures: 1, tripped: true, reason: "flag lag is set" }, b);
  h.push("FailStateEntered", { stateEnteredEventDetails: { name: "guard.1.tripped", input: "{}" } }, b);
  h.push("ParallelStateFailed", {}, b);
  h.push("TaskStateAborted", {}, a);
  h.exit("guard.1", "Parallel", guard);
  h.stepTask("onAbort.unfence", "unfence", [{ result: stepResult({ value: "unfence" }) }]);
  h.stepTask("onAbort.page", "page", [{ result: stepResult({ value: "page" }) }]);
  h.enter("aborted", "Fail");
  h.push("ExecutionFailed", { executionFailedEventDetails: { error: "Runbook.Aborted", cause: "lag" } });
  return { runbook, manifest, events: h.events, inputs: {} };
}

/** A block whose child fails for good while its sibling runs: the sibling is cancelled, the run fails. */
export function failureScenario(): Scenario {
  const runbook = runbookOf(`${header("failing")}
steps:
  - id: both
    parallel:
      - { id: a, type: test.effect, with: { name: a, failTimes: 1, failClass: fatal, delayMs: 100 } }
      - { id: b, type: test.effect, with: { name: b, delayMs: 2000 } }
  - { id: never, type: test.effect, with: { name: never } }
`);
  const manifest = manifestOf({
    start: { kind: "start" },
    both: { kind: "step", stepId: "both" },
    a: { kind: "step", stepId: "a" },
    b: { kind: "step", stepId: "b" },
    never: { kind: "step", stepId: "never" },
  });
  const h = new HistoryBuilder();
  h.started(input(runbook));
  h.pass("start");
  const par = h.enter("both", "Parallel");
  h.push("ParallelStateStarted", {}, par);
  const a: Chain = { last: par.last };
  const b: Chain = { last: par.last };
  h.enter("a", "Task", a);
  h.enter("b", "Task", b);
  h.scheduled(a, { action: "step", stepId: "a", state: {} });
  h.scheduled(b, { action: "step", stepId: "b", state: {} });
  h.wait(200);
  const cause = stepErrorCause("Runbook.Fatal", "a failed on attempt 1", "fatal", 150);
  h.failed(a, "Runbook.Fatal", cause);
  h.push("ParallelStateFailed", {}, a);
  h.push("TaskStateAborted", { stateExitedEventDetails: { name: "b", output: "{}" } }, b);
  h.push("ExecutionFailed", { executionFailedEventDetails: { error: "Runbook.Fatal", cause } });
  return { runbook, manifest, events: h.events, inputs: {} };
}

/** StopExecution while a step runs. */
export function stoppedScenario(): Scenario {
  const runbook = runbookOf(`${header("stopped")}
steps:
  - { id: first, type: test.effect, with: { name: first } }
  - { id: slow, type: test.effect, with: { name: slow } }
`);
  const manifest = manifestOf({
    start: { kind: "start" },
    first: { kind: "step", stepId: "first" },
    slow: { kind: "step", stepId: "slow" },
  });
  const h = new HistoryBuilder();
  h.started(input(runbook));
  h.pass("start");
  h.stepTask("first", "first", [{ result: stepResult({ value: "first" }) }]);
  const c = h.enter("slow", "Task");
  h.scheduled(c, { action: "step", stepId: "slow", state: {} });
  h.wait(3000);
  h.push("ExecutionAborted", { executionAbortedEventDetails: { error: "", cause: "operator stopped it" } });
  return { runbook, manifest, events: h.events, inputs: {} };
}

export const SCENARIOS = {
  retries: retriesScenario,
  parallel: parallelScenario,
  gates: gatesScenario,
  guard: guardScenario,
  failure: failureScenario,
  stopped: stoppedScenario,
};
