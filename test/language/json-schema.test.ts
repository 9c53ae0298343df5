import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import { buildJsonSchema } from "../../src/language/json-schema.js";

describe("schema/runbook.schema.json", () => {
  it("is what the zod schema generates (run `npm run schema` after changing the language)", () => {
    const checkedIn = JSON.parse(
      readFileSync(new URL("../../schema/runbook.schema.json", import.meta.url), "utf8"),
    );
    expect(checkedIn).toEqual(JSON.parse(JSON.stringify(buildJsonSchema(executors))));
  });

  it("constrains `with` per executor type and allows templates in non-string fields", () => {
    const schema = buildJsonSchema(executors) as { definitions: Record<string, { allOf: unknown[] }> };
    const rules = schema.definitions.ExecutorStep!.allOf as {
      if: { properties: { type: { const: string } } };
      then: { properties: { with: { properties: Record<string, unknown> } } };
    }[];
    expect(rules.map((r) => r.if.properties.type.const)).toEqual([...executors.keys()].sort());
    const http = rules.find((r) => r.if.properties.type.const === "http.check")!;
    expect(http.then.properties.with.properties.expectStatus).toMatchObject({
      anyOf: [{ type: "integer" }, { type: "array" }, { type: "string", pattern: "\\$\\{\\{" }],
    });
  });
});
