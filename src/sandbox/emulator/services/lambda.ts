import { ApiError } from "../errors.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import type { MetricDatum } from "./cloudwatch-metrics.js";
import {
  createLambdaState,
  type FunctionModel,
  type LambdaConfig,
  type LambdaState,
  type MappingModel,
  mappingState,
  resetLambdaState,
  startMappingChange,
} from "./lambda-model.js";

/**
 * AWS Lambda (rest-json, `2015-03-31`): functions and their event source mappings, enough
 * to move a one-region job: GetFunction, ListEventSourceMappings, GetEventSourceMapping and
 * UpdateEventSourceMapping (Enabling/Disabling for a moment, then Enabled/Disabled; a second
 * change meanwhile is a ResourceConflictException). Functions are regional: a call reaches
 * the functions and mappings of the region it is signed for.
 */

/** Name, `123456789012:function:name` or the full ARN, each with an optional `:qualifier`. */
const FUNCTION_NAME =
  /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:|(\d{12}):function:)?([a-zA-Z0-9_-]{1,64})(?::([a-zA-Z0-9$_-]{1,128}))?$/;
/** What UpdateEventSourceMapping may change here; others are refused rather than ignored. */
const UPDATABLE = new Set(["UUID", "FunctionName", "Enabled", "BatchSize", "MaximumBatchingWindowInSeconds"]);

const user = { fields: { Type: "User" } };
const validation = (value: unknown, member: string, constraint: string) =>
  new ApiError(
    "ValidationException",
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
    400,
  );
const invalidParameter = (message: string) =>
  new ApiError("InvalidParameterValueException", message, 400, user);
const mappingNotFound = () =>
  new ApiError("ResourceNotFoundException", "The resource you requested does not exist.", 404, user);

