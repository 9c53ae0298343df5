import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic, ValidationError } from "../../src/errors.js";
import { RULES } from "../../src/lint/rule-catalog.js";
import { FIXTURES, lintFixture, lintText, ruleIds } from "./lint-fixture.js";

/** Every rule has a fixture that trips it and one that does not; both are valid runbooks. */
const PAIRS: Record<string, { trips: string; passes: string }> = {
  RB000: { trips: "rules/ignore-rb000-trips.yaml", passes: "rules/failover-ignore-passes.yaml" },
  RB001: { trips: "rules/failover-rb001-trips.yaml", passes: "rules/failover-rb001-passes.yaml" },
  RB002: { trips: "rules/failover-rb002-trips.yaml", passes: "rules/failover-rb002-passes.yaml" },
  RB003: { trips: "rules/failover-rb003-trips.yaml", passes: "rules/weights-rb003-passes.yaml" },
  RB004: { trips: "rules/failover-rb004-trips.yaml", passes: "rules/failover-rb004-passes.yaml" },
  RB005: { trips: "rules/failover-rb005-trips.yaml", passes: "rules/failover-rb005-passes.yaml" },
  RB006: { trips: "rules/failover-rb006-trips.yaml", passes: "rules/failover-rb006-passes.yaml" },
  RB007: { trips: "rules/failover-rb007-trips.yaml", passes: "rules/failover-rb007-passes.yaml" },
  RB008: { trips: "rules/failover-rb008-trips.yaml", passes: "rules/failover-rb008-passes.yaml" },
  RB009: { trips: "rules/failover-rb009-trips.yaml", passes: "rules/failover-rb009-passes.yaml" },
  RB010: { trips: "rules/failover-rb010-trips.yaml", passes: "rules/failover-rb010-passes.yaml" },
  RB011: { trips: "rules/failover-rb011-trips.yaml", passes: "rules/failover-rb011-passes.yaml" },
  RB012: { trips: "rules/failover-rb012-trips.yaml", passes: "rules/failover-rb012-passes.yaml" },
  RB013: { trips: "rules/secret-rb013-trips.yaml", passes: "rules/secret-rb013-passes.yaml" },
  RB014: { trips: "rules/ignore-rb014-trips.yaml", passes: "rules/failover-ignore-passes.yaml" },
};

