import type { z } from "zod";
import type { Path } from "./source-map.js";

type Def = {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
};

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(s: z.ZodType): z.ZodType {
  let cur = s;
  for (
    let def = defOf(cur);
    def.innerType && ["optional", "nullable", "default", "pipe"].includes(def.type);
    def = defOf(cur)
  ) {
    cur = def.innerType;
  }
  return cur;
}

function objectKeys(s: z.ZodType): string[] {
  const def = defOf(unwrap(s));
  if (def.type === "object") return Object.keys(def.shape ?? {});
  if (def.type === "union") return [...new Set((def.options ?? []).flatMap(objectKeys))];
  return [];
}

/** The field names a schema allows at `path`, for "did you mean" suggestions. */
export function keysAt(schema: z.ZodType, path: Path): string[] {
  let s: z.ZodType | undefined = schema;
  for (const seg of path) {
    if (!s) return [];
    const def = defOf(unwrap(s));
    if (def.type === "object") s = def.shape?.[String(seg)];
    else if (def.type === "array") s = def.element;
    else if (def.type === "record") s = def.valueType;
    else if (def.type === "union") {
      s = (def.options ?? [])
        .map((o) => defOf(unwrap(o)))
        .find((d) => d.type === "object" && String(seg) in (d.shape ?? {}))?.shape?.[String(seg)];
    } else return [];
  }
  return s ? objectKeys(s) : [];
}
