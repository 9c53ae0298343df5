import type { ApprovalProof, ErrorClass } from "../journal/events.js";
import { LAMBDA_RETRY_ERRORS } from "./step-retry.js";

/**
 * What our two functions put into the history (issue 13 contract), read back leniently: a
 * history is data from elsewhere, so a field that is missing or of the wrong type is dropped,
 * never trusted, and nothing here throws.
 */

/** The steps function's result for one attempt of a step. */
export interface StepResult {
  outputs: Record<string, unknown>;
  finishedAt?: string;
  durationMs?: number;
  alreadyInPlace?: boolean;
  detail?: string;
  calls?: Record<string, number>;
  account?: string;
  principal?: string;
  measures: { name: string; value: number; unit: string }[];
  milestones: { name: string; at: string }[];
}

export interface ProbeResult {
  failures: number;
  tripped: boolean;
  reason?: string;
}

export interface GateApproval {
  approvedBy?: string;
  principalArn?: string;
  proof?: ApprovalProof;
}

export interface TaskError {
  /** The Task's `error`: `Runbook.Fatal`, `States.Timeout`, `Lambda.ServiceException`, … */
  name: string;
  message: string;
  class: ErrorClass;
  durationMs?: number;
  calls?: Record<string, number>;
}

type Json = Record<string, unknown>;

export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** `lambda:invoke` wraps the function's result in `{ Payload, StatusCode, … }`; a bare result is taken as is. */
function payloadOf(output: string | undefined): Json {
  const o = parseJson(output);
  if (!isObject(o)) return {};
  return isObject(o.Payload) ? o.Payload : o;
}

function callsOf(v: unknown): Record<string, number> | undefined {
  if (!isObject(v)) return undefined;
  const calls = Object.entries(v).filter((e): e is [string, number] => num(e[1]) !== undefined);
  return calls.length ? Object.fromEntries(calls) : undefined;
}

export function stepResultOf(output: string | undefined): StepResult {
  const p = payloadOf(output);
  const measures = isObject(p.measures)
    ? Object.entries(p.measures).flatMap(([name, m]) =>
        isObject(m) && num(m.value) !== undefined
          ? [{ name, value: m.value as number, unit: str(m.unit) ?? "" }]
          : [],
      )
    : [];
  const milestones = Array.isArray(p.milestones)
    ? p.milestones.flatMap((m) =>
        isObject(m) && str(m.name) && str(m.at) ? [{ name: m.name as string, at: m.at as string }] : [],
      )
    : [];
  const calls = callsOf(p.calls);
  return {
    outputs: isObject(p.outputs) ? p.outputs : {},
    ...(str(p.finishedAt) ? { finishedAt: p.finishedAt as string } : {}),
    ...(num(p.durationMs) !== undefined ? { durationMs: p.durationMs as number } : {}),
    ...(p.alreadyInPlace === true ? { alreadyInPlace: true } : {}),
    ...(str(p.detail) ? { detail: p.detail as string } : {}),
    ...(calls ? { calls } : {}),
    ...(str(p.account) ? { account: p.account as string } : {}),
    ...(str(p.principal) ? { principal: p.principal as string } : {}),
    measures,
    milestones,
  };
}

export function probeResultOf(output: string | undefined): ProbeResult {
  const p = payloadOf(output);
  return {
    failures: num(p.failures) ?? 0,
    tripped: p.tripped === true,
    ...(str(p.reason) ? { reason: p.reason as string } : {}),
  };
}

/** What the approval function sent with SendTaskSuccess (a callback Task's output is not wrapped). */
export function gateApprovalOf(output: string | undefined): GateApproval {
  const o = payloadOf(output);
  const proof = isObject(o.proof) && str(o.proof.requestId) ? o.proof : undefined;
  return {
    ...(str(o.approvedBy) ? { approvedBy: o.approvedBy as string } : {}),
    ...(str(o.principalArn) ? { principalArn: o.principalArn as string } : {}),
    ...(proof
      ? {
          proof: {
            method: "sts:GetCallerIdentity",
            requestId: proof.requestId as string,
            ...(str(proof.nonce) ? { nonce: proof.nonce as string } : {}),
          },
        }
      : {}),
  };
}

/** SendTaskFailure's cause for a declined gate: `{ by, reason }`. */
export function declineOf(cause: string | undefined): { by: string; reason?: string } {
  const c = parseJson(cause);
  const by = isObject(c) ? str(c.by) : undefined;
  const reason = isObject(c) ? str(c.reason) : undefined;
  return { by: by ?? "unknown", ...(reason ? { reason } : {}) };
}

const CLASS_OF_ERROR: Record<string, ErrorClass> = {
  "Runbook.Retryable": "retryable",
  "Runbook.Conflict": "conflict",
  "Runbook.Fatal": "fatal",
  "Runbook.Timeout": "timeout",
  "States.Timeout": "timeout",
};
const CLASSES = new Set<string>(["retryable", "conflict", "fatal", "timeout"]);

/**
 * A failed Task: the steps function throws `name` = `Runbook.<Class>` and `message` = JSON of
 * `{ message, class, durationMs, calls }`; Lambda wraps that as the cause
 * `{ errorMessage, errorType, … }`. Anything else (Lambda's own failures, States.*) keeps its text.
 */
export function taskErrorOf(error: string | undefined, cause: string | undefined): TaskError {
  const name = error ?? "States.TaskFailed";
  const wrapped = parseJson(cause);
  const errorMessage = isObject(wrapped) ? str(wrapped.errorMessage) : undefined;
  const inner = parseJson(errorMessage);
  const ours = isObject(inner) && str(inner.message) !== undefined ? inner : undefined;
  const message = str(ours?.message) ?? errorMessage ?? (cause || name);
  const declared = str(ours?.class);
  const cls =
    CLASS_OF_ERROR[name] ??
    (LAMBDA_RETRY_ERRORS.includes(name) ? "retryable" : undefined) ??
    (declared && CLASSES.has(declared) ? (declared as ErrorClass) : "fatal");
  const calls = callsOf(ours?.calls);
  const durationMs = num(ours?.durationMs);
  return {
    name,
    message,
    class: cls,
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(calls ? { calls } : {}),
  };
}

/** A Task's resolved Parameters (TaskScheduled), as our Tasks shape them: `{ FunctionName, Payload }`. */
export function taskPayloadOf(parameters: string | undefined): Json {
  const p = parseJson(parameters);
  return isObject(p) && isObject(p.Payload) ? p.Payload : {};
}
