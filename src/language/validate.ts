import { createHash } from "node:crypto";
import { basename, dirname, extname, isAbsolute } from "node:path";
import { z } from "zod";
import { type Diagnostic, ValidationError } from "../errors.js";
import type { ExecutorDefinition } from "../executor.js";
import { parseDuration } from "./duration.js";
import { findTemplates } from "./expressions.js";
import { issuesToDiagnostics } from "./issues.js";
import {
  type AbortCriterionIR,
  type ApprovalSpec,
  type ExecutorStepIR,
  type InputIR,
  NO_RETRY,
  type Runbook,
  type StepIR,
} from "./runbook.js";
import {
  type AbortCriterion,
  ExecutorStep,
  type ExecutorStepDoc,
  ParallelStep,
  RunbookDocument,
} from "./schema.js";
import { keysAt } from "./schema-keys.js";
import { type Path, SourceMap } from "./source-map.js";
import { accountRefProblems, referenceProblems } from "./template-references.js";

// Steps are validated one by one (block or executor step by shape) for clear messages
// instead of a union's "no option matched".
const TopLevel = RunbookDocument.extend({ steps: z.array(z.unknown()).min(1) });

type Registry = ReadonlyMap<string, ExecutorDefinition>;

/** What `${{ run.* }}` offers: this execution so far. */
const RUN_FIELDS = ["executionId", "runbook", "environment", "mode", "rtoMs", "rpoMs"];

/** Parse and validate runbook text. Every problem is reported at once; nothing is half-accepted. */
/**
 * `runbookDir`: where the runbook lives, for what its steps look up beside it (an SDK client
 * package installed there); default: the file's folder when `file` is absolute.
 */
export function validateRunbook(
  text: string,
  file: string,
  registry: Registry,
  opts: { runbookDir?: string } = {},
): Runbook {
  const map = new SourceMap(file, text);
  const js = map.value();
  const diagnostics: Diagnostic[] = [];
  const top = TopLevel.safeParse(js, { reportInput: true });
  if (!top.success) {
    diagnostics.push(...issuesToDiagnostics(top.error.issues, map, [], (p) => keysAt(RunbookDocument, p)));
  }
  const raw = (js && typeof js === "object" ? js : {}) as Record<string, unknown>;
  const steps = Array.isArray(raw.steps) ? raw.steps : [];
  const parsedSteps: (z.infer<typeof ParallelStep> | ExecutorStepDoc | undefined)[] = steps.map((step, i) => {
    const schema = step && typeof step === "object" && "parallel" in step ? ParallelStep : ExecutorStep;
    const r = schema.safeParse(step, { reportInput: true });
    if (r.success) return r.data;
    diagnostics.push(
      // Known keys of both step shapes: `paralel:` makes a step look like an executor step.
      ...issuesToDiagnostics(r.error.issues, map, ["steps", i], (p) => keysAt(RunbookDocument, p)),
    );
    return undefined;
  });
  // Structural problems do not hide the rest: what did parse is still checked (types,
  // params, references), so one run of `validate` lists everything there is to fix.
  const partial = !top.success;
  const doc = top.success ? top.data : salvage(raw, file);
  const runbookDir = opts.runbookDir ?? (isAbsolute(file) ? dirname(file) : undefined);
  const ctx = new Checker(map, registry, diagnostics, partial, runbookDir);
  const runbook = ctx.build(doc, parsedSteps, text);
  if (diagnostics.length > 0 || partial || parsedSteps.includes(undefined)) {
    throw new ValidationError(sortDiagnostics(diagnostics));
  }
  return runbook;
}

/** The parts of a document that are valid on their own, with neutral stand-ins for the rest. */
function salvage(raw: Record<string, unknown>, file: string): Omit<RunbookDocument, "steps"> {
  const part = <T>(schema: z.ZodType<T>, value: unknown): T | undefined => {
    const r = schema.safeParse(value);
    return r.success ? r.data : undefined;
  };
  const shape = RunbookDocument.shape;
  return {
    apiVersion: "runbook/v1",
    kind: "Runbook",
    metadata: part(shape.metadata, raw.metadata) ?? {
      name: basename(file, extname(file)),
      environment: "sandbox",
    },
    ...(part(shape.objectives, raw.objectives)
      ? { objectives: part(shape.objectives, raw.objectives)! }
      : {}),
    ...(part(shape.inputs, raw.inputs) ? { inputs: part(shape.inputs, raw.inputs)! } : {}),
    ...(part(shape.abort, raw.abort) ? { abort: part(shape.abort, raw.abort)! } : {}),
    ...(part(shape.onAbort, raw.onAbort) ? { onAbort: part(shape.onAbort, raw.onAbort)! } : {}),
  };
}

