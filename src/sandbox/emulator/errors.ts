/**
 * An error the emulated API answers with, in the shape AWS uses.
 *
 * `code` is the name the SDK looks up in its error registry: the JSON shape name for JSON
 * services (`ConflictException`) and the Query error code for Query services
 * (`InvalidDBClusterStateFault`, `DBInstanceNotFound`). CloudWatch speaks both, so its
 * errors carry the Query code separately (`queryCode`), which also goes into the
 * `x-amzn-query-error` header the query-compatible JSON client reads.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly options: {
      queryCode?: string;
      /** `Receiver` for server-side faults (5xx), `Sender` otherwise. */
      fault?: "Sender" | "Receiver";
      /** Extra members of the error shape (ARC's `resourceId`, `resourceType`, …). */
      fields?: Record<string, unknown>;
    } = {},
  ) {
    super(message);
    this.name = code;
  }

  get fault(): "Sender" | "Receiver" {
    return this.options.fault ?? (this.status >= 500 ? "Receiver" : "Sender");
  }

  get queryCode(): string {
    return this.options.queryCode ?? this.code;
  }
}

/** The validation errors every protocol shares; services pick the code their API uses. */
export function missingParameter(name: string, code = "MissingParameter"): ApiError {
  return new ApiError(code, `The request must contain the parameter ${name}`, 400);
}

export function invalidParameter(message: string, code = "InvalidParameterValue"): ApiError {
  return new ApiError(code, message, 400);
}
