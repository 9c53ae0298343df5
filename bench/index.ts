// `npm run bench`: performance targets measured in one run, on this machine, as medians,
// worst cases and ratios. Exit 1 when a target is missed.
import { chmodSync, mkdtempSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { runFailoverDemo } from "../src/sandbox/demo/failover-demo.js";
import { benchEmulator } from "../src/sandbox/emulator/bench.js";
import { benchSandboxUp } from "../src/sandbox/supervisor/bench.js";
import { benchArcFlip, benchPromotionNotice } from "./aws.js";
import { benchAwsCallOverhead, benchFirstClientCall } from "./aws-call.js";
import { benchCliStart, benchEngine } from "./engine.js";
import { benchIam } from "./iam.js";
import { raceForStaleLock } from "./lock-race.js";
import { benchStepFunctions, historyOfShippedRunbooks } from "./stepfunctions.js";
import { benchTimeline } from "./timeline.js";
import { benchWeightStages } from "./weights.js";

interface Row {
  name: string;
  value: string;
  target: string;
  ok: boolean;
}

// The SDK's notice that future versions need Node 22 is not a bench result.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const rows: Row[] = [];
const f = (n: number, digits = 0) => n.toFixed(digits);
const add = (name: string, value: string, target: string, ok: boolean) => {
  rows.push({ name, value, target, ok });
  console.log(`${ok ? "ok  " : "MISS"}  ${name}: ${value} (target ${target})`);
};
const only = process.argv.slice(2);
const want = (key: string) => only.length === 0 || only.includes(key);

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load ${loadavg()[0]!.toFixed(1)}\n`,
);

if (want("engine")) {
  const engine = await benchEngine();
  add(
    "engine overhead per step (200 no-op steps, fsync incl., median of 5)",
    `${f(engine.msPerStep, 2)} ms`,
    "≤ 2 ms",
    engine.msPerStep <= 2,
  );
  const cli = benchCliStart();
  add(
    "runbook --version vs node -e 0 (medians of 15)",
    `${f(cli.ratio, 2)}× (${f(cli.cliMs)} vs ${f(cli.nodeMs)} ms)`,
    "≤ 2×",
    cli.ratio <= 2,
  );
}
if (want("timeline")) {
  const t = benchTimeline();
  const size = `${t.events}-event journal (${f(t.megabytes)} MB), whole process, median of 5`;
  add(`runbook status on a ${size}`, `${f(t.statusMs)} ms`, "≤ 1000 ms", t.statusMs <= 1000);
  add(`runbook timeline on a ${size}`, `${f(t.timelineMs)} ms`, "≤ 1000 ms", t.timelineMs <= 1000);
}
if (want("emulator")) {
  const e = await benchEmulator();
  add(
    "emulator round trip through the SDK (median of 300)",
    `${f(e.medianMsPerCall, 2)} ms`,
    "≤ 2 ms",
    e.medianMsPerCall <= 2,
  );
  const arc = await benchArcFlip();
  add(
    "ARC flip with 2 of 5 endpoints blackholed (worst of 8)",
    `${f(arc.worstMs)} ms (median ${f(arc.medianMs)} ms)`,
    "≤ 3000 ms",
    arc.worstMs <= 3000,
  );
  const call = await benchAwsCallOverhead();
  add(
    "aws.assert over the bare SDK call, DescribeAlarms (medians of 300, interleaved)",
    `+${f(call.overheadMs, 2)} ms (${f(call.stepMs, 2)} vs ${f(call.bareMs, 2)} ms)`,
    "≤ 2 ms",
    call.overheadMs <= 2,
  );
  const first = await benchFirstClientCall();
  add(
    "first call of a client not yet loaded (KMS, fresh process, less a second call; median of 5)",
    `${f(first.loadMs)} ms (${f(first.firstMs)} first, ${f(first.secondMs)} second)`,
    "≤ 150 ms",
    first.loadMs <= 150,
  );
  const notice = await benchPromotionNotice();
  add(
    "promotion finished → engine noticed (worst of 3)",
    `${f(notice.worstMs)} ms`,
    "≤ 1000 ms",
    notice.worstMs <= 1000,
  );
}
if (want("sandbox")) {
  const up = await benchSandboxUp();
  add("sandbox up (pair + emulator + apps + edge)", `${f(up.upMs / 1000, 1)} s`, "≤ 20 s", up.upMs <= 20_000);
  const weights = await benchWeightStages();
  for (const st of weights.stages) {
    add(
      `served-by split at weight ${st.percent}% (clients through the edge, 50/s; TTL ${weights.ttlMs} ms)`,
      st.settledMs === undefined
        ? `never within 5 points (last 2 s: ${f(st.finalPercent)}%)`
        : `within 5 points ${f(st.settledMs)} ms after INSYNC (last 2 s: ${f(st.finalPercent)}%)`,
      `≤ TTL + 1 s (${weights.ttlMs + 1000} ms)`,
      st.settledMs !== undefined &&
        st.settledMs <= weights.ttlMs + 1000 &&
        Math.abs(st.finalPercent - st.percent) <= 5,
    );
  }
  const home = mkdtempSync(join(tmpdir(), "runbook-bench-demo-"));
  chmodSync(home, 0o755);
  const root = new URL("..", import.meta.url).pathname;
  const demo = await runFailoverDemo({
    cli: join(root, "dist", "cli.js"),
    cwd: root,
    env: process.env,
    home,
    interactive: false,
    log: () => undefined,
    withLag: true,
    reconcile: true,
  });
  const outage = demo.traffic.outage?.durationMs;
  if (demo.rtoMs === undefined || outage === undefined)
    add("failover demo", `did not complete (${demo.status})`, "completed", false);
  else
    add(
      "engine RTO vs client-observed outage (region down, lag)",
      `${f(demo.rtoMs)} vs ${f(outage)} ms (Δ ${f(Math.abs(demo.rtoMs - outage))} ms)`,
      "within 1000 ms",
      Math.abs(demo.rtoMs - outage) <= 1000,
    );
  const lostWindow = demo.traffic.lostWrites.length ? (demo.traffic.lostWindowMs ?? 0) : 0;
  add(
    "engine RPO vs acknowledged writes lost",
    `${f(demo.rpoMs ?? Number.NaN)} ms reported; ${demo.traffic.lostWrites.length} writes lost over ${f(lostWindow)} ms`,
    "never under-reports",
    demo.rpoMs !== undefined && demo.rpoMs >= lostWindow,
  );
  const r = demo.reconciled;
  const ackedLost = new Set(demo.traffic.lostWrites.map((w) => w.caseId));
  const sameKeys =
    r !== undefined &&
    r.acknowledgedLostKeys.length === ackedLost.size &&
    r.acknowledgedLostKeys.every((k) => ackedLost.has(k));
  add(
    "reconciled RPO vs the clients' loss window (runbook reconcile after --clear)",
    r
      ? `${f(r.rpoMs)} vs ${f(lostWindow)} ms (Δ ${f(Math.abs(r.rpoMs - lostWindow))} ms); ${r.acknowledgedLostKeys.length} of ${ackedLost.size} acknowledged lost writes matched key by key (+${r.lostKeys.length - r.acknowledgedLostKeys.length} unanswered)`
      : "not run",
    "within 200 ms, same keys",
    r !== undefined && sameKeys && Math.abs(r.rpoMs - lostWindow) <= 200,
  );
}
if (want("iam")) {
  const iam = await benchIam();
  add(
    "IAM enforcement per emulator call, DescribeAlarms (medians of 300, interleaved)",
    `+${f(iam.onMs - iam.offMs, 2)} ms (${f(iam.onMs, 2)} vs ${f(iam.offMs, 2)} ms)`,
    "≤ 2 ms",
    iam.onMs - iam.offMs <= 2,
  );
  add(
    `permission proof of failover-case-api (${iam.permissions} needs, ${iam.pairs} action results, median of 5)`,
    `${f(iam.proofMs)} ms`,
    "≤ 1000 ms",
    iam.proofMs <= 1000,
  );
}
if (want("lock")) {
  const race = await raceForStaleLock({ rounds: 1000 });
  add(
    "execution lock: 5 processes race for a SIGKILLed holder's lock, 1,000 rounds",
    `${race.doubleWins} double wins, ${race.noWins} rounds without a winner, ${race.takeoverUnnamed} takeovers unnamed (${f(race.msPerRound)} ms per round)`,
    "0 double wins, 0 without a winner",
    race.doubleWins === 0 && race.noWins === 0 && race.takeoverUnnamed === 0,
  );
}
if (want("stepfunctions")) {
  const sfn = await benchStepFunctions();
  const { localOutageMs: local, sfnOutageMs: cloud } = sfn;
  if (local === undefined || cloud === undefined || sfn.sfnStatus !== "completed")
    add(
      "client-observed outage, Step Functions vs local engine (sandbox failover)",
      `did not complete (Step Functions run ${sfn.sfnStatus}; outages ${local ?? "none"} / ${cloud ?? "none"} ms)`,
      "completed, ≤ 1.3×",
      false,
    );
  else
    add(
      "client-observed outage, Step Functions vs local engine (sandbox failover, one run each)",
      `${f(cloud / local, 2)}× (${f(cloud)} vs ${f(local)} ms; engine RTO ${f(sfn.sfnRtoMs ?? Number.NaN)} ms)`,
      "≤ 1.3×",
      cloud / local <= 1.3,
    );
  add(
    "history events of that failover-case-api execution (of the 25,000 AWS allows)",
    `${sfn.historyEvents}`,
    "≤ 20,000",
    sfn.historyEvents > 0 && sfn.historyEvents <= 20_000,
  );
  const largest = historyOfShippedRunbooks()[0];
  if (largest)
    add(
      `worst-case history of the largest shipped runbook as exported (${largest.runbook}, ${largest.states} states)`,
      `${largest.worstCase} events${largest.costliest ? ` (costliest loop ${largest.costliest.state}: ${largest.costliest.events})` : ""}`,
      "≤ 20,000",
      largest.worstCase <= 20_000,
    );
}
if (rows.some((r) => !r.ok)) process.exitCode = 1;
