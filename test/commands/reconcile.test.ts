import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { freePort, ROOT, runCli } from "../cli/harness.js";

/**
 * `runbook reconcile` refusing what it cannot do, through the real CLI: each refusal names
 * the reason and the next step, exits with the documented code, and appends nothing.
 */

const FIXTURES = join(ROOT, "test", "fixtures", "journals");
const COMPLETED = "failover-case-api-20261127T031200Z-a1b2";
const RUNNING = "failover-case-api-20261127T031200Z-c9d0";
const FAILED = "failover-case-api-20261125T224500Z-b3c4";

let project: string;
let home: string;
let closedPort: number;
const cli = (args: string[]) => runCli(args, project, { RUNBOOK_HOME: home });
const journal = (id: string) => readFileSync(join(home, "executions", id, "journal.jsonl"), "utf8");

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "runbook-reconcile-cli-"));
  home = join(project, ".runbook");
  for (const [file, id] of [
    ["completed.jsonl", COMPLETED],
    ["in-progress.jsonl", RUNNING],
    ["failed.jsonl", FAILED],
  ] as const) {
    mkdirSync(join(home, "executions", id), { recursive: true });
    copyFileSync(join(FIXTURES, file), join(home, "executions", id, "journal.jsonl"));
  }
  closedPort = await freePort();
  mkdirSync(join(project, "environments"));
  const head =
    "apiVersion: runbook/v1\nkind: Environment\nmetadata: { name: staging, environment: nonprod }\n";
  writeFileSync(
    join(project, "environments", "staging.yaml"),
    `${head}vars:\n  old: "postgres://reader:s3cret-pw@127.0.0.1:${closedPort}/case"\nreconcile:\n  oldPrimary: "\${{ vars.old }}"\n  promoted: "postgres://reader:s3cret-pw@127.0.0.1:${closedPort}/case"\n  tables: [{ name: cases, key: id, updatedAt: updated_at }]\n`,
  );
  writeFileSync(join(project, "environments", "bare.yaml"), head);
  writeFileSync(
    join(project, "environments", "broken.yaml"),
    `${head}reconcile:\n  oldPrimary: a\n  promoted: b\n  tables: [{ name: "cases; drop", key: id }]\n`,
  );
});

describe("runbook reconcile", () => {
  it("explains that both databases must answer, without the password, and appends nothing", async () => {
    const before = journal(COMPLETED);
    const r = await cli(["reconcile", COMPLETED, "--env", "staging"]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`127.0.0.1:${closedPort}`);
    expect(r.stderr).toMatch(/old primary back up/);
    expect(r.stderr + r.stdout).not.toContain("s3cret-pw");
    expect(journal(COMPLETED)).toBe(before);
  });

  it("needs a reconcile: section, and shows one", async () => {
    const r = await cli(["reconcile", COMPLETED, "--env", "environments/bare.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/has no reconcile: section/);
    expect(r.stderr).toMatch(/tables: \[\{ name: cases, key: id, updatedAt: updated_at \}\]/);
  });

  it("points at the line of a bad table spec", async () => {
    const r = await cli(["reconcile", COMPLETED, "--env", join(project, "environments", "broken.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml:\d+:\d+: reconcile\.tables\.0\.name: a plain SQL identifier/);
    expect(r.stderr).toMatch(/give updatedAt or version/);
  });

  it("refuses an execution still running, and one that never promoted a database", async () => {
    const running = await cli(["reconcile", RUNNING, "--env", "staging"]);
    expect(running.code).toBe(2);
    expect(running.stderr).toMatch(/still running/);
    const failed = await cli(["reconcile", FAILED, "--env", "staging"]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/never promoted a database/);
  });

  it("refuses unknown executions and formats", async () => {
    const unknown = await cli(["reconcile", "nope", "--env", "staging"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no execution "nope"/);
    const format = await cli(["reconcile", COMPLETED, "--format", "xml"]);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/--format text or --format json/);
  });

  it("--help teaches what it compares and where the result goes", async () => {
    const r = await cli(["reconcile", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rpo\.reconciled/);
    expect(r.stdout).toMatch(/region-down --clear/);
  });
});
