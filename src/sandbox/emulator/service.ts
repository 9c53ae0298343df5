import type { ParamErrors, ParamReader } from "./params.js";
import type { MemberNames } from "./protocols/xml.js";

/** Signing names of the emulated services, as they appear in the SigV4 credential scope. */
export const SERVICE_NAMES = [
  "route53-recovery-cluster",
  "rds",
  "monitoring",
  "states",
  "secretsmanager",
  "sts",
  "ecs",
  "autoscaling",
  "route53",
  "dynamodb",
  "s3",
  "kms",
  "lambda",
  "events",
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface RequestContext {
  service: ServiceName;
  operation: string;
  region: string;
  protocol: "json" | "query" | "rest-json" | "rest-xml";
  /** Access key id from the Authorization header (STS derives the caller's ARN from it). */
  accessKeyId: string | undefined;
  requestId: string;
}

export type OperationHandler = (params: ParamReader, ctx: RequestContext) => unknown | Promise<unknown>;

/**
 * One emulated AWS service: how requests reach it, and what each operation does.
 * Handlers return plain objects (Dates for timestamps); the protocol layer encodes them.
 */
export interface ServiceDefinition {
  name: ServiceName;
  /** JSON protocols: `X-Amz-Target` prefix and the Smithy namespace used in `__type`. */
  json?: { target: string; version: "1.0" | "1.1"; namespace: string };
  /** Query protocol: API version sent in the form, and the XML namespace of replies. */
  query?: { version: string; xmlns: string; members: MemberNames };
  /**
   * REST protocols (rest-xml, rest-json): requests are routed by the SigV4 signing name
   * (`name`), the HTTP method and the URI, from the operation schemas of the SDK client
   * package, whose own codecs decode requests and encode replies (protocols/rest-*.ts).
   */
  rest?: {
    /** `@aws-sdk/client-<sdkService>` (`route-53`, `s3`, `lambda`); its protocol is the service's. */
    sdkService: string;
    /**
     * rest-xml error bodies: `ErrorResponse` (Route 53: `<ErrorResponse><Error><Type/><Code/>
     * <Message/></Error><RequestId/></ErrorResponse>`, the default) or `Error` (S3:
     * `<Error><Code/><Message/><RequestId/></Error>`). rest-json errors are always the
     * `x-amzn-errortype` header and a `{ "message": … }` body.
     */
    xmlErrors?: "ErrorResponse" | "Error";
    /** The first path segment is this input member, not part of the URI templates (S3's path-style `Bucket`). */
    pathPrefixLabel?: string;
  };
  operations: Readonly<Record<string, OperationHandler>>;
  /** Operations that change state, for `mutatingCalls()`. */
  mutating: ReadonlySet<string>;
  /** Codes for validation failures in this service's protocol. */
  errors: ParamErrors & {
    unknownOperation: string;
    throttling: string;
    /** HTTP status of the throttling error (default 429 for JSON protocols, else 400; S3's SlowDown is 503). */
    throttlingStatus?: number;
    /** REST: code for a body that cannot be parsed (default: `invalid`; S3 says MalformedXML). */
    malformed?: string;
  };
}
