import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import { type ExecutorStepIR, NO_RETRY, type Runbook } from "../../src/language/runbook.js";
import { readSourceText } from "../../src/language/source-text.js";
import { validateRunbook } from "../../src/language/validate.js";
import { urlDepth } from "../../src/lint/rules-readiness.js";
import { promotions, readsLag, runbookProfile, shiftsTraffic } from "../../src/lint/runbook-facts.js";
import { ROOT } from "./lint-fixture.js";

const step = (type: string, w: Record<string, unknown>, milestone?: string): ExecutorStepIR => ({
  kind: "executor",
  id: "s",
  type,
  with: w,
  retry: NO_RETRY,
  pointOfNoReturn: false,
  always: false,
  ...(milestone ? { milestone } : {}),
});

describe("what lint reads of a step", () => {
  it("a routing control turned Off is fencing; On, or a state it cannot read, shifts traffic", () => {
    const arc = (controls: unknown, milestone?: string) =>
      shiftsTraffic(step("arc.set-routing-controls", { controls }, milestone));
    expect(arc([{ arn: "${{ vars.a }}", state: "Off" }])).toBe(false);
    expect(
      arc([
        { arn: "${{ vars.a }}", state: "Off" },
        { arn: "${{ vars.b }}", state: "On" },
      ]),
    ).toBe(true);
    expect(arc("${{ vars.controls }}")).toBe(true);
    expect(arc("${{ vars.controls }}", "writes_fenced")).toBe(false);
    expect(shiftsTraffic(step("route53.set-weights", { weights: {} }))).toBe(true);
    expect(
      shiftsTraffic(step("aws.call", { service: "route-53", command: "ChangeResourceRecordSets" })),
    ).toBe(true);
    expect(shiftsTraffic(step("aws.call", { service: "route-53", command: "GetChange" }))).toBe(false);
    expect(shiftsTraffic(step("exec", { command: ["./route.sh"] }, "traffic_shifted"))).toBe(true);
  });

  it("a promotion is a promoting executor, an aws.call of one, or a db_promoted step or block, counted once", () => {
    const rb = (steps: Runbook["steps"]) => ({ steps }) as Runbook;
    const block = (children: ExecutorStepIR[]): Runbook["steps"][number] => ({
      kind: "parallel",
      id: "b",
      milestone: "db_promoted",
      children,
    });
    expect(promotions(rb([block([step("exec", {})])])).map((p) => p.id)).toEqual(["b"]);
    const failover = { ...step("rds.failover-global-cluster", { allowDataLoss: true }), id: "f" };
    expect(promotions(rb([block([failover])]))).toEqual([
      { id: "f", path: ["steps", 0, "parallel", 0], top: 0, lossless: false },
    ]);
    const call = step("aws.call", { service: "rds", command: "SwitchoverGlobalCluster" });
    expect(promotions(rb([call]))).toMatchObject([{ lossless: true }]);
    expect(promotions(rb([step("rds.failover-global-cluster", {})]))).toMatchObject([{ lossless: true }]);
  });

  it("replication lag is read by a *Lag metric, replay-lag SQL, or a command that names lag", () => {
    expect(readsLag(step("cloudwatch.metric", { metricName: "AuroraGlobalDBReplicationLag" }))).toBe(true);
    expect(readsLag(step("cloudwatch.metric", { metricName: "CPUUtilization" }))).toBe(false);
    expect(readsLag(step("postgres.query", { sql: "SELECT replay_lag FROM pg_stat_replication" }))).toBe(
      true,
    );
    expect(readsLag(step("postgres.query", { sql: "SELECT count(*) FROM cases" }))).toBe(false);
    expect(readsLag(step("exec", { command: ["./lag-below.sh", "60"] }))).toBe(true);
  });

  it("a URL's depth comes from its text and the names of the vars it is made of", () => {
    expect(urlDepth("https://api.example.com/health")).toBe("shallow");
    expect(urlDepth("https://api.example.com/healthz/")).toBe("shallow");
    expect(urlDepth("https://api.example.com/health/deep")).toBe("deep");
    expect(urlDepth("${{ vars.secondaryHealthUrl }}")).toBe("shallow");
    expect(urlDepth("${{ vars.frontDoorDeepHealthUrl }}")).toBe("deep");
    expect(urlDepth("${{ vars.frontDoorUrl }}")).toBe("unknown");
    expect(urlDepth("https://api.example.com/cases?probe=1")).toBe("unknown");
  });
});

describe("runbookProfile", () => {
  const profile = (file: string) => {
    const path = join(ROOT, file);
    const rb = validateRunbook(readSourceText(path), path, executors);
    return runbookProfile(rb, executors);
  };

  it("tells failovers, failbacks and the rest apart, and whether they call AWS", () => {
    expect(profile("runbooks/failover-toy.yaml")).toEqual({ kind: "failover", aws: false });
    expect(profile("runbooks/failover-case-api.yaml")).toEqual({ kind: "failover", aws: true });
    expect(profile("test/fixtures/lint/clean/failback-clean.yaml")).toEqual({ kind: "failback", aws: true });
    expect(profile("test/fixtures/lint/rules/weights-rb003-passes.yaml")).toEqual({
      kind: "other",
      aws: true,
    });
  });

  it("a runbook that records db_promoted is a failover even without the word; one that does not, is not", () => {
    const text = (milestone: string) =>
      `apiVersion: runbook/v1\nkind: Runbook\nmetadata: { name: move-db, environment: sandbox }\nobjectives: { rto: 1m, rpo: 1m }\nsteps:\n  - { id: a, type: exec, with: { command: [./a.sh] }${milestone} }\n`;
    const kind = (t: string) => runbookProfile(validateRunbook(t, "move-db.yaml", executors), executors).kind;
    expect(kind(text(", milestone: db_promoted"))).toBe("failover");
    expect(kind(text(""))).toBe("other");
  });
});
