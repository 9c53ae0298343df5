import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import type { CommandIO } from "../../src/commands/io.js";
import { parseJournal } from "../../src/journal/journal.js";
import { buildTimeline } from "../../src/report/build-timeline.js";
import type { Timeline } from "../../src/report/timeline-model.js";

export const FIXTURES = new URL("../fixtures/journals/", import.meta.url);
export const GOLDEN = new URL("./golden/", import.meta.url);

export function fixtureText(name: string): string {
  return readFileSync(new URL(`${name}.jsonl`, FIXTURES), "utf8");
}

export function fixtureTimeline(name: string): Timeline {
  return buildTimeline(parseJournal(fixtureText(name)));
}

/** A runbook home in a temp dir holding the given journals as executions. */
export function homeWith(journals: Record<string, string>): string {
  const home = mkdtempSync(join(tmpdir(), "runbook-report-"));
  for (const [id, text] of Object.entries(journals)) {
    mkdirSync(join(home, "executions", id), { recursive: true });
    writeFileSync(join(home, "executions", id, "journal.jsonl"), text);
  }
  return home;
}

export interface FakeIO {
  io: CommandIO;
  stdout: () => string;
  stderr: () => string;
}

export function fakeIO(home: string, cwd = home): FakeIO {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on("data", (c: Buffer) => out.push(c.toString()));
  stderr.on("data", (c: Buffer) => err.push(c.toString()));
  return {
    io: {
      stdout,
      stderr,
      stdin: new PassThrough(),
      cwd,
      env: { RUNBOOK_HOME: home },
      isTTY: false,
      color: false,
    },
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}

/** Flip one byte of the line holding `needle`, keeping it valid JSON: a quiet edit, as a tamperer would. */
export function tamper(text: string, needle: string, replacement: string): string {
  if (needle.length !== replacement.length) throw new Error("tamper must change bytes, not lengths");
  const at = text.indexOf(needle);
  if (at === -1) throw new Error(`"${needle}" not in journal`);
  return text.slice(0, at) + replacement + text.slice(at + needle.length);
}
