import type { IncomingHttpHeaders } from "node:http";
import { sdkModuleSync } from "../../aws/sdk-modules.js";
import { ApiError } from "./errors.js";
import type { Params } from "./params.js";
import { type HttpReply, RestCodec } from "./protocols/rest-codec.js";
import { matchRoute, type RestRoute, routeOf, sortRoutes } from "./protocols/rest-routes.js";
import { escapeXml, toXml } from "./protocols/xml.js";
import type { RequestContext, ServiceDefinition, ServiceName } from "./service.js";

/**
 * The REST half of the dispatcher: requests without `X-Amz-Target` or a Query `Action`,
 * signed for a service that declares `rest`. Each such service's SDK client package is
 * loaded on its first request (an emulator that never sees one never pays for it); its
 * operation schemas give the routes, its protocol the codec.
 */

export interface RestRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the dispatcher does for a REST call: run it (throttling, handler, call log), or log a refusal. */
export interface RestCalls {
  invoke(operation: string, params: Params, protocol: RequestContext["protocol"]): Promise<unknown>;
  refused(operation: string, code: string): void;
}

interface LoadedService {
  routes: RestRoute[];
  codec: RestCodec;
}

export class RestRouter {
  private readonly bySigningName = new Map<ServiceName, ServiceDefinition>();
  private readonly loaded = new Map<ServiceName, LoadedService>();

  constructor(services: readonly ServiceDefinition[]) {
    for (const s of services) if (s.rest) this.bySigningName.set(s.name, s);
  }

  /** The REST service a request signed with `signingName` is for. */
  serviceFor(signingName: string | undefined): ServiceDefinition | undefined {
    return signingName ? this.bySigningName.get(signingName as ServiceName) : undefined;
  }

  /** The operation a request names (for calls dropped before they are decoded), else `METHOD /path`. */
  operationOf(service: ServiceDefinition, method: string, url: string): string {
    const parsed = requestUrl(url);
    try {
      const { path } = splitPrefix(service, parsed.pathname);
      return (
        matchRoute(this.load(service).routes, method, path, parsed.searchParams)?.route.operation ??
        `${method} ${parsed.pathname}`
      );
    } catch {
      return `${method} ${parsed.pathname}`;
    }
  }

  async reply(
    service: ServiceDefinition,
    req: RestRequest,
    requestId: string,
    calls: RestCalls,
  ): Promise<HttpReply> {
    let loaded: LoadedService;
    try {
      loaded = this.load(service);
    } catch (error) {
      const e = new ApiError(
        "InternalFailure",
        `The emulator cannot load ${service.name}: ${String(error)}`,
        500,
      );
      calls.refused(`${req.method} ${req.url}`, e.code);
      return restError(service, undefined, e, requestId);
    }
    const { routes, codec } = loaded;
    const url = requestUrl(req.url);
    const { path, labels: prefixLabels } = splitPrefix(service, url.pathname);
    const match = matchRoute(routes, req.method, path, url.searchParams);
    if (!match) {
      const e = new ApiError(
        service.errors.unknownOperation,
        `No ${service.name} operation matches ${req.method} ${url.pathname}${url.search}`,
        404,
      );
      calls.refused(`${req.method} ${url.pathname}`, e.code);
      return restError(service, codec, e, requestId);
    }
    const { route } = match;
    let params: Params;
    try {
      params = await codec.decode(
        route,
        { ...prefixLabels, ...match.labels },
        url.searchParams,
        req.headers,
        req.body,
        {
          invalid: service.errors.invalid,
          malformed: service.errors.malformed ?? service.errors.invalid,
        },
      );
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(service.errors.invalid, String(error), 400);
      calls.refused(route.operation, e.code);
      return restError(service, codec, e, requestId);
    }
    const outcome = await calls.invoke(route.operation, params, codec.protocol);
    if (outcome instanceof ApiError) return restError(service, codec, outcome, requestId);
    try {
      return codec.encode(route, outcome);
    } catch (error) {
      const e = new ApiError(
        "InternalFailure",
        `The emulator could not encode the reply: ${String(error)}`,
        500,
      );
      return restError(service, codec, e, requestId);
    }
  }

  private load(service: ServiceDefinition): LoadedService {
    const cached = this.loaded.get(service.name);
    if (cached) return cached;
    const sdkService = service.rest?.sdkService ?? service.name;
    const mod = sdkModuleSync(sdkService);
    const routes = sortRoutes(
      mod.operations.flatMap((op) => {
        const route = routeOf(op, mod.operationSchema(op));
        return route ? [route] : [];
      }),
    );
    const loaded = { routes, codec: RestCodec.of(mod) };
    this.loaded.set(service.name, loaded);
    return loaded;
  }
}

/** The request target as a URL; one that does not parse matches no route (and is told so). */
function requestUrl(target: string): URL {
  try {
    return new URL(target.startsWith("/") ? `http://emulator${target}` : target, "http://emulator");
  } catch {
    return new URL("http://emulator/%3Cunparsable%3E");
  }
}

/** S3 path-style: `/bucket/key` is Bucket=bucket and the operation's `/key`. */
function splitPrefix(
  service: ServiceDefinition,
  pathname: string,
): { path: string; labels: Record<string, string> } {
  const label = service.rest?.pathPrefixLabel;
  const m = label ? /^\/([^/]+)(\/.*)?$/.exec(pathname) : null;
  if (!label || !m?.[1]) return { path: pathname, labels: {} };
  try {
    return { path: m[2] ?? "/", labels: { [label]: decodeURIComponent(m[1]) } };
  } catch {
    return { path: pathname, labels: {} };
  }
}

/** An ApiError in the service's REST error shape (see `ServiceDefinition.rest.xmlErrors`). */
export function restError(
  service: ServiceDefinition,
  codec: RestCodec | undefined,
  e: ApiError,
  requestId: string,
): HttpReply {
  const fields = e.options.fields ?? {};
  if (codec?.protocol === "rest-json") {
    return {
      status: e.status,
      headers: { "content-type": "application/json", "x-amzn-errortype": e.code },
      body: JSON.stringify({ ...fields, message: e.message }),
    };
  }
  const extra = Object.entries(fields)
    .map(([k, v]) => toXml(k, v, {}))
    .join("");
  const core = `<Code>${escapeXml(e.code)}</Code><Message>${escapeXml(e.message)}</Message>${extra}`;
  const body =
    service.rest?.xmlErrors === "Error"
      ? `<Error>${core}<RequestId>${requestId}</RequestId></Error>`
      : `<ErrorResponse xmlns="${codec?.xmlNamespace ?? "http://sandbox.local/doc/"}"><Error><Type>${e.fault}</Type>${core}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return {
    status: e.status,
    headers: { "content-type": "text/xml" },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}
