import type { ServiceDefinition } from "../service.js";
import type { MetricDatum } from "./cloudwatch-metrics.js";
import { functionOperations } from "./lambda-function-ops.js";
import { invokeOperation } from "./lambda-invoke.js";
import { mappingArn, mappingOperations } from "./lambda-mappings.js";
import {
  createLambdaState,
  type LambdaConfig,
  type LambdaState,
  mappingState,
  resetLambdaState,
} from "./lambda-model.js";
import { functionResource } from "./lambda-names.js";
import { type WorkerOptions, WorkerPools } from "./lambda-workers.js";
import type { ServiceRoleSessions } from "./service-role-sessions.js";

/**
 * AWS Lambda (rest-json, `2015-03-31`): functions (created, updated, listed, deleted and
 * invoked, each running in warm worker processes with its execution role's credentials) and
 * the topology's functions with their event source mappings (moved during a failover).
 * Functions are regional: a call reaches the functions and mappings of the region it is
 * signed for.
 */

export interface LambdaRuntimeOptions {
  sessions: ServiceRoleSessions;
  workers: WorkerOptions;
  /** Where created functions' code is unpacked (one directory per function and code version). */
  codeRoot: () => string;
}

/** Function → its region and each mapping's state now. */
export type LambdaStatus = Record<
  string,
  { region: string; codeDir?: string; mappings: { uuid: string; eventSourceArn: string; state: string }[] }
>;

/** The emulator's Lambda: its state and service, the functions' Invocations, a reset to the topology. */
export class LambdaFunctions {
  readonly state: LambdaState;
  private readonly workers: WorkerPools;
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    private readonly config: LambdaConfig | undefined,
    private readonly accountId: string,
    private readonly isRegionDown: (region: string) => boolean,
    private readonly runtime: LambdaRuntimeOptions,
  ) {
    this.state = createLambdaState(config, accountId);
    this.workers = new WorkerPools(runtime.workers);
  }

  service(): ServiceDefinition {
    const { state, accountId } = this;
    const byFunction = functionResource(accountId);
    return {
      name: "lambda",
      rest: { sdkService: "lambda" },
      errors: {
        missing: "InvalidParameterValueException",
        invalid: "InvalidParameterValueException",
        unknownOperation: "UnknownOperationException",
        throttling: "TooManyRequestsException",
        throttlingStatus: 429,
      },
      iam: {
        actions: { Invoke: "InvokeFunction" },
        resources: {
          CreateFunction: byFunction,
          GetFunction: byFunction,
          GetFunctionConfiguration: byFunction,
          UpdateFunctionCode: byFunction,
          UpdateFunctionConfiguration: byFunction,
          DeleteFunction: byFunction,
          Invoke: byFunction,
          GetEventSourceMapping: mappingArn(accountId),
          UpdateEventSourceMapping: mappingArn(accountId),
        },
      },
      // Invoke is not here: what a function changes is logged as its own calls.
      mutating: new Set([
        "UpdateEventSourceMapping",
        "CreateFunction",
        "UpdateFunctionCode",
        "UpdateFunctionConfiguration",
        "DeleteFunction",
      ]),
      operations: {
        ...mappingOperations(state, accountId),
        ...functionOperations({
          state,
          accountId,
          codeRoot: this.runtime.codeRoot,
          sessions: this.runtime.sessions,
          retire: (arn) => this.workers.retire(arn),
        }),
        Invoke: invokeOperation({
          state,
          accountId,
          sessions: this.runtime.sessions,
          workers: this.workers,
          background: this.background,
        }),
      },
    };
  }

  /** Mappings back as the topology has them (same UUIDs), no change under way; deployed functions stay. */
  reset(): void {
    resetLambdaState(this.state, this.config, this.accountId);
  }

  /** Stops every worker (the emulator is closing). */
  close(): void {
    this.workers.closeAll();
  }

  /**
   * `AWS/Lambda Invocations` of each function whose mapping polls (Enabled, or still
   * stopping); Lambda publishes nothing for a function nothing invokes.
   */
  metrics(): MetricDatum[] {
    const now = Date.now();
    return [...this.state.functions.values()].flatMap((f) => {
      const polling = this.state.mappings.some(
        (m) => m.functionArn === f.arn && ["Enabled", "Disabling"].includes(mappingState(m, now)),
      );
      if (!polling || this.isRegionDown(f.region)) return [];
      return [
        {
          region: f.region,
          namespace: "AWS/Lambda",
          metricName: "Invocations",
          dimensions: { FunctionName: f.name },
          value: 1 + Math.floor(Math.random() * 4),
          unit: "Count",
          timestamp: new Date(now),
        },
      ];
    });
  }

  status(): LambdaStatus {
    const out: LambdaStatus = {};
    for (const f of this.state.functions.values()) {
      out[f.name] = {
        region: f.region,
        ...(f.codeDir ? { codeDir: f.codeDir } : {}),
        mappings: this.state.mappings
          .filter((m) => m.functionArn === f.arn)
          .map((m) => ({ uuid: m.uuid, eventSourceArn: m.eventSourceArn, state: mappingState(m) })),
      };
    }
    return out;
  }

  /** Where a function's code was unpacked (undefined for the topology's stand-ins or an unknown function). */
  codeDir(region: string, name: string): string | undefined {
    return this.state.functions.get(`arn:aws:lambda:${region}:${this.accountId}:function:${name}`)?.codeDir;
  }
}
