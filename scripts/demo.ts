// `npm run demo`: the quick start. A real regional failover of case-api on the local sandbox,
// then what the engine measured next to what the clients saw.
import { join } from "node:path";
import { runbookHome } from "../src/journal/paths.js";
import { formatDuration, formatDurationExact } from "../src/language/duration.js";
import { runFailoverDemo } from "../src/sandbox/demo/failover-demo.js";

const root = new URL("..", import.meta.url).pathname;
const home = runbookHome(process.env, process.cwd());
const ms = (v: number | undefined) => (v === undefined ? "—" : formatDuration(v));

const r = await runFailoverDemo({
  cli: join(root, "dist", "cli.js"),
  cwd: root,
  env: process.env,
  home,
  interactive: Boolean(process.stdout.isTTY),
  log: (line) => console.log(`\n▶ ${line}`),
  withLag: process.argv.includes("--with-lag"),
  // With lag the failover loses writes: bring the old primary back and reconcile them.
  reconcile: process.argv.includes("--with-lag"),
});

const t = r.traffic;
const lost = t.lostWrites.length;
const rec = r.reconciled;
const reconciledRow = rec
  ? `\n  RPO reconciled      ${formatDurationExact(rec.rpoMs).padEnd(10)} after the old primary came back: ${rec.acknowledgedLostKeys.length} of those ${lost} found, key by key${rec.lostKeys.length > rec.acknowledgedLostKeys.length ? ` (+${rec.lostKeys.length - rec.acknowledgedLostKeys.length} committed, never answered)` : ""}`
  : "";
console.log(`
Failover of case-api: ${r.status} (execution ${r.executionId})

                      engine (journal)               clients (ground truth)
  RTO                 ${ms(r.rtoMs).padEnd(10)} objective ${ms(r.rtoObjectiveMs).padEnd(9)} outage ${ms(t.outage?.durationMs)} (${t.outage?.failedAttempts ?? 0} failed requests)
  RPO                 ${ms(r.rpoMs).padEnd(10)} objective ${ms(r.rpoObjectiveMs).padEnd(9)} ${lost} of ${t.acknowledged} acknowledged writes lost${lost > 1 ? ` (acknowledged over ${formatDurationExact(t.lostWindowMs ?? 0)})` : ""}${reconciledRow}

  RTO: service_restored − incident declared (when region ${"A"} went down).
  RPO: heartbeats on the promoted database; an upper bound when the old primary is unreachable.
  ${rec ? "Reconciled: runbook reconcile, the old primary's data diffed against the promoted database." : "With --with-lag the failover loses writes, and runbook reconcile finds them once the old primary is back."}
  Timeline: npx runbook timeline ${r.executionId}   (--format html -o timeline.html)
`);
process.exitCode = r.status === "completed" ? 0 : 1;
