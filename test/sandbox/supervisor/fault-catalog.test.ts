import { describe, expect, it } from "vitest";
import {
  describeFault,
  FAULTS,
  faultHelp,
  parseClear,
  parseFault,
} from "../../../src/sandbox/supervisor/fault-catalog.js";

const ctx = {
  regions: ["us-east-1", "us-west-2"] as const,
  alarms: ["case-db-replication-lag"],
  secrets: ["case-api/db"],
};

describe("fault catalogue", () => {
  it("parses every fault the CLI offers", () => {
    expect(parseFault("region-down", ["us-west-2"], ctx)).toEqual({
      name: "region-down",
      region: "us-west-2",
    });
    expect(parseFault("db-primary-down", [], ctx)).toEqual({ name: "db-primary-down" });
    expect(parseFault("replication-pause", [], ctx)).toEqual({ name: "replication-pause" });
    expect(parseFault("arc-endpoints", ["3", "blackhole"], ctx)).toEqual({
      name: "arc-endpoints",
      count: 3,
      mode: "blackhole",
      delayMs: 3_000,
    });
    expect(parseFault("arc-endpoints", ["1", "slow", "250"], ctx)).toMatchObject({ delayMs: 250 });
    expect(parseFault("missing-secret", ["case-api/db"], ctx)).toEqual({
      name: "missing-secret",
      secret: "case-api/db",
      region: "us-west-2",
    });
    expect(parseFault("alarm", ["case-db-replication-lag", "ALARM"], ctx)).toMatchObject({ state: "ALARM" });
    expect(parseFault("throttle", ["rds", "5"], ctx)).toEqual({ name: "throttle", service: "rds", rps: 5 });
    expect(parseFault("capacity-shortage", ["us-west-2"], ctx)).toEqual({
      name: "capacity-shortage",
      region: "us-west-2",
    });
    expect(parseFault("capacity-shortage", [], ctx)).toBe(
      "usage: runbook sandbox fault capacity-shortage <region>",
    );
    expect(parseFault("capacity-shortage", ["mars-1"], ctx)).toMatch(/unknown region mars-1/);
    expect(parseClear("capacity-shortage", ["us-west-2"])).toEqual({
      name: "capacity-shortage",
      selector: "us-west-2",
    });
    expect(describeFault({ name: "capacity-shortage", region: "us-west-2" })).toBe(
      "capacity-shortage us-west-2",
    );
  });

  it("says what is wrong with bad arguments", () => {
    expect(parseFault("nope", [], ctx)).toMatch(/^unknown fault nope \(one of region-down/);
    expect(parseFault("region-down", [], ctx)).toBe("usage: runbook sandbox fault region-down <region>");
    expect(parseFault("region-down", ["eu-west-9"], ctx)).toMatch(/unknown region eu-west-9/);
    expect(parseFault("replication-pause", ["now"], ctx)).toMatch(/^usage:/);
    expect(parseFault("arc-endpoints", ["6", "down"], ctx)).toMatch(/k must be 1 to 5/);
    expect(parseFault("arc-endpoints", ["2", "sideways"], ctx)).toMatch(/mode must be/);
    expect(parseFault("missing-secret", ["other"], ctx)).toMatch(/unknown secret other/);
    expect(parseFault("alarm", ["case-db-replication-lag", "RED"], ctx)).toMatch(/ALARM or OK/);
    expect(parseFault("throttle", ["rds", "fast"], ctx)).toMatch(/rps must be a number/);
    expect(parseClear("nope", [])).toMatch(/^unknown fault nope/);
    expect(parseClear("region-down", [])).toEqual({ name: "region-down", selector: undefined });
    // The command that set a fault, repeated with --clear, lifts it: extra arguments are ignored.
    expect(parseClear("missing-secret", ["case-api/db", "us-west-2"])).toEqual({
      name: "missing-secret",
      selector: "case-api/db",
    });
    expect(parseClear("arc-endpoints", ["2", "blackhole"])).toEqual({
      name: "arc-endpoints",
      selector: undefined,
    });
  });

  it("lists every fault in the help, and describes them for status", () => {
    const help = faultHelp();
    for (const f of FAULTS) expect(help).toContain(f.usage);
    expect(describeFault({ name: "arc-endpoints", count: 2, mode: "slow", delayMs: 500 })).toBe(
      "arc-endpoints 2 slow 500ms",
    );
    expect(describeFault({ name: "throttle", service: "rds", rps: 2 })).toBe("throttle rds 2/s");
  });

  it("deny: an IAM action (or pattern) and an optional principal, cleared by its action", () => {
    expect(parseFault("deny", ["rds:FailoverGlobalCluster"], ctx)).toEqual({
      name: "deny",
      action: "rds:FailoverGlobalCluster",
      principal: undefined,
    });
    expect(parseFault("deny", ["rds:Failover*", "operator"], ctx)).toMatchObject({ principal: "operator" });
    expect(parseFault("deny", [], ctx)).toBe("usage: runbook sandbox fault deny <action> [principal]");
    expect(parseFault("deny", ["FailoverGlobalCluster"], ctx)).toMatch(
      /action must be <service prefix>:<Action>/,
    );
    expect(parseClear("deny", ["rds:FailoverGlobalCluster", "operator"])).toEqual({
      name: "deny",
      selector: "rds:FailoverGlobalCluster",
    });
    expect(describeFault({ name: "deny", action: "rds:FailoverGlobalCluster", principal: undefined })).toBe(
      "deny rds:FailoverGlobalCluster to every sandbox principal",
    );
    expect(faultHelp()).toContain("deny <action> [principal]");
  });
});
