/**
 * AWS JSON 1.0/1.1 result encoding. Timestamps travel as epoch seconds (the JSON
 * protocols' default timestamp format), so Dates in handler results are converted here.
 */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v);
    return out;
  }
  return value;
}

export function jsonErrorBody(namespace: string, code: string, message: string, fields: object = {}): string {
  return JSON.stringify({ __type: `${namespace}#${code}`, message, ...fields });
}
