import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  endpointsPath,
  readSandboxEndpoints,
  SandboxEndpoints,
  sandboxDir,
  writeSandboxEndpoints,
} from "../../../src/sandbox/endpoints.js";

const sample: SandboxEndpoints = {
  version: 1,
  emulator: "http://127.0.0.1:4566",
  arcClusterEndpoints: [2, 3, 4, 5, 6].map((n, i) => ({
    endpoint: `http://127.0.0.${n}:${40000 + i}`,
    region: ["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1", "ap-southeast-2"][i] ?? "",
  })),
  regions: ["us-east-1", "us-west-2"],
  accountId: "111111111111",
  credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox-secret" },
  routingControls: { "us-east-1": "arn:a", "us-west-2": "arn:b" },
  safetyRules: { "at-least-one-cell-on": "arn:r" },
  globalClusterIdentifier: "case-global",
  clusters: { "us-east-1": "arn:ca", "us-west-2": "arn:cb" },
  databases: {
    "us-east-1": { host: "127.0.0.1", port: 5432, database: "postgres", user: "app", password: "sandbox" },
    "us-west-2": { host: "127.0.0.1", port: 5433, database: "postgres", user: "app", password: "sandbox" },
  },
  caseApi: { "us-east-1": "http://127.0.0.1:8081", "us-west-2": "http://127.0.0.1:8082" },
  edge: "http://127.0.0.1:8080",
  edgeTtlMs: 1000,
  alarms: { "case-db-replication-lag": { region: "us-west-2" } },
  secrets: ["case-api/db"],
  control: "http://127.0.0.1:4567",
  pid: 4242,
  startedAt: "2026-11-27T08:00:00.000Z",
};

describe("endpoints.json", () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "runbook-endpoints-"));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it("keeps the fields its consumers read (only ever added to)", () => {
    expect(Object.keys(SandboxEndpoints.shape).sort()).toEqual(
      [
        "accountId",
        "accounts",
        "alarms",
        "arcClusterEndpoints",
        "autoScalingGroups",
        "caseApi",
        "clusters",
        "control",
        "credentials",
        "databases",
        "dynamodbTable",
        "ecs",
        "edge",
        "edgeTtlMs",
        "emulator",
        "eventRules",
        "evidenceBuckets",
        "globalClusterIdentifier",
        "kmsAlias",
        "outboxFunctions",
        "pid",
        "principals",
        "regions",
        "roles",
        "route53",
        "routingControls",
        "safetyRules",
        "secrets",
        "startedAt",
        "version",
      ].sort(),
    );
  });

  it("round-trips through the file, and reads as absent when missing or invalid", async () => {
    expect(await readSandboxEndpoints(home)).toBeUndefined();
    await mkdir(sandboxDir(home), { recursive: true });
    await writeSandboxEndpoints(home, sample);
    expect(await readSandboxEndpoints(home)).toEqual(sample);
    await writeFile(endpointsPath(home), '{"version":1,"emulator":"http://127.0.0.1:1"}');
    expect(await readSandboxEndpoints(home)).toBeUndefined();
    await writeFile(endpointsPath(home), "{ half a fi");
    expect(await readSandboxEndpoints(home)).toBeUndefined();
  });

  it("refuses to write a file that does not match the schema", async () => {
    await expect(
      writeSandboxEndpoints(home, { ...sample, arcClusterEndpoints: sample.arcClusterEndpoints.slice(0, 2) }),
    ).rejects.toThrow();
    await expect(writeSandboxEndpoints(home, { ...sample, emulator: "not a url" })).rejects.toThrow();
  });
});
