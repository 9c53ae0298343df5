import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";

/**
 * A real headless Chromium from the npm registry: `@sparticuz/chromium` ships the browser
 * inside the package (brotli-compressed), so `npm ci` alone provides it: no apt, no download
 * at install time. It inflates into the OS temp folder and reuses whatever it finds there;
 * we point it at a folder of our own, per version, filled under a temporary name and renamed
 * into place, so an interrupted extraction or another project's copy is never launched.
 */

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export async function launchChromium(): Promise<Browser> {
  const executablePath = await extractedChromium();
  return chromium.launch({
    executablePath,
    // Software GL (SwiftShader) rather than --disable-gpu: this headless build then failed
    // 15 of 500 full-page screenshots under load ("Unable to capture screenshot"); with
    // SwiftShader, 0 of 300 under the same load.
    args: [
      "--headless",
      "--no-sandbox",
      "--use-gl=angle",
      "--use-angle=swiftshader",
      "--enable-unsafe-swiftshader",
      "--in-process-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

async function extractedChromium(): Promise<string> {
  const pkgJson = join(repo, "node_modules", "@sparticuz", "chromium", "package.json");
  const version = (JSON.parse(readFileSync(pkgJson, "utf8")) as { version: string }).version;
  const cache = join(repo, "node_modules", ".cache");
  const dir = join(cache, `chromium-${version}`);
  if (existsSync(join(dir, "chromium"))) return join(dir, "chromium");
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = partial;
  try {
    const { default: sparticuz } = await import("@sparticuz/chromium");
    await sparticuz.executablePath();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  try {
    renameSync(partial, dir);
  } catch {
    // Another run finished first: theirs is complete too.
    rmSync(partial, { recursive: true, force: true });
  }
  return join(dir, "chromium");
}
