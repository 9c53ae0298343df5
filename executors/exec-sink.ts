import { execFileSync, spawn } from "node:child_process";
import type * as Fs from "node:fs";
import { closeSync, constants, openSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { MASK, StreamMasker } from "../src/engine/mask.js";

/**
 * Where a command's output goes when the run has secrets: through a sink that masks them on the
 * way to `stdout.log` and `stderr.log`, so no secret reaches the disk, not even for a moment
 * (masking the files afterwards would leave the value there while the command runs, and for
 * good if the engine is killed meanwhile).
 *
 * The sink is a process of its own (node running `sinkMain` below, given as `-e` source, so the
 * same text works from the bundle in dist/ and from the TypeScript under vitest), detached like
 * the command and carrying the command's token in its environment. So, as with output going
 * straight to files:
 * - an engine killed mid-command takes nothing with it: the command writes into pipes whose
 *   reader is the sink, not the engine, and the sink writes the files;
 * - resume waits while any process carries the token: the command, and the sink until it has
 *   written the last byte (it ends when every writer of the pipes has closed them).
 * One sink serves both streams; it costs one node start per command, and only when the run has
 * secrets (without any, output still goes straight to the files).
 *
 * The pipes are real pipes (FIFOs, unlinked as soon as both ends are open), not the socket pairs
 * Node gives a child: a command may write to `/dev/stdout` or `/dev/stderr`, which cannot be
 * opened on a socket. The secrets reach the sink over a channel of its own (fd 5) and are read
 * to the end before any output is written; never in argv or the environment, both readable in
 * /proc. If the list does not arrive whole (the engine died while sending it, before the command
 * was started), the sink writes a notice instead of any output.
 */

export interface OutputSink {
  pid: number;
  /** Write ends of the pipes, for the command's stdout and stderr; close them once it has them. */
  stdout: number;
  stderr: number;
  /** The sink's exit code, once it has written everything (or 1 if it could not run). */
  finished: Promise<number>;
  /** The sink has the secrets and is reading the pipes. */
  reading(): boolean;
  /** Stop waiting for it: a sink a background process keeps open must not keep the engine. */
  release(): void;
}

/** fds in the sink: stdout pipe → stdout.log, stderr pipe → stderr.log, and the secrets. */
const FD = { outPipe: 0, outFile: 1, errPipe: 3, errFile: 4, secrets: 5 } as const;

export async function startOutputSink(
  workDir: string,
  secrets: readonly string[],
  env: Record<string, string>,
): Promise<OutputSink> {
  const out = pipe(join(workDir, "stdout.fifo"));
  const err = pipe(join(workDir, "stderr.fifo"));
  const outFile = openSync(join(workDir, "stdout.log"), "w");
  const errFile = openSync(join(workDir, "stderr.log"), "w");
  const stdio: (number | "ignore" | "pipe")[] = [];
  stdio[FD.outPipe] = out.read;
  stdio[FD.outFile] = outFile;
  stdio[2] = "ignore";
  stdio[FD.errPipe] = err.read;
  stdio[FD.errFile] = errFile;
  stdio[FD.secrets] = "pipe";
  const sink = spawn(process.execPath, ["-e", SINK_SOURCE], { stdio, detached: true, env });
  for (const fd of [out.read, err.read, outFile, errFile]) closeSync(fd);
  const finished = new Promise<number>((resolve) => {
    sink.on("error", () => resolve(1));
    sink.on("exit", (code) => resolve(code ?? 1));
  });
  // A socket pair, both ways: the secrets go out, and one byte comes back once they are read.
  const channel = (sink.stdio as unknown as Duplex[])[FD.secrets]!;
  let reading = false;
  channel.once("data", () => {
    reading = true;
    channel.destroy();
  });
  finished.then(() => channel.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      channel.on("error", reject);
      sink.on("error", reject);
      channel.end(JSON.stringify(secrets), () => resolve());
    });
  } catch (e) {
    channel.destroy();
    for (const fd of [out.write, err.write]) closeSync(fd);
    throw e;
  }
  channel.on("error", () => undefined);
  return {
    pid: sink.pid!,
    stdout: out.write,
    stderr: err.write,
    finished,
    reading: () => reading,
    release: () => {
      sink.unref();
      channel.destroy();
    },
  };
}

/** Both ends of a new FIFO at `path`, opened without blocking, the name gone again. */
function pipe(path: string): { read: number; write: number } {
  rmSync(path, { force: true });
  execFileSync("mkfifo", ["-m", "600", path]);
  try {
    // Opening one end of a FIFO waits for the other; O_RDWR (Linux) never waits, and keeps a
    // writer open while the real ends are opened.
    const both = openSync(path, constants.O_RDWR);
    const read = openSync(path, constants.O_RDONLY);
    const write = openSync(path, constants.O_WRONLY);
    closeSync(both);
    return { read, write };
  } finally {
    rmSync(path, { force: true });
  }
}

/** Runs in the sink process: its source text is sent, never its closure, so it names nothing outside. */
function sinkMain(fs: typeof Fs, Masker: typeof StreamMasker, mask: string): void {
  const received: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  let whole = true;
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(5, buf);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EAGAIN") {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      whole = false;
      break;
    }
    if (n === 0) break;
    received.push(buf.slice(0, n));
  }
  let secrets: string[] | undefined;
  try {
    const list: unknown = whole ? JSON.parse(Buffer.concat(received).toString("utf8")) : undefined;
    if (Array.isArray(list) && list.every((s) => typeof s === "string")) secrets = list;
  } catch {
    // Cut short: the output is withheld below.
  }
  try {
    fs.writeSync(5, "1");
  } catch {
    // The engine is gone: nobody is waiting for the answer.
  }
  let open = 2;
  for (const [from, to] of [
    [0, 1],
    [3, 4],
  ] as const) {
    const write = (bytes: Uint8Array) => {
      // A full disk must not stop the command: its output is drained whatever happens here.
      for (let at = 0; at < bytes.length; ) {
        try {
          at += fs.writeSync(to, bytes, at);
        } catch {
          return;
        }
      }
    };
    const masker = secrets ? new Masker(secrets, mask) : undefined;
    let withheld = false;
    const input = fs.createReadStream("", { fd: from, highWaterMark: 65536 });
    input.on("data", (chunk) => {
      if (masker) write(masker.push(chunk as Buffer));
      else if (!withheld) {
        withheld = true;
        write(Buffer.from("[output withheld: the secrets to mask it with did not arrive whole]\n"));
      }
    });
    input.on("error", () => undefined);
    input.on("close", () => {
      if (masker) write(masker.end());
      if (--open === 0) process.exit(0);
    });
  }
}

const SINK_SOURCE = `(${String(sinkMain)})(require("node:fs"), (${String(StreamMasker)}), ${JSON.stringify(MASK)});`;
