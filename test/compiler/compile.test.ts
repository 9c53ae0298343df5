import { describe, expect, it } from "vitest";
import {
  type AnyMachineSnapshot,
  type AnyStateMachine,
  fromPromise,
  initialTransition,
  setup,
  transition,
} from "xstate";
import { executors } from "../../executors/index.js";
import {
  backoffDelay,
  compile,
  FINAL_OK,
  type StateConfig,
  timeoutDelay,
} from "../../src/compiler/compile.js";
import { executorSteps, type Runbook } from "../../src/language/runbook.js";
import { validateRunbook } from "../../src/language/validate.js";

const HEAD = `apiVersion: runbook/v1
kind: Runbook
metadata:
  name: x
  environment: sandbox
`;

const rb = (body: string): Runbook => validateRunbook(HEAD + body, "runbooks/x.yaml", executors);

const SEQUENTIAL = rb(`steps:
  - id: a
    type: note
    timeout: 5s
    retry: { attempts: 3 }
    with: { message: a }
  - id: b
    type: note
    with: { message: b }
`);

const FULL = rb(`steps:
  - id: fence
    type: exec
    timeout: 30s
    retry: { attempts: 2, backoff: 2s }
    with: { command: "true" }
  - id: promote
    type: note
    approval: true
    pointOfNoReturn: true
    with: { message: promote }
  - id: verify
    parallel:
      - id: web
        type: note
        with: { message: web }
      - id: api
        type: note
        timeout: 1m
        with: { message: api }
  - id: announce
    type: note
    when: "\${{ env.ANNOUNCE == 'yes' }}"
    with: { message: done }
onAbort:
  - id: unfence
    type: note
    with: { message: undo }
  - id: page
    type: note
    always: true
    with: { message: paged }
`);

/** What the test-bound guards answer; the compiled config decides what to do with it. */
interface World {
  abortRecorded?: boolean;
  finished?: string[];
  conditionFalse?: string[];
  pastPointOfNoReturn?: string[];
  canRetry?: string[];
}

type P = { stepId: string };
// biome-ignore lint/suspicious/noExplicitAny: invoked-actor events carry untyped payloads
type Ev = any;

const noop = () => {};

function machineFor(runbook: Runbook, world: World = {}): AnyStateMachine {
  const delays: Record<string, number> = {};
  for (const s of [...executorSteps(runbook.steps), ...runbook.onAbort]) {
    if (s.timeoutMs !== undefined) delays[timeoutDelay(s.id)] = s.timeoutMs;
    delays[backoffDelay(s.id)] = s.retry.backoffMs;
  }
  const has = (list: string[] | undefined, id: string) => (list ?? []).includes(id);
  return setup({
    actors: {
      step: fromPromise(async () => ({})),
      gate: fromPromise(async () => undefined),
    },
    guards: {
      abortRecorded: () => world.abortRecorded === true,
      finished: (_, { stepId }: P) => has(world.finished, stepId),
      conditionFalse: (_, { stepId }: P) => has(world.conditionFalse, stepId),
      pastPointOfNoReturn: (_, { stepId }: P) => has(world.pastPointOfNoReturn, stepId),
      canRetry: (_, { stepId }: P) => has(world.canRetry, stepId),
      isDeclined: ({ event }: { event: Ev }) => event?.error === "declined",
      isPause: ({ event }: { event: Ev }) => event?.error === "pause",
    },
    actions: {
      beginAttempt: noop,
      journalSuccess: noop,
      journalFailure: noop,
      journalTimeout: noop,
      noteFailure: noop,
      journalBlockDone: noop,
      recordSkip: noop,
      recordAbort: noop,
      recordDecline: noop,
      recordPause: noop,
    },
    // biome-ignore lint/suspicious/noExplicitAny: delay names are generated per step
    delays: delays as any,
    // biome-ignore lint/suspicious/noExplicitAny: the config is generated
  }).createMachine(compile(runbook) as any);
}

type Named = [string, unknown][];

/** The named (runbook) actions of a transition, with their params; xstate's own are left out. */
function named(actions: readonly { type: string; params?: unknown }[]): Named {
  return actions.filter((a) => !a.type.startsWith("xstate.")).map((a) => [a.type, a.params]);
}

