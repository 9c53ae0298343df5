import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import Ajv04 from "ajv-draft-04";
import formats from "ajv-formats";

/**
 * A validator for the official SARIF 2.1.0 schema, as @microsoft/jest-sarif ships it. The
 * schema is draft-04, hence ajv-draft-04; ajv-formats checks its `uri` formats. Its regexes
 * are not all valid in unicode mode. (Both packages are CommonJS: `.default` is the class.)
 */
export function sarifValidator() {
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(
    readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8"),
  );
  const ajv = new Ajv04.default({ strict: false, unicodeRegExp: false, allErrors: true });
  formats.default(ajv);
  return ajv.compile(schema);
}
