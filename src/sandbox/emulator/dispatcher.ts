import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";
import { CallLog, redactParams } from "./call-log.js";
import { ApiError } from "./errors.js";
import { DEFAULT_RECOVERY_ACCOUNT_ID } from "./iam/iam-defaults.js";
import { IamModel } from "./iam/iam-model.js";
import { RequestAuth, type RequestCredentials } from "./iam/request-auth.js";
import { ParamReader, type Params } from "./params.js";
import { jsonErrorBody, toJsonValue } from "./protocols/json.js";
import { compactLists, decodeQueryForm } from "./protocols/query-form.js";
import { queryErrorXml, queryResponseXml } from "./protocols/xml.js";
import { RestRouter } from "./rest-router.js";
import type { RequestContext, ServiceDefinition, ServiceName } from "./service.js";
import { type CredentialScope, requestSignature } from "./sigv4-scope.js";
import { Throttles } from "./throttle.js";
import { DEFAULT_ACCOUNT_ID } from "./topology.js";

/**
 * Routes one HTTP request to a service operation and writes the reply in that service's
 * wire protocol: AWS JSON 1.0/1.1 (`X-Amz-Target`), AWS Query (form body, XML reply), or
 * REST (rest-xml, rest-json: neither, routed by signing name, method and URI; rest-router.ts).
 * Whatever a client sends, it gets an AWS-shaped answer (or, for a down region, a dropped
 * connection): a handler's bug becomes a 500 InternalFailure, never a crashed emulator.
 * Before an operation runs, `auth` (iam/request-auth.ts) says who signed it and whether IAM
 * lets them; the call log records that principal.
 */

const GENERIC_XMLNS = "http://sandbox.local/doc/";

/** What every protocol passes on about the request, down to the operation. */
interface RequestBase {
  region: string;
  accessKeyId: string | undefined;
  requestId: string;
  endpoint: string;
  credentials: RequestCredentials;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

export interface DispatcherOptions {
  defaultRegion: string;
  isRegionDown: (region: string) => boolean;
  /** Who may call what; default: the default accounts' IAM, enforcement off. */
  auth?: RequestAuth;
  /** Requests under `/_sandbox/` (the admin API); only handled on the main listener. */
  admin?: (req: IncomingMessage, res: ServerResponse, body: string) => void;
}

export class Dispatcher {
  readonly log = new CallLog();
  readonly throttles = new Throttles();
  private readonly byTarget = new Map<string, ServiceDefinition>();
  private readonly byName = new Map<ServiceName, ServiceDefinition>();
  private readonly byQueryVersion = new Map<string, ServiceDefinition>();
  private readonly rest: RestRouter;
  private readonly auth: RequestAuth;

  constructor(
    readonly services: readonly ServiceDefinition[],
    private readonly options: DispatcherOptions,
  ) {
    this.rest = new RestRouter(services);
    this.auth =
      options.auth ?? new RequestAuth(new IamModel(DEFAULT_ACCOUNT_ID, DEFAULT_RECOVERY_ACCOUNT_ID));
    for (const s of services) {
      this.byName.set(s.name, s);
      if (s.json) this.byTarget.set(s.json.target, s);
      if (s.query) this.byQueryVersion.set(s.query.version, s);
      this.log.registerMutating(s.name, s.mutating);
    }
  }

