import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeWorkdir, ROOT, runCli } from "../cli/harness.js";
import { sandboxHome } from "../stepfunctions/export-fixtures.js";

/** `runbook export` as an operator runs it: the built CLI, in a project of its own. */

function project(): string {
  const dir = makeWorkdir();
  cpSync(join(ROOT, "environments"), join(dir, "environments"), { recursive: true });
  return dir;
}

const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));

describe("runbook export", () => {
  it("writes the machine, its manifest and its policies under .runbook/export/<runbook>/, and says what it wrote", async () => {
    const dir = project();
    const r = await runCli(
      ["export", "failover-case-api", "--env", "aws-example", "--target", "stepfunctions"],
      dir,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = join(dir, ".runbook", "export", "failover-case-api");
    const definition = json(join(out, "failover-case-api.asl.json"));
    const manifest = json(join(out, "failover-case-api.manifest.json"));
    const policies = json(join(out, "failover-case-api.policies.json"));
    expect(definition).toMatchObject({ StartAt: "start", QueryLanguage: "JSONPath" });
    // The recovery region is the environment's vars.secondaryRegion; the account its first.
    expect(manifest).toMatchObject({ region: "ap-southeast-3", accountId: "111122223333" });
    expect(Object.keys(policies)).toEqual(["states", "steps", "approvals"]);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe(
      "Exported failover-case-api for aws-example to Step Functions: state machine runbook-failover-case-api in ap-southeast-3, account 111122223333",
    );
    expect(lines[1]).toMatch(
      /^ {2}\d+ states: \d+ Tasks \(\d+ steps, 2 gates, \d+ abort probes\), 6 guards, 4 milestones$/,
    );
    expect(lines[2]).toMatch(
      /^ {2}history: at most [\d,]+ events of the 25,000 an execution may write \(costliest loop: guard\.\d+\.watch\./,
    );
    expect(lines.slice(3)).toEqual([
      "  wrote .runbook/export/failover-case-api/failover-case-api.asl.json",
      "  wrote .runbook/export/failover-case-api/failover-case-api.manifest.json",
      "  wrote .runbook/export/failover-case-api/failover-case-api.policies.json",
    ]);
  });

  it("for the sandbox: its account, its recovery region, -o and --region", async () => {
    const dir = project();
    const home = sandboxHome();
    const env = { RUNBOOK_HOME: home };
    const r = await runCli(
      ["export", "failover-case-api", "--env", "sandbox", "--target", "stepfunctions"],
      dir,
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(json(join(home, "export", "failover-case-api", "failover-case-api.manifest.json"))).toMatchObject({
      region: "us-west-2",
      accountId: "000000000000",
    });
    const other = await runCli(
      [
        "export",
        "failover-case-api",
        "-e",
        "sandbox",
        "-t",
        "stepfunctions",
        "-o",
        "out",
        "--region",
        "us-east-2",
      ],
      dir,
      env,
    );
    expect(other.code, other.stderr).toBe(0);
    expect(json(join(dir, "out", "failover-case-api.manifest.json")).region).toBe("us-east-2");
  });

  it("refuses another target, naming the ones there are", async () => {
    const dir = project();
    const r = await runCli(["export", "failover-case-api", "--env", "aws-example", "--target", "argo"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: unknown target "argo": use one of stepfunctions');
    const none = await runCli(["export", "failover-case-api", "--env", "aws-example"], dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("export needs --target: use one of stepfunctions");
  });

  it("refuses a runbook Step Functions cannot run, at file:line:col, writing nothing", async () => {
    const dir = project();
    const r = await runCli(
      ["export", "failover-toy", "--env", "aws-example", "--target", "stepfunctions"],
      dir,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^\S+failover-toy\.yaml:31:11: step start-toy: exec steps need to say where they run on Step Functions/,
    );
    expect(r.stderr).not.toContain("    at ");
    expect(existsSync(join(dir, ".runbook", "export", "failover-toy"))).toBe(false);
  });
});
