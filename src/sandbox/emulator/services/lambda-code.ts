import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import { unzipSync } from "fflate";
import { ApiError } from "../errors.js";

/**
 * A function's deployment package: a zip (Code.ZipFile) unpacked into a directory of its own,
 * with Lambda's limits and words: 50 MB zipped for a direct upload, 250 MB unzipped, a file
 * that is not a zip refused as "Could not unzip uploaded file". CodeSha256 is the base64
 * SHA-256 of the zip, as Lambda reports it (deploy compares it to skip an unchanged upload).
 */

const MAX_ZIPPED = 50 * 1024 * 1024;
const MAX_UNZIPPED = 262_144_000;

const user = { fields: { Type: "User" } };

export function codeSha256(zip: Uint8Array): string {
  return createHash("sha256").update(zip).digest("base64");
}

/** Unpacks `zip` into `dir` (replacing what was there); returns the zip's size. */
export function unpackCode(zip: Uint8Array, dir: string): number {
  if (zip.byteLength > MAX_ZIPPED)
    throw new ApiError(
      "RequestEntityTooLargeException",
      `Request must be smaller than ${MAX_ZIPPED} bytes for the CreateFunction operation`,
      413,
      user,
    );
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip);
  } catch {
    throw new ApiError(
      "InvalidParameterValueException",
      "Could not unzip uploaded file. Please check your file, then try to upload again.",
      400,
      user,
    );
  }
  const total = Object.values(files).reduce((n, f) => n + f.byteLength, 0);
  if (total > MAX_UNZIPPED)
    throw new ApiError(
      "InvalidParameterValueException",
      `Unzipped size must be smaller than ${MAX_UNZIPPED} bytes`,
      400,
      user,
    );
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    const relative = normalize(name);
    // An entry must not land outside the function's directory ("zip slip").
    if (isAbsolute(relative) || relative === ".." || relative.startsWith(`..${sep}`))
      throw new ApiError(
        "InvalidParameterValueException",
        `The zip holds a path outside it: ${name}`,
        400,
        user,
      );
    const target = join(dir, relative);
    if (name.endsWith("/")) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
  }
  return zip.byteLength;
}