export function lambdaService(state: LambdaState, accountId: string): ServiceDefinition {
  /** The function a FunctionName names in the call's region (unqualified, or $LATEST). */
  const resolveFunction = (raw: string, ctx: RequestContext, qualifier?: string): FunctionModel => {
    const m = FUNCTION_NAME.exec(raw);
    if (!m)
      throw validation(
        raw,
        "functionName",
        "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
      );
    const [, region = ctx.region, account = m[3] ?? accountId, , name = "", inName] = m;
    const arn = `arn:aws:lambda:${region}:${account}:function:${name}`;
    const version = inName ?? qualifier;
    const found = region === ctx.region ? state.functions.get(arn) : undefined;
    if (!found || (version !== undefined && version !== "$LATEST"))
      throw new ApiError(
        "ResourceNotFoundException",
        `Function not found: ${arn}${version ? `:${version}` : ""}`,
        404,
        user,
      );
    return found;
  };

  const mappingArn = (p: ParamReader, ctx: RequestContext) => [
    `arn:aws:lambda:${ctx.region}:${accountId}:event-source-mapping:${p.string("UUID")}`,
  ];

  const mapping = (p: ParamReader, ctx: RequestContext): MappingModel => {
    const uuid = p.string("UUID");
    const found = state.mappings.find((m) => m.uuid === uuid && m.region === ctx.region);
    if (!found) throw mappingNotFound();
    return found;
  };

  const render = (m: MappingModel) => ({
    UUID: m.uuid,
    BatchSize: m.batchSize,
    MaximumBatchingWindowInSeconds: m.maximumBatchingWindowInSeconds,
    EventSourceArn: m.eventSourceArn,
    FunctionArn: m.functionArn,
    LastModified: m.lastModified,
    State: mappingState(m),
    StateTransitionReason: "USER_INITIATED",
    FunctionResponseTypes: [],
    EventSourceMappingArn: `arn:aws:lambda:${m.region}:${accountId}:event-source-mapping:${m.uuid}`,
  });

  const getFunction = (p: ParamReader, ctx: RequestContext) => {
    const f = resolveFunction(p.string("FunctionName"), ctx, p.optionalString("Qualifier"));
    return {
      Configuration: {
        FunctionName: f.name,
        FunctionArn: f.arn,
        Runtime: "nodejs20.x",
        Role: `arn:aws:iam::${accountId}:role/${f.name}`,
        Handler: "index.handler",
        CodeSize: 2048,
        Description: f.description,
        Timeout: 30,
        MemorySize: 256,
        // Lambda writes this one timestamp as a string, with a +0000 offset.
        LastModified: f.lastModified.toISOString().replace("Z", "+0000"),
        CodeSha256: f.codeSha256,
        Version: "$LATEST",
        RevisionId: f.revisionId,
        State: "Active",
        LastUpdateStatus: "Successful",
        PackageType: "Zip",
        Architectures: ["x86_64"],
        EphemeralStorage: { Size: 512 },
      },
      Code: {
        RepositoryType: "S3",
        Location: `https://awslambda-${f.region}-tasks.s3.${f.region}.amazonaws.com/snapshots/${accountId}/${f.name}`,
      },
      Tags: { app: "case-api" },
    };
  };

  const listEventSourceMappings = (p: ParamReader, ctx: RequestContext) => {
    const name = p.optionalString("FunctionName");
    const functionArn = name === undefined ? undefined : resolveFunction(name, ctx).arn;
    const source = p.optionalString("EventSourceArn");
    const max = p.optionalNumber("MaxItems") ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 10_000)
      throw validation(max, "maxItems", "Member must have value between 1 and 10000");
    const matching = state.mappings.filter(
      (m) =>
        m.region === ctx.region &&
        (functionArn === undefined || m.functionArn === functionArn) &&
        (source === undefined || m.eventSourceArn === source),
    );
    const { page, next } = pageOf(matching, p.optionalString("Marker"), max, () =>
      invalidParameter("Invalid marker"),
    );
    return { EventSourceMappings: page.map(render), ...(next ? { NextMarker: next } : {}) };
  };

  const updateEventSourceMapping = (p: ParamReader, ctx: RequestContext) => {
    const m = mapping(p, ctx);
    const unsupported = Object.keys(p.raw).filter((k) => !UPDATABLE.has(k));
    if (unsupported.length)
      throw invalidParameter(`This sandbox's Lambda cannot change ${unsupported.join(", ")} of a mapping`);
    const current = mappingState(m);
    if (current !== "Enabled" && current !== "Disabled") {
      throw new ApiError(
        "ResourceConflictException",
        `The operation cannot be performed at this time. An update is in progress for resource: ${render(m).EventSourceMappingArn} (${current})`,
        409,
        user,
      );
    }
    const batchSize = p.optionalNumber("BatchSize");
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000))
      throw validation(batchSize, "batchSize", "Member must have value between 1 and 10000");
    const window = p.optionalNumber("MaximumBatchingWindowInSeconds");
    if (window !== undefined && (!Number.isInteger(window) || window < 0 || window > 300))
      throw validation(window, "maximumBatchingWindowInSeconds", "Member must have value between 0 and 300");
    if (batchSize !== undefined && batchSize > 10 && (window ?? m.maximumBatchingWindowInSeconds) < 1)
      throw invalidParameter(
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
      );
    const name = p.optionalString("FunctionName");
    if (name !== undefined) m.functionArn = resolveFunction(name, ctx).arn;
    if (batchSize !== undefined) m.batchSize = batchSize;
    if (window !== undefined) m.maximumBatchingWindowInSeconds = window;
    startMappingChange(state, m, p.boolean("Enabled"));
    return render(m);
  };

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
      resources: {
        GetFunction: (p, ctx) => {
          const name = p.string("FunctionName");
          return [
            name.startsWith("arn:") ? name : `arn:aws:lambda:${ctx.region}:${accountId}:function:${name}`,
          ];
        },
        GetEventSourceMapping: mappingArn,
        UpdateEventSourceMapping: mappingArn,
      },
    },
    mutating: new Set(["UpdateEventSourceMapping"]),
    operations: {
      GetFunction: getFunction,
      ListEventSourceMappings: listEventSourceMappings,
      GetEventSourceMapping: (p, ctx) => render(mapping(p, ctx)),
      UpdateEventSourceMapping: updateEventSourceMapping,
    },
  };
}

/** Function → its region and each mapping's state now. */
export type LambdaStatus = Record<
  string,
  { region: string; mappings: { uuid: string; eventSourceArn: string; state: string }[] }
>;

/** The emulator's Lambda: its state and service, the functions' Invocations, a reset to the topology. */
export class LambdaFunctions {
  readonly state: LambdaState;

  constructor(
    private readonly config: LambdaConfig | undefined,
    private readonly accountId: string,
    private readonly isRegionDown: (region: string) => boolean,
  ) {
    this.state = createLambdaState(config, accountId);
  }

  service(): ServiceDefinition {
    return lambdaService(this.state, this.accountId);
  }

  /** Mappings back as the topology has them (same UUIDs), no change under way. */
  reset(): void {
    resetLambdaState(this.state, this.config, this.accountId);
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
        mappings: this.state.mappings
          .filter((m) => m.functionArn === f.arn)
          .map((m) => ({ uuid: m.uuid, eventSourceArn: m.eventSourceArn, state: mappingState(m) })),
      };
    }
    return out;
  }
}
