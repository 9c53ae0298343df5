import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { UsageError } from "../errors.js";
import { readSandboxEndpoints, sandboxDir } from "../sandbox/endpoints.js";
import { renderTrafficSummary } from "../sandbox/supervisor/render.js";
import type { SandboxStatus } from "../sandbox/supervisor/status.js";
import { homeOf } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";
import { control, parseDurationOption, requireSandbox } from "./sandbox-access.js";

/** `runbook sandbox traffic`: clients writing through the edge; the ground truth for RTO and RPO. */

export interface TrafficOptions {
  rate?: string;
  duration?: string;
  log?: string;
}

export async function sandboxTraffic(opts: TrafficOptions, io: CommandIO): Promise<number> {
  const rate = Number(opts.rate ?? "20");
  if (!Number.isFinite(rate) || rate <= 0 || rate > 1_000)
    throw new UsageError(`--rate must be requests per second, 1 to 1000 (got ${opts.rate})`);
  const durationMs = parseDurationOption(opts.duration ?? "30s", "--duration");
  const endpoints = await requireSandbox(io);
  const home = homeOf(io);
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const logPath = opts.log ? resolve(io.cwd, opts.log) : join(sandboxDir(home), `traffic-${stamp}.jsonl`);
  await rm(logPath, { force: true });

  // Everything the run needs is loaded before it starts: a long run must not depend on
  // files (dist chunks) that a rebuild could replace meanwhile.
  const [{ TrafficGenerator }, { readTrafficLog }, { analyzeTraffic }, { listCaseIds }] = await Promise.all([
    import("../sandbox/traffic/traffic-generator.js"),
    import("../sandbox/traffic/traffic-log.js"),
    import("../sandbox/traffic/traffic-analysis.js"),
    import("../sandbox/apps/case-store.js"),
  ]);
  const generator = new TrafficGenerator({ targetUrl: endpoints.edge, logPath, ratePerSecond: rate });
  writeLine(
    io.stdout,
    `traffic: ${rate} writes/s through the edge ${endpoints.edge} for ${durationMs / 1000} s (Ctrl-C ends it early)`,
  );
  const started = Date.now();
  generator.start();
  let lastPrinted = 0;
  const progress = () => {
    const s = generator.stats();
    const line = `  ${((Date.now() - started) / 1000).toFixed(1)} s: ${s.attempts} sent, ${s.acknowledged} acknowledged, ${s.failed} failed, ${s.inFlight} in flight`;
    if (io.isTTY) io.stdout.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastPrinted >= 2_000) {
      lastPrinted = Date.now();
      writeLine(io.stdout, line);
    }
  };
  const ticker = setInterval(progress, 250);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, durationMs);
    function finish() {
      clearTimeout(timer);
      process.off("SIGINT", finish);
      process.off("SIGTERM", finish);
      resolve();
    }
    process.once("SIGINT", finish);
    process.once("SIGTERM", finish);
  });
  clearInterval(ticker);
  const elapsedMs = Date.now() - started;
  await generator.stop();
  if (io.isTTY) io.stdout.write("\n");

  const entries = await readTrafficLog(logPath);
  // The writes that count are those on the server that writes now (after a failover, the promoted one).
  let present = new Set<string>();
  let checkedAgainst: { region: string } | { error: string };
  try {
    const { json } = await control<SandboxStatus>(endpoints, "GET", "/status");
    const fresh = (await readSandboxEndpoints(home)) ?? endpoints;
    const db = fresh.databases[json.writerRegion];
    if (!db) throw new Error(`no database listed for the writer region ${json.writerRegion}`);
    present = await listCaseIds(
      { host: db.host, port: db.port },
      { user: db.user, password: db.password, database: db.database },
    );
    checkedAgainst = { region: json.writerRegion };
  } catch (error) {
    checkedAgainst = { error: (error as Error).message };
  }
  const analysis = analyzeTraffic(entries, present);
  for (const line of renderTrafficSummary({
    analysis,
    ratePerSecond: rate,
    elapsedMs,
    logPath,
    checkedAgainst,
  }))
    writeLine(io.stdout, line);
  return 0;
}
