import { IAMClient, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from "@aws-sdk/client-iam";
import { SFNClient } from "@aws-sdk/client-sfn";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultTopology, type Emulator } from "../../../src/sandbox/emulator/index.js";
import { javaCase, javaExceptionName } from "../../../src/sandbox/emulator/services/sfn-java-casing.js";
import { clientConfig, REGION_A, REGION_B, startEmulator } from "./helpers.js";
import { createRole, trustPolicy } from "./lambda-fixtures.js";
import { createMachine, finished, historyOf, start } from "./sfn-helpers.js";

const ALARM = `case-api-5xx-${REGION_B}`;
/** The operator's sandbox key: it may do anything, so the calls below are refused only for the machine's role. */
const operator = { accessKeyId: "sandbox", secretAccessKey: "sandbox-secret" };

/** Hand-written, with the Java SDK's casing Step Functions uses (DbClusterIdentifier, DbClusterArn). */
const readiness = {
  StartAt: "global",
  States: {
    global: {
      Type: "Task",
      Resource: "arn:aws:states:::aws-sdk:rds:describeGlobalClusters",
      Parameters: { GlobalClusterIdentifier: "case-global" },
      ResultSelector: {
        "members.$": "$.GlobalClusters[0].GlobalClusterMembers[*].DbClusterArn",
        "writer.$": "$.GlobalClusters[0].GlobalClusterMembers[?(@.IsWriter == true)].DbClusterArn",
      },
      ResultPath: "$.global",
      TimeoutSeconds: 10,
      Next: "secondary",
    },
    secondary: {
      Type: "Task",
      Resource: "arn:aws:states:::aws-sdk:rds:describeDBClusters",
      Parameters: { DbClusterIdentifier: `case-${REGION_B}` },
      ResultSelector: { "id.$": "$.DbClusters[0].DbClusterIdentifier", "status.$": "$.DbClusters[0].Status" },
      ResultPath: "$.secondary",
      TimeoutSeconds: 10,
      Next: "alarm",
    },
    alarm: {
      Type: "Task",
      Resource: "arn:aws:states:::aws-sdk:cloudwatch:describeAlarms",
      Parameters: { AlarmNames: [ALARM] },
      ResultSelector: { "name.$": "$.MetricAlarms[0].AlarmName", "state.$": "$.MetricAlarms[0].StateValue" },
      ResultPath: "$.alarm",
      TimeoutSeconds: 10,
      Next: "missing",
    },
    missing: {
      Type: "Task",
      Resource: "arn:aws:states:::aws-sdk:rds:describeDBClusters",
      Parameters: { DbClusterIdentifier: "no-such-cluster" },
      TimeoutSeconds: 10,
      Catch: [{ ErrorEquals: ["Rds.DbClusterNotFoundException"], ResultPath: "$.missing", Next: "done" }],
      End: true,
    },
    done: { Type: "Succeed" },
  },
};

