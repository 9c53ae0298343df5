import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lintFile, ROOT } from "./lint-fixture.js";

/** What the project ships lints without errors (warnings are allowed, and said). */
describe("runbooks/*.yaml", () => {
  const files = readdirSync(join(ROOT, "runbooks")).filter((f) => /\.ya?ml$/.test(f));

  it("there are runbooks to lint", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const f of files) {
    it(`${f} is valid and has no lint errors`, () => {
      const { findings } = lintFile(join(ROOT, "runbooks", f));
      expect(findings.filter((x) => x.severity === "error")).toEqual([]);
    });
  }
});
