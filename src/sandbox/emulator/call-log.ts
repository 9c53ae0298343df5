import type { ServiceName } from "./service.js";

/**
 * Every API call the emulator answered (or refused), so tests and drills can assert what
 * was and was not called. Secret values never enter the log.
 */
export interface CallRecord {
  at: Date;
  service: ServiceName;
  operation: string;
  region: string;
  params: unknown;
  /** `ok`, or the error code the caller saw. */
  outcome: string;
  /** Which listener answered: `main` or `arc-<i>`. */
  endpoint: string;
  durationMs: number;
  /** The ARN of who signed the call (an IAM user or assumed-role session), when it was authenticated. */
  principal?: string;
}

const SENSITIVE_KEY = /secret(string|binary)|password|token|credential/i;

export function redactParams(value: unknown, key?: string): unknown {
  if (key !== undefined && SENSITIVE_KEY.test(key) && typeof value === "string") return "***";
  // A REST payload (an S3 object body) is logged by its size, not byte by byte.
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (Array.isArray(value)) return value.map((v) => redactParams(v));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactParams(v, k)]));
  }
  return value;
}

export class CallLog {
  readonly calls: CallRecord[] = [];
  /** Operations that changed (or tried to change) state, keyed by service. */
  private readonly mutating = new Map<ServiceName, ReadonlySet<string>>();

  constructor(private readonly limit = 100_000) {}

  registerMutating(service: ServiceName, operations: ReadonlySet<string>): void {
    this.mutating.set(service, operations);
  }

  record(call: CallRecord): void {
    this.calls.push(call);
    // A long game day must not grow memory without bound: drop the oldest tenth.
    if (this.calls.length > this.limit) this.calls.splice(0, Math.floor(this.limit / 10));
  }

  /** Calls to operations that change state, whatever their outcome. */
  mutatingCalls(): CallRecord[] {
    return this.calls.filter((c) => this.mutating.get(c.service)?.has(c.operation) ?? false);
  }

  clear(): void {
    this.calls.length = 0;
  }
}
