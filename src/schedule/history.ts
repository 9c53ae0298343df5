import { mkdir, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { DrillResult } from "../drill/drill-types.js";

/**
 * The history of a schedule: `<RUNBOOK_HOME>/schedule/<schedule-name>.jsonl`, one JSON object
 * per line, append-only, each line fsync'd. What fired, what was skipped and why, and every
 * result. A drill's own facts are in its execution's journal (`executionId` links them).
 */

export type HistoryRecord =
  | {
      ts: string;
      type: "fired";
      run: string;
      drill: string;
      runbook: string;
      scheduledFor: string;
      via: "schedule" | "once";
    }
  | {
      ts: string;
      type: "skipped";
      drill: string;
      runbook: string;
      scheduledFor: string;
      reason: "overlap";
      /** The run of the same runbook still going. */
      running: string;
    }
  | { ts: string; type: "result"; run: string; drill: string; runbook: string; result: DrillResult };

export function historyPath(home: string, scheduleName: string): string {
  return join(home, "schedule", `${scheduleName}.jsonl`);
}

/** Where the scheduler writes its history; ScheduleHistory is the file, tests may keep it in memory. */
export interface HistorySink {
  readonly path: string;
  append(record: HistoryRecord): Promise<void>;
  flush(): Promise<void>;
}

export class ScheduleHistory implements HistorySink {
  private tail: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Appends in call order, one line at a time; resolves once the line is on disk. */
  append(record: HistoryRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const write = this.tail.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      const file = await open(this.path, "a");
      try {
        await file.write(line);
        await file.sync();
      } finally {
        await file.close();
      }
    });
    // A failed write is reported to its caller, and does not block the lines after it.
    this.tail = write.catch(() => undefined);
    return write;
  }

  /** Resolves when every append so far has been attempted. */
  flush(): Promise<void> {
    return this.tail;
  }
}
