import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RULES } from "../../src/lint/rule-catalog.js";
import { makeWorkdir, ROOT, runCli } from "../cli/harness.js";
import { sarifValidator } from "../lint/sarif-schema.js";

/** `runbook lint` and `runbook validate --lint` as an operator or a CI job runs them: the built CLI. */

const FIXTURES = join(ROOT, "test", "fixtures", "lint");

/** A project folder whose runbooks/ holds the given fixtures. */
function project(fixtures: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "runbook-lint-"));
  mkdirSync(join(dir, "runbooks"));
  for (const f of fixtures) copyFileSync(join(FIXTURES, f), join(dir, "runbooks", f.split("/").at(-1)!));
  return dir;
}

describe("runbook lint", () => {
  it("with no files lints runbooks/*.yaml; no errors is exit 0", async () => {
    const dir = project(["clean/failover-clean.yaml", "clean/failback-clean.yaml"]);
    const r = await runCli(["lint"], dir);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("2 runbooks linted: 0 errors, 0 warnings, 0 notes\n");
    expect(r.code).toBe(0);
  });

  it("an error finding is exit 1: file:line:col severity id message, and its fix", async () => {
    const dir = project(["rules/failover-rb001-trips.yaml"]);
    const r = await runCli(["lint", "runbooks/failover-rb001-trips.yaml"], dir);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toContain(
      'runbooks/failover-rb001-trips.yaml:14:5 error RB001 "shift-early" (arc.set-routing-controls) shifts traffic before the database is promoted by "promote"',
    );
    const at = lines.findIndex((l) => l.includes(" RB001 "));
    expect(lines[at + 1]).toMatch(/^ {2}fix: Move the traffic step after the promotion/);
    expect(lines.at(-1)).toBe("1 runbook linted: 1 error, 5 warnings, 0 notes");
    // Sorted by line, then rule: the runbook-level findings (metadata.name, line 4) come first.
    const positions = lines
      .filter((l) => !l.startsWith(" ") && l.includes(".yaml:"))
      .map((l) => l.split(" ")[0] ?? "");
    const lineOf = (p: string) => Number(p.split(":")[1]);
    expect(positions).toEqual([...positions].sort((a, b) => lineOf(a) - lineOf(b)));
  });

  it("warnings alone are exit 0, and exit 1 with --strict", async () => {
    const dir = project(["rules/failover-rb012-passes.yaml"]);
    expect((await runCli(["lint"], dir)).code).toBe(1); // RB002: no lag check
    const warnOnly = project(["rules/failover-rb008-trips.yaml"]);
    const r = await runCli(["lint"], warnOnly);
    expect(r.stdout).toContain("0 errors, 5 warnings");
    expect(r.code).toBe(0);
    expect((await runCli(["lint", "--strict"], warnOnly)).code).toBe(1);
  });

  it("--format json: the documented shape on stdout", async () => {
    const dir = project(["rules/secret-rb013-trips.yaml"]);
    const r = await runCli(["lint", "--format", "json"], dir);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.findings).toEqual([
      {
        ruleId: "RB013",
        rule: "secret-input-default",
        severity: "error",
        message: 'secret input "dbPassword" has a default: its value is committed with the runbook',
        fix: RULES.find((x) => x.id === "RB013")!.fix,
        file: "runbooks/secret-rb013-trips.yaml",
        line: 6,
        column: 40,
      },
    ]);
    expect(out.summary).toEqual({ files: 1, invalid: 0, errors: 1, warnings: 0, notes: 0, ignored: 0 });
    expect(r.stdout).not.toContain("hunter2");
  });

  it("--format sarif of runbooks/*.yaml is valid SARIF 2.1.0 with this version of runbook", async () => {
    const work = makeWorkdir();
    const r = await runCli(["lint", "--format", "sarif"], work);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const validate = sarifValidator();
    const log = JSON.parse(r.stdout);
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(log.runs[0].tool.driver.version).toBe(pkg.version);
    for (const result of log.runs[0].results)
      expect(result.locations[0].physicalLocation.artifactLocation.uri).toMatch(/^runbooks\/[a-z-]+\.yaml$/);
    expect((await runCli(["lint", "--format", "sarif"], work)).stdout).toBe(r.stdout);
  });

  it("paths: relative ones are shown relative, ones outside the working directory absolute", async () => {
    const dir = project(["rules/secret-rb013-trips.yaml"]);
    mkdirSync(join(dir, "sub"));
    const inside = await runCli(["lint", "./runbooks/../runbooks/secret-rb013-trips.yaml"], dir);
    expect(inside.stdout).toMatch(/^runbooks\/secret-rb013-trips\.yaml:6:40 error RB013 /);
    const outside = await runCli(["lint", "../runbooks/secret-rb013-trips.yaml"], join(dir, "sub"));
    expect(outside.stdout).toMatch(
      new RegExp(`^${join(dir, "runbooks")}/secret-rb013-trips\\.yaml:6:40 error`),
    );
    const absolute = await runCli(["lint", join(FIXTURES, "rules", "secret-rb013-trips.yaml")], dir);
    expect(absolute.stdout).toContain(
      `${join(FIXTURES, "rules", "secret-rb013-trips.yaml")}:6:40 error RB013`,
    );
  });

  it("an invalid runbook is reported as validate reports it, exit 2; the valid ones are still linted", async () => {
    const dir = project(["clean/failback-clean.yaml"]);
    writeFileSync(
      join(dir, "runbooks", "broken.yaml"),
      "apiVersion: runbook/v1\nkind: Runbook\nmetadata: { name: broken, environment: sandbox }\nsteps:\n  - { id: a, type: nope }\n",
    );
    const r = await runCli(["lint"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^runbooks\/broken\.yaml:5:20: unknown executor type "nope"/);
    expect(r.stderr).toContain("1 of 2 runbooks invalid");
    expect(r.stdout).toBe("1 runbook linted: 0 errors, 0 warnings, 0 notes; 1 invalid, not linted\n");
  });

  it("usage errors are exit 2 without a stack", async () => {
    const dir = project(["clean/failback-clean.yaml"]);
    const bad = await runCli(["lint", "--format", "xml"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("xml");
    expect(bad.stderr).not.toMatch(/\n {4}at /);
    const empty = mkdtempSync(join(tmpdir(), "runbook-lint-empty-"));
    const none = await runCli(["lint"], empty);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no runbooks to lint");
  });

  it("--help lists every rule, the formats, the exit codes and an example; --rules the fixes", async () => {
    const help = await runCli(["lint", "--help"], ROOT);
    expect(help.code).toBe(0);
    for (const r of RULES) expect(help.stdout).toMatch(new RegExp(`^ {2}${r.id} ${r.name} `, "m"));
    expect(help.stdout).toMatch(/--format <format>\s+output \(choices: "text", "json", "sarif"/);
    expect(help.stdout).toMatch(/Exit codes: 0 no errors/);
    expect(help.stdout).toContain("runbook lint runbooks/failover-case-api.yaml --format sarif");
    const rules = await runCli(["lint", "--rules"], ROOT);
    expect(rules.code).toBe(0);
    for (const r of RULES) expect(rules.stdout).toContain(`  fix: ${r.fix}`);
  });
});

describe("runbook validate --lint", () => {
  it("validates, then lints the same files: a lint error is exit 1", async () => {
    const dir = project(["rules/failover-rb001-trips.yaml", "clean/failback-clean.yaml"]);
    const r = await runCli(["validate", "--lint"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^ok runbooks\/failback-clean\.yaml .*\nok runbooks\/failover-rb001-trips\.yaml /,
    );
    expect(r.stdout).toContain("runbooks/failover-rb001-trips.yaml:14:5 error RB001 ");
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("2 runbooks linted: 1 error, 5 warnings, 0 notes");
  });

  it("an invalid file is reported once, and is exit 2", async () => {
    const dir = project(["clean/failback-clean.yaml"]);
    writeFileSync(join(dir, "runbooks", "broken.yaml"), "apiVersion: runbook/v1\nkind: Runbook\n");
    const r = await runCli(["validate", "--lint"], dir);
    expect(r.code).toBe(2);
    // Exactly what validate alone says: lint does not repeat it.
    const plain = await runCli(["validate"], dir);
    expect(r.stderr).toBe(plain.stderr);
    expect(r.stderr).toMatch(/^runbooks\/broken\.yaml:/);
    expect(r.stdout).toContain("1 runbook linted: 0 errors, 0 warnings, 0 notes; 1 invalid, not linted");
  });

  it("without --lint, validate lints nothing", async () => {
    const dir = project(["rules/failover-rb001-trips.yaml"]);
    const r = await runCli(["validate"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("RB001");
  });
});
