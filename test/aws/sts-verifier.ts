import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

/**
 * A small real STS for tests: it answers a presigned GetCallerIdentity for the keys it knows,
 * after verifying the signature with @smithy/signature-v4 exactly as it was received (host,
 * signed headers, query), and counts what it was sent. Independent of the sandbox emulator.
 */

export interface TestPrincipal {
  accessKeyId: string;
  secretAccessKey: string;
  arn: string;
}

export interface StsVerifier {
  url: string;
  /** Requests received (path and query). */
  hits: string[];
  close(): Promise<void>;
}

/** `answerAs`: a forged STS that vouches for anyone, whatever the signature. */
export async function startStsVerifier(
  principals: TestPrincipal[],
  o: { answerAs?: string } = {},
): Promise<StsVerifier> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? "");
    answer(req, principals, o.answerAs).then(
      ({ status, body }) => {
        res.writeHead(status, { "content-type": "text/xml" });
        res.end(body);
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function answer(
  req: IncomingMessage,
  principals: TestPrincipal[],
  answerAs: string | undefined,
): Promise<{ status: number; body: string }> {
  const url = new URL(req.url ?? "/", "http://placeholder");
  const q = Object.fromEntries(url.searchParams);
  if (answerAs) return identity(answerAs);
  const [accessKeyId, , region] = (q["X-Amz-Credential"] ?? "").split("/");
  const key = principals.find((p) => p.accessKeyId === accessKeyId);
  if (!key) return error("InvalidClientTokenId", "The security token included in the request is invalid.");
  const signed = (q["X-Amz-SignedHeaders"] ?? "").split(";");
  const headers: Record<string, string> = {};
  for (const h of signed) headers[h] = String(req.headers[h] ?? "");
  const [hostname, port] = (headers.host ?? "").split(":");
  const query = Object.fromEntries(Object.entries(q).filter(([k]) => !k.startsWith("X-Amz-")));
  const signer = new SignatureV4({
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    region: region ?? "",
    service: "sts",
    sha256: Sha256,
  });
  const d = q["X-Amz-Date"] ?? "";
  const again = await signer.presign(
    new HttpRequest({
      method: req.method ?? "GET",
      protocol: "http:",
      hostname: hostname ?? "",
      ...(port ? { port: Number(port) } : {}),
      path: url.pathname,
      query,
      headers,
    }),
    {
      signingDate: new Date(
        `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 11)}:${d.slice(11, 13)}:${d.slice(13)}`,
      ),
      expiresIn: Number(q["X-Amz-Expires"]),
      signableHeaders: new Set(signed),
      unhoistableHeaders: new Set(signed),
    },
  );
  if (again.query?.["X-Amz-Signature"] !== q["X-Amz-Signature"])
    return error("SignatureDoesNotMatch", "The request signature we calculated does not match.");
  return identity(key.arn);
}

function identity(arn: string) {
  const account = arn.split(":")[4];
  return {
    status: 200,
    body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${arn}</Arn><UserId>AIDATEST</UserId><Account>${account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-${hitsCounter++}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
  };
}
let hitsCounter = 1;

function error(code: string, message: string) {
  return {
    status: 403,
    body: `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>req-err</RequestId></ErrorResponse>`,
  };
}

class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash("sha256") : createHmac("sha256", buf(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(buf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function buf(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
