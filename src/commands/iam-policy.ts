import { executors } from "../../executors/index.js";
import { loadEnvironment } from "../environment/environment.js";
import { UsageError } from "../errors.js";
import { policyDocuments } from "../iam/policy-document.js";
import {
  formatPolicy,
  MANAGED_POLICY_MAX_CHARS,
  POLICY_FORMATS,
  type PolicyFormat,
  policyEntries,
  policySize,
} from "../iam/policy-formats.js";
import { runbookPermissions } from "../iam/runbook-permissions.js";
import { parseInputPairs } from "../language/inputs.js";
import { closest } from "../language/issues.js";
import { loadRunbook } from "../language/load.js";
import { chooseEnvironment } from "../project/project-config.js";
import { homeOf } from "./executions.js";
import type { CommandIO } from "./io.js";
import { writeLine } from "./io.js";
import { emitReport } from "./timeline.js";

/**
 * `runbook iam-policy <runbook>`: the least-privilege IAM policy the runbook needs, per account,
 * read-only apart from mutating, from the executors' declarations and the environment's values.
 * Touches nothing: no credentials, no AWS call.
 */
export async function iamPolicyCommand(
  arg: string,
  opts: { env?: string; format?: string; output?: string; input?: string[] },
  io: CommandIO,
): Promise<number> {
  const format = policyFormat(opts.format);
  const rb = loadRunbook(arg, io.cwd);
  const inputs = parseInputPairs(opts.input ?? []);
  const unknown = Object.keys(inputs).filter((k) => !Object.hasOwn(rb.inputs, k));
  if (unknown.length) {
    const declared = Object.keys(rb.inputs);
    throw new UsageError(
      `unknown input ${unknown.map((u) => `"${u}"`).join(", ")} for runbook ${rb.name}`,
      declared.length ? `Declared inputs: ${declared.join(", ")}` : "This runbook declares no inputs.",
    );
  }
  const choice = chooseEnvironment(opts.env, io);
  const environment = choice ? loadEnvironment(choice.name, io.cwd, homeOf(io), io.env) : undefined;
  const policy = policyDocuments(runbookPermissions(rb, environment, executors, { inputs }));
  for (const e of policyEntries(policy)) {
    const size = policySize(e.doc);
    if (size > MANAGED_POLICY_MAX_CHARS)
      writeLine(
        io.stderr,
        `warning: the ${e.label} policy of ${e.account === "*" ? "any account" : `account ${e.account}`} is ${size} characters; IAM allows ${MANAGED_POLICY_MAX_CHARS} in a managed policy: split its statements over two policies`,
      );
  }
  emitReport(
    formatPolicy(policy, { runbook: rb.name, environment: environment?.name }, format),
    opts.output,
    io,
    "IAM policy",
  );
  return 0;
}

function policyFormat(given: string | undefined): PolicyFormat {
  const format = given ?? "json";
  if ((POLICY_FORMATS as readonly string[]).includes(format)) return format as PolicyFormat;
  const near = closest(format, POLICY_FORMATS);
  throw new UsageError(
    `unknown format "${format}"${near ? ` (did you mean "${near}"?)` : ""}: use one of ${POLICY_FORMATS.join(", ")}`,
  );
}
