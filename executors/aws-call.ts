import { z } from "zod";
import { isTruthy, searchResponse } from "../src/aws/jmespath-fields.js";
import {
  callOperation,
  describeOperation,
  Input,
  OperationName,
  Outputs,
  pickOutputs,
  ReadSpec,
  ServiceName,
  validateOperation,
  WaitFor,
} from "../src/aws/sdk-step.js";
import { waitForState } from "../src/aws/sdk-waiter.js";
import { defineExecutor, type ExecutorContext } from "../src/executor.js";
import { IamActions, IamResources, operationPermissions, validateIam } from "../src/iam/sdk-permissions.js";
import { parseDuration } from "../src/language/duration.js";

/**
 * Any AWS SDK v3 operation as a step, SSM Automation's `aws:executeAwsApi` with
 * check-before-act: `inPlaceWhen` reads the resource first (before acting, and on resume), and
 * `waitFor` polls until the change has taken effect, in the SDK waiters' shape. What the
 * SDK's schemas can vouch for (service, operation, input members and types, the fields the
 * expressions read) is checked by `runbook validate`.
 */

/** Where IAM does not name an action after the operation, or the resources are known. */
const Iam = {
  iamActions: IamActions.optional(),
  iamResources: IamResources.optional(),
};

const InPlaceWhen = ReadSpec.extend({
  expect: z.string().min(1).describe("In place (nothing to do) when this JMESPath is true"),
  ...Iam,
});

const Params = z.strictObject({
  service: ServiceName,
  command: OperationName,
  region: z.string().min(1),
  input: Input.optional(),
  inPlaceWhen: InPlaceWhen.optional().describe("A read that says the change is already made"),
  waitFor: WaitFor.extend(Iam).optional().describe("Poll until the change has taken effect"),
  ...Iam,
  outputs: Outputs.optional().describe(
    "Picked from waitFor's last response if there is a waitFor, else from the call's (when already in place: from inPlaceWhen's)",
  ),
});
type Params = z.infer<typeof Params>;

export const awsCall = defineExecutor({
  type: "aws.call",
  summary: "Call any AWS SDK operation; check first (inPlaceWhen), then wait (waitFor)",
  params: Params,
  aws: true,
  permissions(p, scope) {
    const of = (op: Parameters<typeof operationPermissions>[1]) =>
      operationPermissions(p.service, op, p.region, scope.runbookDir);
    const waits = p.waitFor ? of(p.waitFor) : [];
    return {
      // check() reads inPlaceWhen and, when the change is made, waits with waitFor.
      check: p.inPlaceWhen ? [...of(p.inPlaceWhen), ...waits] : [],
      run: [...of(p), ...waits],
    };
  },
  describe: (p) =>
    `${describeOperation(p.service, p.command, p.region, p.input)}${p.inPlaceWhen ? `, unless ${p.inPlaceWhen.command} shows ${p.inPlaceWhen.expect}` : ""}${p.waitFor ? `; then waits (≤ ${p.waitFor.timeout ?? "10m"}) until ${p.waitFor.command} shows ${p.waitFor.description ?? p.waitFor.until}` : ""}`,
  validate(p, report, where) {
    const exprs = (at: string, list: Record<string, string> | undefined) =>
      Object.entries(list ?? {}).map(([k, expression]) => ({ path: [at, k], expression }));
    validateOperation(p.service, p, p.waitFor ? [] : exprs("outputs", p.outputs), report, [], where);
    validateIam(p.service, p, report, [], where.runbookDir);
    if (p.inPlaceWhen) validateIam(p.service, p.inPlaceWhen, report, ["inPlaceWhen"], where.runbookDir);
    if (p.waitFor) validateIam(p.service, p.waitFor, report, ["waitFor"], where.runbookDir);
    if (p.inPlaceWhen) {
      validateOperation(
        p.service,
        p.inPlaceWhen,
        [
          { path: ["inPlaceWhen", "expect"], expression: p.inPlaceWhen.expect },
          // Outputs of a step found in place are picked from this read.
          ...(p.waitFor ? [] : exprs("outputs", p.outputs)),
        ],
        report,
        ["inPlaceWhen"],
        { ...where, readOnly: "inPlaceWhen only reads" },
      );
    }
    if (p.waitFor) {
      validateOperation(
        p.service,
        p.waitFor,
        [
          { path: ["waitFor", "until"], expression: p.waitFor.until },
          ...(p.waitFor.failWhen ? [{ path: ["waitFor", "failWhen"], expression: p.waitFor.failWhen }] : []),
          ...exprs("outputs", p.outputs),
        ],
        report,
        ["waitFor"],
        { ...where, readOnly: "waitFor only reads" },
      );
    }
  },
  async check(p, ctx) {
    if (!p.inPlaceWhen) return undefined;
    const seen = await callOperation(ctx, p.service, p.region, p.inPlaceWhen);
    const verdict = searchResponse(seen, p.inPlaceWhen.expect);
    if (!isTruthy(verdict)) {
      return {
        inPlace: false,
        detail: `${p.inPlaceWhen.command}: ${p.inPlaceWhen.expect} is ${JSON.stringify(verdict)}`,
      };
    }
    // Made already; if the runbook waits for it to take effect, that must hold too.
    let last: unknown = seen;
    if (p.waitFor) {
      last = await callOperation(ctx, p.service, p.region, p.waitFor);
      const done = searchResponse(last, p.waitFor.until);
      if (!isTruthy(done)) {
        // The change was made (by a killed engine, or by hand) but has not taken effect: wait, do not repeat it.
        last = (await wait(p, ctx)).response;
      }
    }
    return {
      inPlace: true,
      detail: `${p.inPlaceWhen.command}: ${p.inPlaceWhen.expect}`,
      outputs: pickOutputs(last, p.outputs),
    };
  },
  async run(p, ctx) {
    const response = await callOperation(ctx, p.service, p.region, p);
    if (!p.waitFor) return pickOutputs(response, p.outputs);
    const waited = await wait(p, ctx);
    return { ...pickOutputs(waited.response, p.outputs) };
  },
});

function wait(p: Params, ctx: ExecutorContext) {
  const w = p.waitFor!;
  return waitForState({
    read: () => callOperation(ctx, p.service, p.region, w),
    until: w.until,
    ...(w.failWhen ? { failWhen: w.failWhen } : {}),
    minDelayMs: parseDuration(w.minDelay ?? "2s") ?? 2000,
    maxDelayMs: parseDuration(w.maxDelay ?? "30s") ?? 30_000,
    timeoutMs: parseDuration(w.timeout ?? "10m") ?? 600_000,
    describe: w.description ?? `${w.command}: ${w.until}`,
    signal: ctx.signal,
    progress: ctx.progress,
  });
}
