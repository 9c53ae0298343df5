import type { CallRecord } from "./call-log.js";
import type { FaultRequest } from "./faults.js";
import type { IamCommand } from "./iam/iam-admin.js";
import type { IamView } from "./iam/iam-model.js";

/**
 * Talks to a running emulator's admin API from another process (the sandbox CLI, a drill
 * script): read its state and call log, inject faults. `url` is the emulator's main URL.
 */
export interface AdminClient {
  state(): Promise<Record<string, unknown>>;
  calls(options?: { mutatingOnly?: boolean }): Promise<CallRecord[]>;
  clearCalls(): Promise<void>;
  fault(fault: FaultRequest): Promise<void>;
  /** The sandbox's IAM: principals (ARNs, access key ids, policies), denies, enforcement. */
  iam(): Promise<IamView>;
  /** Enforce, attach, reset, cap session lifetimes; answers the IAM state after it. */
  iamCommand(command: IamCommand): Promise<IamView>;
}

export function adminClient(url: string): AdminClient {
  const base = url.replace(/\/$/, "");
  const request = async (method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${base}/_sandbox/${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    const json: unknown = await res.json();
    if (!res.ok) {
      const message = (json as { error?: string }).error ?? `HTTP ${res.status}`;
      throw new Error(`emulator admin ${method} ${path}: ${message}`);
    }
    return json;
  };
  return {
    state: async () => (await request("GET", "state")) as Record<string, unknown>,
    // Dates arrive as ISO strings over JSON; give callers the same shape as emulator.calls.
    calls: async (options) =>
      ((await request("GET", options?.mutatingOnly ? "calls?mutating=1" : "calls")) as CallRecord[]).map(
        (c) => ({
          ...c,
          at: new Date(c.at),
        }),
      ),
    clearCalls: async () => {
      await request("POST", "calls/clear");
    },
    fault: async (fault) => {
      await request("POST", "fault", fault);
    },
    iam: async () => (await request("GET", "iam")) as IamView,
    iamCommand: async (command) => ((await request("POST", "iam", command)) as { iam: IamView }).iam,
  };
}
