import { collectRefs, findTemplates, parseTemplate } from "../language/expressions.js";
import { executorSteps } from "../language/runbook.js";
import type { Path } from "../language/source-map.js";
import type { ExportContext } from "./export-context.js";
import type { StepGroup } from "./guard-groups.js";

/**
 * What a valid runbook may do locally but not (yet) on Step Functions, each refused at its
 * file:line:col rather than exported to behave otherwise:
 * - `exec` steps and probes: a command needs a machine to run on (an Activity polled by a
 *   `runbook worker`, SSM Run Command or ECS RunTask), which the runbook does not name yet;
 * - secret inputs: every input is in the execution's history;
 * - `env.*` in a step: the steps function has no operator's shell to read it from;
 * - reading an approval step's outputs: on Step Functions an approval step is its gates only;
 * - an onAbort step reading a guarded step's outputs: a guard that aborts keeps none of them.
 */

export function refuseUnsupported(ctx: ExportContext, groups: readonly StepGroup[]): void {
  const rb = ctx.runbook;
  for (const [name, spec] of Object.entries(rb.inputs))
    if (spec.secret)
      ctx.problem(
        ["inputs", name, "secret"],
        `input ${name} is secret, but a Step Functions execution keeps its input in its history, readable by anyone who may read the execution: read the secret in the step instead (Secrets Manager)`,
      );
  const exec =
    "exec steps need to say where they run on Step Functions (an Activity polled by `runbook worker`, SSM Run Command or ECS RunTask); not supported yet";
  for (const s of [...executorSteps(rb.steps), ...rb.onAbort])
    if (s.type === "exec") ctx.problem(ctx.pathOf(s.id, "type"), `step ${s.id}: ${exec}`);
  rb.abort.forEach((a, i) => {
    if (a.probe.type === "exec")
      ctx.problem(
        ["abort", i, "probe", "type"],
        `abort criterion ${a.id}: its probe is an exec step; ${exec}`,
      );
  });

  const approvalSteps = new Set(
    executorSteps(rb.steps)
      .filter((s) => s.type === "approval")
      .map((s) => s.id),
  );
  const guarded = new Set(
    groups
      .filter((g) => g.criteria.length > 0)
      .flatMap((g) =>
        g.steps.flatMap((s) => [s.id, ...(s.kind === "parallel" ? s.children.map((c) => c.id) : [])]),
      ),
  );
  const onAbort = new Set(rb.onAbort.map((s) => s.id));
  const check = (ownerId: string, base: Path, value: unknown, withEnv: boolean) => {
    for (const t of findTemplates(value)) {
      let refs: string[][];
      try {
        refs = parseTemplate(t.text).flatMap((p) => ("expr" in p ? collectRefs(p.expr) : []));
      } catch {
        continue; // validation reports broken expressions; nothing exported reads them
      }
      const at = [...base, ...t.path];
      for (const ref of refs) {
        const shown = ref.join(".");
        if (withEnv && ref[0] === "env")
          ctx.problem(
            at,
            `${shown}: on Step Functions the steps function has no operator's shell to read it from; pass it as an input or a var`,
          );
        if (ref[0] !== "steps" || ref[1] === undefined) continue;
        if (approvalSteps.has(ref[1]))
          ctx.problem(
            at,
            `${shown}: on Step Functions the approval step ${ref[1]} is its gates only and has no outputs (the history records who approved)`,
          );
        else if (onAbort.has(ownerId) && guarded.has(ref[1]))
          ctx.problem(
            at,
            `${shown}: ${ref[1]} runs inside an abort guard, and after an abort its outputs are not in the Step Functions state this onAbort step reads`,
          );
      }
    }
  };
  for (const s of [...executorSteps(rb.steps), ...rb.onAbort]) {
    check(s.id, ctx.pathOf(s.id, "with"), s.with, true);
    // `env.*` in a `when` is refused by its translation.
    check(s.id, ctx.pathOf(s.id, "when"), s.when, false);
  }
  for (const s of rb.steps) if (s.kind === "parallel") check(s.id, ctx.pathOf(s.id, "when"), s.when, false);
  for (const [i, a] of rb.abort.entries()) check(a.id, ["abort", i, "probe", "with"], a.probe.with, true);
}
