import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import type { RequestSignature } from "../sigv4-scope.js";

/**
 * Verifies a request's SigV4 signature the way AWS does: sign the received request again with
 * the secret the sandbox knows for its access key, its own X-Amz-Date and signed headers, using
 * the SDK's own signer (@smithy/signature-v4), and compare. Both forms: the Authorization
 * header, and a presigned query string (X-Amz-Signature; extra signed headers such as
 * `x-runbook-approval` travel as headers).
 */

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type SignatureVerdict = { ok: true } | { ok: false; message: string };

/** AWS accepts a signature up to 15 minutes from its X-Amz-Date (a presigned STS request: at most that too). */
const SKEW_MS = 15 * 60_000;

export const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

export async function verifySignature(
  request: ReceivedRequest,
  signature: RequestSignature,
  key: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  now: Date,
): Promise<SignatureVerdict> {
  const signedAt = parseAmzDate(signature.amzDate);
  if (!signedAt) return { ok: false, message: SIGNATURE_MISMATCH };
  const stale = staleness(signature, signedAt, now);
  if (stale) return { ok: false, message: stale };

  const q = request.url.indexOf("?");
  const path = q < 0 ? request.url : request.url.slice(0, q);
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(q < 0 ? "" : request.url.slice(q + 1))) {
    // The signer adds the X-Amz-* parameters of a presigned request itself.
    if (signature.presigned && k.toLowerCase().startsWith("x-amz-")) continue;
    const prior = query[k];
    query[k] = prior === undefined ? v : [...(Array.isArray(prior) ? prior : [prior]), v];
  }
  const signed = new Set(signature.signedHeaders);
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const v = request.headers[name];
    if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(",") : v;
  }
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: key.accessKeyId,
      secretAccessKey: key.secretAccessKey,
      // Only where the client signed it: a header-signed request may leave the token unsigned.
      ...(key.sessionToken && (signature.presigned || signed.has("x-amz-security-token"))
        ? { sessionToken: key.sessionToken }
        : {}),
    },
    region: signature.region,
    service: signature.service,
    sha256: Sha256,
    uriEscapePath: true,
    // Never add x-amz-content-sha256: it is signed only if the client sent (and signed) it.
    applyChecksum: false,
  });
  const host = (headers.host ?? "localhost").split(":");
  const unsigned = new HttpRequest({
    method: request.method,
    protocol: "http:",
    hostname: host[0] ?? "localhost",
    ...(host[1] ? { port: Number(host[1]) } : {}),
    path,
    query,
    headers,
    ...(request.body.length > 0 ? { body: request.body } : {}),
  });
  let expected: string | undefined;
  if (signature.presigned) {
    const presigned = await signer.presign(unsigned, {
      signingDate: signedAt,
      expiresIn: signature.expiresSeconds ?? 900,
      signableHeaders: signed,
      // Headers the client signed but kept as headers stay headers.
      unhoistableHeaders: new Set(Object.keys(headers)),
    });
    const value = presigned.query?.["X-Amz-Signature"];
    expected = Array.isArray(value) ? value[0] : (value ?? undefined);
  } else {
    const again = await signer.sign(unsigned, { signingDate: signedAt, signableHeaders: signed });
    expected = /Signature=([0-9a-f]+)/.exec(again.headers.authorization ?? "")?.[1];
  }
  const a = Buffer.from(expected ?? "");
  const b = Buffer.from(signature.signature);
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b)
    ? { ok: true }
    : { ok: false, message: SIGNATURE_MISMATCH };
}

/** AWS's "Signature expired" wording, or undefined while the signature is current. */
function staleness(signature: RequestSignature, signedAt: Date, now: Date): string | undefined {
  const fmt = (ms: number) => formatAmzDate(new Date(ms));
  const t = now.getTime();
  const stamp = formatAmzDate(signedAt);
  if (signedAt.getTime() > t + SKEW_MS)
    return `Signature not yet current: ${stamp} is still later than ${fmt(t + SKEW_MS)} (${fmt(t)} + 15 min.)`;
  // STS honours X-Amz-Expires only up to 15 minutes.
  const limitMs = signature.presigned ? Math.min((signature.expiresSeconds ?? 900) * 1000, SKEW_MS) : SKEW_MS;
  if (signedAt.getTime() < t - limitMs) {
    const window = limitMs === SKEW_MS ? "15 min." : `${limitMs / 1000} sec.`;
    return `Signature expired: ${stamp} is now earlier than ${fmt(t - limitMs)} (${fmt(t)} - ${window})`;
  }
  return undefined;
}

function parseAmzDate(text: string | undefined): Date | undefined {
  const m = text ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function formatAmzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}
