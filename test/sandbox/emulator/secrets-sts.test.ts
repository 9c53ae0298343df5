import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../../src/sandbox/emulator/index.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";

describe("Secrets Manager (JSON 1.1) and STS (Query) through the real SDK", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(() => emulator.close());

  const secrets = (region: string) => new SecretsManagerClient(clientConfig(emulator.url, region));

  it("GetSecretValue and DescribeSecret per region", async () => {
    const value = await secrets(REGION_B).send(new GetSecretValueCommand({ SecretId: "case-api/db" }));
    expect(JSON.parse(value.SecretString ?? "{}")).toEqual({ username: "app", password: "sandbox" });
    expect(value.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:${REGION_B}:111111111111:secret:case-api/db-[0-9a-f]{6}$`),
    );
    expect(value.VersionStages).toEqual(["AWSCURRENT"]);
    const described = await secrets(REGION_A).send(
      new DescribeSecretCommand({ SecretId: value.ARN?.replace(REGION_B, REGION_A) }),
    );
    expect(described.Name).toBe("case-api/db");
    expect(described.CreatedDate).toBeInstanceOf(Date);
  });

  it("the call log keeps parameters but masks secret-looking values", async () => {
    // A raw JSON 1.1 request carrying a secret value in its body (as PutSecretValue would).
    const res = await fetch(`${emulator.url}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "secretsmanager.GetSecretValue",
      },
      body: JSON.stringify({ SecretId: "case-api/db", SecretString: "hunter2-very-secret" }),
    });
    expect(res.status).toBe(200);
    const logged = emulator.calls.at(-1);
    expect(logged).toMatchObject({
      service: "secretsmanager",
      operation: "GetSecretValue",
      outcome: "ok",
      region: REGION_A,
    });
    expect(logged?.params).toEqual({ SecretId: "case-api/db", SecretString: "***" });
  });

  it("the removeSecret fault makes only that region's secret disappear", async () => {
    expect(emulator.removeSecret(REGION_B, "case-api/db")).toBe(true);
    const error = await secrets(REGION_B)
      .send(new GetSecretValueCommand({ SecretId: "case-api/db" }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(emulator.calls.at(-1)?.outcome).toBe("ResourceNotFoundException");
    const a = await secrets(REGION_A).send(new GetSecretValueCommand({ SecretId: "case-api/db" }));
    expect(a.Name).toBe("case-api/db");
  });

  it("GetCallerIdentity returns the sandbox account and an ARN from the access key", async () => {
    const sts = new STSClient(clientConfig(emulator.url, REGION_B));
    const me = await sts.send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({
      Account: "111111111111",
      Arn: "arn:aws:iam::111111111111:user/AKIDSANDBOX",
      UserId: "AKIDSANDBOX",
    });
    const other = await createAccountEmulator();
    try {
      const them = await new STSClient(clientConfig(other.url)).send(new GetCallerIdentityCommand({}));
      expect(them.Account).toBe("222233334444");
    } finally {
      await other.close();
    }
  });
});

function createAccountEmulator() {
  return startEmulator({ topology: { accountId: "222233334444", regions: [REGION_A, REGION_B] } });
}
