/**
 * The sandbox supervisor: one process holding the PostgreSQL pair, the AWS emulator, the
 * case-apis and the edge router, with faults, reset and a control API for the
 * `runbook sandbox` commands. See supervisor.ts for the start order and run.ts for the
 * process's life (pid file, endpoints.json, signals).
 */
export { ControlServer } from "./control-server.js";
export * from "./fault-catalog.js";
export { type RunningSandbox, runSupervisor } from "./run.js";
export * from "./sandbox-topology.js";
export type { SandboxStatus } from "./status.js";
export { SANDBOX_CREDENTIALS, SandboxSupervisor, type SupervisorOptions } from "./supervisor.js";
