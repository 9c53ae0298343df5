import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readJournal } from "../src/journal/journal.js";
import { journalPath } from "../src/journal/paths.js";
import { runFailoverDemo } from "../src/sandbox/demo/failover-demo.js";

/**
 * The same sandbox failover twice in one run, through this machine's engine and through the
 * sandbox's Step Functions (deployed first, as a team would before an incident): what the
 * clients saw, and how many history events the Step Functions execution cost.
 */
export async function benchStepFunctions(): Promise<{
  localOutageMs: number | undefined;
  sfnOutageMs: number | undefined;
  sfnRtoMs: number | undefined;
  sfnStatus: string;
  historyEvents: number;
}> {
  const root = new URL("..", import.meta.url).pathname;
  const once = async (engine: "local" | "stepfunctions") => {
    const home = mkdtempSync(join(tmpdir(), `runbook-bench-${engine}-`));
    chmodSync(home, 0o755);
    const demo = await runFailoverDemo({
      cli: join(root, "dist", "cli.js"),
      cwd: root,
      env: process.env,
      home,
      interactive: false,
      log: () => undefined,
      engine,
    });
    const events = readJournal(journalPath(home, demo.executionId)).events;
    const historyEvents = Math.max(0, ...events.map((e) => e.origin?.eventId ?? 0));
    return { demo, historyEvents };
  };
  const local = await once("local");
  const sfn = await once("stepfunctions");
  return {
    localOutageMs: local.demo.traffic.outage?.durationMs,
    sfnOutageMs: sfn.demo.traffic.outage?.durationMs,
    sfnRtoMs: sfn.demo.rtoMs,
    sfnStatus: sfn.demo.status,
    historyEvents: sfn.historyEvents,
  };
}