function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  return d.sort((a, b) => a.line - b.line || a.col - b.col);
}

class Checker {
  private readonly seenIds = new Map<string, Path>();
  /** Every step id in the file, so a reference to a later step is told apart from a typo. */
  private readonly declared = new Set<string>();

  constructor(
    private readonly map: SourceMap,
    private readonly registry: Registry,
    private readonly out: Diagnostic[],
    /** The document had structural errors: skip the checks that need all of it. */
    private readonly partial = false,
    private readonly runbookDir: string | undefined = undefined,
  ) {}

  private report(path: Path, message: string, key = false): void {
    this.out.push(this.map.diagnostic(path, message, { key }));
  }

  build(
    doc: Omit<RunbookDocument, "steps">,
    /** As written: a step that failed its schema is `undefined`, so later steps keep their index in messages. */
    written: (z.infer<typeof ParallelStep> | ExecutorStepDoc | undefined)[],
    text: string,
  ): Runbook {
    const steps = written.filter((s): s is z.infer<typeof ParallelStep> | ExecutorStepDoc => s !== undefined);
    const file = this.map.file;
    const expectedName = basename(file, extname(file));
    if (!this.partial && doc.metadata.name !== expectedName) {
      this.report(
        ["metadata", "name"],
        `metadata.name "${doc.metadata.name}" must equal the file name "${expectedName}"`,
      );
    }
    const inputs: Record<string, InputIR> = {};
    for (const [name, spec] of Object.entries(doc.inputs ?? {})) {
      inputs[name] = {
        required: spec.required ?? false,
        secret: spec.secret ?? false,
        ...(spec.description ? { description: spec.description } : {}),
        ...(spec.default !== undefined ? { default: String(spec.default) } : {}),
        ...(spec.enum ? { enum: spec.enum } : {}),
      };
      if (spec.enum && spec.default !== undefined && !spec.enum.includes(String(spec.default))) {
        this.report(
          ["inputs", name, "default"],
          `default "${spec.default}" is not one of ${spec.enum.join(", ")}`,
        );
      }
    }
    for (const s of [...steps, ...(doc.onAbort ?? [])]) {
      this.declared.add(s.id);
      if ("parallel" in s) for (const c of s.parallel) this.declared.add(c.id);
    }
    const done = new Set<string>();
    const allIds = new Set<string>();
    const stepIrs: StepIR[] = [];
    written.forEach((s, i) => {
      if (!s) return;
      const path = ["steps", i];
      this.claimId(s.id, [...path, "id"]);
      allIds.add(s.id);
      if ("parallel" in s) {
        const children = s.parallel.map((c, j) => {
          this.claimId(c.id, [...path, "parallel", j, "id"]);
          allIds.add(c.id);
          // Siblings run at the same time: none may read another's outputs.
          return this.executorStep(c, [...path, "parallel", j], inputs, done, "main", s.id);
        });
        this.checkTemplates(s.when, [...path, "when"], inputs, done, true);
        stepIrs.push({
          kind: "parallel",
          id: s.id,
          children,
          ...(s.name ? { name: s.name } : {}),
          ...(s.milestone ? { milestone: s.milestone } : {}),
          ...(s.when ? { when: s.when } : {}),
          ...this.approval(s.approval, s.name ?? s.id),
        });
        for (const c of children) done.add(c.id);
      } else {
        stepIrs.push(this.executorStep(s, path, inputs, done, "main"));
      }
      done.add(s.id);
    });
    const onAbort = (doc.onAbort ?? []).map((s, i) => {
      this.claimId(s.id, ["onAbort", i, "id"]);
      return this.executorStep(s, ["onAbort", i], inputs, done, "onAbort");
    });
    const abort = (doc.abort ?? []).map((a, i) => this.abortCriterion(a, ["abort", i], inputs, allIds));
    const gated = steps.some(
      (s) =>
        s.approval ||
        ("type" in s && s.type === "approval") ||
        ("parallel" in s && s.parallel.some((c) => c.approval || c.type === "approval")),
    );
    if (!this.partial && doc.metadata.environment === "prod" && !gated) {
      this.report(
        ["metadata", "environment"],
        "a prod runbook needs an approval gate (an approval step or approval: on a step)",
      );
    }
    const usesMilestones = steps.some(
      (s) => s.milestone || ("parallel" in s && s.parallel.some((c) => c.milestone)),
    );
    if (!this.partial && !doc.objectives && (usesMilestones || /failover|failback/.test(doc.metadata.name))) {
      this.report(
        ["metadata"],
        "a failover runbook must declare objectives: { rto: <duration>, rpo: <duration> }",
      );
    }
    const objectives = {
      ...(doc.objectives
        ? { rtoMs: parseDuration(doc.objectives.rto)!, rpoMs: parseDuration(doc.objectives.rpo)! }
        : {}),
    };
    return {
      name: doc.metadata.name,
      environment: doc.metadata.environment,
      file,
      dir: dirname(file),
      sourceSha256: createHash("sha256").update(text).digest("hex"),
      objectives,
      inputs,
      abort,
      steps: stepIrs,
      onAbort,
      ...(doc.metadata.description ? { description: doc.metadata.description } : {}),
      ...(doc.metadata.accounts ? { accounts: doc.metadata.accounts } : {}),
      ...(doc.approvals ? { approvals: { identities: doc.approvals.identities } } : {}),
    };
  }

