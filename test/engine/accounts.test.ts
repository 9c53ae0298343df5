import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import { engineBase, prepare } from "../../src/commands/prepare.js";
import { startExecution } from "../../src/engine/engine.js";
import { checkReadiness } from "../../src/engine/readiness.js";
import type { AnyJournalEvent } from "../../src/journal/events.js";
import { readJournal } from "../../src/journal/journal.js";
import { journalPath } from "../../src/journal/paths.js";
import { verifyJournal } from "../../src/journal/verify-bytes.js";
import { loadRunbook } from "../../src/language/load.js";
import { stepNotes } from "../../src/report/labels.js";
import { buildStepSpans } from "../../src/report/step-spans.js";
import {
  accountsEmulator,
  accountsProject,
  OPERATOR,
  RECOVERY,
  runbookText,
  WORKLOAD,
  whoAmI,
} from "./accounts-project.js";

/**
 * Steps in two accounts: each step's calls are made through its account's session (the
 * recovery account's role, assumed for this execution), and the journal says who made them
 * and which calls they were, never with what credentials.
 */

const held = accountsEmulator();

const RUNBOOK = runbookText(
  "cross",
  `${whoAmI("base", WORKLOAD)}${whoAmI("arc", RECOVERY, "account: recovery")}  - id: clusters
    type: aws.assert
    account: "\${{ vars.workloadAccount }}"
    with:
      service: rds
      command: DescribeGlobalClusters
      region: us-west-2
      expect: "length(GlobalClusters) > \`0\`"
`,
  // Probed at every step boundary: it fires unless its call, too, is made in the recovery account.
  `abort:
  - id: arc-reachable
    every: 1h
    probe:
      type: aws.assert
      account: recovery
      with: { service: sts, command: GetCallerIdentity, region: us-west-2, expect: "Account == '${RECOVERY}'" }
`,
);

describe("steps in two accounts", () => {
  it("make their calls as their account's principal, which the journal records with the calls", async () => {
    const { cwd, env } = accountsProject(held.emulator.url, { cross: RUNBOOK });
    const io = { cwd, env };
    const runbook = loadRunbook("cross", cwd);
    const prepared = await prepare(runbook, { name: "sandbox", source: "--env" }, io);
    let outcome: Awaited<ReturnType<typeof startExecution>>;
    try {
      outcome = await startExecution(
        runbook,
        { inputs: {} },
        { ...engineBase(prepared, io), autoApprove: true },
      );
    } finally {
      prepared.aws.destroy();
    }
    expect(outcome.status).toBe("completed");
    const id = outcome.executionId;
    const role = `arn:aws:sts::${RECOVERY}:assumed-role/runbook-arc/operator+${id}`;

    const path = journalPath(env.RUNBOOK_HOME, id);
    const read = readJournal(path);
    expect(verifyJournal(read).ok).toBe(true);
    const of = (type: string, stepId: string) =>
      read.events.find((e: AnyJournalEvent) => e.type === type && e.stepId === stepId)?.data as Record<
        string,
        unknown
      >;
    expect(of("step.intent", "base")).toMatchObject({ principal: OPERATOR });
    expect(of("step.intent", "base")).not.toHaveProperty("account");
    expect(of("step.intent", "arc")).toMatchObject({ account: RECOVERY, principal: role });
    expect(of("step.intent", "clusters")).toMatchObject({ account: WORKLOAD, principal: OPERATOR });
    expect(of("step.succeeded", "arc")).toMatchObject({ calls: { "sts:GetCallerIdentity": 1 } });
    expect(of("step.succeeded", "clusters")).toMatchObject({ calls: { "rds:DescribeGlobalClusters": 1 } });

    // The role was assumed for this execution, under its id, by the operator.
    const assumed = held.emulator.calls.filter((c) => c.operation === "AssumeRole").map((c) => c.params);
    expect(assumed).toContainEqual(expect.objectContaining({ RoleSessionName: `operator+${id}` }));
    const described = held.emulator.calls.filter((c) => c.operation === "DescribeGlobalClusters");
    expect(described.map((c) => c.principal)).toEqual([OPERATOR]);

    // Never a credential: no secret key, session token or assumed access key in the journal.
    const text = readFileSync(path, "utf8");
    expect(text).not.toMatch(/sandbox-secret|SessionToken|secretAccessKey|sessionToken/);

    // The fold keeps who and what; the timeline says it where a step named its account.
    const state = outcome.state;
    expect(state.steps.get("arc")).toMatchObject({
      account: RECOVERY,
      principal: role,
      calls: { "sts:GetCallerIdentity": 1 },
    });
    const spans = buildStepSpans(state, false);
    expect(stepNotes(spans.find((s) => s.id === "arc")!)).toContain(
      `in account ${RECOVERY} as assumed-role/runbook-arc`,
    );
    expect(stepNotes(spans.find((s) => s.id === "base")!)).not.toContain("account");
  });

  it("runbook check probes each step and abort criterion through its account's session", async () => {
    const { cwd, env } = accountsProject(held.emulator.url, { cross: RUNBOOK });
    const io = { cwd, env };
    const runbook = loadRunbook("cross", cwd);
    const prepared = await prepare(runbook, { name: "sandbox", source: "--env" }, io);
    try {
      const report = await checkReadiness(runbook, {
        registry: executors,
        scope: { inputs: {}, steps: {}, env: {}, vars: prepared.environment?.vars ?? {} },
        aws: prepared.aws,
        sessions: prepared.sessions,
        logger: pino({ level: "silent" }),
        workdir: cwd,
        scratchDir: mkdtempSync(join(tmpdir(), "runbook-check-")),
      });
      // "arc" and the abort probe pass only when their call is made in the recovery account.
      expect(report.rows.map((r) => [r.id, r.status])).toEqual([
        ["base", "ready"],
        ["arc", "ready"],
        ["clusters", "ready"],
        ["arc-reachable", "ready"],
      ]);
    } finally {
      prepared.aws.destroy();
    }
  });
});
