import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { loadSchedule, parseSchedule } from "../../src/schedule/schedule-file.js";

const HEAD = "apiVersion: runbook/v1\nkind: DrillSchedule\nmetadata: { name: game-days }\n";

function problems(text: string, opts: { cwd?: string } = {}): string[] {
  try {
    parseSchedule(text, "drills.yaml", opts);
  } catch (error) {
    if (error instanceof ValidationError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("schedule file", () => {
  it("parses a valid schedule with defaults (timezone UTC, namespace Runbook/Drills)", () => {
    const s = parseSchedule(
      `${HEAD}publish: { region: us-east-1 }\ndrills:\n  - name: weekly\n    runbook: failover-case-api\n    env: sandbox\n    scenario: primary-region-unavailable\n    expect: completed\n    inputs: { retries: 3 }\n    cron: "0 3 * * 1"\n`,
      "drills.yaml",
    );
    expect(s.timezone).toBe("UTC");
    expect(s.publish).toEqual({ region: "us-east-1", namespace: "Runbook/Drills" });
    expect(s.drills[0]).toMatchObject({ name: "weekly", cron: "0 3 * * 1", inputs: { retries: "3" } });
    expect(s.file).toBe("drills.yaml");
  });

  it("reports duplicate names, bad cron, unknown fields and a bad zone, each at line:col", () => {
    const text = [
      "apiVersion: runbook/v1",
      "kind: DrillSchedule",
      "metadata: { name: game-days }",
      "timezone: Mars/Olympus",
      "drills:",
      "  - name: weekly",
      "    runbook: rb",
      '    cron: "0 3 * * 1"',
      "  - name: weekly",
      "    runbook: rb",
      '    cron: "61 3 * * 1"',
      "    scenari: typo",
      "  - name: six-fields",
      "    runbook: rb",
      '    cron: "0 0 3 * * 1"',
      "  - name: never",
      "    runbook: rb",
      '    cron: "0 0 30 2 *"',
      "",
    ].join("\n");
    expect(problems(text)).toEqual([
      'drills.yaml:4:11: timezone: unknown time zone "Mars/Olympus" (use an IANA name such as UTC or Europe/Paris)',
      'drills.yaml:9:11: duplicate drill name "weekly" (first used at line 6)',
      'drills.yaml:11:11: cron: "61 3 * * 1": Invalid value for minute: 61',
      'drills.yaml:12:5: unknown field "scenari" (did you mean "scenario"?)',
      'drills.yaml:15:11: cron: expected 5 fields (minute hour day-of-month month day-of-week), got 6 in "0 0 3 * * 1"',
      'drills.yaml:18:11: cron: "0 0 30 2 *" never fires',
    ]);
  });

  it("reports wrong kind, missing fields and bad values at their position", () => {
    const lines = problems(
      "apiVersion: runbook/v1\nkind: Runbook\nmetadata: { name: Game Days }\ndrills:\n  - { name: a, cron: '0 3 * * 1', expect: done }\n",
    );
    expect(lines).toContain('drills.yaml:2:7: kind: expected "DrillSchedule"');
    expect(lines.some((l) => l.startsWith("drills.yaml:3:19: metadata.name: names are lower-case"))).toBe(
      true,
    );
    expect(lines).toContain('drills.yaml:5:5: missing required field "runbook"');
    expect(lines).toContain('drills.yaml:5:43: drills[0].expect: expected "completed", "aborted", "blocked"');
  });

  it("YAML syntax errors are positioned too", () => {
    expect(problems(`${HEAD}drills:\n  - { name: a\n`)[0]).toMatch(/^drills\.yaml:\d+:\d+: YAML: /);
  });

  it("with a working directory, a drill naming a missing runbook, environment or scenario is invalid", () => {
    const cwd = mkdtempSync(join(tmpdir(), "runbook-schedule-refs-"));
    mkdirSync(join(cwd, "runbooks"));
    mkdirSync(join(cwd, "environments"));
    writeFileSync(join(cwd, "runbooks", "present.yaml"), "x: 1\n");
    writeFileSync(join(cwd, "environments", "sandbox.yaml"), "x: 1\n");
    mkdirSync(join(cwd, "drills", "scenarios"), { recursive: true });
    writeFileSync(join(cwd, "drills", "scenarios", "region-down.yaml"), "x: 1\n");
    const text = `${HEAD}drills:\n  - { name: ok, runbook: present, env: sandbox, scenario: region-down, cron: '0 3 * * 1' }\n  - { name: bad, runbook: absent, env: nowhere, scenario: region-dwn, cron: '0 3 * * 1' }\n`;
    expect(problems(text, { cwd })).toEqual([
      'drills.yaml:6:27: no runbook "absent" (looked for runbooks/absent.yaml)',
      'drills.yaml:6:40: no environment "nowhere" (looked for environments/nowhere.yaml)',
      'drills.yaml:6:59: no scenario "region-dwn" (looked for drills/scenarios/region-dwn.yaml; known: region-down)',
    ]);
    expect(
      parseSchedule(text.split("\n").slice(0, 5).join("\n"), "drills.yaml", { cwd }).drills,
    ).toHaveLength(1);
  });

  const DRILL = '  - { name: a, runbook: rb, cron: "0 3 * * 1" }\n';
  it.each([
    ["top level", `${HEAD}timezon: UTC\ndrills:\n${DRILL}`, "timezon", "timezone"],
    [
      "metadata",
      `${HEAD.replace("game-days }", "game-days, descripton: d }")}drills:\n${DRILL}`,
      "descripton",
      "description",
    ],
    [
      "publish",
      `${HEAD}publish: { region: us-east-1, namepsace: N }\ndrills:\n${DRILL}`,
      "namepsace",
      "namespace",
    ],
    ["drills[i]", `${HEAD}drills:\n${DRILL.replace("cron", "crom")}`, "crom", "cron"],
  ])("an unknown field in %s suggests the one meant", (_level, text, typo, meant) => {
    const lines = text.split("\n");
    const line = lines.findIndex((l) => l.includes(`${typo}:`));
    const at = `${line + 1}:${lines[line]!.indexOf(`${typo}:`) + 1}`;
    expect(problems(text)).toContain(`drills.yaml:${at}: unknown field "${typo}" (did you mean "${meant}"?)`);
  });

  it("a file that is not UTF-8 is refused at the first bad byte, through loadSchedule", () => {
    const cwd = mkdtempSync(join(tmpdir(), "runbook-schedule-bytes-"));
    writeFileSync(
      join(cwd, "s.yaml"),
      Buffer.concat([
        Buffer.from(`${HEAD}drills:\n  - { name: caf`),
        Buffer.from([0xe9]),
        Buffer.from(" }\n"),
      ]),
    );
    expect(() => loadSchedule("s.yaml", cwd)).toThrow(
      "s.yaml:5:16: byte 0xE9 is not UTF-8: save the file as UTF-8",
    );
  });

  it("an unreadable schedule file is a usage error that says why", () => {
    expect(() => loadSchedule("missing.yaml", tmpdir())).toThrow(
      "cannot read schedule file missing.yaml (no such file)",
    );
  });
});
