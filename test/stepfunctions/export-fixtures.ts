import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StateMachine } from "aws-local-stepfunctions";
import { executors } from "../../executors/index.js";
import { type Environment, loadEnvironment } from "../../src/environment/environment.js";
import type { Runbook } from "../../src/language/runbook.js";
import { SourceMap } from "../../src/language/source-map.js";
import { readSourceText } from "../../src/language/source-text.js";
import { validateRunbook } from "../../src/language/validate.js";
import type { StateMachineDefinition } from "../../src/stepfunctions/asl.js";
import { type ExportedMachine, exportStateMachine } from "../../src/stepfunctions/export-definition.js";

/** Runbooks and environments for the export's tests, and aws-local-stepfunctions to run what it exports. */

// aws-local-stepfunctions wants Node 22's Promise.withResolvers.
(Promise as unknown as { withResolvers?: unknown }).withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};

export const ROOT = new URL("../..", import.meta.url).pathname;
export const ACCOUNT = "111122223333";

export function shippedRunbooks(): string[] {
  return readdirSync(join(ROOT, "runbooks"))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.replace(/\.yaml$/, ""))
    .sort();
}

export function shipped(name: string): { runbook: Runbook; sourceMap: SourceMap } {
  const file = join(ROOT, "runbooks", `${name}.yaml`);
  const text = readSourceText(file);
  return { runbook: validateRunbook(text, file, executors), sourceMap: new SourceMap(file, text) };
}

/** A runbook written in a test, in a file of its own so that refusals have a file:line:col. */
export function runbookFrom(yaml: string): { runbook: Runbook; sourceMap: SourceMap } {
  const name = /name: ([a-z0-9-]+)/.exec(yaml)![1]!;
  const dir = mkdtempSync(join(tmpdir(), "runbook-export-"));
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  return { runbook: validateRunbook(yaml, file, executors), sourceMap: new SourceMap(file, yaml) };
}

export function awsExample(): Environment {
  return loadEnvironment("aws-example", ROOT, join(tmpdir(), "runbook-export-no-home"), {
    RPO_READER_PASSWORD: "not-a-real-password",
  });
}

/** environments/sandbox.yaml over an endpoints.json like a running sandbox writes (nothing runs). */
export function sandbox(): Environment {
  return loadEnvironment("sandbox", ROOT, sandboxHome(), {});
}

/** A RUNBOOK_HOME holding the endpoints.json of a sandbox (account 000000000000, recovery 000000000001). */
export function sandboxHome(): string {
  const home = mkdtempSync(join(tmpdir(), "runbook-export-home-"));
  mkdirSync(join(home, "sandbox"));
  const url = (port: number) => `http://127.0.0.1:${port}`;
  const regions = ["us-east-1", "us-west-2"];
  const perRegion = <T>(f: (r: string) => T) => Object.fromEntries(regions.map((r) => [r, f(r)]));
  const endpoints = {
    version: 1,
    emulator: url(4566),
    arcClusterEndpoints: [1, 2, 3, 4, 5].map((i) => ({ endpoint: url(4600 + i), region: regions[i % 2] })),
    regions,
    accountId: "000000000000",
    credentials: { accessKeyId: "AKIDSANDBOX", secretAccessKey: "sandbox-secret" },
    routingControls: perRegion(
      (r) => `arn:aws:route53-recovery-control::000000000001:controlpanel/cp/routingcontrol/cell-${r}`,
    ),
    safetyRules: {
      "at-least-one-cell-on": "arn:aws:route53-recovery-control::000000000001:controlpanel/cp/safetyrule/one",
    },
    globalClusterIdentifier: "case-global",
    clusters: perRegion((r) => `arn:aws:rds:${r}:000000000000:cluster:case-${r}`),
    databases: perRegion((r) => ({
      host: "127.0.0.1",
      port: r === "us-east-1" ? 5433 : 5434,
      database: "case",
      user: "case",
      password: "sandbox-only",
    })),
    caseApi: perRegion((r) => url(r === "us-east-1" ? 8081 : 8082)),
    edge: url(8080),
    edgeTtlMs: 1000,
    alarms: perRegion(() => ({ region: "us-east-1" })),
    secrets: ["case-api/db"],
    ecs: { cluster: "case", service: "case-api" },
    dynamodbTable: "case-sessions",
    kmsAlias: "alias/case-data",
    eventRules: ["case-nightly-report"],
    route53: { hostedZoneId: "Z0SANDBOX", zoneName: "case.internal", recordName: "api.case.internal" },
    evidenceBuckets: perRegion((r) => `case-evidence-${r}`),
    outboxFunctions: perRegion((r) => `case-outbox-${r}`),
    accounts: { workload: "000000000000", recovery: "000000000001" },
    roles: { arc: "arn:aws:iam::000000000001:role/runbook-arc" },
    control: url(4599),
    pid: 4242,
    startedAt: "2026-12-01T00:00:00.000Z",
  };
  writeFileSync(join(home, "sandbox", "endpoints.json"), JSON.stringify(endpoints));
  return home;
}

export function exported(
  r: { runbook: Runbook; sourceMap: SourceMap },
  env: Environment = awsExample(),
  region = "ap-southeast-3",
): ExportedMachine {
  return exportStateMachine(r.runbook, env, { region, accountId: ACCOUNT, sourceMap: r.sourceMap });
}

export function localMachine(definition: StateMachineDefinition | object): StateMachine {
  // The definition is validated by the package as it is (asl-validator writes into what it is given).
  return new StateMachine(structuredClone(definition) as never, {
    validationOptions: { checkPaths: true, checkArn: true },
  });
}
