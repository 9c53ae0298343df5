#!/usr/bin/env node
// A toy two-region service for the example runbook `failover-toy`: a state folder plays
// the database roles and the traffic layer, and a small HTTP server answers health checks.
// Every mutating command appends one line to effects.log, so a test (or you) can see that
// each side effect happened exactly once, even across a SIGKILL and a resume.
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";

const dir = join(process.cwd(), ".runbook", "demo", "toy");
const file = (name) => join(dir, name);
const read = (name, fallback = "") =>
  existsSync(file(name)) ? readFileSync(file(name), "utf8").trim() : fallback;
const write = (name, value) => writeFileSync(file(name), `${value}\n`);
const effect = (line) => appendFileSync(file("effects.log"), `${line}\n`);
const [command, ...args] = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function ping(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/ping`, { signal: AbortSignal.timeout(500) });
    return res.ok;
  } catch {
    return false;
  }
}

function serve(port) {
  // Exits by itself after 15 idle minutes, so a forgotten demo leaves nothing running.
  let idle = setTimeout(() => process.exit(0), 15 * 60_000);
  createServer((req, res) => {
    clearTimeout(idle);
    idle = setTimeout(() => process.exit(0), 15 * 60_000);
    const [, what, region, deep] = (req.url ?? "").split("/");
    if (what === "ping") return res.end("pong");
    if (what === "stop") {
      res.end("bye");
      return setTimeout(() => process.exit(0), 50);
    }
    if (what !== "health" || !["A", "B"].includes(region)) {
      res.statusCode = 404;
      return res.end("not found");
    }
    if (read(`down-${region}`)) {
      res.statusCode = 503;
      return res.end(`region ${region} is down`);
    }
    if (deep === "deep") {
      const ok = read("writer") === region && read("traffic") === region;
      res.statusCode = ok ? 200 : 503;
      return res.end(
        ok ? `region ${region}: writer, serving traffic` : `region ${region}: not serving writes`,
      );
    }
    res.end(`region ${region}: up`);
  }).listen(Number(port), "127.0.0.1");
}

const commands = {
  async start() {
    const port = option("port", "18080");
    mkdirSync(dir, { recursive: true });
    if (await ping(port)) return console.log(`toy service already running on ${port}`);
    write("writer", "A");
    write("traffic", "A");
    write("lag-ms", "200");
    rmSync(file("fenced-A"), { force: true });
    rmSync(file("fenced-B"), { force: true });
    const child = spawn(process.execPath, [process.argv[1], "serve", "--port", port], {
      detached: true,
      stdio: "ignore",
    });
    child.unref();
    for (let i = 0; i < 50; i++) {
      if (await ping(port)) return console.log(`toy service started on ${port} (pid ${child.pid})`);
      await sleep(100);
    }
    throw new Error(`toy service did not start on ${port}`);
  },
  serve: () => serve(option("port", "18080")),
  async stop() {
    const port = option("port", "18080");
    await fetch(`http://127.0.0.1:${port}/stop`).catch(() => undefined);
    console.log("toy service stopped");
  },
  "lag-below"([region, ms]) {
    const lag = Number(read("lag-ms", "0"));
    if (lag > Number(ms)) throw new Error(`replication lag to ${region} is ${lag} ms, above ${ms} ms`);
    console.log(`replication lag to ${region}: ${lag} ms`);
  },
  fence([region]) {
    write(`fenced-${region}`, "yes");
    effect(`fence ${region}`);
  },
  unfence([region]) {
    rmSync(file(`fenced-${region}`), { force: true });
    effect(`unfence ${region}`);
  },
  "is-fenced": ([region]) => process.exit(read(`fenced-${region}`) ? 0 : 1),
  async promote([region]) {
    // Promotion takes a while, like a real database; the role flips only at the end.
    await sleep(Number(option("seconds", "3")) * 1000);
    write("writer", region);
    effect(`promote ${region}`);
    console.log(`${region} is now the writer`);
  },
  "is-writer": ([region]) => process.exit(read("writer") === region ? 0 : 1),
  route([region]) {
    write("traffic", region);
    effect(`route ${region}`);
  },
  "routes-to": ([region]) => process.exit(read("traffic") === region ? 0 : 1),
  "region-down": ([region]) => write(`down-${region}`, "yes"),
};

const run = commands[command];
if (!run) {
  console.error(`usage: toy-service.mjs ${Object.keys(commands).join("|")} …`);
  process.exit(2);
}
Promise.resolve(run(args.filter((a, i) => !a.startsWith("--") && !args[i - 1]?.startsWith("--")))).catch(
  (err) => {
    console.error(err.message);
    process.exit(1);
  },
);
