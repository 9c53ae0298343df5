// Regenerates schema/runbook.schema.json; a test fails when the checked-in file is stale.
import { writeFileSync } from "node:fs";
import { executors } from "../executors/index.js";
import { buildJsonSchema } from "../src/language/json-schema.js";

writeFileSync(
  new URL("../schema/runbook.schema.json", import.meta.url),
  `${JSON.stringify(buildJsonSchema(executors), null, 2)}\n`,
);
console.log("wrote schema/runbook.schema.json");
