import { PassThrough } from "node:stream";
import type { CommandIO } from "../../src/commands/io.js";

/** A CommandIO for running a command in-process, with what it wrote to stdout and stderr. */
export function fakeIo(cwd: string): CommandIO & { out: () => string; err: () => string } {
  const written = { out: "", err: "" };
  const stream = (key: "out" | "err") => {
    const s = new PassThrough();
    s.on("data", (d) => {
      written[key] += d;
    });
    return s;
  };
  return {
    stdout: stream("out"),
    stderr: stream("err"),
    stdin: new PassThrough(),
    cwd,
    env: {},
    isTTY: false,
    color: false,
    out: () => written.out,
    err: () => written.err,
  };
}
