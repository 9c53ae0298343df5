import { createHash, randomUUID } from "node:crypto";

/**
 * Lambda functions and their event source mappings (SQS pollers), as a one-region job is
 * moved during a failover: a mapping is Enabled where the job runs and Disabled elsewhere.
 * A change passes through Enabling, Disabling or Updating for `mappingTransitionMs` before
 * it settles, as Lambda's pollers take a moment to start or stop; states are computed from
 * the clock when read, so nothing needs a timer.
 */

export interface EventSourceConfig {
  /** An SQS queue ARN. */
  eventSourceArn: string;
  enabled: boolean;
  /** Default 10, SQS's default. */
  batchSize?: number;
}

export interface LambdaFunctionConfig {
  region: string;
  name: string;
  description?: string;
  eventSources: EventSourceConfig[];
}

export interface LambdaConfig {
  functions: LambdaFunctionConfig[];
  /** How long Enabling / Disabling / Updating lasts (default 1000 ms). */
  mappingTransitionMs?: number;
}

/** `case-outbox-<region>` in each region, fed by its region's `case-outbox` queue: enabled in region A only. */
export function caseOutboxFunctions(regions: readonly [string, string], accountId: string): LambdaConfig {
  return {
    functions: regions.map((region, i) => ({
      region,
      name: `case-outbox-${region}`,
      description: "case-api outbox relay (runs in the primary region only)",
      eventSources: [{ eventSourceArn: `arn:aws:sqs:${region}:${accountId}:case-outbox`, enabled: i === 0 }],
    })),
  };
}

export type MappingState = "Enabled" | "Disabled" | "Enabling" | "Disabling" | "Updating";

export interface MappingModel {
  uuid: string;
  region: string;
  functionArn: string;
  eventSourceArn: string;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  /** Where the mapping settles. */
  enabled: boolean;
  /** A change under way until `until` (ms). */
  transition: { state: "Enabling" | "Disabling" | "Updating"; until: number } | undefined;
  lastModified: Date;
}

export interface FunctionModel {
  region: string;
  name: string;
  arn: string;
  description: string;
  lastModified: Date;
  codeSha256: string;
  codeSize: number;
  revisionId: string;
  /** The execution role (assumed by lambda.amazonaws.com when the function runs). */
  role: string;
  handler: string;
  runtime: string;
  /** Seconds. */
  timeout: number;
  memorySize: number;
  environment: Record<string, string>;
  tags: Record<string, string>;
  /** The unzipped code (functions created through the API); none for the topology's stand-ins, which cannot run. */
  codeDir: string | undefined;
  /** Created through the API: kept across a reset, as a deployed function outlives a game day's reset. */
  created: boolean;
}

export interface LambdaState {
  /** By function ARN. */
  functions: Map<string, FunctionModel>;
  /** In creation order, as ListEventSourceMappings pages them. */
  mappings: MappingModel[];
  transitionMs: number;
}

export function createLambdaState(config: LambdaConfig | undefined, accountId: string): LambdaState {
  const state: LambdaState = { functions: new Map(), mappings: [], transitionMs: 1000 };
  resetLambdaState(state, config, accountId);
  return state;
}

/**
 * Back to the configured functions and mapping states. A mapping keeps its UUID across
 * resets (it is the same AWS resource, put back), so ids a runbook saw stay valid.
 */
export function resetLambdaState(
  state: LambdaState,
  config: LambdaConfig | undefined,
  accountId: string,
): void {
  const uuids = new Map(state.mappings.map((m) => [`${m.functionArn} ${m.eventSourceArn}`, m.uuid]));
  const created = [...state.functions.values()].filter((f) => f.created);
  state.functions.clear();
  for (const f of created) state.functions.set(f.arn, f);
  state.mappings = [];
  state.transitionMs = config?.mappingTransitionMs ?? 1000;
  const now = new Date();
  for (const f of config?.functions ?? []) {
    const arn = `arn:aws:lambda:${f.region}:${accountId}:function:${f.name}`;
    const digest = createHash("sha256").update(arn).digest();
    state.functions.set(arn, {
      region: f.region,
      name: f.name,
      arn,
      description: f.description ?? "",
      lastModified: now,
      codeSha256: digest.toString("base64"),
      codeSize: 2048,
      revisionId: randomUUID(),
      role: `arn:aws:iam::${accountId}:role/${f.name}`,
      handler: "index.handler",
      runtime: "nodejs20.x",
      timeout: 30,
      memorySize: 256,
      environment: {},
      tags: { app: "case-api" },
      codeDir: undefined,
      created: false,
    });
    for (const source of f.eventSources) {
      state.mappings.push({
        uuid: uuids.get(`${arn} ${source.eventSourceArn}`) ?? randomUUID(),
        region: f.region,
        functionArn: arn,
        eventSourceArn: source.eventSourceArn,
        batchSize: source.batchSize ?? 10,
        maximumBatchingWindowInSeconds: 0,
        enabled: source.enabled,
        transition: undefined,
        lastModified: now,
      });
    }
  }
}

export function mappingState(m: MappingModel, now = Date.now()): MappingState {
  if (m.transition && now < m.transition.until) return m.transition.state;
  return m.enabled ? "Enabled" : "Disabled";
}

/** A settled mapping starts a change: toward `enabled` (Enabling/Disabling), or Updating when that stays. */
export function startMappingChange(state: LambdaState, m: MappingModel, enabled: boolean | undefined): void {
  const now = Date.now();
  const toggles = enabled !== undefined && enabled !== m.enabled;
  m.transition = {
    state: toggles ? (enabled ? "Enabling" : "Disabling") : "Updating",
    until: now + state.transitionMs,
  };
  if (enabled !== undefined) m.enabled = enabled;
  m.lastModified = new Date(now);
}
