import { Cron } from "croner";
import { describe, expect, it } from "vitest";
import {
  CronConversionError,
  toEventBridgeCron,
  toSystemdOnCalendar,
} from "../../src/schedule/cron-convert.js";

// [cron, EventBridge, systemd OnCalendar= line(s)]
const TABLE: [string, string, string[]][] = [
  ["0 3 * * 1", "cron(0 3 ? * MON *)", ["Mon *-*-* 03:00:00 UTC"]],
  ["0 3 * * MON", "cron(0 3 ? * MON *)", ["Mon *-*-* 03:00:00 UTC"]],
  ["0 3 * * 0", "cron(0 3 ? * SUN *)", ["Sun *-*-* 03:00:00 UTC"]],
  ["0 3 * * 7", "cron(0 3 ? * SUN *)", ["Sun *-*-* 03:00:00 UTC"]],
  ["0 3 * * 1-5", "cron(0 3 ? * MON-FRI *)", ["Mon..Fri *-*-* 03:00:00 UTC"]],
  ["0 3 * * mon-fri", "cron(0 3 ? * MON-FRI *)", ["Mon..Fri *-*-* 03:00:00 UTC"]],
  ["0 0 * * 5-7", "cron(0 0 ? * SUN,FRI,SAT *)", ["Sun,Fri,Sat *-*-* 00:00:00 UTC"]],
  ["0 0 * * 1,3,5", "cron(0 0 ? * MON,WED,FRI *)", ["Mon,Wed,Fri *-*-* 00:00:00 UTC"]],
  ["0 0 * * */2", "cron(0 0 ? * SUN,TUE,THU,SAT *)", ["Sun,Tue,Thu,Sat *-*-* 00:00:00 UTC"]],
  ["*/5 * * * *", "cron(0/5 * * * ? *)", ["*-*-* *:00/5:00 UTC"]],
  ["5-59/15 * * * *", "cron(5/15 * * * ? *)", ["*-*-* *:05/15:00 UTC"]],
  ["0 */2 * * *", "cron(0 0/2 * * ? *)", ["*-*-* 00/2:00:00 UTC"]],
  ["0 9-17 * * 1-5", "cron(0 9-17 ? * MON-FRI *)", ["Mon..Fri *-*-* 09..17:00:00 UTC"]],
  ["0,30 8 * * *", "cron(0,30 8 * * ? *)", ["*-*-* 08:00,30:00 UTC"]],
  ["30 4 1 * *", "cron(30 4 1 * ? *)", ["*-*-01 04:30:00 UTC"]],
  ["30 2 1,15 * *", "cron(30 2 1,15 * ? *)", ["*-*-01,15 02:30:00 UTC"]],
  ["0 6 1-7 * *", "cron(0 6 1-7 * ? *)", ["*-*-01..07 06:00:00 UTC"]],
  ["15 4 * JAN,jul SUN", "cron(15 4 ? 1,7 SUN *)", ["Sun *-01,07-* 04:15:00 UTC"]],
  ["0 0 1 */3 *", "cron(0 0 1 1/3 ? *)", ["*-01/3-01 00:00:00 UTC"]],
  ["@weekly", "cron(0 0 ? * SUN *)", ["Sun *-*-* 00:00:00 UTC"]],
  ["@daily", "cron(0 0 * * ? *)", ["*-*-* 00:00:00 UTC"]],
  // Both day fields restricted, but one matches every day: every day.
  ["0 0 1-31 * 1", "cron(0 0 * * ? *)", ["*-*-* 00:00:00 UTC"]],
  ["0 0 * * 0-6", "cron(0 0 * * ? *)", ["*-*-* 00:00:00 UTC"]],
];

describe("cron → EventBridge Scheduler and systemd OnCalendar", () => {
  it.each(TABLE)("%s → %s", (cron, eventBridge, systemd) => {
    expect(toEventBridgeCron(cron)).toBe(eventBridge);
    expect(toSystemdOnCalendar(cron, "UTC")).toEqual(systemd);
  });

  it("EventBridge: exactly one of day-of-month and day-of-week is ?", () => {
    for (const [cron] of TABLE) {
      const fields = /^cron\((.*)\)$/.exec(toEventBridgeCron(cron))![1]!.split(" ");
      expect(fields).toHaveLength(6);
      expect([fields[2], fields[4]].filter((f) => f === "?")).toHaveLength(1);
      expect(fields[5]).toBe("*");
    }
  });

  it("the converted day-of-week matches the days croner fires on (cron 0 = SUN, EventBridge names)", () => {
    const names = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    for (const cron of ["0 0 * * 5-7", "0 0 * * 1,3,5", "0 0 * * */2", "0 0 * * 0"]) {
      const days = new Set(
        new Cron(cron, { mode: "5-part", timezone: "UTC" })
          .nextRuns(14, new Date("2026-11-27T00:00:00Z"))
          .map((d) => names[d.getUTCDay()]!),
      );
      const dow = /^cron\(\S+ \S+ \? \* (\S+) \*\)$/.exec(toEventBridgeCron(cron))![1]!;
      expect(new Set(dow.split(","))).toEqual(days);
    }
  });

  it("systemd: the schedule's time zone ends each OnCalendar line", () => {
    expect(toSystemdOnCalendar("0 3 * * 1", "Europe/Paris")).toEqual(["Mon *-*-* 03:00:00 Europe/Paris"]);
  });

  it("both day fields restricted: systemd gets one line per field (either fires), EventBridge is refused", () => {
    expect(toSystemdOnCalendar("0 0 1,15 * 1", "UTC")).toEqual([
      "Mon *-*-* 00:00:00 UTC",
      "*-*-01,15 00:00:00 UTC",
    ]);
    expect(() => toEventBridgeCron("0 0 1,15 * 1")).toThrow(CronConversionError);
    expect(() => toEventBridgeCron("0 0 1,15 * 1")).toThrow(/only one of them/);
  });

  it.each([
    ["0 0 L * *", /day-of-month "L"/],
    ["0 0 15W * *", /day-of-month "15W"/],
    ["0 0 * * 5#2", /day-of-week "5#2"/],
    ["0 0 * * 5L", /day-of-week "5L"/],
    ["0 0 * * +1", /day-of-week "\+1"/],
  ])("refuses %s with a message naming the field", (cron, message) => {
    for (const convert of [() => toSystemdOnCalendar(cron), () => toEventBridgeCron(cron)]) {
      expect(convert).toThrow(CronConversionError);
      expect(convert).toThrow(message);
      expect(convert).toThrow(/only numbers, names, \*, lists, ranges and steps convert/);
    }
  });
});
