import { execFile, spawn } from "node:child_process";
import { userInfo } from "node:os";
import { promisify } from "node:util";

/**
 * The OS user PostgreSQL runs as. PostgreSQL refuses to run as root, and sandbox
 * machines (containers, cloud shells, CI) run as root: there every server process, and
 * every tool that touches a data directory, runs as the `postgres` OS user instead.
 */

const execFileAsync = promisify(execFile);

export interface OsUser {
  uid: number;
  gid: number;
}

let postgresUser: Promise<OsUser | undefined> | undefined;
let resolvedUser: OsUser | undefined;

/** The OS user servers run as: `postgres` when we are root (created if missing), ourselves otherwise (undefined). */
export function postgresOsUser(): Promise<OsUser | undefined> {
  postgresUser ??= (async () => {
    if (userInfo().uid !== 0) return undefined;
    if (!(await idOf("postgres"))) await createPostgresUser();
    resolvedUser = await idOf("postgres");
    if (!resolvedUser) throw new Error("the postgres OS user was created but `id postgres` does not find it");
    return resolvedUser;
  })();
  return postgresUser;
}

/** The user once `postgresOsUser()` has resolved: for `exit` handlers, where nothing asynchronous runs. */
export function knownPostgresOsUser(): OsUser | undefined {
  return resolvedUser;
}

async function idOf(name: string): Promise<OsUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      execFileAsync("id", ["-u", name]).then((r) => Number.parseInt(r.stdout, 10)),
      execFileAsync("id", ["-g", name]).then((r) => Number.parseInt(r.stdout, 10)),
    ]);
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** A fresh container has no `postgres` user: a system user with no home and no login, as a distribution's package makes. */
async function createPostgresUser(): Promise<void> {
  try {
    await execFileAsync("groupadd", ["--system", "postgres"]).catch((error: { code?: number }) => {
      if (error.code !== 9) throw error; // 9: the group exists already
    });
    await execFileAsync("useradd", ["--system", "--gid", "postgres", "--no-create-home", "postgres"]);
  } catch (error) {
    throw new Error(
      `PostgreSQL cannot run as root, and there is no postgres OS user to run it as; creating one failed (${(error as Error).message.trim()}). Create it with: useradd --system postgres`,
    );
  }
}

/** Run a program as the server's OS user; rejects with its output when it fails. */
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
 * Whether the servers' OS user can reach `path`: `test -x` as that user fails when any
 * parent directory is not traversable for it (a checkout under /root, mode 0700, is not).
 * Not root: the servers run as ourselves, who got here.
 */
export async function postgresUserCanEnter(path: string): Promise<boolean> {
  if (!(await postgresOsUser())) return true;
  return runAsPostgresUser("test", ["-x", path]).then(
    () => true,
    () => false,
  );
}
