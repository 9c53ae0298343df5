// `npm run bench`: performance targets as ratios and medians measured in one run, on this machine.
import { cpus, totalmem } from "node:os";
import { benchCliStart, benchEngine } from "./engine.js";

interface Row {
  name: string;
  value: string;
  target: string;
  ok: boolean;
}

const rows: Row[] = [];
const fmt = (n: number, digits = 2) => n.toFixed(digits);

const engine = await benchEngine();
rows.push({
  name: "engine overhead per step (200 no-op steps, fsync incl.)",
  value: `${fmt(engine.msPerStep)} ms`,
  target: "≤ 2 ms",
  ok: engine.msPerStep <= 2,
});
const cli = benchCliStart();
rows.push({
  name: "runbook --version vs node -e 0",
  value: `${fmt(cli.ratio)}× (${fmt(cli.cliMs, 0)} ms vs ${fmt(cli.nodeMs, 0)} ms)`,
  target: "≤ 2×",
  ok: cli.ratio <= 2,
});

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}\n`,
);
const width = Math.max(...rows.map((r) => r.name.length));
for (const r of rows)
  console.log(`${r.ok ? "ok  " : "MISS"}  ${r.name.padEnd(width)}  ${r.value.padEnd(28)} target ${r.target}`);
if (rows.some((r) => !r.ok)) process.exitCode = 1;
