import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import type { IamCommand } from "../sandbox/emulator/iam/iam-admin.js";
import type { IamView, PrincipalView } from "../sandbox/emulator/iam/iam-model.js";
import type { SandboxEndpoints } from "../sandbox/endpoints.js";
import { type CommandIO, writeLine } from "./io.js";
import { SandboxError } from "./sandbox.js";
import { requireSandbox } from "./sandbox-access.js";

/**
 * `runbook sandbox iam enforce [on|off] | attach <policy.json> [--principal p] | show [principal] | reset`:
 * the running sandbox's IAM, through the emulator's admin API (`/_sandbox/iam`). The deny
 * fault is `runbook sandbox fault deny`.
 */

export async function sandboxIamEnforce(state: string | undefined, io: CommandIO): Promise<number> {
  if (state !== undefined && state !== "on" && state !== "off")
    throw new UsageError(
      `enforce takes on or off (got ${state})`,
      "usage: runbook sandbox iam enforce [on|off]",
    );
  const endpoints = await requireSandbox(io);
  const view =
    state === undefined
      ? await iamApi(endpoints, "GET")
      : await iamApi(endpoints, "POST", { command: "enforce", on: state === "on" });
  writeLine(
    io.stdout,
    view.enforced
      ? "IAM enforcement is ON: every call the emulator serves is authorised by the IAM policy simulator"
      : "IAM enforcement is off: calls are not authorised (only a deny fault refuses its action)",
  );
  return 0;
}

export async function sandboxIamAttach(
  file: string,
  opts: { principal?: string },
  io: CommandIO,
): Promise<number> {
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const document = await parseJson(text, file);
  const endpoints = await requireSandbox(io);
  const before = await iamApi(endpoints, "GET");
  const after = await iamApi(endpoints, "POST", {
    command: "attach",
    document,
    ...(opts.principal ? { principal: opts.principal } : {}),
  });
  for (const p of after.principals) {
    const was = before.principals.find((b) => b.arn === p.arn);
    if (JSON.stringify(was?.policies) === JSON.stringify(p.policies)) continue;
    writeLine(io.stdout, `${p.name} (${p.arn}): ${Object.keys(p.policies).join(", ") || "no policies"}`);
  }
  if (!after.enforced)
    writeLine(
      io.stdout,
      "enforcement is off: turn it on to have calls refused: runbook sandbox iam enforce on",
    );
  return 0;
}

export async function sandboxIamShow(
  principal: string | undefined,
  opts: { json?: boolean },
  io: CommandIO,
): Promise<number> {
  const endpoints = await requireSandbox(io);
  const view = await iamApi(endpoints, "GET");
  const shown = principal
    ? view.principals.filter((p) => p.name === principal || p.arn === principal)
    : view.principals;
  if (principal && shown.length === 0)
    throw new UsageError(
      `unknown principal ${principal}`,
      `Principals: ${view.principals.map((p) => p.name).join(", ")}`,
    );
  if (opts.json) {
    writeLine(io.stdout, JSON.stringify(principal ? shown[0] : view, null, 2));
    return 0;
  }
  if (!principal) {
    writeLine(
      io.stdout,
      `enforcement ${view.enforced ? "ON" : "off"}; accounts: workload ${view.accounts.workload}, recovery ${view.accounts.recovery}`,
    );
    for (const d of view.denies)
      writeLine(io.stdout, `deny fault: ${d.action} to ${d.principals.join(", ")}`);
  }
  for (const p of shown) for (const line of renderPrincipal(p)) writeLine(io.stdout, line);
  return 0;
}

export async function sandboxIamReset(io: CommandIO): Promise<number> {
  const endpoints = await requireSandbox(io);
  await iamApi(endpoints, "POST", { command: "reset" });
  writeLine(io.stdout, "sandbox IAM back to its defaults: default policies, no deny fault, enforcement off");
  return 0;
}

function renderPrincipal(p: PrincipalView): string[] {
  const key = p.accessKeyId ? `, access key ${p.accessKeyId}` : "";
  const lines = [`${p.name}: ${p.arn} (${p.kind} in ${p.account}${key})`];
  for (const [name, doc] of Object.entries(p.policies)) {
    lines.push(`  policy ${name}:`);
    for (const l of JSON.stringify(doc, null, 2).split("\n")) lines.push(`    ${l}`);
  }
  if (p.denied.length > 0) lines.push(`  denied by fault: ${p.denied.join(", ")}`);
  return lines;
}

/** JSON, or a usage error at file:line:col (JSON.parse does not always say where: the YAML parser, a superset, does). */
async function parseJson(text: string, file: string): Promise<unknown> {
  try {
    return JSON.parse(text);
  } catch (error) {
    const { parseDocument } = await import("yaml");
    const pos = parseDocument(text).errors[0]?.linePos?.[0];
    const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new UsageError(`${where}: not valid JSON (${(error as Error).message})`);
  }
}

async function iamApi(
  endpoints: SandboxEndpoints,
  method: "GET" | "POST",
  command?: IamCommand,
): Promise<IamView> {
  let response: Response;
  try {
    response = await fetch(`${endpoints.emulator}/_sandbox/iam`, {
      method,
      ...(command ? { body: JSON.stringify(command), headers: { "content-type": "application/json" } } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new UsageError(
      `the sandbox's emulator (${endpoints.emulator}) does not answer: ${(error as Error).message}`,
      "Is it still starting? Check: runbook sandbox status",
    );
  }
  const json = (await response.json().catch(() => ({}))) as {
    error?: string;
    iam?: IamView;
  } & Partial<IamView>;
  if (response.status === 400) throw new UsageError(json.error ?? "the emulator refused the IAM command");
  if (response.status === 404)
    throw new SandboxError(
      "this sandbox's emulator has no IAM admin API: restart it (runbook sandbox down && runbook sandbox up)",
    );
  if (!response.ok)
    throw new SandboxError(`the sandbox's IAM command failed: ${json.error ?? response.status}`);
  return (json.iam ?? json) as IamView;
}
