/**
 * Routing of REST requests (rest-xml, rest-json) from the SDK's own operation schemas.
 *
 * Every operation of an SDK v3 client package has a static schema
 * `[9, namespace, name, { http: [method, uriTemplate, successCode] }, input, output]`, e.g.
 * `["POST", "/2013-04-01/hostedzone/{HostedZoneId}/rrset", 200]` or S3's
 * `["GET", "/{Key+}?x-id=GetObject", 200]`. The templates are the routing table: a request
 * is matched by method, path (labels `{Name}` are one segment, `{Name+}` greedy) and the
 * template's query literals, the most specific template first, as AWS's front ends do.
 */

export interface RestRoute {
  operation: string;
  method: string;
  template: string;
  successCode: number;
  /** Input and output schema references, for `NormalizedSchema.of`. */
  input: unknown;
  output: unknown;
  pattern: RegExp;
  /** Label names in the order of the pattern's groups. */
  labels: string[];
  /** `?list-type=2` → ["list-type", "2"]; `?tagging` → ["tagging", undefined] (present, any value). */
  queryLiterals: [string, string | undefined][];
  greedy: number;
  literalLength: number;
}

export interface RouteMatch {
  route: RestRoute;
  labels: Record<string, string>;
}

type OperationSchema = [number, string, string, { http?: [string, string, number] }, unknown, unknown];

const LABEL = /\{([^}+]+)(\+?)\}/g;

export function routeOf(operation: string, schema: unknown): RestRoute | undefined {
  if (!Array.isArray(schema) || schema[0] !== 9) return undefined;
  const [, , , traits, input, output] = schema as OperationSchema;
  const http = traits?.http;
  if (!http) return undefined;
  const [method, template, successCode] = http;
  const [path = "/", query = ""] = template.split("?", 2);
  const labels: string[] = [];
  let greedy = 0;
  let source = "";
  let last = 0;
  for (const m of path.matchAll(LABEL)) {
    source += escapeRegExp(path.slice(last, m.index));
    labels.push(m[1] ?? "");
    if (m[2]) greedy++;
    source += m[2] ? "(.+)" : "([^/]+)";
    last = (m.index ?? 0) + m[0].length;
  }
  source += escapeRegExp(path.slice(last));
  const queryLiterals = [...new URLSearchParams(query)].map(([k, v]): [string, string | undefined] => [
    k,
    v === "" ? undefined : v,
  ]);
  return {
    operation,
    method,
    template,
    successCode: successCode ?? 200,
    input,
    output,
    // A trailing slash is the same resource (`/bucket/` and `/bucket`), as AWS treats it.
    pattern: new RegExp(`^${source.replace(/\/$/, "")}/?$`),
    labels,
    queryLiterals,
    greedy,
    literalLength: path.replace(LABEL, "").length,
  };
}

/** Most specific first: fewer greedy labels, more query literals, more literal path. */
export function sortRoutes(routes: RestRoute[]): RestRoute[] {
  return routes.sort(
    (a, b) =>
      a.greedy - b.greedy ||
      b.queryLiterals.length - a.queryLiterals.length ||
      b.literalLength - a.literalLength ||
      a.labels.length - b.labels.length,
  );
}

/** The route a request takes, with its labels URI-decoded; undefined when none matches. */
export function matchRoute(
  routes: readonly RestRoute[],
  method: string,
  rawPath: string,
  query: URLSearchParams,
): RouteMatch | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(rawPath);
    if (!m) continue;
    if (!route.queryLiterals.every(([k, v]) => query.has(k) && (v === undefined || query.get(k) === v)))
      continue;
    const labels: Record<string, string> = {};
    try {
      route.labels.forEach((name, i) => {
        labels[name] = decodeURIComponent(m[i + 1] ?? "");
      });
    } catch {
      continue; // a malformed %-escape cannot name a resource
    }
    return { route, labels };
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