function spawned(actions: readonly { type: string; params?: unknown }[]): string[] {
  return actions
    .filter((a) => a.type === "xstate.spawnChild")
    .map((a) => `${(a.params as { src: string }).src}:${(a.params as { id: string }).id}`);
}

function raisedAfter(actions: readonly { type: string; params?: unknown }[]): string[] {
  return actions
    .filter((a) => a.type === "xstate.raise")
    .map((a) => (a.params as { event: { type: string } }).event.type);
}

/** A small driver around the pure transition functions. */
class Drive {
  snapshot: AnyMachineSnapshot;
  actions: { type: string; params?: unknown }[];

  constructor(readonly machine: AnyStateMachine) {
    const [s, a] = initialTransition(machine);
    this.snapshot = s;
    this.actions = a as never;
  }

  send(event: Ev): this {
    const [s, a] = transition(this.machine, this.snapshot, event);
    this.snapshot = s;
    this.actions = a as never;
    return this;
  }

  /** `path` is the invoking state's path under the root, e.g. `main.a.attempt`. */
  done(path: string): this {
    return this.send({ type: `xstate.done.actor.0.runbook.${path}`, output: {} });
  }

  error(path: string, error: unknown = new Error("boom")): this {
    return this.send({ type: `xstate.error.actor.0.runbook.${path}`, error });
  }

  after(delay: string, path: string): this {
    return this.send({ type: `xstate.after.${delay}.runbook.${path}` });
  }

  get value(): unknown {
    return this.snapshot.value;
  }

  get status(): string {
    return this.snapshot.status;
  }
}

function functionsIn(v: unknown, path = "$"): string[] {
  if (typeof v === "function") return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => functionsIn(x, `${path}[${i}]`));
  if (v && typeof v === "object")
    return Object.entries(v).flatMap(([k, x]) => functionsIn(x, `${path}.${k}`));
  return [];
}