  private claimId(id: string, path: Path): void {
    const first = this.seenIds.get(id);
    if (first) {
      const at = this.map.at(first);
      this.report(path, `duplicate step id "${id}" (first used at line ${at.line})`);
    } else this.seenIds.set(id, path);
  }

  private approval(a: ExecutorStepDoc["approval"], title: string): { approval?: ApprovalSpec } {
    if (!a) return {};
    const spec = a === true ? {} : a;
    return {
      approval: {
        prompt: spec.prompt ?? `Proceed with "${title}"?`,
        minApprovals: spec.minApprovals ?? 1,
        ...(spec.approvers ? { approvers: spec.approvers } : {}),
      },
    };
  }

  private executorStep(
    s: ExecutorStepDoc,
    path: Path,
    inputs: Record<string, InputIR>,
    done: ReadonlySet<string>,
    phase: "main" | "onAbort",
    parent?: string,
  ): ExecutorStepIR {
    const params: Record<string, unknown> = { ...(s.with ?? {}) };
    if (s.check) {
      if (s.type !== "exec")
        this.report([...path, "check"], `"check" is for exec steps; ${s.type} has its own check`, true);
      else params.check = s.check;
    }
    this.checkParams(s.type, params, path, s.check ? ["check"] : []);
    this.checkAccount(s.account, s.type, [...path, "account"]);
    // onAbort steps may read any main step's outputs (those that ran); main steps only earlier ones.
    this.checkTemplates(s.with ?? {}, [...path, "with"], inputs, done, phase === "main");
    this.checkTemplates(s.check, [...path, "check"], inputs, done, phase === "main");
    this.checkTemplates(s.when, [...path, "when"], inputs, done, phase === "main");
    if (phase === "onAbort" && s.pointOfNoReturn)
      this.report([...path, "pointOfNoReturn"], "onAbort steps cannot be a point of no return", true);
    if (phase === "main" && s.always) this.report([...path, "always"], `"always" is for onAbort steps`, true);
    if (
      s.approval &&
      typeof s.approval === "object" &&
      s.approval.approvers &&
      (s.approval.minApprovals ?? 1) > s.approval.approvers.length
    ) {
      this.report([...path, "approval", "minApprovals"], "minApprovals is more than the number of approvers");
    }
    if (
      s.type === "approval" &&
      Array.isArray(params.approvers) &&
      Number(params.minApprovals ?? 1) > params.approvers.length
    ) {
      this.report([...path, "with", "minApprovals"], "minApprovals is more than the number of approvers");
    }
    const retry = s.retry
      ? {
          attempts: s.retry.attempts,
          backoffMs: parseDuration(s.retry.backoff ?? "1s")!,
          maxBackoffMs: parseDuration(s.retry.maxBackoff ?? "1m")!,
        }
      : NO_RETRY;
    return {
      kind: "executor",
      id: s.id,
      type: s.type,
      with: params,
      retry,
      pointOfNoReturn: s.pointOfNoReturn ?? false,
      always: s.always ?? false,
      ...(s.account ? { account: s.account } : {}),
      ...(s.name ? { name: s.name } : {}),
      ...(s.timeout ? { timeoutMs: parseDuration(s.timeout)! } : {}),
      ...(s.milestone ? { milestone: s.milestone } : {}),
      ...(s.when ? { when: s.when } : {}),
      ...(parent ? { parent } : {}),
      ...this.approval(s.approval, s.name ?? s.id),
    };
  }

