import type { IncomingHttpHeaders } from "node:http";

/**
 * What the emulator reads from a request's SigV4 signature: the access key, region and
 * service of the credential scope, and what verifying it needs (iam/signature-check.ts).
 * Either form AWS accepts:
 *
 * - header: `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/rds/aws4_request,
 *   SignedHeaders=host;x-amz-date, Signature=…` (+ `X-Amz-Date`, `X-Amz-Security-Token`);
 * - presigned query string: `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=…&X-Amz-Date=…
 *   &X-Amz-Expires=…&X-Amz-SignedHeaders=…&X-Amz-Signature=…[&X-Amz-Security-Token=…]`.
 */
export interface CredentialScope {
  accessKeyId: string;
  region: string;
  service: string;
}

export interface RequestSignature extends CredentialScope {
  presigned: boolean;
  /** `20261127T120000Z`, from X-Amz-Date (header or query). */
  amzDate: string | undefined;
  signedHeaders: string[];
  signature: string;
  /** Presigned: X-Amz-Expires, in seconds. */
  expiresSeconds: number | undefined;
  sessionToken: string | undefined;
}

const CREDENTIAL = /^([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request$/;

function scopeOf(credential: string | undefined | null): CredentialScope | undefined {
  const match = credential ? CREDENTIAL.exec(credential) : null;
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { accessKeyId: match[1], region: match[2], service: match[3] };
}

const header = (headers: IncomingHttpHeaders, name: string) => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export function requestSignature(url: string, headers: IncomingHttpHeaders): RequestSignature | undefined {
  const authorization = header(headers, "authorization");
  if (authorization?.startsWith("AWS4-HMAC-SHA256 ")) {
    const fields = new Map(
      authorization
        .slice("AWS4-HMAC-SHA256 ".length)
        .split(",")
        .map((part) => {
          const eq = part.indexOf("=");
          return [part.slice(0, eq).trim(), part.slice(eq + 1).trim()] as const;
        }),
    );
    const scope = scopeOf(fields.get("Credential"));
    if (!scope) return undefined;
    return {
      ...scope,
      presigned: false,
      amzDate: header(headers, "x-amz-date"),
      signedHeaders: (fields.get("SignedHeaders") ?? "").split(";").filter(Boolean),
      signature: fields.get("Signature") ?? "",
      expiresSeconds: undefined,
      sessionToken: header(headers, "x-amz-security-token"),
    };
  }
  const q = url.indexOf("?");
  if (q < 0) return undefined;
  const query = new URLSearchParams(url.slice(q + 1));
  if (query.get("X-Amz-Algorithm") !== "AWS4-HMAC-SHA256") return undefined;
  const scope = scopeOf(query.get("X-Amz-Credential"));
  if (!scope) return undefined;
  const expires = Number(query.get("X-Amz-Expires") ?? Number.NaN);
  return {
    ...scope,
    presigned: true,
    amzDate: query.get("X-Amz-Date") ?? undefined,
    signedHeaders: (query.get("X-Amz-SignedHeaders") ?? "").split(";").filter(Boolean),
    signature: query.get("X-Amz-Signature") ?? "",
    expiresSeconds: Number.isFinite(expires) ? expires : undefined,
    sessionToken: query.get("X-Amz-Security-Token") ?? undefined,
  };
}