describe("compile is pure", () => {
  it("the same runbook gives deep-equal configs, each call a fresh object", () => {
    const a = compile(FULL);
    const b = compile(FULL);
    expect(b).toEqual(a);
    expect(b).not.toBe(a);
    expect(b.states.main).not.toBe(a.states.main);
  });

  it("the config is plain data: no functions, survives a JSON round trip", () => {
    const c = compile(FULL);
    expect(functionsIn(c)).toEqual([]);
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  it("does not modify the runbook", () => {
    const before = structuredClone(FULL);
    compile(FULL);
    expect(FULL).toEqual(before);
  });

  it("a runbook re-validated from the same text compiles to the same config", () => {
    const again = rb(`steps:
  - id: a
    type: note
    timeout: 5s
    retry: { attempts: 3 }
    with: { message: a }
  - id: b
    type: note
    with: { message: b }
`);
    expect(compile(again)).toEqual(compile(SEQUENTIAL));
  });
});

describe("config shape", () => {
  const c = compile(FULL);
  const main = c.states.main as StateConfig;
  const step = (id: string): StateConfig => main.states[id];

  it("start → main → completed, ABORT → aborting → aborted, and final states", () => {
    expect(c.id).toBe("runbook");
    expect(c.initial).toBe("start");
    expect(Object.keys(c.states)).toEqual([
      "start",
      "main",
      "aborting",
      "completed",
      "failed",
      "aborted",
      "paused",
    ]);
    for (const s of ["completed", "failed", "aborted", "paused"]) expect(c.states[s].type).toBe("final");
    expect(c.states.start.always).toEqual([
      { guard: "abortRecorded", target: "aborting" },
      { target: "main" },
    ]);
    expect(main.on.ABORT).toEqual({ target: "aborting", actions: [{ type: "recordAbort" }] });
    expect(main.onDone).toBe("completed");
    expect(c.states.aborting.onDone).toBe("aborted");
    expect(c.states.aborting.on).toBeUndefined();
  });

  it("steps are chained in order and end in $done", () => {
    expect(main.initial).toBe("fence");
    expect(Object.keys(main.states)).toEqual(["$done", "fence", "promote", "verify", "announce"]);
    expect(["fence", "promote", "verify", "announce"].map((id) => step(id).onDone)).toEqual([
      "promote",
      "verify",
      "announce",
      "$done",
    ]);
    expect(c.states.aborting.initial).toBe("unfence");
    expect(c.states.aborting.states.page.onDone).toBe("$done");
  });

  it("a timeout delayed transition exists only on steps with a timeout", () => {
    expect(Object.keys(step("fence").states.attempt.after)).toEqual(["timeout:fence"]);
    expect(step("promote").states.attempt.after).toBeUndefined();
    const run = step("verify").states.run;
    expect(run.states.web.states.attempt.after).toBeUndefined();
    expect(Object.keys(run.states.api.states.attempt.after)).toEqual(["timeout:api"]);
    expect(timeoutDelay("fence")).toBe("timeout:fence");
  });

  it("every executor step has a backoff state keyed backoff:<id> leading back to attempt", () => {
    expect(step("fence").states.backoff).toEqual({ after: { "backoff:fence": "attempt" } });
    expect(step("promote").states.backoff).toEqual({ after: { "backoff:promote": "attempt" } });
    expect(backoffDelay("x")).toBe("backoff:x");
  });

  it("a step's attempt invokes the `step` actor with its id and journals the outcome", () => {
    const attempt = step("fence").states.attempt;
    expect(attempt.entry).toEqual([{ type: "beginAttempt", params: { stepId: "fence" } }]);
    expect(attempt.invoke.src).toBe("step");
    expect(attempt.invoke.input).toEqual({ stepId: "fence" });
    expect(attempt.invoke.onDone).toEqual({
      target: FINAL_OK,
      actions: [{ type: "journalSuccess", params: { stepId: "fence" } }],
    });
    const errorTargets = attempt.invoke.onError.map((t: StateConfig) => t.target);
    expect(errorTargets).toEqual(["#runbook.aborting", "#runbook.paused", "backoff", "#runbook.failed"]);
  });

  it("only a step with approval has a gate, entered from decide", () => {
    expect(step("fence").states.gate).toBeUndefined();
    expect(step("fence").states.decide.always.at(-1)).toEqual({ target: "attempt" });
    expect(step("promote").states.gate.invoke.src).toBe("gate");
    expect(step("promote").states.decide.always.at(-1)).toEqual({ target: "gate" });
    expect(step("promote").states.gate.invoke.onDone).toBe("attempt");
  });

  it("decide checks finished first; only onAbort steps check the point of no return", () => {
    const guards = (s: StateConfig) =>
      s.states.decide.always.map((t: StateConfig) => t.guard?.type ?? t.guard ?? null);
    expect(guards(step("fence"))).toEqual(["finished", "conditionFalse", null]);
    expect(guards(c.states.aborting.states.unfence)).toEqual([
      "finished",
      "pastPointOfNoReturn",
      "conditionFalse",
      null,
    ]);
  });

  it("a parallel block runs its children as regions of a parallel state", () => {
    const block = step("verify");
    expect(block.states.run.type).toBe("parallel");
    expect(Object.keys(block.states.run.states)).toEqual(["web", "api"]);
    expect(block.states.run.onDone).toEqual({
      target: FINAL_OK,
      actions: [{ type: "journalBlockDone", params: { stepId: "verify" } }],
    });
  });

  it("in onAbort a failure ends the abort instead of failing the run", () => {
    const attempt = c.states.aborting.states.unfence.states.attempt;
    const targets = attempt.invoke.onError.map((t: StateConfig) => t.target);
    expect(targets).toEqual(["#runbook.aborted", "#runbook.paused", "backoff", "#runbook.aborted"]);
  });

  it("a runbook without onAbort has an aborting state that is immediately done", () => {
    const a = compile(SEQUENTIAL).states.aborting;
    expect(a.initial).toBe("$done");
    expect(a.states).toEqual({ $done: { type: "final" } });
  });
});

describe("driving the compiled machine (pure transitions)", () => {
  it("sequential steps advance on xstate.done.actor.* and the run completes", () => {
    const d = new Drive(machineFor(SEQUENTIAL));
    expect(d.value).toEqual({ main: { a: "attempt" } });
    expect(named(d.actions)).toEqual([["beginAttempt", { stepId: "a" }]]);
    expect(spawned(d.actions)).toEqual(["step:0.runbook.main.a.attempt"]);
    d.done("main.a.attempt");
    expect(d.value).toEqual({ main: { b: "attempt" } });
    expect(named(d.actions)).toEqual([
      ["journalSuccess", { stepId: "a" }],
      ["beginAttempt", { stepId: "b" }],
    ]);
    d.done("main.b.attempt");
    expect(d.value).toBe("completed");
    expect(d.status).toBe("done");
  });

  it("an event for a step that is not running changes nothing", () => {
    const d = new Drive(machineFor(SEQUENTIAL));
    d.done("main.b.attempt");
    expect(d.value).toEqual({ main: { a: "attempt" } });
  });

  it("a parallel block completes only when all its children are done", () => {
    const d = new Drive(machineFor(FULL, { finished: ["fence", "promote"] }));
    expect(d.value).toEqual({ main: { verify: { run: { web: "attempt", api: "attempt" } } } });
    expect(spawned(d.actions).sort()).toEqual([
      "step:0.runbook.main.verify.run.api.attempt",
      "step:0.runbook.main.verify.run.web.attempt",
    ]);
    d.done("main.verify.run.api.attempt");
    expect(d.value).toEqual({ main: { verify: { run: { web: "attempt", api: FINAL_OK } } } });
    expect(named(d.actions)).toEqual([["journalSuccess", { stepId: "api" }]]);
    d.done("main.verify.run.web.attempt");
    expect(d.value).toEqual({ main: { announce: "attempt" } });
    expect(named(d.actions)).toEqual([
      ["journalSuccess", { stepId: "web" }],
      ["journalBlockDone", { stepId: "verify" }],
      ["beginAttempt", { stepId: "announce" }],
    ]);
  });

  it("a failing parallel child without retries fails the whole run", () => {
    const d = new Drive(machineFor(FULL, { finished: ["fence", "promote"] }));
    d.error("main.verify.run.web.attempt");
    expect(d.value).toBe("failed");
    expect(named(d.actions)).toEqual([
      ["journalFailure", { stepId: "web", willRetry: false }],
      ["noteFailure", { stepId: "web" }],
    ]);
  });

  it("a step error with canRetry goes to backoff, then back to attempt when the backoff delay fires", () => {
    const d = new Drive(machineFor(SEQUENTIAL, { canRetry: ["a"] }));
    d.error("main.a.attempt");
    expect(d.value).toEqual({ main: { a: "backoff" } });
    expect(named(d.actions)).toEqual([["journalFailure", { stepId: "a", willRetry: true }]]);
    expect(raisedAfter(d.actions)).toEqual(["xstate.after.backoff:a.runbook.main.a.backoff"]);
    d.after("backoff:a", "main.a.backoff");
    expect(d.value).toEqual({ main: { a: "attempt" } });
    expect(named(d.actions)).toEqual([["beginAttempt", { stepId: "a" }]]);
    d.done("main.a.attempt");
    expect(d.value).toEqual({ main: { b: "attempt" } });
  });

  it("a step error without canRetry fails the run", () => {
    const d = new Drive(machineFor(SEQUENTIAL));
    d.error("main.a.attempt");
    expect(d.value).toBe("failed");
    expect(d.status).toBe("done");
    expect(named(d.actions)).toEqual([
      ["journalFailure", { stepId: "a", willRetry: false }],
      ["noteFailure", { stepId: "a" }],
    ]);
  });

  it("the timeout delay is scheduled only for steps with a timeout, and firing it retries or fails", () => {
    const d = new Drive(machineFor(SEQUENTIAL, { canRetry: ["a"] }));
    expect(raisedAfter(d.actions)).toEqual(["xstate.after.timeout:a.runbook.main.a.attempt"]);
    d.after("timeout:a", "main.a.attempt");
    expect(d.value).toEqual({ main: { a: "backoff" } });
    expect(named(d.actions)).toEqual([["journalTimeout", { stepId: "a", willRetry: true }]]);
    d.after("backoff:a", "main.a.backoff").done("main.a.attempt");
    expect(d.value).toEqual({ main: { b: "attempt" } });
    expect(raisedAfter(d.actions)).toEqual([]);
    d.after("timeout:b", "main.b.attempt");
    expect(d.value).toEqual({ main: { b: "attempt" } });

    const f = new Drive(machineFor(SEQUENTIAL));
    f.after("timeout:a", "main.a.attempt");
    expect(f.value).toBe("failed");
    expect(named(f.actions)).toEqual([
      ["journalTimeout", { stepId: "a", willRetry: false }],
      ["noteFailure", { stepId: "a" }],
    ]);
  });

  it("ABORT from main goes to aborting and runs the onAbort steps, then ends aborted", () => {
    const d = new Drive(machineFor(FULL));
    d.send({ type: "ABORT", criterion: "errors", reason: "5xx" });
    expect(d.value).toEqual({ aborting: { unfence: "attempt" } });
    expect(named(d.actions)).toEqual([
      ["recordAbort", undefined],
      ["beginAttempt", { stepId: "unfence" }],
    ]);
    // The running step's actor is stopped.
    expect(d.actions.some((a) => a.type === "xstate.stopChild")).toBe(true);
    d.send({ type: "ABORT", criterion: "again", reason: "again" });
    expect(d.value).toEqual({ aborting: { unfence: "attempt" } });
    d.done("aborting.unfence.attempt").done("aborting.page.attempt");
    expect(d.value).toBe("aborted");
    expect(d.status).toBe("done");
  });

  it("ABORT from inside a parallel block also aborts", () => {
    const d = new Drive(machineFor(FULL, { finished: ["fence", "promote"] }));
    d.send({ type: "ABORT", criterion: "c", reason: "r" });
    expect(d.value).toEqual({ aborting: { unfence: "attempt" } });
  });

  it("a runbook without onAbort is aborted right away", () => {
    const d = new Drive(machineFor(SEQUENTIAL));
    d.send({ type: "ABORT", criterion: "c", reason: "r" });
    expect(d.value).toBe("aborted");
  });

  it("an onAbort step past the point of no return is skipped, the next one runs", () => {
    const d = new Drive(machineFor(FULL, { pastPointOfNoReturn: ["unfence"] }));
    d.send({ type: "ABORT", criterion: "c", reason: "r" });
    expect(d.value).toEqual({ aborting: { page: "attempt" } });
    expect(named(d.actions)).toEqual([
      ["recordAbort", undefined],
      ["recordSkip", { stepId: "unfence", reason: "pastPointOfNoReturn" }],
      ["beginAttempt", { stepId: "page" }],
    ]);
  });

  it("a failing onAbort step ends in aborted, not failed", () => {
    const d = new Drive(machineFor(FULL));
    d.send({ type: "ABORT", criterion: "c", reason: "r" }).error("aborting.unfence.attempt");
    expect(d.value).toBe("aborted");
  });

  it("an abort already recorded (resume) goes straight to aborting", () => {
    const d = new Drive(machineFor(FULL, { abortRecorded: true }));
    expect(d.value).toEqual({ aborting: { unfence: "attempt" } });
  });

  it("a step with approval enters its gate first, then attempts", () => {
    const d = new Drive(machineFor(FULL, { finished: ["fence"] }));
    expect(d.value).toEqual({ main: { promote: "gate" } });
    expect(spawned(d.actions)).toEqual(["gate:0.runbook.main.promote.gate"]);
    expect(named(d.actions)).toEqual([]);
    d.done("main.promote.gate");
    expect(d.value).toEqual({ main: { promote: "attempt" } });
    expect(spawned(d.actions)).toEqual(["step:0.runbook.main.promote.attempt"]);
  });

  it("a declined gate aborts, a gate needing approval pauses, another gate error fails", () => {
    const declined = new Drive(machineFor(FULL, { finished: ["fence"] })).error(
      "main.promote.gate",
      "declined",
    );
    expect(declined.value).toEqual({ aborting: { unfence: "attempt" } });
    expect(named(declined.actions)[0]).toEqual(["recordDecline", { stepId: "promote" }]);

    const paused = new Drive(machineFor(FULL, { finished: ["fence"] })).error("main.promote.gate", "pause");
    expect(paused.value).toBe("paused");
    expect(named(paused.actions)).toEqual([["recordPause", { stepId: "promote" }]]);

    const broken = new Drive(machineFor(FULL, { finished: ["fence"] })).error("main.promote.gate");
    expect(broken.value).toBe("failed");
    expect(named(broken.actions)).toEqual([["noteFailure", { stepId: "promote" }]]);
  });

  it("a step that pauses (approval needed / in doubt) while attempting goes to paused", () => {
    const d = new Drive(machineFor(SEQUENTIAL, { canRetry: ["a"] })).error("main.a.attempt", "pause");
    expect(d.value).toBe("paused");
    expect(named(d.actions)).toEqual([["recordPause", { stepId: "a" }]]);
  });

  it("the finished guard skips steps the journal shows done, without attempting them", () => {
    const d = new Drive(machineFor(SEQUENTIAL, { finished: ["a"] }));
    expect(d.value).toEqual({ main: { b: "attempt" } });
    expect(named(d.actions)).toEqual([["beginAttempt", { stepId: "b" }]]);
    expect(spawned(d.actions)).toEqual(["step:0.runbook.main.b.attempt"]);

    const all = new Drive(machineFor(SEQUENTIAL, { finished: ["a", "b"] }));
    expect(all.value).toBe("completed");
    expect(named(all.actions)).toEqual([]);
  });

  it("a finished parallel block is skipped as a whole; a finished child inside one is not run", () => {
    const block = new Drive(machineFor(FULL, { finished: ["fence", "promote", "verify"] }));
    expect(block.value).toEqual({ main: { announce: "attempt" } });
    expect(named(block.actions)).toEqual([["beginAttempt", { stepId: "announce" }]]);

    const child = new Drive(machineFor(FULL, { finished: ["fence", "promote", "web"] }));
    expect(child.value).toEqual({ main: { verify: { run: { web: FINAL_OK, api: "attempt" } } } });
    child.done("main.verify.run.api.attempt");
    expect(child.value).toEqual({ main: { announce: "attempt" } });
  });

  it("a parallel block with approval gates the whole block before its children start", () => {
    const gated = rb(`steps:
  - id: verify
    approval: true
    when: "\${{ env.GO == 'yes' }}"
    parallel:
      - id: web
        type: note
        with: { message: web }
      - id: api
        type: note
        with: { message: api }
`);
    const d = new Drive(machineFor(gated));
    expect(d.value).toEqual({ main: { verify: "gate" } });
    expect(spawned(d.actions)).toEqual(["gate:0.runbook.main.verify.gate"]);
    d.done("main.verify.gate");
    expect(d.value).toEqual({ main: { verify: { run: { web: "attempt", api: "attempt" } } } });

    const skipped = new Drive(machineFor(gated, { conditionFalse: ["verify"] }));
    expect(skipped.value).toBe("completed");
    expect(named(skipped.actions)).toEqual([["recordSkip", { stepId: "verify", reason: "condition" }]]);
    expect(spawned(skipped.actions)).toEqual([]);
  });

  it("a false condition skips the step with a recorded reason", () => {
    const d = new Drive(
      machineFor(FULL, { finished: ["fence", "promote", "verify"], conditionFalse: ["announce"] }),
    );
    expect(d.value).toBe("completed");
    expect(named(d.actions)).toEqual([["recordSkip", { stepId: "announce", reason: "condition" }]]);
  });

  it("a finished step is not re-skipped (finished wins over a false condition)", () => {
    const d = new Drive(
      machineFor(FULL, {
        finished: ["fence", "promote", "verify", "announce"],
        conditionFalse: ["announce"],
      }),
    );
    expect(d.value).toBe("completed");
    expect(named(d.actions)).toEqual([]);
  });
});
