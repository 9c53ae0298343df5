import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../src/language/duration.js";
import { DURATION_PATTERN } from "../../src/language/schema.js";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["15m", 900_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["1m30s", 90_000],
    ["2h15m10s250ms", 8_110_250],
    ["1.5s", 1500],
    ["0.25h", 900_000],
    ["0s", 0],
    ["  5s  ", 5000],
  ])("%j is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it("reads `ms` as milliseconds, not minutes followed by seconds", () => {
    expect(parseDuration("10ms")).toBe(10);
    expect(parseDuration("10m5s")).toBe(605_000);
  });

  it("rounds fractional milliseconds", () => {
    expect(parseDuration("1.4ms")).toBe(1);
    expect(parseDuration("1.6ms")).toBe(2);
  });

  it.each(["", "   ", "5", "5x", "x5s", "s", "-5s", "5 s", "1m30", "5s!", "1,5s", "1e3ms", "5S", "PT5S"])(
    "%j is not a duration",
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it("agrees with the schema's DURATION_PATTERN", () => {
    const re = new RegExp(DURATION_PATTERN);
    for (const t of ["500ms", "1h30m", "1.5s", "5x", "5", "1m30", "1h1h", "10ms", "ms"]) {
      expect(parseDuration(t) !== undefined, t).toBe(re.test(t));
    }
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0ms"],
    [850, "850ms"],
    [999, "999ms"],
    [1000, "1.0s"],
    [12_345, "12.3s"],
    [60_000, "1m00s"],
    [245_000, "4m05s"],
    [3_599_000, "59m59s"],
    [3_600_000, "1h00m"],
    [3_720_000, "1h02m"],
    [90_000_000, "25h00m"],
    [-1500, "-1.5s"],
    [-850, "-850ms"],
  ])("%d ms is %j", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("round-trips whole minutes and seconds through parseDuration", () => {
    for (const text of ["4m05s", "1m00s", "59m59s"]) {
      expect(formatDuration(parseDuration(text)!)).toBe(text);
    }
  });
});
