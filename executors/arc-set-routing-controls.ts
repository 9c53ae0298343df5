import { z } from "zod";
import { type ClusterEndpoint, onAnyClusterEndpoint } from "../src/aws/arc-endpoints.js";
import { conflict, defineExecutor, type ExecutorContext, ExecutorError } from "../src/executor.js";
import { allow, isArn, listOf, regionsOf, resourceArn } from "../src/iam/arn.js";
import type { PermissionScope } from "../src/iam/permission.js";
import { parseDuration } from "../src/language/duration.js";
import { Duration } from "../src/language/schema.js";

export const ClusterEndpoints = z
  .array(z.strictObject({ endpoint: z.string().url(), region: z.string().min(1) }))
  .min(1)
  .describe(
    "The ARC cluster's regional endpoints (usually from the environment: ${{ vars.arcClusterEndpoints }})",
  );

const State = z.enum(["On", "Off"]);

const params = z.strictObject({
  clusterEndpoints: ClusterEndpoints,
  controls: z.array(z.strictObject({ arn: z.string().min(1), state: State })).min(1),
  overrideSafetyRules: z
    .array(z.string().min(1))
    .optional()
    .describe("Safety rule ARNs this change may break, on purpose"),
  endpointTimeout: Duration.optional().describe(
    "Per cluster endpoint (default 1s; raise it for endpoints far away)",
  ),
});

type Params = z.infer<typeof params>;

/** Flip routing controls atomically through ARC's data plane, then read them back. */
export const arcSetRoutingControls = defineExecutor({
  type: "arc.set-routing-controls",
  summary: "Set ARC routing controls (UpdateRoutingControlStates) on any healthy cluster endpoint",
  params,
  aws: true,
  permissions(p, scope) {
    const arns = routingControlArns(
      listOf(p.controls).map((c) => (c as { arn?: unknown } | undefined)?.arn),
      scope,
    );
    const regions = clusterRegions(p.clusterEndpoints);
    const read = allow("route53-recovery-cluster:GetRoutingControlState", arns, regions);
    return {
      check: [read],
      run: [allow("route53-recovery-cluster:UpdateRoutingControlStates", arns, regions), read],
    };
  },
  describe: (p) =>
    `ARC UpdateRoutingControlStates ${p.controls.map((c) => `${name(c.arn)}=${c.state}`).join(", ")} via ${p.clusterEndpoints.length} cluster endpoints${p.overrideSafetyRules?.length ? `, overriding ${p.overrideSafetyRules.length} safety rule(s)` : ""}`,
  async check(p, ctx) {
    const states = await readStates(p.clusterEndpoints, p.controls, timeout(p), ctx);
    const wrong = p.controls.filter((c) => states[c.arn] !== c.state);
    return {
      inPlace: wrong.length === 0,
      detail: p.controls.map((c) => `${name(c.arn)} is ${states[c.arn]}`).join(", "),
      outputs: { states, endpoint: "(already in place)" },
    };
  },
  async run(p, ctx) {
    const { UpdateRoutingControlStatesCommand } = await import("@aws-sdk/client-route53-recovery-cluster");
    let result: { endpoint: string; failures: string[] };
    try {
      result = await onAnyClusterEndpoint(p.clusterEndpoints, timeout(p), ctx, (client, signal) =>
        client.send(
          new UpdateRoutingControlStatesCommand({
            UpdateRoutingControlStateEntries: p.controls.map((c) => ({
              RoutingControlArn: c.arn,
              RoutingControlState: c.state,
            })),
            ...(p.overrideSafetyRules?.length ? { SafetyRulesToOverride: p.overrideSafetyRules } : {}),
          }),
          { abortSignal: signal },
        ),
      );
    } catch (err) {
      if ((err as { name?: string }).name === "ConflictException") {
        throw conflict(
          `ARC refused the change: ${(err as Error).message}. A safety rule protects this state; if breaking it is intended, list the rule's ARN under overrideSafetyRules in the runbook.`,
          err,
        );
      }
      throw err;
    }
    const states = await readStates(p.clusterEndpoints, p.controls, timeout(p), ctx, result.endpoint);
    const wrong = p.controls.filter((c) => states[c.arn] !== c.state);
    if (wrong.length) {
      throw new ExecutorError(
        `ARC accepted the change but reads back ${wrong.map((c) => `${name(c.arn)}=${states[c.arn]}`).join(", ")}`,
        "retryable",
      );
    }
    return { states, endpoint: result.endpoint, endpointsFailed: result.failures.length };
  },
});

export async function readStates(
  endpoints: ClusterEndpoint[],
  controls: { arn: string }[],
  timeoutMs: number,
  ctx: ExecutorContext,
  preferred?: string,
): Promise<Record<string, string>> {
  const { GetRoutingControlStateCommand } = await import("@aws-sdk/client-route53-recovery-cluster");
  const { value } = await onAnyClusterEndpoint(
    endpoints,
    timeoutMs,
    ctx,
    async (client, signal) => {
      const states: Record<string, string> = {};
      for (const c of controls) {
        const out = await client.send(new GetRoutingControlStateCommand({ RoutingControlArn: c.arn }), {
          abortSignal: signal,
        });
        states[c.arn] = out.RoutingControlState ?? "unknown";
      }
      return states;
    },
    preferred,
  );
  return value;
}

/** ARC's data plane is called in its cluster endpoints' regions, whichever answers. */
export function clusterRegions(endpoints: unknown): string[] {
  return regionsOf(
    ...listOf(endpoints).map((e) => (e && typeof e === "object" ? (e as { region?: unknown }).region : e)),
  );
}

/** Routing controls live in their control panel (no region in the ARN); any of the account's when unknown. */
export function routingControlArns(arns: readonly unknown[], scope: PermissionScope): string[] {
  return arns.map((a) =>
    isArn(a) ? a : resourceArn("route53-recovery-cluster", "routingcontrol", {}, scope, undefined),
  );
}

const timeout = (p: Pick<Params, "endpointTimeout">) => parseDuration(p.endpointTimeout ?? "1s") ?? 1000;
const name = (arn: string) => arn.split("/").at(-1) ?? arn;
