import { MASK, maskSecrets } from "./mask.js";

/**
 * Secret values never reach journals, logs or reports. Values are registered when they
 * become known (secret inputs, credential variables, env values a runbook reads) and every
 * string on its way to the journal or a log is scrubbed.
 */

const SENSITIVE_NAME = /(secret|password|passwd|token|credential|private.?key|api.?key|session)/i;
const ALWAYS_SECRET_ENV = ["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

export { MASK };

export class Redactor {
  private readonly secrets = new Set<string>();

  addSecret(value: string | undefined): void {
    // Very short values would mask ordinary words; they are not credentials anyway.
    if (value && value.length >= 4) this.secrets.add(value);
  }

  addSensitiveEnv(env: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(env)) {
      if (ALWAYS_SECRET_ENV.includes(name) || SENSITIVE_NAME.test(name)) this.addSecret(value);
    }
  }

  /** The registered values, for what writes outside the engine's reach (a step's output files). */
  list(): string[] {
    return [...this.secrets];
  }

  string(s: string): string {
    // Credentials inside connection URLs (postgres://user:password@host) are secrets wherever they come from.
    const out = s.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)([^@\s]+)@/gi, `$1${MASK}@`);
    // Overlapping secrets (one inside another) become one mask: no part of either leaks.
    return maskSecrets(out, this.secrets);
  }

  /** A deep copy with secret values masked and sensitive-named fields blanked. */
  value<T>(v: T): T {
    return this.walk(v) as T;
  }

  private walk(v: unknown, key?: string): unknown {
    if (typeof v === "string")
      return key && SENSITIVE_NAME.test(key) && !v.includes("${{") ? MASK : this.string(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x, key));
    if (v && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.walk(x, k)]));
    }
    return v;
  }
}
