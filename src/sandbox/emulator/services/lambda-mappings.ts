import { ApiError } from "../errors.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";
import type { OperationHandler, RequestContext } from "../service.js";
import { type LambdaState, type MappingModel, mappingState, startMappingChange } from "./lambda-model.js";
import { invalidParameter, notFound, resolveFunction, user, validation } from "./lambda-names.js";

/**
 * Event source mappings, enough to move a one-region job: ListEventSourceMappings,
 * GetEventSourceMapping and UpdateEventSourceMapping (Enabling/Disabling for a moment, then
 * Enabled/Disabled; a second change meanwhile is a ResourceConflictException).
 */

/** What UpdateEventSourceMapping may change here; others are refused rather than ignored. */
const UPDATABLE = new Set(["UUID", "FunctionName", "Enabled", "BatchSize", "MaximumBatchingWindowInSeconds"]);

export function mappingArn(accountId: string) {
  return (p: ParamReader, ctx: RequestContext) => [
    `arn:aws:lambda:${ctx.region}:${accountId}:event-source-mapping:${p.string("UUID")}`,
  ];
}

export function mappingOperations(state: LambdaState, accountId: string): Record<string, OperationHandler> {
  const mapping = (p: ParamReader, ctx: RequestContext): MappingModel => {
    const uuid = p.string("UUID");
    const found = state.mappings.find((m) => m.uuid === uuid && m.region === ctx.region);
    if (!found) throw notFound();
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

  const list = (p: ParamReader, ctx: RequestContext) => {
    const name = p.optionalString("FunctionName");
    const functionArn = name === undefined ? undefined : resolveFunction(state, accountId, name, ctx).arn;
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

  const update = (p: ParamReader, ctx: RequestContext) => {
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
    if (name !== undefined) m.functionArn = resolveFunction(state, accountId, name, ctx).arn;
    if (batchSize !== undefined) m.batchSize = batchSize;
    if (window !== undefined) m.maximumBatchingWindowInSeconds = window;
    startMappingChange(state, m, p.boolean("Enabled"));
    return render(m);
  };

  return {
    ListEventSourceMappings: list,
    GetEventSourceMapping: (p, ctx) => render(mapping(p, ctx)),
    UpdateEventSourceMapping: update,
  };
}
