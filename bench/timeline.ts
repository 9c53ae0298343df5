import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { journalPath } from "../src/journal/paths.js";
import { SYNTHETIC_EXECUTION_ID, syntheticJournal } from "./synthetic-journal.js";

export interface TimelineBench {
  events: number;
  megabytes: number;
  /** `runbook status <id>`, process start to exit: read + verify + fold + print. */
  statusMs: number;
  /** `runbook timeline <id> -o FILE`, process start to exit: read + verify + fold + Markdown. */
  timelineMs: number;
}

/**
 * The commands a user runs, timed as whole processes (Node's start included) on a
 * 100,000-event journal: the median of `runs` each, after one unmeasured run that warms the
 * page cache.
 */
export function benchTimeline(runs = 5, events = 100_000): TimelineBench {
  const home = mkdtempSync(join(tmpdir(), "runbook-bench-"));
  try {
    const path = journalPath(home, SYNTHETIC_EXECUTION_ID);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, syntheticJournal(events));
    chmodSync(home, 0o755);
    const cli = join(new URL("..", import.meta.url).pathname, "dist", "cli.js");
    const out = join(home, "timeline.md");
    const time = (args: string[]): number => {
      const samples: number[] = [];
      for (let i = 0; i <= runs; i++) {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, [cli, ...args], {
          env: { ...process.env, RUNBOOK_HOME: home },
          stdio: ["ignore", "ignore", "pipe"],
        });
        const ms = performance.now() - t0;
        if (r.status !== 0) throw new Error(`runbook ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
        if (i > 0) samples.push(ms);
      }
      return median(samples);
    };
    const statusMs = time(["status", SYNTHETIC_EXECUTION_ID]);
    const timelineMs = time(["timeline", SYNTHETIC_EXECUTION_ID, "-o", out]);
    if (statSync(out).size === 0) throw new Error("empty timeline");
    return { events, megabytes: statSync(path).size / 2 ** 20, statusMs, timelineMs };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
