import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reachableCopyOf } from "../../../src/sandbox/postgres/reachable-cache.js";

/** The copy of the binaries to the cache, on a small tree shaped like `native/`. */
describe("reachableCopyOf", () => {
  let scratch: string;
  let source: string;
  let cache: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "runbook-cache-test-"));
    // As a checkout made with a umask of 077 has them: private files, an executable, a library symlink.
    source = join(scratch, "native");
    await mkdir(join(source, "bin"), { recursive: true, mode: 0o700 });
    await mkdir(join(source, "lib"), { mode: 0o700 });
    await writeFile(join(source, "bin", "pg_ctl"), "#!/bin/sh\n", { mode: 0o700 });
    await writeFile(join(source, "lib", "libpq.so.5.18"), "library", { mode: 0o600 });
    await symlink("libpq.so.5.18", join(source, "lib", "libpq.so.5"));
    await chmod(source, 0o700);
    cache = join(scratch, "cache");
  });

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("copies once when two processes race, and neither sees half a copy", async () => {
    const copies = await Promise.all([
      reachableCopyOf(source, "postgres", "v1", cache),
      reachableCopyOf(source, "postgres", "v1", cache),
    ]);
    const path = join(cache, "postgres", "v1");
    expect(copies.map((c) => c.path)).toEqual([path, path]);
    expect(copies.filter((c) => c.copied)).toHaveLength(1);
    // No temporary copy is left behind, whoever lost the race.
    expect(await readdir(join(cache, "postgres"))).toEqual(["v1"]);
    expect(await readFile(join(path, "lib", "libpq.so.5"), "utf8")).toBe("library");

    const again = await reachableCopyOf(source, "postgres", "v1", cache);
    expect(again).toEqual({ path, copied: false });
  });

  it("keeps symlinks and execute bits, and makes everything readable by other users", async () => {
    const path = join(cache, "postgres", "v1");
    const mode = async (p: string) => (await lstat(p)).mode & 0o777;
    expect(await readlink(join(path, "lib", "libpq.so.5"))).toBe("libpq.so.5.18");
    expect(await mode(path)).toBe(0o755);
    expect(await mode(join(path, "bin"))).toBe(0o755);
    expect(await mode(join(path, "bin", "pg_ctl"))).toBe(0o755);
    expect(await mode(join(path, "lib", "libpq.so.5.18"))).toBe(0o644);
    expect(await mode(join(cache, "postgres"))).toBe(0o755);
  });
});
