import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { executors } from "../executors/index.js";
import { createClientFactory } from "../src/aws/client-factory.js";
import { loadEnvironment } from "../src/environment/environment.js";
import { provePermissions } from "../src/iam/permission-proof.js";
import { neededPermissions, runbookPermissions } from "../src/iam/runbook-permissions.js";
import { loadRunbook } from "../src/language/load.js";
import { createEmulator } from "../src/sandbox/emulator/index.js";
import { SANDBOX_CREDENTIALS } from "../src/sandbox/supervisor/iam-status.js";

/**
 * What IAM costs. (1) Enforcement: one DescribeAlarms through the SDK with the sandbox's IAM
 * enforced (every call authorised by the policy simulator) vs not, interleaved, medians.
 * (2) The permission proof `runbook check`/`run` makes before anything runs, for
 * failover-case-api's needs as the aws-example environment renders them.
 */
export async function benchIam(calls = 300) {
  const emulator = await createEmulator();
  try {
    const client = new CloudWatchClient({
      region: emulator.regions[0],
      endpoint: emulator.url,
      credentials: SANDBOX_CREDENTIALS,
      maxAttempts: 1,
    });
    const call = () => client.send(new DescribeAlarmsCommand({}));
    for (let i = 0; i < 30; i++) await call();
    const off: number[] = [];
    const on: number[] = [];
    for (let i = 0; i < calls; i++) {
      for (const [enforced, samples] of [
        [false, off],
        [true, on],
      ] as const) {
        emulator.iam.enforce(enforced);
        const started = performance.now();
        await call();
        samples.push(performance.now() - started);
      }
    }
    emulator.iam.enforce(false);
    client.destroy();

    const runbook = loadRunbook("runbooks/failover-case-api.yaml", process.cwd());
    const environment = loadEnvironment("environments/aws-example.yaml", process.cwd(), ".runbook", {});
    const needed = neededPermissions(runbookPermissions(runbook, environment, executors));
    const aws = createClientFactory({ endpoints: { "*": emulator.url }, credentials: SANDBOX_CREDENTIALS });
    const operator = `arn:aws:iam::${emulator.accountId}:user/operator`;
    const sessions = { factoryFor: () => aws, principalFor: async () => operator };
    await provePermissions(needed, sessions); // warm: the IAM client's first load
    const proofs: number[] = [];
    let checked = 0;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const proof = await provePermissions(needed, sessions);
      proofs.push(performance.now() - started);
      checked = proof.checked;
    }
    aws.destroy();
    return {
      offMs: median(off),
      onMs: median(on),
      proofMs: median(proofs),
      pairs: checked,
      permissions: needed.length,
    };
  } finally {
    await emulator.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}
