import { createHash, createHmac, randomBytes } from "node:crypto";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { z } from "zod";

/**
 * Proof of an AWS identity without sharing credentials, the technique of aws-iam-authenticator
 * and Vault's AWS auth: the approver presigns an STS GetCallerIdentity request with their own
 * credentials, including a signed header that binds it to one decision. Whoever holds only the
 * signature parts can send that request to STS and learn who signed it, but cannot change the
 * decision it is bound to, nor use it after it expires, nor sign anything else.
 *
 * The verifier sends it to its own STS endpoint, never to one the proof names: a server the
 * approver chose could answer with any ARN it liked.
 */

/** The header that binds a proof to one decision; signed, so it can be neither changed nor dropped. */
export const APPROVAL_HEADER = "x-runbook-approval";
/** How long a proof stays valid: long enough to reach the engine, short enough to be worthless later. */
export const PROOF_TTL_SECONDS = 300;
/** Longer-lived proofs are refused whatever their signature says. */
const MAX_TTL_SECONDS = 900;
const CLOCK_SKEW_MS = 5 * 60_000;
const VERIFY_TIMEOUT_MS = 5_000;
export const PROOF_METHOD = "sts:GetCallerIdentity";
const ACTION = { Action: "GetCallerIdentity", Version: "2011-06-15" };
const SIGNED_HEADERS = `host;${APPROVAL_HEADER}`;

export type Decision = "approve" | "decline";

export interface ApprovalBinding {
  executionId: string;
  stepId: string;
  decision: Decision;
  nonce: string;
}

/** `<executionId>/<stepId>/<approve|decline>/<nonce>` (ids contain no `/`). */
export function bindingValue(b: ApprovalBinding): string {
  return `${b.executionId}/${b.stepId}/${b.decision}/${b.nonce}`;
}

/** Ids as the engine makes them, a nonce as newNonce makes it: nothing else may reach an HTTP header. */
const BINDING = /^([A-Za-z0-9._-]{1,200})\/([a-z][a-z0-9-]{0,100})\/(approve|decline)\/([0-9a-f]{16,64})$/;

export function parseBinding(value: string): ApprovalBinding | undefined {
  const m = BINDING.exec(value);
  if (!m) return undefined;
  return { executionId: m[1]!, stepId: m[2]!, decision: m[3] as Decision, nonce: m[4]! };
}

export function newNonce(): string {
  return randomBytes(16).toString("hex");
}

/** What an approver hands over: the presigned request's signature parts and the bound header. Never credentials. */
export const IdentityProof = z.strictObject({
  binding: z.string().max(512),
  credential: z.string().regex(/^[A-Za-z0-9]{1,128}\/\d{8}\/[a-z0-9-]{1,32}\/sts\/aws4_request$/),
  date: z.string().regex(/^\d{8}T\d{6}Z$/),
  expires: z.string().regex(/^\d{1,6}$/),
  signedHeaders: z.string().max(512),
  signature: z.string().regex(/^[0-9a-f]{64}$/),
  securityToken: z.string().max(8192).optional(),
});
export type IdentityProof = z.infer<typeof IdentityProof>;

/** Where proofs are signed for and checked: an STS endpoint and the region of its signing scope. */
export interface StsTarget {
  endpoint: string;
  region: string;
}

/** The environment's STS: its `sts` (or `*`) endpoint override, else the regional AWS endpoint. */
export function stsTarget(aws: { region: string; endpoints?: Record<string, string> }): StsTarget {
  const override = aws.endpoints?.sts ?? aws.endpoints?.["*"];
  const domain = aws.region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  return { endpoint: override ?? `https://sts.${aws.region}.${domain}`, region: aws.region };
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Presign GetCallerIdentity for `target`, bound to `binding`, with the approver's own credentials. */
export async function signIdentityProof(o: {
  target: StsTarget;
  binding: ApprovalBinding;
  credentials: Credentials | (() => Promise<Credentials>);
  now?: Date;
  ttlSeconds?: number;
}): Promise<IdentityProof> {
  const binding = bindingValue(o.binding);
  const signer = new SignatureV4({
    service: "sts",
    region: o.target.region,
    credentials: o.credentials,
    sha256: NodeSha256,
  });
  const signed = await signer.presign(requestFor(o.target, binding, ACTION), {
    expiresIn: o.ttlSeconds ?? PROOF_TTL_SECONDS,
    ...(o.now ? { signingDate: o.now } : {}),
  });
  const q = signed.query as Record<string, string>;
  return {
    binding,
    credential: q["X-Amz-Credential"]!,
    date: q["X-Amz-Date"]!,
    expires: q["X-Amz-Expires"]!,
    signedHeaders: q["X-Amz-SignedHeaders"]!,
    signature: q["X-Amz-Signature"]!,
    ...(q["X-Amz-Security-Token"] ? { securityToken: q["X-Amz-Security-Token"] } : {}),
  };
}

/** Who STS says signed the proof. */
export interface ProvenIdentity {
  arn: string;
  account: string;
  requestId: string;
  nonce: string;
}

/** The proof does not prove this decision: a refusal, with why in words an operator can act on. */
export class IdentityProofRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "IdentityProofRefused";
  }
}

