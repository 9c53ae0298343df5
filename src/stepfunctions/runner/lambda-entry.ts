import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pino, { type Logger } from "pino";
import { executors } from "../../../executors/index.js";
import { type AccountSessions, createAccountSessions } from "../../aws/account-sessions.js";
import { stsTarget } from "../../aws/identity-proof.js";
import { Redactor } from "../../engine/redact.js";
import { classifyError, type ExecutorDefinition } from "../../executor.js";
import { type ApprovalDeps, handleGateDecide, handleGateOpen } from "./approval-handler.js";
import { type FunctionConfig, parseFunctionConfig } from "./function-config.js";
import type { GateDecideEvent, GateOpenEvent, ProbeEvent, StepEvent } from "./runner-contract.js";
import { ERROR_NAME_OF_CLASS } from "./runner-contract.js";
import { fatalPayload, RunnerError } from "./runner-error.js";
import { handleProbe, handleStep, type RunnerDeps } from "./step-handler.js";

/**
 * The Lambda handler of both functions (`Handler: index.handler`): `RUNBOOK_FUNCTION_ROLE`
 * says which, `config.json` beside the bundle says what runbook and environment. What costs
 * time to build (the config, the registry, SDK clients, assumed-role sessions) is built on the
 * first invocation and kept while Lambda keeps the container warm.
 */

/** The part of Lambda's context object the handler reads. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

export type LambdaHandler = (event: unknown, context?: LambdaContext) => Promise<unknown>;

interface Warm {
  config: FunctionConfig;
  registry: ReadonlyMap<string, ExecutorDefinition>;
  base: AccountSessions;
  region: string;
  logger: Logger;
  redactor: Redactor;
  sessions: Map<string, AccountSessions>;
  sfn?: ApprovalDeps["sfn"];
}

/** Sessions of the last few executions stay warm: a container serves one state machine, rarely two runs at once. */
const WARM_EXECUTIONS = 8;

export function lambdaHandler(
  o: { configDir?: string; env?: Record<string, string | undefined>; logger?: Logger } = {},
): LambdaHandler {
  let warm: Promise<Warm> | undefined;
  return async (event, context) => {
    const env = o.env ?? process.env;
    try {
      warm ??= start(o.configDir ?? bundleDir(), env, o.logger);
      const w = await warm.catch((err) => {
        // A broken start is not kept: the next invocation tries again.
        warm = undefined;
        throw err;
      });
      return await dispatch(env.RUNBOOK_FUNCTION_ROLE, event, context, w);
    } catch (err) {
      throw asRunnerError(err, env);
    }
  };
}

/** What Lambda calls. */
export const handler: LambdaHandler = lambdaHandler();

async function dispatch(
  role: string | undefined,
  event: unknown,
  context: LambdaContext | undefined,
  w: Warm,
): Promise<unknown> {
  const action = (event as { action?: unknown } | null)?.action;
  // `runbook run --engine stepfunctions` warms the containers while the execution starts: the
  // config, registry and clients are built now, not in the first step's time.
  if (action === "warm") return { warm: true, role };
  if (role === "steps") {
    const deps: RunnerDeps = {
      config: w.config,
      registry: w.registry,
      sessionsFor: (id) => sessionsFor(w, id),
      logger: w.logger,
      redactor: w.redactor,
      ...(context ? { remainingMs: () => context.getRemainingTimeInMillis() } : {}),
    };
    if (action === "step") return handleStep(event as StepEvent, deps);
    if (action === "probe") return handleProbe(event as ProbeEvent, deps);
  } else if (role === "approvals") {
    const deps: ApprovalDeps = {
      config: w.config,
      sfn: await sfnOf(w),
      sts: stsTarget({ region: w.region, endpoints: w.config.environment.endpoints }),
      logger: w.logger,
    };
    if (action === "gate.open") return handleGateOpen(event as GateOpenEvent, deps);
    if (action === "gate.decide") return handleGateDecide(event as GateDecideEvent, deps);
  } else {
    throw fatalPayload(`RUNBOOK_FUNCTION_ROLE is ${JSON.stringify(role)}; it must be steps or approvals`);
  }
  throw fatalPayload(`the ${role} function does not take action ${JSON.stringify(action)}`);
}

async function start(dir: string, env: Record<string, string | undefined>, given?: Logger): Promise<Warm> {
  const file = join(dir, "config.json");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw fatalPayload(`cannot read ${file}: ${(err as Error).message}`);
  }
  let config: FunctionConfig;
  try {
    config = parseFunctionConfig(text, file);
  } catch (err) {
    throw fatalPayload((err as Error).message);
  }
  const e = config.environment;
  // The function's own region (the recovery region): its STS answers when the primary's does not.
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? config.manifest.region ?? e.region;
  const redactor = new Redactor();
  redactor.addSensitiveEnv(env);
  const base = createAccountSessions({
    client: { endpoints: e.endpoints },
    region,
    accounts: e.accounts,
    roles: e.roles,
    operator: "runbook",
    environment: e.name,
  });
  return {
    config,
    registry: executors,
    base,
    region,
    logger: given ?? stderrLogger(redactor, env),
    redactor,
    sessions: new Map(),
  };
}

/** Role sessions named `runbook+<executionId>`, as CloudTrail shows them; the base clients are shared. */
function sessionsFor(w: Warm, executionId: string): AccountSessions {
  let s = w.sessions.get(executionId);
  if (!s) {
    s = w.base.forExecution(executionId);
    w.sessions.set(executionId, s);
    for (const [id, old] of w.sessions) {
      if (w.sessions.size <= WARM_EXECUTIONS) break;
      old.destroy();
      w.sessions.delete(id);
    }
  }
  return s;
}

async function sfnOf(w: Warm): Promise<ApprovalDeps["sfn"]> {
  w.sfn ??= await w.base.factoryFor(undefined).client("sfn", w.region);
  return w.sfn;
}

/** JSON lines on stderr (CloudWatch Logs in Lambda), every string through the redactor. */
function stderrLogger(redactor: Redactor, env: Record<string, string | undefined>): Logger {
  return pino(
    {
      level: env.RUNBOOK_LOG_LEVEL ?? "info",
      base: { function: env.AWS_LAMBDA_FUNCTION_NAME ?? env.RUNBOOK_FUNCTION_ROLE },
      formatters: { log: (fields) => redactor.value(fields) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a: unknown) => (typeof a === "string" ? redactor.string(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}

/** The bundle's own folder: `config.json` lies beside `index.mjs`. */
function bundleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/** Whatever escaped the handlers, named for Retry and Catch, without a stack or a secret. */
function asRunnerError(err: unknown, env: Record<string, string | undefined>): RunnerError {
  if (err instanceof RunnerError) return err;
  const c = classifyError(err);
  const redactor = new Redactor();
  redactor.addSensitiveEnv(env);
  return new RunnerError(ERROR_NAME_OF_CLASS[c.class], {
    message: redactor.string(c.message),
    class: c.class,
  });
}