describe("aws-sdk Tasks run on the emulator's own services, as the state machine's role", () => {
  let emulator: Emulator;
  let sfn: SFNClient;
  let iam: IAMClient;
  let role: string;

  beforeAll(async () => {
    const topology = defaultTopology();
    topology.alarms = [
      {
        region: REGION_B,
        alarmName: ALARM,
        namespace: "AWS/ApplicationELB",
        metricName: "HTTPCode_Target_5XX_Count",
        threshold: 10,
        comparisonOperator: "GreaterThanThreshold",
      },
    ];
    emulator = await startEmulator({ topology, sfnWaitScale: 0.01 });
    sfn = new SFNClient({ ...clientConfig(emulator.url, REGION_B, 10_000), credentials: operator });
    iam = new IAMClient({ ...clientConfig(emulator.url, REGION_A), credentials: operator });
    role = await createRole(emulator.url, "runbook-readiness-states", "states.amazonaws.com");
  });
  afterAll(() => emulator.close());

  it("converts Java-cased Parameters to the JS SDK's members and results back; errors are <Service>.<Name>Exception", async () => {
    const arn = await createMachine(sfn, "runbook-readiness", readiness, role);
    const e = await start(sfn, arn, {}, "readiness-1");
    const d = await finished(sfn, e);
    expect(d.status).toBe("SUCCEEDED");
    const out = JSON.parse(d.output ?? "{}");
    expect(out.global.members).toHaveLength(2);
    expect(out.global.writer).toEqual([`arn:aws:rds:${REGION_A}:111111111111:cluster:case-${REGION_A}`]);
    expect(out.secondary).toEqual({ id: `case-${REGION_B}`, status: "available" });
    expect(out.alarm).toMatchObject({ name: ALARM });
    expect(out.missing.Error).toBe("Rds.DbClusterNotFoundException");
    expect(out.missing.Cause).toMatch(/\(Service: Rds, Status Code: 404, Request ID: [\w-]+\)$/);
    const events = await historyOf(sfn, e);
    const scheduled = events
      .filter((x) => x.type === "TaskScheduled")
      .map((x) => x.taskScheduledEventDetails);
    expect(scheduled.map((s) => `${s?.resourceType} ${s?.resource}`)).toEqual([
      "aws-sdk:rds describeGlobalClusters",
      "aws-sdk:rds describeDBClusters",
      "aws-sdk:cloudwatch describeAlarms",
      "aws-sdk:rds describeDBClusters",
    ]);
    expect(JSON.parse(scheduled[1]?.parameters ?? "{}")).toEqual({ DbClusterIdentifier: `case-${REGION_B}` });
    const raw = JSON.parse(
      events.find((x) => x.type === "TaskSucceeded")?.taskSucceededEventDetails?.output ?? "{}",
    );
    expect(Object.keys(raw.GlobalClusters[0])).toContain("GlobalClusterMembers");
    expect(JSON.stringify(raw)).not.toContain("DBClusterArn");
    // Signed with a session of the machine's role, in the machine's region.
    const calls = emulator.calls.filter((c) => c.service === "rds" || c.service === "monitoring");
    expect(calls.map((c) => `${c.operation} ${c.region} ${c.outcome}`)).toEqual([
      `DescribeGlobalClusters ${REGION_B} ok`,
      `DescribeDBClusters ${REGION_B} ok`,
      `DescribeAlarms ${REGION_B} ok`,
      `DescribeDBClusters ${REGION_B} DBClusterNotFoundFault`,
    ]);
    expect(new Set(calls.map((c) => c.principal))).toEqual(
      new Set(["arn:aws:sts::111111111111:assumed-role/runbook-readiness-states/readiness-1"]),
    );
  });

  it("a field the operation does not have is States.Runtime, which no Catch takes", async () => {
    const definition = {
      StartAt: "bad",
      States: {
        bad: {
          Type: "Task",
          Resource: "arn:aws:states:::aws-sdk:rds:describeDBClusters",
          // The JS SDK's casing is not Step Functions'.
          Parameters: { DBClusterIdentifier: "case-x" },
          Catch: [{ ErrorEquals: ["States.ALL"], Next: "caught" }],
          End: true,
        },
        caught: { Type: "Succeed" },
      },
    };
    const d = await finished(
      sfn,
      await start(sfn, await createMachine(sfn, "runbook-bad-field", definition, role)),
    );
    expect(d).toMatchObject({ status: "FAILED", error: "States.Runtime" });
    expect(d.cause).toContain('The field "DBClusterIdentifier" is not supported by Step Functions');
  });

  it("with IAM enforced, the role's own policy decides; a role Step Functions cannot assume fails the execution", async () => {
    const arn = await createMachine(sfn, "runbook-enforced", readiness, role);
    await emulator.iamCommand({ command: "enforce", on: true });
    try {
      const denied = await finished(sfn, await start(sfn, arn));
      expect(denied).toMatchObject({ status: "FAILED", error: "Rds.AccessDeniedException" });
      expect(denied.cause).toContain("assumed-role/runbook-readiness-states/");
      expect(denied.cause).toContain("is not authorized to perform: rds:DescribeGlobalClusters");
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: "runbook-readiness-states",
          PolicyName: "readiness",
          PolicyDocument: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: ["rds:DescribeGlobalClusters", "rds:DescribeDBClusters", "cloudwatch:DescribeAlarms"],
                Resource: "*",
              },
            ],
          }),
        }),
      );
      expect((await finished(sfn, await start(sfn, arn))).status).toBe("SUCCEEDED");
      // Trusting Lambda only, the role is no longer Step Functions' to assume.
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: "runbook-readiness-states",
          PolicyDocument: trustPolicy("lambda.amazonaws.com"),
        }),
      );
      const untrusted = await finished(sfn, await start(sfn, arn));
      expect(untrusted).toMatchObject({ status: "FAILED", error: "States.Runtime" });
      expect(untrusted.cause).toContain("Neither the global service principal states.amazonaws.com");
    } finally {
      await emulator.iamCommand({ command: "enforce", on: false });
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: "runbook-readiness-states",
          PolicyDocument: trustPolicy("states.amazonaws.com"),
        }),
      );
    }
  });

  it("names as the Java SDK writes them: acronyms become words", () => {
    expect(
      ["DBClusterIdentifier", "GlobalClusterMembers", "DBClusterArn", "IsWriter", "KMSKeyId", "Route53"].map(
        javaCase,
      ),
    ).toEqual([
      "DbClusterIdentifier",
      "GlobalClusterMembers",
      "DbClusterArn",
      "IsWriter",
      "KmsKeyId",
      "Route53",
    ]);
    expect(
      [
        "InvalidDBClusterStateFault",
        "ResourceNotFoundException",
        "KMSInvalidStateException",
        "ResourceNotFound",
      ].map(javaExceptionName),
    ).toEqual([
      "InvalidDbClusterStateException",
      "ResourceNotFoundException",
      "KmsInvalidStateException",
      "ResourceNotFoundException",
    ]);
  });
});