/**
 * Check `proof` for `expected` at `target` (the verifier's own STS; nothing in the proof
 * decides where it is sent). Resolves to the signer's ARN; rejects with IdentityProofRefused
 * when the proof does not hold, or with another error when STS could not be asked.
 */
export async function verifyIdentityProof(
  proof: unknown,
  expected: Omit<ApprovalBinding, "nonce">,
  o: { target: StsTarget; now: Date; signal?: AbortSignal },
): Promise<ProvenIdentity> {
  const parsed = IdentityProof.safeParse(proof);
  if (!parsed.success) throw new IdentityProofRefused("the proof of identity is malformed");
  const p = parsed.data;
  const bound = parseBinding(p.binding);
  if (!bound) throw new IdentityProofRefused(`the proof is bound to "${p.binding}", which is no decision`);
  const want = `${expected.executionId}/${expected.stepId}/${expected.decision}`;
  const got = `${bound.executionId}/${bound.stepId}/${bound.decision}`;
  if (got !== want) throw new IdentityProofRefused(`the proof was made for ${got}, not ${want}`);
  if (p.signedHeaders !== SIGNED_HEADERS)
    throw new IdentityProofRefused(`the proof must sign exactly ${SIGNED_HEADERS}, not ${p.signedHeaders}`);
  const ttl = Number(p.expires);
  if (ttl > MAX_TTL_SECONDS)
    throw new IdentityProofRefused(
      `the proof is valid for ${ttl} s; at most ${MAX_TTL_SECONDS} s is accepted`,
    );
  const signedAt = Date.parse(
    `${p.date.slice(0, 4)}-${p.date.slice(4, 6)}-${p.date.slice(6, 11)}:${p.date.slice(11, 13)}:${p.date.slice(13)}`,
  );
  if (signedAt - o.now.getTime() > CLOCK_SKEW_MS)
    throw new IdentityProofRefused(`the proof is dated ${new Date(signedAt).toISOString()}, in the future`);
  if (signedAt + ttl * 1000 < o.now.getTime())
    throw new IdentityProofRefused(
      `the proof expired at ${new Date(signedAt + ttl * 1000).toISOString()}; approve again`,
    );
  const query: Record<string, string> = {
    ...ACTION,
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": p.credential,
    "X-Amz-Date": p.date,
    "X-Amz-Expires": p.expires,
    "X-Amz-SignedHeaders": p.signedHeaders,
    "X-Amz-Signature": p.signature,
    ...(p.securityToken ? { "X-Amz-Security-Token": p.securityToken } : {}),
  };
  const request = requestFor(o.target, p.binding, query);
  const url = `${request.protocol}//${request.headers.host}${request.path}?${new URLSearchParams(query)}`;
  const signals = [AbortSignal.timeout(VERIFY_TIMEOUT_MS), ...(o.signal ? [o.signal] : [])];
  const response = await fetch(url, {
    method: "GET",
    headers: { [APPROVAL_HEADER]: p.binding },
    signal: AbortSignal.any(signals),
    redirect: "error",
  });
  const body = await response.text();
  const requestId = xmlText(body, "RequestId") ?? response.headers.get("x-amzn-requestid") ?? "";
  if (!response.ok) {
    const code = xmlText(body, "Code");
    if (response.status >= 500 || !code)
      throw new Error(`STS at ${o.target.endpoint} answered HTTP ${response.status}`);
    throw new IdentityProofRefused(
      `STS refused the proof: ${code}: ${xmlText(body, "Message") ?? ""}`.trim(),
    );
  }
  const arn = xmlText(body, "Arn");
  const account = xmlText(body, "Account");
  if (!arn || !account) throw new Error(`STS at ${o.target.endpoint} sent no caller identity`);
  return { arn, account, requestId, nonce: bound.nonce };
}

function requestFor(target: StsTarget, binding: string, query: Record<string, string>): HttpRequest {
  const url = new URL(target.endpoint);
  return new HttpRequest({
    method: "GET",
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname || "/",
    query,
    // Exactly what fetch sends as Host: URL.host omits a default port, as the signature must.
    headers: { host: url.host, [APPROVAL_HEADER]: binding },
  });
}

/** The text of the first `<tag>` in an STS Query response (ARNs, account ids and request ids need no entities). */
function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m?.[1]
    ?.replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&")
    .trim();
}

/** The signer's hash, from node:crypto (the SDK's own Node hash is not a direct dependency). */
export class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
