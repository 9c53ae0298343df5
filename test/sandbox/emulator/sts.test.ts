import {
  AccessDeniedException,
  GetRoutingControlStateCommand,
  Route53RecoveryClusterClient,
  UpdateRoutingControlStateCommand,
} from "@aws-sdk/client-route53-recovery-cluster";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultTopology, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, startEmulator } from "./helpers.js";

/** STS through the real SDK: callers per principal, AssumeRole across accounts, expiry, signature verification. */

const OPERATOR = { accessKeyId: "sandbox", secretAccessKey: "sandbox-secret" };
const APPROVER = { accessKeyId: "AKIASANDBOXAPPROVER1", secretAccessKey: "sandbox-approver-secret" };
const ARC_ROLE = "arn:aws:iam::222222222222:role/runbook-arc";
type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

describe("STS in the sandbox", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });
  const sts = (credentials: Creds) => new STSClient({ ...clientConfig(emulator.url), credentials });
  const arc = (credentials: Creds) =>
    new Route53RecoveryClusterClient({ ...clientConfig(emulator.arcEndpoints[0] ?? ""), credentials });
  const assume = async (credentials: Creds = OPERATOR, input: Partial<AssumeRoleCommand["input"]> = {}) => {
    const out = await sts(credentials).send(
      new AssumeRoleCommand({ RoleArn: ARC_ROLE, RoleSessionName: "operator-exec-1", ...input }),
    );
    return {
      out,
      creds: {
        accessKeyId: out.Credentials?.AccessKeyId ?? "",
        secretAccessKey: out.Credentials?.SecretAccessKey ?? "",
        sessionToken: out.Credentials?.SessionToken ?? "",
      },
    };
  };
  const cell = () => emulator.routingControlArn("cell-us-west-2");

  it("GetCallerIdentity answers per principal", async () => {
    expect(await sts(OPERATOR).send(new GetCallerIdentityCommand({}))).toMatchObject({
      Account: "111111111111",
      Arn: "arn:aws:iam::111111111111:user/operator",
      UserId: expect.stringMatching(/^AIDA[0-9A-F]{17}$/),
    });
    expect((await sts(APPROVER).send(new GetCallerIdentityCommand({}))).Arn).toBe(
      "arn:aws:iam::111111111111:user/approver",
    );
  });

  it("the ARC topology lives in the recovery account", () => {
    expect(cell()).toMatch(/^arn:aws:route53-recovery-control::222222222222:controlpanel\//);
    expect(emulator.recoveryAccountId).toBe("222222222222");
  });

  it("AssumeRole issues temporary credentials the emulator knows as the assumed-role session", async () => {
    const before = Date.now();
    const { out, creds } = await assume();
    expect(creds.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(creds.sessionToken.length).toBeGreaterThan(100);
    const expires = out.Credentials?.Expiration?.getTime() ?? 0;
    expect(expires - before).toBeGreaterThan(3_590_000);
    expect(expires - before).toBeLessThan(3_610_000);
    expect(out.AssumedRoleUser?.Arn).toBe(
      "arn:aws:sts::222222222222:assumed-role/runbook-arc/operator-exec-1",
    );
    const me = await sts(creds).send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({
      Account: "222222222222",
      Arn: "arn:aws:sts::222222222222:assumed-role/runbook-arc/operator-exec-1",
      UserId: expect.stringMatching(/^AROA[0-9A-F]{17}:operator-exec-1$/),
    });
  });

  it("AssumeRole validates its parameters as STS does", async () => {
    const short = await assume(OPERATOR, { DurationSeconds: 100 }).catch((e: unknown) => e);
    expect((short as Error).name).toBe("ValidationError");
    expect((short as Error).message).toBe(
      "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    const name = await assume(OPERATOR, { RoleSessionName: "a b" }).catch((e: unknown) => e);
    expect((name as Error).message).toContain("at 'roleSessionName' failed to satisfy constraint");
    // The role trusts the workload account, not its own sessions: no chaining into it.
    const { creds } = await assume();
    const chained = await assume(creds).catch((e: unknown) => e);
    expect((chained as Error).name).toBe("AccessDenied");
  });

  describe("with enforcement on", () => {
    beforeAll(() => emulator.iam.enforce(true));
    afterAll(() => emulator.iam.enforce(false));

    it("ARC in the recovery account: the assumed role may change a routing control, the operator itself may not", async () => {
      const { creds } = await assume();
      await arc(creds).send(
        new UpdateRoutingControlStateCommand({ RoutingControlArn: cell(), RoutingControlState: "On" }),
      );
      expect(
        (await arc(creds).send(new GetRoutingControlStateCommand({ RoutingControlArn: cell() })))
          .RoutingControlState,
      ).toBe("On");
      const denied = await arc(OPERATOR)
        .send(new UpdateRoutingControlStateCommand({ RoutingControlArn: cell(), RoutingControlState: "Off" }))
        .catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(AccessDeniedException);
      expect((denied as Error).message).toBe(
        `User: arn:aws:iam::111111111111:user/operator is not authorized to perform: route53-recovery-cluster:UpdateRoutingControlState on resource: ${cell()} because no resource-based policy allows the route53-recovery-cluster:UpdateRoutingControlState action`,
      );
      expect(emulator.calls.at(-1)).toMatchObject({
        operation: "UpdateRoutingControlState",
        outcome: "AccessDenied",
        principal: "arn:aws:iam::111111111111:user/operator",
      });
      expect(emulator.calls.at(-2)?.principal).toBe(
        "arn:aws:sts::222222222222:assumed-role/runbook-arc/operator-exec-1",
      );
    });

    it("a principal without sts:AssumeRole is refused, in STS's words", async () => {
      const e = await assume(APPROVER).catch((x: unknown) => x);
      expect((e as Error).name).toBe("AccessDenied");
      expect((e as Error).message).toBe(
        `User: arn:aws:iam::111111111111:user/approver is not authorized to perform: sts:AssumeRole on resource: ${ARC_ROLE}`,
      );
      const noRole = await assume(OPERATOR, { RoleArn: "arn:aws:iam::222222222222:role/nope" }).catch(
        (x: unknown) => x,
      );
      expect((noRole as Error).name).toBe("AccessDenied");
    });

    it("an unknown access key is InvalidClientTokenId", async () => {
      const e = await sts({ accessKeyId: "AKIDUNKNOWN", secretAccessKey: "x" })
        .send(new GetCallerIdentityCommand({}))
        .catch((x: unknown) => x);
      expect((e as Error).name).toBe("InvalidClientTokenId");
      expect((e as Error).message).toBe("The security token included in the request is invalid.");
    });
  });

  it("a session past its expiry is ExpiredToken, in each protocol's shape", async () => {
    emulator.iam.setSessionLifetime(150);
    try {
      const { out, creds } = await assume();
      expect((out.Credentials?.Expiration?.getTime() ?? 0) - Date.now()).toBeLessThan(200);
      await new Promise((r) => setTimeout(r, 250));
      const viaSts = await sts(creds)
        .send(new GetCallerIdentityCommand({}))
        .catch((e: unknown) => e);
      expect((viaSts as Error).name).toBe("ExpiredToken");
      expect((viaSts as Error).message).toBe("The security token included in the request is expired");
      const viaArc = await arc(creds)
        .send(new GetRoutingControlStateCommand({ RoutingControlArn: cell() }))
        .catch((e: unknown) => e);
      expect((viaArc as Error).name).toBe("ExpiredTokenException");
      expect(emulator.calls.at(-1)?.outcome).toBe("ExpiredTokenException");
    } finally {
      emulator.iam.setSessionLifetime(undefined);
    }
  });

  describe("signature verification", () => {
    const presigned = async (
      credentials: Creds,
      approval: string,
      signingDate = new Date(),
    ): Promise<string> => {
      const url = new URL(emulator.url);
      const signer = new SignatureV4({ credentials, region: "us-east-1", service: "sts", sha256: Sha256 });
      const request = new HttpRequest({
        method: "GET",
        protocol: "http:",
        hostname: url.hostname,
        port: Number(url.port),
        path: "/",
        query: { Action: "GetCallerIdentity", Version: "2011-06-15" },
        headers: { host: url.host, "x-runbook-approval": approval },
      });
      const signed = await signer.presign(request, { expiresIn: 60, signingDate });
      return `${emulator.url}/?${new URLSearchParams(signed.query as Record<string, string>).toString()}`;
    };
    const get = async (url: string, approval: string) => {
      const res = await fetch(url, { headers: { "x-runbook-approval": approval } });
      return { status: res.status, text: await res.text() };
    };

    it("a presigned GetCallerIdentity with a signed x-runbook-approval header verifies and names the signer", async () => {
      const url = await presigned(APPROVER, "exec-1/approve-promotion");
      expect(url).toContain("X-Amz-SignedHeaders=host%3Bx-runbook-approval");
      const ok = await get(url, "exec-1/approve-promotion");
      expect(ok.status).toBe(200);
      expect(ok.text).toContain("<Arn>arn:aws:iam::111111111111:user/approver</Arn>");
      const { creds } = await assume();
      const asRole = await get(await presigned(creds, "x"), "x");
      expect(asRole.text).toContain(
        "<Arn>arn:aws:sts::222222222222:assumed-role/runbook-arc/operator-exec-1</Arn>",
      );
    });

    it("a tampered header value is SignatureDoesNotMatch", async () => {
      const url = await presigned(APPROVER, "exec-1/approve-promotion");
      const tampered = await get(url, "exec-2/approve-promotion");
      expect(tampered.status).toBe(403);
      expect(tampered.text).toContain("<Code>SignatureDoesNotMatch</Code>");
      expect(tampered.text).toContain(
        "The request signature we calculated does not match the signature you provided.",
      );
      expect(emulator.calls.at(-1)).toMatchObject({ service: "sts", outcome: "SignatureDoesNotMatch" });
    });

    it("a presigned request older than STS accepts is refused with AWS's 'Signature expired'", async () => {
      const url = await presigned(APPROVER, "a", new Date(Date.now() - 20 * 60_000));
      const old = await get(url, "a");
      expect(old.status).toBe(403);
      expect(old.text).toMatch(
        /Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 60 sec\.\)/,
      );
    });

    it("a header-signed request with the wrong secret for a known key is SignatureDoesNotMatch", async () => {
      const e = await sts({ accessKeyId: APPROVER.accessKeyId, secretAccessKey: "wrong" })
        .send(new GetCallerIdentityCommand({}))
        .catch((x: unknown) => x);
      expect((e as Error).name).toBe("SignatureDoesNotMatch");
    });
  });
});

describe("an ARC role with an external id", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({
      topology: { ...defaultTopology(), iam: { arcRoleExternalId: "drill-42" } },
    });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it("is assumed only with that sts:ExternalId, enforcement on or off", async () => {
    const client = new STSClient({ ...clientConfig(emulator.url), credentials: OPERATOR });
    const attempt = (ExternalId?: string) =>
      client
        .send(
          new AssumeRoleCommand({
            RoleArn: ARC_ROLE,
            RoleSessionName: "s1",
            ...(ExternalId ? { ExternalId } : {}),
          }),
        )
        .then(
          () => "ok",
          (e: Error) => e.name,
        );
    for (const enforced of [false, true]) {
      emulator.iam.enforce(enforced);
      expect([await attempt(), await attempt("wrong-id"), await attempt("drill-42")]).toEqual([
        "AccessDenied",
        "AccessDenied",
        "ok",
      ]);
    }
  });
});