  /** The HTTP handler for a listener named `endpoint`. */
  handler(endpoint: string): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      this.handle(req, res, endpoint).catch((error: unknown) => {
        // Only reachable if writing the reply itself failed (e.g. socket gone): drop it.
        if (!res.headersSent) res.destroy(error instanceof Error ? error : undefined);
      });
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse, endpoint: string): Promise<void> {
    const url = req.url ?? "/";
    const scope = requestSignature(url, req.headers);
    const region = scope?.region ?? this.options.defaultRegion;
    const isAdmin = url.startsWith("/_sandbox/");
    const method = req.method ?? "GET";
    const raw = await readBody(req);
    if (isAdmin && this.options.admin && endpoint === "main") {
      this.options.admin(req, res, raw.toString("utf8"));
      return;
    }
    const body = decodeBody(raw, req.headers["content-encoding"]);
    // AWS Query takes its parameters from a GET's query string too (a presigned STS request).
    const form = body || method === "GET" ? queryParams(body, url) : body;
    const target = header(req, "x-amz-target");
    const restService = target ? undefined : this.rest.serviceFor(scope?.service);
    if (this.options.isRegionDown(region)) {
      // A region outage looks like a network failure to the SDK, not like an API error.
      // It is still logged, so a drill can show what was attempted against the dead region.
      if (restService) {
        const operation = this.rest.operationOf(restService, method, req.url ?? "/");
        this.record(restService.name, operation, region, {}, "RegionDown", endpoint, performance.now());
      } else this.recordDropped(target, target ? body : form, region, scope?.service, endpoint);
      req.socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const base: RequestBase = {
      region,
      accessKeyId: scope?.accessKeyId,
      requestId,
      endpoint,
      credentials: {
        signature: scope,
        authentication: this.auth.authenticate(scope),
        request: { method, url, headers: req.headers, body: raw },
      },
    };
    const reply = restService
      ? await this.rest.reply(restService, { method, url, headers: req.headers, body: raw }, requestId, {
          invoke: (operation, params, protocol) =>
            this.invoke(restService, operation, params, base, protocol),
          refused: (operation, code) =>
            this.record(restService.name, operation, region, {}, code, endpoint, performance.now()),
        })
      : target
        ? await this.json(target, body, base, header(req, "x-amzn-query-mode"))
        : await this.query(form, base, scope);
    res.writeHead(reply.status, {
      ...reply.headers,
      "x-amzn-requestid": requestId,
      "content-length": Buffer.byteLength(reply.body),
    });
    res.end(reply.body);
  }

  private async json(
    target: string,
    body: string | undefined,
    base: RequestBase,
    queryMode: string | undefined,
  ): Promise<Reply> {
    const { region, endpoint } = base;
    const dot = target.lastIndexOf(".");
    const service = this.byTarget.get(target.slice(0, dot));
    const operation = target.slice(dot + 1);
    const contentType = `application/x-amz-json-${service?.json?.version ?? "1.0"}`;
    const fail = (e: ApiError): Reply => ({
      status: e.status,
      headers: {
        "content-type": contentType,
        "x-amzn-errortype": e.code,
        // Query-compatible JSON clients (CloudWatch) take the Query code from this header.
        ...(queryMode === "true" || service?.query
          ? { "x-amzn-query-error": `${e.queryCode};${e.fault}` }
          : {}),
      },
      body: jsonErrorBody(service?.json?.namespace ?? "com.amazonaws", e.code, e.message, e.options.fields),
    });
    if (!service?.json) {
      return fail(new ApiError("UnknownOperationException", `Unknown target ${target}`));
    }
    let params: Params;
    try {
      if (body === undefined) throw new Error("undecodable body");
      const parsed: unknown = body.trim() === "" ? {} : JSON.parse(body);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not an object");
      params = parsed as Params;
    } catch {
      const e = new ApiError("SerializationException", "The request body is not a valid JSON object", 400);
      this.record(service.name, operation, region, {}, e.code, endpoint, performance.now());
      return fail(e);
    }
    const outcome = await this.invoke(service, operation, params, base, "json");
    if (outcome instanceof ApiError) return fail(outcome);
    return {
      status: 200,
      headers: { "content-type": contentType },
      body: JSON.stringify(toJsonValue(outcome ?? {})),
    };
  }

  private async query(
    body: string | undefined,
    base: RequestBase,
    scope: CredentialScope | undefined,
  ): Promise<Reply> {
    const { requestId } = base;
    const form = decodeQueryForm(body ?? "");
    const service =
      (scope && this.byName.get(scope.service as ServiceName)?.query
        ? this.byName.get(scope.service as ServiceName)
        : undefined) ?? (form.version ? this.byQueryVersion.get(form.version) : undefined);
    const xmlns = service?.query?.xmlns ?? GENERIC_XMLNS;
    const fail = (e: ApiError): Reply => ({
      status: e.status,
      headers: { "content-type": "text/xml" },
      body: queryErrorXml(e.fault, e.queryCode, e.message, requestId, xmlns),
    });
    if (!form.action)
      return fail(new ApiError("MissingAction", "The request must contain the parameter Action"));
    if (!service?.query) {
      return fail(new ApiError("InvalidAction", `Could not find a service for action ${form.action}`));
    }
    const params = compactLists(form.params) as Params;
    const outcome = await this.invoke(service, form.action, params, base, "query");
    if (outcome instanceof ApiError) return fail(outcome);
    return {
      status: 200,
      headers: { "content-type": "text/xml" },
      body: queryResponseXml(form.action, outcome, requestId, xmlns, service.query.members),
    };
  }

  /** Runs the operation; an ApiError is returned (not thrown) so both protocols can shape it. */
  private async invoke(
    service: ServiceDefinition,
    operation: string,
    params: Params,
    base: RequestBase,
    protocol: RequestContext["protocol"],
  ): Promise<unknown> {
    const started = performance.now();
    const handler = Object.hasOwn(service.operations, operation) ? service.operations[operation] : undefined;
    const { credentials, ...ids } = base;
    const auth = credentials.authentication;
    let principal = "caller" in auth ? auth.caller.arn : undefined;
    let outcome: unknown;
    let logged: string | undefined;
    if (!handler) {
      const code = protocol === "query" ? "InvalidAction" : service.errors.unknownOperation;
      outcome = new ApiError(code, `The action ${operation} is not valid for this endpoint`, 400);
    } else {
      const partial = { ...ids, service: service.name, operation, protocol };
      const reader = new ParamReader(params, service.errors);
      try {
        const checked = await this.auth.check(service, operation, reader, partial, credentials);
        if ("error" in checked) {
          outcome = checked.error;
          logged = checked.outcome;
        } else if (!this.throttles.take(service.name, operation)) {
          const status = service.errors.throttlingStatus ?? (protocol === "json" ? 429 : 400);
          outcome = new ApiError(service.errors.throttling, "Rate exceeded", status, {
            queryCode: "Throttling",
          });
        } else {
          principal = checked.caller.arn;
          outcome = await handler(reader, { ...partial, caller: checked.caller });
        }
      } catch (error) {
        outcome =
          error instanceof ApiError
            ? error
            : new ApiError("InternalFailure", `The emulator failed: ${String(error)}`, 500, {
                fault: "Receiver",
              });
      }
    }
    const code = logged ?? (outcome instanceof ApiError ? outcome.code : "ok");
    this.record(service.name, operation, base.region, params, code, base.endpoint, started, principal);
    return outcome;
  }

  private recordDropped(
    target: string | undefined,
    body: string | undefined,
    region: string,
    signingName: string | undefined,
    endpoint: string,
  ): void {
    let service: ServiceDefinition | undefined;
    let operation: string | undefined;
    if (target) {
      service = this.byTarget.get(target.slice(0, target.lastIndexOf(".")));
      operation = target.slice(target.lastIndexOf(".") + 1);
    } else {
      const form = decodeQueryForm(body ?? "");
      service = this.byName.get(signingName as ServiceName) ?? this.byQueryVersion.get(form.version ?? "");
      operation = form.action;
    }
    if (service && operation)
      this.record(service.name, operation, region, {}, "RegionDown", endpoint, performance.now());
  }

  private record(
    service: ServiceName,
    operation: string,
    region: string,
    params: Params,
    outcome: string,
    endpoint: string,
    started: number,
    principal?: string,
  ): void {
    this.log.record({
      at: new Date(),
      service,
      operation,
      region,
      params: redactParams(params),
      outcome,
      endpoint,
      durationMs: performance.now() - started,
      ...(principal ? { principal } : {}),
    });
  }
}

/** The form of a Query request: its body, else its URL's query string, without the signature's X-Amz-* parameters. */
function queryParams(body: string | undefined, url: string): string {
  const q = url.indexOf("?");
  const text = body || (q < 0 ? "" : url.slice(q + 1));
  const form = new URLSearchParams(text);
  for (const key of [...form.keys()]) if (key.toLowerCase().startsWith("x-amz-")) form.delete(key);
  return form.toString();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** CloudWatch's SDK gzips large PutMetricData bodies (request compression). */
function decodeBody(raw: Buffer, encoding: string | string[] | undefined): string | undefined {
  try {
    return (encoding === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
  } catch {
    return undefined;
  }
}
