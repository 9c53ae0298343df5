import type { Params } from "../params.js";

/**
 * Decodes an AWS Query form body into the nested structure the JSON protocols would send.
 *
 * Query flattens structures into dotted keys and lists into `<List>.<memberName>.<n>`
 * (`Filters.Filter.1.Values.Value.1`, `MetricData.member.2.Dimensions.member.1.Name`).
 * The member name varies per shape (`member`, `Filter`, `Value`, `entry` for maps), so
 * instead of knowing every shape we rely on the pattern: a segment followed by a number
 * is a member name, and the list is the segment before it. An empty list is sent as
 * `Key=` and stays "" here (ParamReader.list reads it as []).
 */
export function decodeQueryForm(body: string): { action?: string; version?: string; params: Params } {
  const form = new URLSearchParams(body);
  const params: Params = {};
  for (const [key, value] of form) {
    if (key === "Action" || key === "Version") continue;
    // Never let a form key walk into Object.prototype (`__proto__.x=1` would pollute every object).
    if (key.split(".").some((segment) => UNSAFE_SEGMENTS.has(segment))) continue;
    assign(params, pathOf(key), value);
  }
  return { action: form.get("Action") ?? undefined, version: form.get("Version") ?? undefined, params };
}

type Segment = string | number;

const UNSAFE_SEGMENTS = new Set(["__proto__", "constructor", "prototype"]);

function pathOf(key: string): Segment[] {
  const parts = key.split(".");
  const path: Segment[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? "";
    const next = parts[i + 1];
    const nextIsIndex = next !== undefined && /^\d+$/.test(next);
    if (nextIsIndex && i > 0) {
      // `<memberName>.<n>`: the list is the previous segment, already on the path.
      path.push(Number(next) - 1);
      i++;
    } else if (/^\d+$/.test(part)) {
      // A flattened list (`Key.1`): the number indexes the previous segment.
      path.push(Number(part) - 1);
    } else {
      path.push(part);
    }
  }
  return path;
}

function assign(root: Params, path: Segment[], value: string): void {
  let container: Record<string | number, unknown> = root;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as Segment;
    if (i === path.length - 1) {
      container[segment] = value;
      return;
    }
    const nextIsIndex = typeof path[i + 1] === "number";
    let child = container[segment];
    if (typeof child !== "object" || child === null) {
      child = nextIsIndex ? [] : {};
      container[segment] = child;
    }
    container = child as Record<string | number, unknown>;
  }
}

/** Lists decoded from sparse indexes may have holes; compact them so handlers see dense arrays. */
export function compactLists(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((x) => x !== undefined).map(compactLists);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactLists(v)]));
  }
  return value;
}
