import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { Log } from "sarif";
import { describe, expect, it } from "vitest";
import { lintFiles } from "../../src/commands/lint.js";
import { RULES } from "../../src/lint/rule-catalog.js";
import { fakeIo } from "../language/fake-io.js";
import { FIXTURES, ROOT } from "./lint-fixture.js";
import { sarifValidator } from "./sarif-schema.js";

async function sarif(files: string[], cwd = ROOT): Promise<{ text: string; log: Log; code: number }> {
  const io = fakeIo(cwd);
  const code = await lintFiles(files, io, { format: "sarif", version: "9.8.7" });
  return { text: io.out(), log: JSON.parse(io.out()) as Log, code };
}

const shipped = readdirSync(join(ROOT, "runbooks"))
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => join("runbooks", f));
const fixtures = ["clean", "rules"].flatMap((d) =>
  readdirSync(join(FIXTURES, d)).map((f) => join("test", "fixtures", "lint", d, f)),
);

describe("runbook lint --format sarif", () => {
  const validate = sarifValidator();

  it("the validator is the real schema: it refuses a run without its tool", () => {
    expect(validate({ version: "2.1.0", runs: [{ results: [] }] })).toBe(false);
  });

  it("the shipped runbooks' SARIF is valid against the official SARIF 2.1.0 schema", async () => {
    const { log } = await sarif(shipped);
    const ok = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(log.version).toBe("2.1.0");
    expect(log.$schema).toBe("https://json.schemastore.org/sarif-2.1.0.json");
  });

  it("so is every fixture's: errors, warnings, notes, suppressions", async () => {
    const { log, code } = await sarif(fixtures);
    expect(code).toBe(1);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const levels = new Set(log.runs[0]!.results!.map((r) => r.level));
    expect([...levels].sort()).toEqual(["error", "note", "warning"]);
    const suppressed = log.runs[0]!.results!.filter((r) => r.suppressions);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]!.suppressions).toEqual([
      { kind: "inSource", justification: "the service runs no scheduled jobs and consumes no queues" },
    ]);
  });

  it("describes every rule in the driver; each result points at its rule", async () => {
    const { log } = await sarif(fixtures);
    const driver = log.runs[0]!.tool.driver;
    expect(driver.name).toBe("runbook");
    expect(driver.version).toBe("9.8.7");
    expect(driver.informationUri).toBeUndefined();
    expect(driver.rules!.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    const rb012 = driver.rules!.find((r) => r.id === "RB012")!;
    expect(rb012).toMatchObject({
      name: "rto-below-critical-path",
      shortDescription: { text: "The RTO objective is shorter than the critical path's timeouts" },
      help: { text: RULES.find((r) => r.id === "RB012")!.fix },
      defaultConfiguration: { level: "warning" },
    });
    for (const r of log.runs[0]!.results!) {
      expect(driver.rules![r.ruleIndex!]!.id).toBe(r.ruleId);
      expect(r.level).toBe(driver.rules![r.ruleIndex!]!.defaultConfiguration!.level);
    }
  });

  it("locations are relative to the working directory, with forward slashes, against %SRCROOT%", async () => {
    const { log } = await sarif(["test/fixtures/lint/rules/failover-rb001-trips.yaml"]);
    const rb001 = log.runs[0]!.results!.find((r) => r.ruleId === "RB001")!;
    expect(rb001.locations).toEqual([
      {
        physicalLocation: {
          artifactLocation: {
            uri: "test/fixtures/lint/rules/failover-rb001-trips.yaml",
            uriBaseId: "%SRCROOT%",
          },
          region: { startLine: 14, startColumn: 5 },
        },
      },
    ]);
    expect(rb001.message.text).toContain('"shift-early" (arc.set-routing-controls) shifts traffic');
  });

  it("a file outside the working directory is an absolute file: URI", async () => {
    const { log } = await sarif([join(FIXTURES, "rules", "secret-rb013-trips.yaml")], join(ROOT, "runbooks"));
    const uri = log.runs[0]!.results![0]!.locations![0]!.physicalLocation!.artifactLocation!;
    expect(uri).toEqual({ uri: `file://${join(FIXTURES, "rules", "secret-rb013-trips.yaml")}` });
  });

  it("is the same bytes every time, whatever order the files are given in", async () => {
    const first = await sarif(fixtures);
    const again = await sarif([...fixtures].reverse());
    expect(again.text).toBe(first.text);
    expect(first.text).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });
});
