import { ApiError } from "../errors.js";
import type { AuthFailureKind, ErrorShape, RequestContext, ServiceDefinition } from "../service.js";
import { SIGNATURE_MISMATCH } from "./signature-check.js";

/**
 * How each protocol answers a request it will not serve for who sent it: Query services
 * (STS, IAM, RDS, Auto Scaling, CloudWatch) and Route 53 say `AccessDenied`,
 * `InvalidClientTokenId`, `ExpiredToken`, `SignatureDoesNotMatch` (403); JSON services
 * `AccessDeniedException`, `UnrecognizedClientException`, `ExpiredTokenException` (400);
 * Lambda the same names with 403. A service declares where it differs (S3's
 * `InvalidAccessKeyId`, ECS's 403 AccessDeniedException) in `errors.auth`.
 */
const QUERY: Record<AuthFailureKind, ErrorShape> = {
  accessDenied: { code: "AccessDenied", status: 403 },
  unknownKey: { code: "InvalidClientTokenId", status: 403 },
  expiredToken: { code: "ExpiredToken", status: 403 },
  badSignature: { code: "SignatureDoesNotMatch", status: 403 },
  missingAuth: { code: "MissingAuthenticationToken", status: 403 },
};
const JSON_: Record<AuthFailureKind, ErrorShape> = {
  accessDenied: { code: "AccessDeniedException", status: 400 },
  unknownKey: { code: "UnrecognizedClientException", status: 400 },
  expiredToken: { code: "ExpiredTokenException", status: 400 },
  badSignature: { code: "InvalidSignatureException", status: 400 },
  missingAuth: { code: "MissingAuthenticationTokenException", status: 400 },
};
const REST_JSON = Object.fromEntries(
  Object.entries(JSON_).map(([k, v]) => [k, { ...v, status: 403 }]),
) as Record<AuthFailureKind, ErrorShape>;

const DEFAULTS: Record<RequestContext["protocol"], Record<AuthFailureKind, ErrorShape>> = {
  query: QUERY,
  json: JSON_,
  "rest-xml": QUERY,
  "rest-json": REST_JSON,
};

const MESSAGES: Record<AuthFailureKind, string> = {
  accessDenied: "Access denied",
  unknownKey: "The security token included in the request is invalid.",
  expiredToken: "The security token included in the request is expired",
  badSignature: SIGNATURE_MISMATCH,
  missingAuth: "Request is missing Authentication Token",
};

export function authError(
  kind: AuthFailureKind,
  service: ServiceDefinition,
  protocol: RequestContext["protocol"],
  message?: string,
): ApiError {
  const shape = service.errors.auth?.[kind] ?? DEFAULTS[protocol][kind];
  return new ApiError(shape.code, shape.message ?? message ?? MESSAGES[kind], shape.status, {
    // Query-compatible JSON clients (CloudWatch) read the Query code.
    queryCode: QUERY[kind].code,
  });
}
