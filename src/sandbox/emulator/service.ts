import type { Caller } from "./iam/iam-model.js";
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
  "iam",
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface RequestContext {
  service: ServiceName;
  operation: string;
  region: string;
  protocol: "json" | "query" | "rest-json" | "rest-xml";
  /** Access key id of the request's SigV4 credential (Authorization header or presigned query). */
  accessKeyId: string | undefined;
  /** Who signed the request: an IAM user, an assumed-role session, or a key the sandbox does not know. */
  caller: Caller;
  requestId: string;
}

/** The IAM resources one request names, and request-specific condition keys (`sts:ExternalId`). */
export type RequestResources =
  | string[]
  | { resources: string[]; context?: Record<string, string | string[]> };

/**
 * How IAM sees a service's requests, for enforcement (iam/request-auth.ts): the action is
 * `<prefix>:<action name>`, the resources are those the request names, from the service's
 * own model. An operation without a resolver is authorised on `*` (right for the actions IAM
 * defines as wildcard-only, which iam-data tells the authoriser anyway).
 */
export interface IamDeclaration {
  /** The IAM service prefix when it differs from the signing name (CloudWatch signs `monitoring`, IAM says `cloudwatch`). */
  prefix?: string;
  /** IAM action names that differ from the operation's (S3 GetBucketReplication → GetReplicationConfiguration). */
  actions?: Readonly<Record<string, string>>;
  resources?: IamResources;
}

/** Per operation: the resources (and condition keys) a request names. */
export type IamResources = Readonly<
  Record<string, (params: ParamReader, ctx: RequestContext) => RequestResources>
>;

/** An error code and HTTP status in one service's protocol (AccessDenied, InvalidClientTokenId, …). */
export interface ErrorShape {
  code: string;
  status: number;
  /** Replaces the usual wording (S3 words some of these its own way). */
  message?: string;
}

export type AuthFailureKind = "accessDenied" | "unknownKey" | "expiredToken" | "badSignature" | "missingAuth";

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
  /** IAM's view of the operations, for enforcement. */
  iam?: IamDeclaration;
  /** STS: requests signed with a key the sandbox knows must carry a valid SigV4 signature. */
  verifiesSignatures?: boolean;
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
    /** Authentication and authorisation errors where they differ from the protocol's usual ones (iam/auth-errors.ts). */
    auth?: Partial<Record<AuthFailureKind, ErrorShape>>;
  };
}
