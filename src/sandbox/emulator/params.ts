import { ApiError } from "./errors.js";

/**
 * Reading request parameters that arrive either as JSON (typed: numbers, booleans, epoch
 * seconds) or as Query form fields (everything a string, timestamps ISO 8601, empty lists
 * as ""). Operations use these helpers so one handler serves both protocols.
 */

export type Params = Record<string, unknown>;

export interface ParamErrors {
  /** Error code for a missing required parameter (ARC and SFN say ValidationException). */
  missing: string;
  invalid: string;
  /** Query codes where they differ from the JSON shape names (CloudWatch speaks both). */
  missingQuery?: string;
  invalidQuery?: string;
}

export class ParamReader {
  constructor(
    readonly raw: Params,
    private readonly errors: ParamErrors,
  ) {}

  optionalString(name: string): string | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") throw this.invalid(name, "a string");
    return v;
  }

  string(name: string): string {
    const v = this.optionalString(name);
    if (v === undefined) throw this.missing(name);
    return v;
  }

  optionalNumber(name: string): number | undefined {
    return toNumber(this.raw[name], name, this.errors);
  }

  number(name: string): number {
    const v = this.optionalNumber(name);
    if (v === undefined) throw this.missing(name);
    return v;
  }

  boolean(name: string): boolean | undefined {
    const v = this.raw[name];
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    throw this.invalid(name, "a boolean");
  }

  optionalDate(name: string): Date | undefined {
    return toDate(this.raw[name], name, this.errors);
  }

  date(name: string): Date {
    const v = this.optionalDate(name);
    if (v === undefined) throw this.missing(name);
    return v;
  }

  /** A list of structures (or scalars); absent or "" (Query's empty list) is []. */
  list(name: string): unknown[] {
    const v = this.raw[name];
    if (v === undefined || v === null || v === "") return [];
    if (!Array.isArray(v)) throw this.invalid(name, "a list");
    return v;
  }

  stringList(name: string): string[] {
    return this.list(name).map((x) => {
      if (typeof x !== "string") throw this.invalid(name, "a list of strings");
      return x;
    });
  }

  /** A nested structure's reader (absent → empty). */
  struct(name: string): ParamReader {
    const v = this.raw[name];
    if (v === undefined || v === null || v === "") return new ParamReader({}, this.errors);
    if (typeof v !== "object" || Array.isArray(v)) throw this.invalid(name, "a structure");
    return new ParamReader(v as Params, this.errors);
  }

  has(name: string): boolean {
    const v = this.raw[name];
    return v !== undefined && v !== null && v !== "";
  }

  items(name: string): ParamReader[] {
    return this.list(name).map((x) => {
      if (typeof x !== "object" || x === null || Array.isArray(x))
        throw this.invalid(name, "a list of structures");
      return new ParamReader(x as Params, this.errors);
    });
  }

  invalid(name: string, expected: string): ApiError {
    return invalidError(this.errors, `Value for parameter ${name} must be ${expected}`);
  }

  missing(name: string): ApiError {
    return new ApiError(this.errors.missing, `The request must contain the parameter ${name}`, 400, {
      queryCode: this.errors.missingQuery ?? this.errors.missing,
    });
  }
}

function toNumber(v: unknown, name: string, errors: ParamErrors): number | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw invalidError(errors, `Value for parameter ${name} must be a number`);
  return n;
}

/** JSON protocols send epoch seconds; Query sends ISO 8601 (or, from some CLIs, epoch seconds). */
function toDate(v: unknown, name: string, errors: ParamErrors): Date | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  let d: Date | undefined;
  if (typeof v === "number") d = new Date(v * 1000);
  else if (typeof v === "string") d = /^\d+(\.\d+)?$/.test(v) ? new Date(Number(v) * 1000) : new Date(v);
  if (d === undefined || Number.isNaN(d.getTime())) {
    throw invalidError(errors, `Value for parameter ${name} must be a timestamp`);
  }
  return d;
}

function invalidError(errors: ParamErrors, message: string): ApiError {
  return new ApiError(errors.invalid, message, 400, { queryCode: errors.invalidQuery ?? errors.invalid });
}
