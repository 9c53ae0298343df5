import { createHash } from "node:crypto";
import { strToU8, type ZipAttributes, zipSync } from "fflate";
import type { FunctionConfig } from "../runner/function-config.js";
import { runnerBundle } from "./runner-bundle.js";

/**
 * The deployment package of both functions: `index.mjs` (the runner bundle) and `config.json`.
 * The same config gives the same bytes (fixed times, fixed order, keys sorted), so `deploy`
 * can compare its sha256 with the function's CodeSha256 and leave an unchanged function alone.
 */

export interface FunctionZip {
  zip: Uint8Array;
  /** base64 sha256 of the zip: what Lambda reports as CodeSha256. */
  sha256: string;
  bytes: number;
}

/**
 * 1980-01-01 00:00, the first time a zip can say, in local time: zip times carry no zone, and
 * fflate writes the local fields of this Date, which are these on every machine.
 */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** Regular files, readable by all (Lambda runs the code as another user than the one who wrote it). */
const FILE: ZipAttributes = { os: 3, attrs: 0o100644 << 16, mtime: FIXED_MTIME };

export async function buildFunctionZip(config: FunctionConfig): Promise<FunctionZip> {
  const bundle = await runnerBundle();
  return zipFunction(bundle.code, config);
}

/** The zip of a given bundle (tests, or a bundle built elsewhere). */
export function zipFunction(code: Uint8Array, config: FunctionConfig): FunctionZip {
  const zip = zipSync(
    {
      "index.mjs": [code, FILE],
      "config.json": [strToU8(`${stableJson(config)}\n`), FILE],
    },
    { level: 6 },
  );
  return { zip, sha256: createHash("sha256").update(zip).digest("base64"), bytes: zip.byteLength };
}

/** JSON with every object's keys sorted: the same value, the same text, however it was built. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
