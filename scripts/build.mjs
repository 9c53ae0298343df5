// Bundles the CLI so `runbook --version` loads one small file. Commands are split into
// chunks loaded on demand; dependencies stay external and are imported only where used.
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
await build({
  // The sandbox's Lambda containers fork the worker (src/sandbox/emulator/services/lambda-workers.ts).
  entryPoints: { cli: "src/cli.ts", "stepfunctions/worker-main": "src/stepfunctions/runner/worker-main.ts" },
  outdir: "dist",
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
chmodSync(new URL("../dist/cli.js", import.meta.url), 0o755);
