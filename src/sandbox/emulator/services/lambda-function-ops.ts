import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ApiError } from "../errors.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";
import type { OperationHandler, RequestContext } from "../service.js";
import { codeSha256, unpackCode } from "./lambda-code.js";
import type { FunctionModel, LambdaState } from "./lambda-model.js";
import { functionArnOf, invalidParameter, resolveFunction, user, validation } from "./lambda-names.js";
import type { ServiceRoleSessions } from "./service-role-sessions.js";

/**
 * Lambda's function operations, what `runbook deploy` needs: CreateFunction (Code.ZipFile,
 * unpacked into a directory of the function's own), GetFunction, GetFunctionConfiguration,
 * UpdateFunctionCode, UpdateFunctionConfiguration, ListFunctions, DeleteFunction. Checked as
 * Lambda checks them: the execution role must be one Lambda can assume, reserved environment
 * variables are refused, Timeout and MemorySize within Lambda's ranges, RevisionId honoured.
 */

export interface FunctionOpsDeps {
  state: LambdaState;
  accountId: string;
  /** Where functions' code is unpacked. */
  codeRoot: () => string;
  sessions: ServiceRoleSessions;
  /** The function changed: its warm workers must not run the old code or configuration. */
  retire: (arn: string) => void;
}

const ROLE = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const RESERVED = new Set([
  "_HANDLER",
  "_X_AMZN_TRACE_ID",
  "AWS_DEFAULT_REGION",
  "AWS_REGION",
  "AWS_EXECUTION_ENV",
  "AWS_LAMBDA_FUNCTION_NAME",
  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  "AWS_LAMBDA_FUNCTION_VERSION",
  "AWS_LAMBDA_INITIALIZATION_TYPE",
  "AWS_LAMBDA_LOG_GROUP_NAME",
  "AWS_LAMBDA_LOG_STREAM_NAME",
  "AWS_ACCESS_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_LAMBDA_RUNTIME_API",
  "LAMBDA_TASK_ROOT",
  "LAMBDA_RUNTIME_DIR",
]);

export function configuration(f: FunctionModel) {
  return {
    FunctionName: f.name,
    FunctionArn: f.arn,
    Runtime: f.runtime,
    Role: f.role,
    Handler: f.handler,
    CodeSize: f.codeSize,
    Description: f.description,
    Timeout: f.timeout,
    MemorySize: f.memorySize,
    // Lambda writes this one timestamp as a string, with a +0000 offset.
    LastModified: f.lastModified.toISOString().replace("Z", "+0000"),
    CodeSha256: f.codeSha256,
    Version: "$LATEST",
    ...(Object.keys(f.environment).length ? { Environment: { Variables: f.environment } } : {}),
    TracingConfig: { Mode: "PassThrough" },
    RevisionId: f.revisionId,
    State: "Active",
    LastUpdateStatus: "Successful",
    PackageType: "Zip",
    Architectures: ["x86_64"],
    EphemeralStorage: { Size: 512 },
  };
}

