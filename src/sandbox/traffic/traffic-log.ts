import { readFile } from "node:fs/promises";

/**
 * The traffic generator's log: one JSON object per line. It is the client's ground truth:
 * what was attempted, what failed, and which writes were acknowledged (201 with an id),
 * each with its time (epoch ms) so outages and lost writes can be measured afterwards.
 */

/** One request and how it ended. `ok` means the write was acknowledged. */
export interface AttemptEntry {
  kind: "attempt";
  seq: number;
  /** When the request was sent (epoch ms). */
  sentAt: number;
  /** When the response (or the failure) arrived (epoch ms). */
  doneAt: number;
  ok: boolean;
  /** HTTP status, absent when no response arrived (refused, reset, timeout). */
  status?: number;
  /** Region that answered, from the edge's `x-edge-region` header. */
  region?: string;
  error?: string;
}

/** An acknowledged write: the service said it stored case `caseId`. */
export interface AckEntry {
  kind: "ack";
  seq: number;
  caseId: string;
  ackAt: number;
  region?: string;
}

export type TrafficLogEntry = AttemptEntry | AckEntry;

export async function readTrafficLog(path: string): Promise<TrafficLogEntry[]> {
  const text = await readFile(path, "utf8");
  return parseTrafficLog(text);
}

export function parseTrafficLog(text: string): TrafficLogEntry[] {
  const entries: TrafficLogEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const entry = JSON.parse(line) as TrafficLogEntry;
    if (entry.kind === "attempt" || entry.kind === "ack") entries.push(entry);
  }
  return entries;
}
