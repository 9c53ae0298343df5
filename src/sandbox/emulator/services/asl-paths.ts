import { AslError } from "./asl-types.js";

/**
 * ASL paths, limited to `$` and `$.a.b` (no array indexes or filters): InputPath and
 * OutputPath select, ResultPath places a result into the state's input.
 */
export function readPath(value: unknown, path: string | null | undefined): unknown {
  if (path === null) return {};
  if (path === undefined || path === "$") return value;
  if (!path.startsWith("$.")) throw new AslError("States.Runtime", `Unsupported path ${path}`);
  let current: unknown = value;
  for (const key of path.slice(2).split(".")) {
    if (typeof current !== "object" || current === null || !(key in current)) {
      throw new AslError("States.Runtime", `Path ${path} not found in input`);
    }
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

export function writeResult(input: unknown, result: unknown, path: string | null | undefined): unknown {
  if (path === null) return input;
  if (path === undefined || path === "$") return result;
  if (!path.startsWith("$.")) throw new AslError("States.Runtime", `Unsupported ResultPath ${path}`);
  const root: Record<string, unknown> =
    typeof input === "object" && input !== null && !Array.isArray(input)
      ? (structuredClone(input as object) as Record<string, unknown>)
      : {};
  const keys = path.slice(2).split(".");
  let node = root;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node[key] = typeof next === "object" && next !== null ? next : {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = result;
  return root;
}
