import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { renderTimelineJson } from "../../src/report/json-timeline.js";
import type { Timeline } from "../../src/report/timeline-model.js";
import { timelineJsonSchema, timelineSchema } from "../../src/report/timeline-schema.js";
import { SCENARIOS } from "../fixtures/journal-scenarios.js";
import { fixtureTimeline } from "./helpers.js";

type FromSchema = z.infer<typeof timelineSchema>;

const SCHEMA_FILE = new URL("../../schema/timeline.schema.json", import.meta.url);

describe("timeline JSON schema", () => {
  it("describes the same shape as the Timeline type, both ways (checked by tsc)", () => {
    const toModel = (x: FromSchema): Timeline => x;
    const toSchema = (x: Timeline): FromSchema => x;
    const t = fixtureTimeline("completed");
    expect(toModel(toSchema(t))).toBe(t);
  });

  it.each(Object.keys(SCENARIOS))(
    "the %s timeline JSON validates (strict: no undocumented fields)",
    (name) => {
      const json = JSON.parse(renderTimelineJson(fixtureTimeline(name)));
      const result = timelineSchema.safeParse(json);
      expect(result.success ? [] : result.error.issues).toEqual([]);
    },
  );

  it("rejects an undocumented field and a non-UTC instant", () => {
    const json = JSON.parse(renderTimelineJson(fixtureTimeline("completed")));
    expect(timelineSchema.safeParse({ ...json, extra: 1 }).success).toBe(false);
    json.header.startedAt = "2026-11-27 03:12:00";
    expect(timelineSchema.safeParse(json).success).toBe(false);
  });

  it("schema/timeline.schema.json is generated from the zod schema (UPDATE_GOLDEN=1 rewrites it)", () => {
    const generated = `${JSON.stringify(timelineJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(SCHEMA_FILE, generated);
    expect(existsSync(SCHEMA_FILE)).toBe(true);
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(generated);
    expect(JSON.parse(generated).$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });
});
