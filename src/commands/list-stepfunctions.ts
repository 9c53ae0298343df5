import { existsSync } from "node:fs";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { environmentClientFactory } from "../aws/client-factory.js";
import { loadEnvironment } from "../environment/environment.js";
import { UsageError } from "../errors.js";
import { journalPath } from "../journal/paths.js";
import { chooseEnvironment } from "../project/project-config.js";
import { exportNames, recoveryRegion } from "../stepfunctions/export-names.js";
import { homeOf } from "./executions.js";
import { type CommandIO, writeLine } from "./io.js";

/**
 * `runbook list --stepfunctions`: the executions of every runbook machine deployed in the
 * environment's recovery region, running ones first, and whether this machine follows them.
 */
export async function listStepFunctionsExecutions(
  opts: { runbook?: string; json?: boolean; env?: string; region?: string },
  io: CommandIO,
): Promise<number> {
  const choice = chooseEnvironment(opts.env, io);
  if (!choice)
    throw new UsageError("list --stepfunctions needs the environment it is deployed in: pass --env <name>");
  const home = homeOf(io);
  const environment = loadEnvironment(choice.name, io.cwd, home, io.env);
  const region = recoveryRegion(environment, opts.region);
  const factory = environmentClientFactory(environment);
  try {
    const sfn = (await factory.client("sfn", region)) as unknown as SFNClient;
    const { ListStateMachinesCommand, ListExecutionsCommand } = await import("@aws-sdk/client-sfn");
    const wanted = opts.runbook ? exportNames(opts.runbook).stateMachine : undefined;
    const machines = [];
    let token: string | undefined;
    do {
      const page = await sfn.send(new ListStateMachinesCommand({ ...(token ? { nextToken: token } : {}) }));
      machines.push(
        ...(page.stateMachines ?? []).filter((m) =>
          wanted ? m.name === wanted : m.name?.startsWith("runbook-"),
        ),
      );
      token = page.nextToken;
    } while (token);
    const rows = [];
    for (const m of machines) {
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: m.stateMachineArn, maxResults: 50 }),
      );
      for (const e of page.executions ?? [])
        rows.push({
          id: e.name ?? "",
          status: e.status ?? "",
          startedAt: e.startDate?.toISOString() ?? "",
          stoppedAt: e.stopDate?.toISOString() ?? null,
          stateMachine: m.name ?? "",
          executionArn: e.executionArn ?? "",
          followedHere: existsSync(journalPath(home, e.name ?? "")),
        });
    }
    rows.sort(
      (a, b) =>
        Number(b.status === "RUNNING") - Number(a.status === "RUNNING") ||
        b.startedAt.localeCompare(a.startedAt),
    );
    if (opts.json) {
      writeLine(io.stdout, JSON.stringify(rows, null, 2));
      return 0;
    }
    if (rows.length === 0) {
      writeLine(
        io.stdout,
        `No runbook executions in Step Functions in ${region}${machines.length ? "" : " (no runbook is deployed there: runbook deploy <runbook>)"}.`,
      );
      return 0;
    }
    for (const r of rows)
      writeLine(
        io.stdout,
        [
          r.id.padEnd(48),
          r.status.padEnd(10),
          r.startedAt,
          r.followedHere
            ? "journal here"
            : `not followed here: runbook follow ${r.id} --env ${environment.name}`,
        ].join("  "),
      );
    return 0;
  } finally {
    factory.destroy();
  }
}