export function functionOperations(deps: FunctionOpsDeps): Record<string, OperationHandler> {
  const { state, accountId } = deps;
  const find = (p: ParamReader, ctx: RequestContext) =>
    resolveFunction(state, accountId, p.string("FunctionName"), ctx, p.optionalString("Qualifier"));

  const role = async (p: ParamReader, required: boolean): Promise<string | undefined> => {
    const arn = required ? p.string("Role") : p.optionalString("Role");
    if (arn === undefined) return undefined;
    if (!ROLE.test(arn))
      throw validation(arn, "role", `Member must satisfy regular expression pattern: ${ROLE.source}`);
    if (!(await deps.sessions.canAssume(arn, "lambda.amazonaws.com", { account: accountId })))
      throw invalidParameter("The role defined for the function cannot be assumed by Lambda.");
    return arn;
  };
  const settings = (p: ParamReader) => {
    const timeout = p.optionalNumber("Timeout");
    if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > 900))
      throw validation(timeout, "timeout", "Member must have value between 1 and 900");
    const memory = p.optionalNumber("MemorySize");
    if (memory !== undefined && (!Number.isInteger(memory) || memory < 128 || memory > 10_240))
      throw validation(memory, "memorySize", "Member must have value between 128 and 10240");
    const runtime = p.optionalString("Runtime");
    if (runtime !== undefined && !/^nodejs\d+\.x$/.test(runtime))
      throw invalidParameter(
        `This sandbox's Lambda runs Node.js functions only (nodejs20.x, nodejs22.x, …), not ${runtime}`,
      );
    const env = p.raw.Environment as { Variables?: Record<string, unknown> } | undefined;
    const variables =
      env?.Variables === undefined
        ? undefined
        : Object.fromEntries(Object.entries(env.Variables).map(([k, v]) => [k, String(v)]));
    const reserved = Object.keys(variables ?? {}).filter((k) => RESERVED.has(k));
    if (reserved.length)
      throw invalidParameter(
        `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(", ")}`,
      );
    return {
      timeout,
      memory,
      runtime,
      variables,
      handler: p.optionalString("Handler"),
      description: p.optionalString("Description"),
    };
  };
  const zipOf = (p: ParamReader, container?: string): Uint8Array => {
    const code = (container ? (p.raw[container] as Record<string, unknown> | undefined) : p.raw) ?? {};
    const zip = code.ZipFile;
    if (zip instanceof Uint8Array) return zip;
    if (code.S3Bucket || code.ImageUri || p.raw.S3Bucket || p.raw.ImageUri)
      throw invalidParameter("This sandbox's Lambda takes the code as ZipFile only (no S3 object, no image)");
    throw invalidParameter("Please provide a source for function code.");
  };
  const install = (f: Pick<FunctionModel, "region" | "name">, zip: Uint8Array) => {
    const sha = codeSha256(zip);
    const dir = join(
      deps.codeRoot(),
      f.region,
      f.name,
      Buffer.from(sha, "base64").toString("hex").slice(0, 16),
    );
    return { codeDir: dir, codeSize: unpackCode(zip, dir), codeSha256: sha };
  };
  const checkRevision = (p: ParamReader, f: FunctionModel) => {
    const revision = p.optionalString("RevisionId");
    if (revision !== undefined && revision !== f.revisionId)
      throw new ApiError(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
        412,
        user,
      );
  };
  const changed = (f: FunctionModel) => {
    f.lastModified = new Date();
    f.revisionId = randomUUID();
    deps.retire(f.arn);
    return configuration(f);
  };

  return {
    CreateFunction: async (p, ctx) => {
      const { arn } = functionArnOf(p.string("FunctionName"), ctx, accountId);
      const name = arn.slice(arn.lastIndexOf(":") + 1);
      if (arn.split(":")[3] !== ctx.region)
        throw invalidParameter(`Functions are created in the region the call is signed for (${ctx.region})`);
      if (state.functions.has(arn))
        throw new ApiError("ResourceConflictException", `Function already exist: ${name}`, 409, user);
      const s = settings(p);
      if (!s.runtime) throw invalidParameter("Runtime is required for a .zip deployment package");
      if (!s.handler) throw invalidParameter("Handler is required for a .zip deployment package");
      const executionRole = (await role(p, true)) as string;
      const zip = zipOf(p, "Code");
      const f: FunctionModel = {
        region: ctx.region,
        name,
        arn,
        description: s.description ?? "",
        lastModified: new Date(),
        revisionId: randomUUID(),
        role: executionRole,
        handler: s.handler,
        runtime: s.runtime,
        timeout: s.timeout ?? 3,
        memorySize: s.memory ?? 128,
        environment: s.variables ?? {},
        tags: Object.fromEntries(
          Object.entries((p.raw.Tags as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v)]),
        ),
        created: true,
        ...install({ region: ctx.region, name }, zip),
      };
      state.functions.set(arn, f);
      return configuration(f);
    },
    GetFunction: (p, ctx) => {
      const f = find(p, ctx);
      return {
        Configuration: configuration(f),
        Code: {
          RepositoryType: "S3",
          Location: `https://awslambda-${f.region}-tasks.s3.${f.region}.amazonaws.com/snapshots/${accountId}/${f.name}`,
        },
        Tags: f.tags,
      };
    },
    GetFunctionConfiguration: (p, ctx) => configuration(find(p, ctx)),
    UpdateFunctionCode: (p, ctx) => {
      const f = find(p, ctx);
      checkRevision(p, f);
      const zip = zipOf(p);
      if (p.boolean("DryRun")) return configuration(f);
      Object.assign(f, install(f, zip));
      return changed(f);
    },
    UpdateFunctionConfiguration: async (p, ctx) => {
      const f = find(p, ctx);
      checkRevision(p, f);
      const s = settings(p);
      const executionRole = await role(p, false);
      if (executionRole !== undefined) f.role = executionRole;
      if (s.handler !== undefined) f.handler = s.handler;
      if (s.runtime !== undefined) f.runtime = s.runtime;
      if (s.timeout !== undefined) f.timeout = s.timeout;
      if (s.memory !== undefined) f.memorySize = s.memory;
      if (s.variables !== undefined) f.environment = s.variables;
      if (s.description !== undefined) f.description = s.description;
      return changed(f);
    },
    ListFunctions: (p, ctx) => {
      const max = p.optionalNumber("MaxItems") ?? 50;
      if (!Number.isInteger(max) || max < 1 || max > 10_000)
        throw validation(max, "maxItems", "Member must have value between 1 and 10000");
      const all = [...state.functions.values()].filter((f) => f.region === ctx.region);
      const { page, next } = pageOf(all, p.optionalString("Marker"), max, () =>
        invalidParameter("Invalid marker"),
      );
      return { Functions: page.map(configuration), ...(next ? { NextMarker: next } : {}) };
    },
    DeleteFunction: (p, ctx) => {
      const f = find(p, ctx);
      state.functions.delete(f.arn);
      deps.retire(f.arn);
      if (f.codeDir) rmSync(join(deps.codeRoot(), f.region, f.name), { recursive: true, force: true });
      return {};
    },
  };
}
