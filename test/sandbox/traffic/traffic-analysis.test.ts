import { describe, expect, it } from "vitest";
import { analyzeTraffic } from "../../../src/sandbox/traffic/traffic-analysis.js";
import { parseTrafficLog, type TrafficLogEntry } from "../../../src/sandbox/traffic/traffic-log.js";

/** A request sent at `sentAt` that took 10 ms; ok ones acknowledge case `c<seq>`. */
function request(seq: number, sentAt: number, ok: boolean, region = "A"): TrafficLogEntry[] {
  const doneAt = sentAt + 10;
  const attempt: TrafficLogEntry = {
    kind: "attempt",
    seq,
    sentAt,
    doneAt,
    ok,
    region,
    ...(ok ? { status: 201 } : {}),
  };
  return ok ? [attempt, { kind: "ack", seq, caseId: `c${seq}`, ackAt: doneAt, region }] : [attempt];
}

describe("traffic analysis (pure)", () => {
  it("reports no outage and no loss for a clean run", () => {
    const log = [...request(1, 0, true), ...request(2, 50, true)];
    const analysis = analyzeTraffic(log, new Set(["c1", "c2"]));
    expect(analysis).toMatchObject({
      attempts: 2,
      succeeded: 2,
      failed: 0,
      acknowledged: 2,
      outage: undefined,
    });
    expect(analysis.lostWrites).toEqual([]);
    expect(analysis.lostWindowMs).toBeUndefined();
  });

  it("measures the outage from the first failure to the first success after the last failure", () => {
    const log = [
      ...request(1, 0, true),
      ...request(2, 50, false),
      ...request(3, 100, true), // a flap: the outage is not over
      ...request(4, 150, false),
      ...request(5, 200, true, "B"),
      ...request(6, 250, true, "B"),
    ];
    const analysis = analyzeTraffic(log, new Set(["c1", "c3", "c5", "c6"]));
    expect(analysis.outage).toEqual({ startedAt: 50, endedAt: 210, durationMs: 160, failedAttempts: 2 });
    expect(analysis.byRegion).toEqual({ A: 4, B: 2 });
  });

  it("reports an outage that has not ended", () => {
    const log = [...request(1, 0, true), ...request(2, 50, false), ...request(3, 100, false)];
    expect(analyzeTraffic(log, new Set(["c1"])).outage).toEqual({
      startedAt: 50,
      endedAt: undefined,
      durationMs: undefined,
      failedAttempts: 2,
    });
  });

  it("lists acknowledged writes missing from the database, oldest first", () => {
    const log = [
      ...request(3, 100, true),
      ...request(1, 0, true),
      ...request(2, 50, true),
      ...request(4, 150, false),
    ];
    const analysis = analyzeTraffic(log, new Set(["c1"]));
    expect(analysis.lostWrites.map((w) => w.caseId)).toEqual(["c2", "c3"]);
    expect(analysis.lostWindowMs).toBe(50);
  });

  it("parses the JSONL log, ignoring blank lines", () => {
    const text = `${request(1, 0, true)
      .map((e) => JSON.stringify(e))
      .join("\n")}\n\n`;
    expect(parseTrafficLog(text)).toEqual(request(1, 0, true));
  });
});
