import { z } from "zod";
import type { ExecutorDefinition } from "../executor.js";
import { RunbookDocument } from "./schema.js";

type Json = Record<string, unknown>;

/**
 * The published JSON Schema (schema/runbook.schema.json), generated from the same zod
 * schema that validates runbooks, plus each executor's own params schema under `with`,
 * so editors complete and check `with:` per `type:`.
 */
export function buildJsonSchema(registry: ReadonlyMap<string, ExecutorDefinition>): Json {
  const schema = z.toJSONSchema(RunbookDocument, { target: "draft-7" }) as Json;
  schema.$id = "https://runbook.dev/schema/runbook.schema.json";
  schema.title = "runbook/v1";
  const defs = schema.definitions as Record<string, Json>;
  const step = defs.ExecutorStep!;
  const types = [...registry.keys()].sort();
  (step.properties as Record<string, Json>).type = {
    type: "string",
    enum: types,
    description: "Executor type",
  };
  step.allOf = types.map((type) => {
    const params = z.toJSONSchema(registry.get(type)!.params, { target: "draft-7", io: "input" }) as Json;
    delete params.$schema;
    return {
      if: { properties: { type: { const: type } } },
      // biome-ignore lint/suspicious/noThenProperty: `then` is JSON Schema's conditional keyword
      then: { properties: { with: allowTemplates(params) } },
    };
  });
  return schema;
}

/** Any non-string value may instead be a `${{ … }}` template, resolved at run time. */
function allowTemplates(node: Json): Json {
  const template = { type: "string", pattern: "\\$\\{\\{" };
  if (node.type === "object" && node.properties) {
    const props = Object.fromEntries(
      Object.entries(node.properties as Record<string, Json>).map(([k, v]) => [k, allowTemplates(v)]),
    );
    return { ...node, properties: props };
  }
  if (Array.isArray(node.anyOf)) {
    const options = node.anyOf as Json[];
    return options.some((o) => o.type === "string") ? node : { ...node, anyOf: [...options, template] };
  }
  if (node.type === "string" || node.type === undefined) return node;
  return { anyOf: [node, template] };
}