  /** Params against the executor's own schema; values that are templates are checked once rendered. */
  private checkParams(type: string, params: Record<string, unknown>, path: Path, stepLevel: string[]): void {
    const executor = this.registry.get(type);
    if (!executor) {
      const known = [...this.registry.keys()].sort().join(", ");
      this.report([...path, "type"], `unknown executor type "${type}" (known: ${known})`);
      return;
    }
    const r = executor.params.safeParse(params, { reportInput: true });
    if (r.success) {
      executor.validate?.(
        r.data,
        (p, message, opts) => {
          const base = stepLevel.includes(String(p[0])) ? path : [...path, "with"];
          this.report([...base, ...p], `${type}: ${message}`, opts?.key);
        },
        this.runbookDir ? { runbookDir: this.runbookDir } : {},
      );
      return;
    }
    const templated = findTemplates(params).map((t) => t.path.join("."));
    const issues = r.error.issues.filter((i) => !templated.some((t) => i.path.join(".").startsWith(t)));
    for (const issue of issues) {
      const base = stepLevel.includes(String(issue.path[0])) ? path : [...path, "with"];
      const found = issuesToDiagnostics([issue], this.map, base, (p) =>
        keysAt(executor.params, p.slice(base.length)),
      );
      this.out.push(...found.map((d) => ({ ...d, message: `${type}: ${d.message}` })));
    }
  }

  /** Whether an alias exists is known only with an environment (plan, check, run): here, the shape. */
  private checkAccount(account: string | undefined, type: string, path: Path): void {
    if (account === undefined) return;
    const executor = this.registry.get(type);
    if (executor && !executor.aws) this.report(path, `account: ${type} does not call AWS`);
    for (const message of accountRefProblems(account)) this.report(path, message);
  }

  private checkTemplates(
    value: unknown,
    path: Path,
    inputs: Record<string, InputIR>,
    done: ReadonlySet<string>,
    orderMatters: boolean,
    allowSteps = true,
  ): void {
    const rules = { inputs, declared: this.declared, done, orderMatters, allowSteps, runFields: RUN_FIELDS };
    for (const p of referenceProblems(value, rules)) this.report([...path, ...p.path], p.message, p.key);
  }

  private abortCriterion(
    a: z.infer<typeof AbortCriterion>,
    path: Path,
    inputs: Record<string, InputIR>,
    allIds: ReadonlySet<string>,
  ): AbortCriterionIR {
    this.claimId(a.id, [...path, "id"]);
    const params = a.probe.with ?? {};
    this.checkParams(a.probe.type, params, [...path, "probe"], []);
    this.checkAccount(a.probe.account, a.probe.type, [...path, "probe", "account"]);
    this.checkTemplates(params, [...path, "probe", "with"], inputs, new Set(), false, false);
    a.during?.forEach((id, i) => {
      if (!allIds.has(id)) this.report([...path, "during", i], `"during" names unknown step "${id}"`);
    });
    return {
      id: a.id,
      probe: { type: a.probe.type, with: params, ...(a.probe.account ? { account: a.probe.account } : {}) },
      everyMs: parseDuration(a.every ?? "10s")!,
      failures: a.failures ?? 1,
      ...(a.description ? { description: a.description } : {}),
      ...(a.during ? { during: a.during } : {}),
    };
  }
}
