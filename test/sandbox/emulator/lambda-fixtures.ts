import { fileURLToPath } from "node:url";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { strToU8, zipSync } from "fflate";
import { clientConfig } from "./helpers.js";

/** A worker entry speaking the runner's IPC protocol, until src/stepfunctions/runner/worker-main.ts is built. */
export const TEST_WORKER = fileURLToPath(new URL("./fixtures/lambda-worker.mjs", import.meta.url));

/** A function that echoes its event and what Lambda's environment told it; fails, sleeps or writes its event to a file on request. */
export function handlerSource(version = "v1"): string {
  return `export const handler = async (event, context) => {
  if (event.fail) { const e = new Error(event.fail.message ?? "it failed"); e.name = event.fail.type ?? "Error"; throw e; }
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  // Written whole, then renamed: a reader polling for the file never sees it half written.
  if (event.recordTo) {
    const fs = await import("node:fs");
    fs.writeFileSync(event.recordTo + ".part", JSON.stringify(event));
    fs.renameSync(event.recordTo + ".part", event.recordTo);
  }
  return {
    echo: event,
    pid: process.pid,
    version: ${JSON.stringify(version)},
    region: process.env.AWS_REGION,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    keyKind: (process.env.AWS_ACCESS_KEY_ID ?? "").slice(0, 4),
    hasSessionToken: Boolean(process.env.AWS_SESSION_TOKEN),
    stage: process.env.STAGE ?? null,
    hostHome: process.env.HOME ?? null,
    remainingMs: context.getRemainingTimeInMillis(),
  };
};
`;
}

export function zipOf(files: Record<string, string>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, strToU8(text)])));
}

export function trustPolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

/** Creates a role through the real IAM client; returns its ARN. */
export async function createRole(url: string, name: string, service: string): Promise<string> {
  const iam = new IAMClient(clientConfig(url, "us-east-1"));
  const out = await iam.send(
    new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustPolicy(service) }),
  );
  iam.destroy();
  return out.Role?.Arn ?? "";
}
