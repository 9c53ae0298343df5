/** What a command may touch of the outside world; `cli.ts` passes the real process, tests pass fakes. */
export interface CommandIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  cwd: string;
  env: Record<string, string | undefined>;
  /** stdout is a terminal: live views and prompts are allowed. */
  isTTY: boolean;
  /** Colour allowed (a TTY and no NO_COLOR). */
  color: boolean;
  /** This CLI's entry file, for commands that start helper processes of it (drills, the sandbox). */
  cliPath?: string;
  /**
   * From now on, a first Ctrl-C aborts the returned signal (after printing `message`) instead
   * of killing the process; a second one exits at once. For commands that can stop cleanly.
   */
  trapInterrupts?: (message: string) => AbortSignal;
}

export function writeLine(stream: NodeJS.WritableStream, text = ""): void {
  stream.write(`${text}\n`);
}
