import type { Shape } from "../../../aws/sdk-shapes.js";

/**
 * Step Functions' `aws-sdk:` integrations name parameters, results and errors as the AWS SDK
 * for Java v2 does (`DbClusterIdentifier`, `Rds.DbClusterNotFoundException`), the JS SDK as the
 * service model does (`DBClusterIdentifier`, `DBClusterNotFoundFault`). The conversion walks the
 * JS SDK's own operation schemas, so every member of every operation converts the same way,
 * with the Java code generator's word splitting (acronyms become words: DB → Db).
 */

/** The Java SDK v2 code generator's split into words (DefaultNamingStrategy.splitOnWordBoundaries). */
function words(name: string): string[] {
  return name
    .replace(/[^A-Za-z0-9]+/g, " ")
    .replace(/([^a-z]{2,})v([0-9]+)/g, "$1 v$2 ")
    .replace(/([^A-Z]{2,})V([0-9]+)/g, "$1 V$2 ")
    .split(/(?<=[a-z])(?=[A-Z](?:[a-zA-Z]|[0-9]))/)
    .join(" ")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/([0-9])([a-zA-Z])/g, "$1 $2")
    .replace(/ +/g, " ")
    .trim()
    .split(" ")
    .filter(Boolean);
}

/** PascalCase as the Java SDK writes names: each word capitalised, the rest lower case. */
export function javaCase(name: string): string {
  return words(name)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase())
    .join("");
}

/** The Java SDK's exception class for a service error (`InvalidDBClusterStateFault` → `InvalidDbClusterStateException`). */
export function javaExceptionName(errorName: string): string {
  if (errorName.endsWith("Fault")) return `${javaCase(errorName.slice(0, -5))}Exception`;
  if (errorName.endsWith("Exception")) return javaCase(errorName);
  return `${javaCase(errorName)}Exception`;
}

export class UnknownFieldError extends Error {}

const members = (s: Shape): [string, Shape][] =>
  s.isStructSchema() || s.isUnionSchema() ? [...s.structIterator()] : [];

/** Parameters written with Java names, as the JS SDK's input (timestamps as Dates, blobs as bytes). */
export function toJsInput(value: unknown, shape: Shape, path = ""): unknown {
  if (value === null || value === undefined) return value;
  if (
    (shape.isStructSchema() || shape.isUnionSchema()) &&
    typeof value === "object" &&
    !Array.isArray(value)
  ) {
    const byJava = new Map(members(shape).map(([name, s]) => [javaCase(name), [name, s] as const]));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const member = byJava.get(key);
      if (!member)
        throw new UnknownFieldError(
          `The field "${key}" is not supported by Step Functions${path ? ` at ${path}` : ""}`,
        );
      out[member[0]] = toJsInput(v, member[1], `${path}/${key}`);
    }
    return out;
  }
  if (shape.isListSchema() && Array.isArray(value))
    return value.map((v, i) => toJsInput(v, shape.getValueSchema(), `${path}[${i}]`));
  if (shape.isMapSchema() && typeof value === "object" && !Array.isArray(value))
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        toJsInput(v, shape.getValueSchema(), `${path}/${k}`),
      ]),
    );
  if (shape.isTimestampSchema() && (typeof value === "string" || typeof value === "number"))
    return new Date(typeof value === "number" ? value * 1000 : value);
  if (shape.isBlobSchema() && typeof value === "string") return new TextEncoder().encode(value);
  return value;
}

/** A JS SDK result with Java names, as JSON (timestamps ISO 8601, blobs base64). */
export function toJavaOutput(value: unknown, shape: Shape): unknown {
  if (value === null || value === undefined) return value;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (
    (shape.isStructSchema() || shape.isUnionSchema()) &&
    typeof value === "object" &&
    !Array.isArray(value)
  ) {
    const known = new Map(members(shape));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const member = known.get(key);
      if (!member || v === undefined) continue; // $metadata and the like are the SDK's, not the service's
      out[javaCase(key)] = toJavaOutput(v, member);
    }
    return out;
  }
  if (shape.isListSchema() && Array.isArray(value))
    return value.map((v) => toJavaOutput(v, shape.getValueSchema()));
  if (shape.isMapSchema() && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        toJavaOutput(v, shape.getValueSchema()),
      ]),
    );
  return value;
}
