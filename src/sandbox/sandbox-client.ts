import type { CallRecord } from "./emulator/index.js";
import type { SandboxEndpoints } from "./endpoints.js";

/**
 * A client for a running sandbox from another process: the supervisor's control API
 * (faults, reset, status) and the emulator's admin API (the call log drills judge by).
 */
export class SandboxClient {
  constructor(readonly endpoints: SandboxEndpoints) {}

  async fault(name: string, args: readonly string[] = [], clear = false): Promise<string> {
    const r = await this.post<{ message?: string; error?: string }>(`${this.endpoints.control}/fault`, {
      name,
      args,
      clear,
    });
    return r.message ?? "";
  }

  async reset(): Promise<void> {
    await this.post(`${this.endpoints.control}/reset`, {});
  }

  async status(): Promise<unknown> {
    return this.get(`${this.endpoints.control}/status`);
  }

  async mutatingCalls(): Promise<CallRecord[]> {
    const r = await this.get<{ calls?: CallRecord[] } | CallRecord[]>(
      `${this.endpoints.emulator}/_sandbox/calls?mutating=1`,
    );
    return Array.isArray(r) ? r : (r.calls ?? []);
  }

  async clearCalls(): Promise<void> {
    await this.post(`${this.endpoints.emulator}/_sandbox/calls/clear`, {});
  }

  private async get<T>(url: string): Promise<T> {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  private async post<T>(url: string, body: unknown): Promise<T> {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${url}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : {}) as T;
  }
}
