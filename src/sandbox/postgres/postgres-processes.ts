import { execFile } from "node:child_process";
import { promisify } from "node:util";

/**
 * `ps`-based view of PostgreSQL processes, used to prove a stop left nothing behind.
 * Backends rewrite their process title ("postgres: checkpointer"), so they are found
 * by parentage: a postmaster and every process whose parent it is.
 */

const execFileAsync = promisify(execFile);

export interface OsProcess {
  pid: number;
  ppid: number;
  command: string;
}

/**
 * Live processes. Zombies are left out: pg_ctl daemonises the postmaster, so when it
 * exits it waits for PID 1 to reap it (here ~1.5 s); it holds no port, file or memory.
 */
export async function listProcesses(): Promise<OsProcess[]> {
  const { stdout } = await execFileAsync("ps", ["-eo", "pid=,ppid=,stat=,args="], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const processes: OsProcess[] = [];
  for (const line of stdout.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (
      match?.[1] === undefined ||
      match[2] === undefined ||
      match[3] === undefined ||
      match[4] === undefined
    )
      continue;
    if (match[3].startsWith("Z")) continue;
    processes.push({ pid: Number(match[1]), ppid: Number(match[2]), command: match[4] });
  }
  return processes;
}

/** The postmaster itself (if alive) and its children. */
export async function processTreeOf(postmasterPid: number): Promise<OsProcess[]> {
  const all = await listProcesses();
  return all.filter((p) => p.pid === postmasterPid || p.ppid === postmasterPid);
}

/** Postmasters whose command line names this data directory (`postgres -D <dir>`). */
export async function postmastersFor(dataDir: string): Promise<OsProcess[]> {
  const all = await listProcesses();
  return all.filter((p) => p.command.includes(dataDir) && /\bpostgres\b/.test(p.command));
}