describe("lint rules", () => {
  it("every rule in the catalog has a pair of fixtures, and every rules/ fixture is used", () => {
    expect(Object.keys(PAIRS).sort()).toEqual(RULES.map((r) => r.id));
    const used = new Set(Object.values(PAIRS).flatMap((p) => [p.trips, p.passes]));
    const files = readdirSync(join(FIXTURES, "rules")).map((f) => `rules/${f}`);
    // The failback twin is there to be found, not linted on its own.
    expect(files.filter((f) => !used.has(f))).toEqual(["rules/failback-rb008-passes.yaml"]);
  });

  for (const [id, pair] of Object.entries(PAIRS)) {
    it(`${id} trips on ${pair.trips} and not on ${pair.passes}`, () => {
      expect(ruleIds(lintFixture(pair.trips))).toContain(id);
      expect(ruleIds(lintFixture(pair.passes))).not.toContain(id);
    });
  }

  it("a complete failover and its failback twin have no findings at all", () => {
    for (const f of ["clean/failover-clean.yaml", "clean/failback-clean.yaml"]) {
      const r = lintFixture(f);
      expect(r.findings, f).toEqual([]);
      expect(r.ignored, f).toEqual([]);
    }
  });

  it("each finding names the node it is about, with the rule's severity and fix", () => {
    const r = lintFixture("rules/failover-rb001-trips.yaml");
    const f = r.findings.find((x) => x.ruleId === "RB001")!;
    expect(f).toMatchObject({
      rule: "traffic-before-promotion",
      severity: "error",
      file: "test/fixtures/lint/rules/failover-rb001-trips.yaml",
      line: 14,
      column: 5,
    });
    expect(f.message).toBe(
      '"shift-early" (arc.set-routing-controls) shifts traffic before the database is promoted by "promote"',
    );
    expect(f.fix).toMatch(/^Move the traffic step after the promotion/);
  });

  it("RB002: the lag read after the promotion does not count; the abort probe and the switchover do", () => {
    const trips = lintFixture("rules/failover-rb002-trips.yaml").findings.filter((f) => f.ruleId === "RB002");
    expect(trips.map((f) => f.line)).toEqual([7]);
  });

  it("RB004 reports each shallow check after the shift at its url", () => {
    const found = lintFixture("rules/failover-rb004-trips.yaml").findings.filter((f) => f.ruleId === "RB004");
    expect(found.map((f) => `${f.line}:${f.column}`)).toEqual(["17:18", "20:18"]);
  });

  it("RB006 names the undo step and what it cannot undo", () => {
    const [f] = lintFixture("rules/failover-rb006-trips.yaml").findings.filter((x) => x.ruleId === "RB006");
    expect(f!.line).toBe(21);
    expect(f!.message).toContain('"unshift" reverses traffic changed only by "shift"');
    expect(f!.message).toContain('point of no return "promote"');
  });

  it("RB007 finds a param, an ARN, a map key and an input default, and repeats only the match", () => {
    const found = lintFixture("rules/failover-rb007-trips.yaml").findings.filter((f) => f.ruleId === "RB007");
    expect(found.map((f) => `${f.line}:${f.column} ${f.message}`)).toEqual([
      "8:22 region us-west-2 is hard-coded here",
      "14:17 region us-west-2 is hard-coded here",
      expect.stringMatching(/^31:18 ARN arn:aws:route53-recovery-control::111111111111:controlpanel\//),
      "41:20 region us-east-1 is hard-coded here",
    ]);
  });

  it("RB008 looks for the twin among the file's siblings", () => {
    const alone = lintFixture("rules/failover-rb008-passes.yaml", []);
    expect(alone.findings.find((f) => f.ruleId === "RB008")?.message).toContain(
      "no failback-rb008-passes.yaml beside it",
    );
    const yml = lintFixture("rules/failover-rb008-trips.yaml", ["failback-rb008-trips.yml"]);
    expect(ruleIds(yml)).not.toContain("RB008");
  });

  it("RB008 to RB011 leave a failover of exec steps alone: there is no AWS to judge", () => {
    const ids = ruleIds(lintFixture("rules/failover-rb005-trips.yaml", []));
    for (const id of ["RB008", "RB009", "RB010", "RB011"]) expect(ids).not.toContain(id);
  });

  it("RB012 says how it counted: the worst case, the costliest steps, and what it left out", () => {
    const [f] = lintFixture("rules/failover-rb012-trips.yaml").findings.filter((x) => x.ruleId === "RB012");
    expect(f!.message).toBe(
      'objectives.rto 5m is shorter than the worst case of the steps up to service_restored ("restored"): 17m02s by their timeouts and retries (costliest: promote 10m00s, slow-check 6m02s, settle 1m00s); 2 steps without a timeout not counted',
    );
    expect(f!.fix).toContain("raise objectives.rto to at least 17m02s");
    expect(`${f!.line}:${f!.column}`).toBe("7:20");
  });

  it("a password in a URL or a connection string never reaches a finding", () => {
    const r = lintText(
      "failover-leaky",
      `apiVersion: runbook/v1
kind: Runbook
metadata: { name: failover-leaky, environment: sandbox }
objectives: { rto: 1h, rpo: 1m }
steps:
  - id: lag
    type: postgres.query
    with: { connection: "postgres://app:s3cret-pw@db.us-west-2.rds.amazonaws.com/app", sql: "SELECT replay_lag FROM pg_stat_replication" }
  - { id: promote, type: exec, with: { command: [./promote.sh] }, milestone: db_promoted }
  - { id: shift, type: exec, with: { command: [./route.sh] }, milestone: traffic_shifted }
  - { id: check, type: http.check, with: { url: "https://probe:s3cret-pw@api.example.com/health" } }
`,
    );
    expect(ruleIds(r)).toEqual(expect.arrayContaining(["RB004", "RB007"]));
    expect(JSON.stringify(r)).not.toContain("s3cret-pw");
  });

  it("validate refuses a malformed ignore: an id that is not RBnnn, a reason left empty, a typo", () => {
    const text = `apiVersion: runbook/v1
kind: Runbook
metadata:
  name: t
  environment: sandbox
  lint: { ignore: { rb9: "x", RB001: "  " }, ignor: 1 }
steps:
  - { id: a, type: note, with: { message: hi } }
`;
    expect(() => lintText("t", text)).toThrow(ValidationError);
    try {
      lintText("t", text);
    } catch (err) {
      expect((err as ValidationError).diagnostics.map(formatDiagnostic)).toEqual([
        't.yaml:6:26: metadata.lint.ignore.rb9: "rb9" is not a lint rule id: RB and three digits, e.g. RB009',
        "t.yaml:6:38: metadata.lint.ignore.RB001: say why the rule does not apply to this runbook",
        't.yaml:6:46: unknown field "ignor" (did you mean "ignore"?)',
      ]);
    }
  });

  it("RB013 never repeats the secret", () => {
    const r = lintFixture("rules/secret-rb013-trips.yaml");
    expect(JSON.stringify(r)).not.toContain("hunter2");
    expect(r.findings.find((f) => f.ruleId === "RB013")).toMatchObject({ line: 6, column: 40 });
  });

  it("an ignored finding is kept aside with its reason; unknown and stale ignores are reported", () => {
    const r = lintFixture("rules/failover-ignore-passes.yaml");
    expect(r.ignored.map((f) => [f.ruleId, f.reason])).toEqual([
      ["RB010", "the service runs no scheduled jobs and consumes no queues"],
    ]);
    const unknown = lintFixture("rules/ignore-rb000-trips.yaml").findings.map((f) => [f.ruleId, f.message]);
    expect(unknown).toEqual([
      ["RB000", "metadata.lint.ignore names RB099, which is no lint rule"],
      ["RB000", "RB000 cannot be ignored"],
    ]);
    expect(lintFixture("rules/ignore-rb014-trips.yaml").findings).toMatchObject([
      { ruleId: "RB014", severity: "note", line: 7, column: 21 },
    ]);
  });
});
