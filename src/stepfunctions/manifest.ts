import type { HistoryEstimate } from "./history-estimate.js";

/**
 * The manifest of an exported state machine: for every state name, the step it belongs to and
 * what it is, so that an execution's history (where only state names appear, interleaved across
 * parallel branches) maps back to runbook steps (issue 13's contract, /tmp/sfn-contract.md).
 */

export type StateKind =
  | "start"
  | "step"
  | "gate"
  | "when"
  | "skip"
  | "milestone"
  | "guard"
  | "guard-done"
  | "watch"
  | "probe"
  | "merge"
  | "aborted"
  | "failed"
  | "end";

export interface ManifestState {
  stepId?: string;
  kind: StateKind;
  milestone?: string;
  pointOfNoReturn?: true;
  criterion?: string;
  phase?: "main" | "onAbort";
  /** Of a `skip` state: its `when` was false, or the point of no return was passed (onAbort steps). */
  reason?: "condition" | "pastPointOfNoReturn";
}

export interface Manifest {
  runbook: string;
  environment: string;
  region: string;
  /** The account the functions and the state machine live in (absent in hand-made test manifests). */
  accountId?: string;
  stateMachineName: string;
  /** Function names (their ARNs are in the definition). */
  functions: { steps: string; approvals: string };
  /** Role names; the export always gives all three. */
  roles: Partial<Record<"states" | "steps" | "approvals", string>>;
  states: Record<string, ManifestState>;
  historyEstimate: HistoryEstimate;
}

/** What Step Functions allows in a state name that is also safe in a JSONPath and a log line. */
const STATE_NAME = /^[A-Za-z0-9._:-]{1,80}$/;

/**
 * The state names of one machine as they are handed out: unique in the whole machine (Step
 * Functions requires it across branches too), at most 80 characters, `[A-Za-z0-9._:-]` only.
 */
export class StateTable {
  readonly states: Record<string, ManifestState> = {};

  /** `name` for a new state; `problem` says why a name is refused when the runbook caused it. */
  claim(name: string, entry: ManifestState, problem?: (message: string) => void): string {
    const refuse = (message: string) => {
      if (!problem) throw new Error(`internal: state name ${JSON.stringify(name)}: ${message}`);
      problem(message);
    };
    if (!STATE_NAME.test(name))
      refuse(
        name.length > 80
          ? `the state name "${name}" is ${name.length} characters; Step Functions allows 80: shorten the id`
          : `the state name "${name}" has characters Step Functions state names here cannot have`,
      );
    else if (Object.hasOwn(this.states, name))
      refuse(`"${name}" is already a state of the exported machine: rename this step`);
    else this.states[name] = entry;
    return name;
  }

  has(name: string): boolean {
    return Object.hasOwn(this.states, name);
  }
}
