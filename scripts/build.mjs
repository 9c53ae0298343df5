// Bundles the CLI so `runbook --version` loads one small file. Commands are split into
// chunks loaded on demand; dependencies stay external and are imported only where used.
//
// The build goes to a folder beside dist/ and is moved in file by file, cli.js last, so a
// process already running from dist/ (a sandbox, a Lambda worker, a test's CLI) keeps finding
// the chunks it loads later: chunk names carry their content's hash, and old ones stay until
// no build has written them for a day.
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
const staging = join(root, `dist.build-${process.pid}`);
const KEEP_STALE_MS = 24 * 3600 * 1000;

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
rmSync(staging, { recursive: true, force: true });
try {
  await build({
    // The sandbox's Lambda containers fork the worker (src/sandbox/emulator/services/lambda-workers.ts).
    entryPoints: {
      cli: "src/cli.ts",
      "stepfunctions/worker-main": "src/stepfunctions/runner/worker-main.ts",
    },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    chunkNames: "chunks/[name]-[hash]",
    define: { __RUNBOOK_VERSION__: JSON.stringify(pkg.version) },
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
  });
  chmodSync(join(staging, "cli.js"), 0o755);
  const built = filesUnder(staging).map((file) => relative(staging, file));
  const last = ["cli.js.map", "cli.js"];
  for (const file of [...built.filter((f) => !last.includes(f)), ...last]) {
    mkdirSync(dirname(join(dist, file)), { recursive: true });
    renameSync(join(staging, file), join(dist, file));
  }
  const fresh = new Set(built);
  for (const file of filesUnder(dist)) {
    const name = relative(dist, file);
    if (!fresh.has(name) && Date.now() - statSync(file).mtimeMs > KEEP_STALE_MS) rmSync(file);
  }
} finally {
  rmSync(staging, { recursive: true, force: true });
}

function filesUnder(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}
