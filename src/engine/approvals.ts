import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sleep } from "../../executors/wait.js";
import { ApprovalNeededError } from "../errors.js";
import type { ApprovalRequest } from "../executor.js";

/**
 * Gates. Approvals come from three places: `--approve` (the operator), a TTY prompt, and
 * `runbook approve` in another shell, which drops a file in the execution's inbox. Only
 * the engine turns them into journal events, so the journal keeps a single writer.
 */

export class GateDeclinedError extends Error {
  constructor(
    readonly stepId: string,
    readonly by: string,
  ) {
    super(`gate "${stepId}" declined by ${by}`);
    this.name = "GateDeclinedError";
  }
}

export interface InboxMessage {
  stepId?: string;
  by: string;
  decision: "approve" | "decline";
  reason?: string;
  at: string;
}

/** Used by `runbook approve`: the file appears whole (rename) so the engine never reads half of it. */
export function dropInInbox(inbox: string, message: InboxMessage): string {
  mkdirSync(inbox, { recursive: true });
  const name = `${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.json`;
  const tmp = join(inbox, `.${name}.tmp`);
  writeFileSync(tmp, JSON.stringify(message));
  renameSync(tmp, join(inbox, name));
  return name;
}

export type PromptAnswer = "approve" | "decline";

export interface GateJournal {
  requested(stepId: string, request: ApprovalRequest): void;
  approved(stepId: string, by: string, via: "flag" | "tty" | "approve-command"): void;
  declined(stepId: string, by: string, via: "tty" | "approve-command", reason?: string): void;
}

export interface GateKeeperOptions {
  operator: string;
  autoApprove: boolean;
  inbox: string;
  journal: GateJournal;
  /** Ask the operator on a terminal; absent when there is none. */
  prompt?: (
    question: { stepId: string; prompt: string; have: string[]; needed: number },
    signal: AbortSignal,
  ) => Promise<PromptAnswer>;
  /** Told once per gate when the engine has to wait for other approvers. */
  onWaiting?: (stepId: string, have: string[], needed: number) => void;
  pollMs?: number;
}

export class GateKeeper {
  /** Approvals and requests already journaled, per step (seeded from the journal on resume). */
  private readonly approvals = new Map<string, Set<string>>();
  private readonly requested = new Set<string>();

  constructor(private readonly opts: GateKeeperOptions) {}

  seed(stepId: string, approvedBy: string[], requested: boolean): void {
    this.approvals.set(stepId, new Set(approvedBy));
    if (requested) this.requested.add(stepId);
  }

  async await(
    stepId: string,
    request: ApprovalRequest,
    signal: AbortSignal,
  ): Promise<{ approvedBy: string[] }> {
    const o = this.opts;
    const have = this.approvals.get(stepId) ?? new Set<string>();
    this.approvals.set(stepId, have);
    const eligible = (who: string) => !request.approvers || request.approvers.includes(who);
    const satisfied = () => [...have].filter(eligible).length >= request.minApprovals;
    const approve = (by: string, via: "flag" | "tty" | "approve-command") => {
      if (have.has(by) || !eligible(by)) return;
      have.add(by);
      o.journal.approved(stepId, by, via);
    };
    if (satisfied()) return { approvedBy: [...have] };
    if (!this.requested.has(stepId)) {
      o.journal.requested(stepId, request);
      this.requested.add(stepId);
    }
    // Approvals already given from other shells count first; the operator's flag after them.
    this.drainInbox(stepId, eligible, approve);
    if (o.autoApprove && !satisfied()) approve(o.operator, "flag");
    let prompted = false;
    let promptAnswer: PromptAnswer | undefined;
    const promptAbort = new AbortController();
    let waitingTold = false;
    try {
      for (;;) {
        this.drainInbox(stepId, eligible, approve);
        if (satisfied()) return { approvedBy: [...have] };
        if (promptAnswer === "decline") {
          o.journal.declined(stepId, o.operator, "tty");
          throw new GateDeclinedError(stepId, o.operator);
        }
        if (promptAnswer === "approve") {
          approve(o.operator, "tty");
          promptAnswer = undefined;
          continue;
        }
        const operatorCanStillHelp = eligible(o.operator) && !have.has(o.operator);
        if (o.prompt && operatorCanStillHelp && !prompted) {
          prompted = true;
          o.prompt(
            { stepId, prompt: request.prompt, have: [...have], needed: request.minApprovals },
            promptAbort.signal,
          ).then(
            (a) => {
              promptAnswer = a;
            },
            () => undefined,
          );
        } else if (!o.prompt && !o.autoApprove) {
          const needed = request.minApprovals - [...have].filter(eligible).length;
          throw new ApprovalNeededError(
            "",
            stepId,
            `gate "${stepId}" needs ${needed} more approval${needed === 1 ? "" : "s"}: "${request.prompt}" (no --approve and no terminal to ask on)`,
          );
        } else if (!waitingTold && !operatorCanStillHelp) {
          waitingTold = true;
          o.onWaiting?.(stepId, [...have], request.minApprovals);
        }
        await sleep(o.pollMs ?? 200, signal);
      }
    } finally {
      promptAbort.abort();
    }
  }

  private drainInbox(
    stepId: string,
    eligible: (who: string) => boolean,
    approve: (by: string, via: "approve-command") => void,
  ): void {
    let names: string[];
    try {
      names = readdirSync(this.opts.inbox)
        .filter((n) => n.endsWith(".json"))
        .sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(this.opts.inbox, name);
      let msg: InboxMessage;
      try {
        msg = JSON.parse(readFileSync(path, "utf8")) as InboxMessage;
      } catch {
        continue;
      }
      if (msg.stepId && msg.stepId !== stepId) continue;
      const done = join(this.opts.inbox, "processed");
      mkdirSync(done, { recursive: true });
      renameSync(path, join(done, name));
      if (msg.decision === "decline") {
        this.opts.journal.declined(stepId, msg.by, "approve-command", msg.reason);
        throw new GateDeclinedError(stepId, msg.by);
      }
      if (eligible(msg.by)) approve(msg.by, "approve-command");
    }
  }
}
