import { createInterface } from "node:readline";
import type { PromptAnswer } from "../engine/approvals.js";
import type { AnyJournalEvent } from "../journal/events.js";
import { applyEvent, type ExecutionState } from "../journal/fold.js";
import { formatDuration } from "../language/duration.js";
import { EventDescriber } from "../report/describe-event.js";
import { formatOffset } from "../report/time-format.js";
import type { CommandIO } from "./io.js";
import { renderStatus } from "./status-view.js";

/** Off a terminal, a long step says it is still going after this much silence (and every as much again). */
export const STILL_RUNNING_AFTER_MS = 30_000;

/**
 * What the operator sees while a run goes on. On a terminal: the step list redrawn in
 * place with the RTO clock. Elsewhere (a pipe, `tee`, a CI log): one readable line per event,
 * in the timeline's words. With --json: one JSON journal event per line, for machines.
 */
export class RunOutput {
  private state: ExecutionState | undefined;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private prompting = false;
  private stopped = false;
  readonly live: boolean;
  private describer: EventDescriber | undefined;
  /** When the incident was declared (ms): the T+ offsets of the plain view count from it. */
  private declaredMs = 0;
  /** Step ids are padded to the longest in the plan (at most 24), so the text lines up. */
  private stepWidth = 0;
  /** When the plain view last printed: a promotion can take minutes, and a log that stops looks hung. */
  private lastPlainAt = 0;
  private reminder: NodeJS.Timeout | undefined;
  /** What each running step last said it waits for (`ctx.progress`); gone with its next event. */
  private readonly progress = new Map<string, string>();

  constructor(
    private readonly io: CommandIO,
    private readonly json: boolean,
  ) {
    this.live = io.isTTY && !json;
  }

  get executionId(): string | undefined {
    return this.state?.executionId;
  }

  onEvent = (e: AnyJournalEvent): void => {
    this.state = applyEvent(this.state, e);
    if (e.stepId !== undefined) this.progress.delete(e.stepId);
    if (this.json) {
      this.io.stdout.write(`${JSON.stringify(e)}\n`);
      return;
    }
    if (!this.live) {
      this.writePlain(e);
      this.reminder ??= setInterval(() => this.remind(new Date()), 1_000).unref();
      return;
    }
    this.timer ??= setInterval(() => this.draw(), 500).unref();
    this.draw();
  };

  /** A running step's passing state: shown on the terminal's next frame and in "still running" lines. */
  onProgress = (stepId: string, message: string): void => {
    this.progress.set(stepId, message);
  };

  /** Seed with an existing journal (resume), without echoing its old events. */
  seed(events: AnyJournalEvent[]): void {
    for (const e of events) {
      this.state = applyEvent(this.state, e);
      this.plainDescriber()?.describe(e);
    }
  }

  /** `09:39:51.344  T+1.0s  fence-a  Succeeded in 12ms`: the timeline's chronology, as it happens. */
  private writePlain(e: AnyJournalEvent): void {
    const entry = this.plainDescriber()?.describe(e);
    if (!entry) return;
    const step = (entry.stepId ?? "").padEnd(this.stepWidth);
    const by = entry.actor && !entry.text.includes(entry.actor) ? ` (${entry.actor})` : "";
    const mark = entry.severity === "error" ? "✖ " : entry.severity === "warn" ? "! " : "";
    this.io.stdout.write(
      `${entry.at.slice(11, 23)}  ${formatOffset(entry.offsetMs).padEnd(9)} ${step}  ${mark}${entry.text}${by}\n`,
    );
    this.lastPlainAt = Date.now();
  }

  /**
   * Off a terminal, after `STILL_RUNNING_AFTER_MS` without a line: one line per step still at
   * work or waiting for approval, so a CI log or `tee` shows the run is alive and on what.
   */
  remind(now: Date): void {
    if (this.stopped || !this.state || this.json || this.live) return;
    if (now.getTime() - this.lastPlainAt < STILL_RUNNING_AFTER_MS) return;
    if (!this.plainDescriber()) return;
    const since = (iso: string | undefined) =>
      formatDuration(now.getTime() - Date.parse(iso ?? now.toISOString()));
    for (const st of this.state.steps.values()) {
      const text =
        st.status === "running" || st.status === "retrying"
          ? `… still running, ${since(st.firstStartedAt)} since it started${this.progress.has(st.id) ? `: ${this.progress.get(st.id)}` : ""}`
          : st.status === "awaiting-approval" && !st.declined
            ? `… still waiting for approval, ${since(st.gateRequested?.at)} since it was asked: runbook approve ${this.state.executionId} --step ${st.id}`
            : undefined;
      if (text === undefined) continue;
      this.io.stdout.write(
        `${now.toISOString().slice(11, 23)}  ${formatOffset(now.getTime() - this.declaredMs).padEnd(9)} ${st.id.padEnd(this.stepWidth)}  ${text}\n`,
      );
      this.lastPlainAt = now.getTime();
    }
  }

  private plainDescriber(): EventDescriber | undefined {
    if (!this.describer && this.state) {
      this.declaredMs = Date.parse(this.state.milestones.incident_declared ?? this.state.declaredAt);
      this.describer = new EventDescriber(new Map(this.state.plan.map((p) => [p.id, p])), this.declaredMs);
      this.stepWidth = Math.min(24, Math.max(0, ...this.state.plan.map((p) => p.id.length)));
    }
    return this.describer;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.reminder) clearInterval(this.reminder);
    this.timer = undefined;
    if (this.live) this.draw(true);
  }

  /**
   * Ask the operator on the terminal, below the frame; the live view holds still meanwhile.
   * Afterwards the next frame is drawn over the old one and the prompt: the gate's line in the
   * frame says who approved. So every row the prompt took counts in `drawn`: the blank line,
   * the gate's text (wrapped here to the width, one row per line), the `Approve?` line with
   * what the operator typed (readline wraps it at the width) and the row Enter moved to.
   *
   * Readline is closed in the very call that hands over the answer. Keys that came in the same
   * read as its Enter (a second Enter, keys typed ahead, a paste; under load a terminal's keys
   * pile up into one read) would otherwise still reach it before the answer is counted here:
   * it echoes them, and a second Enter writes another CR LF, rows nobody counts, so the next
   * frame would start below the top of the old one. Closed, it drops them.
   */
  prompt = async (
    q: { stepId: string; prompt: string; have: string[]; needed: number },
    signal: AbortSignal,
  ): Promise<PromptAnswer> => {
    this.prompting = true;
    const columns = this.columns();
    const have = q.have.length ? ` (approved so far by ${q.have.join(", ")}; ${q.needed} needed)` : "";
    const gate = wrapToWidth(`Gate ${q.stepId}: ${q.prompt}${have}`, columns ? columns - 1 : Infinity);
    this.io.stdout.write(`\n${gate.join("\n")}\n`);
    this.drawn += 1 + gate.length;
    const rl = createInterface({ input: this.io.stdin, output: this.io.stdout });
    // The rows from the `Approve?` line's first down to the one the cursor ends on.
    let rowsBelow = 0;
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        let over = false;
        const end = (rows: number, then: () => void) => {
          if (over) return;
          over = true;
          rowsBelow = rows;
          signal.removeEventListener("abort", cancelled);
          then();
        };
        // Approved from another shell: readline moves to the end of what was typed, writes CR LF
        // and clears the line (this listener runs first, so what was typed is still there to count).
        const cancelled = () => end(rowsOf(ASK + rl.line, columns), () => reject(signal.reason));
        if (signal.aborted) return reject(signal.reason);
        signal.addEventListener("abort", cancelled, { once: true });
        // Ctrl+C, or Ctrl+D on an empty line: readline closes and the cursor stays where it was.
        rl.once("close", () =>
          end(rowsOf(ASK + rl.line.slice(0, rl.cursor), columns) - 1, () =>
            reject(new Error("the prompt was closed without an answer")),
          ),
        );
        // Enter: readline moved to the end of the line and wrote CR LF.
        rl.question(ASK, { signal }, (line) =>
          end(rowsOf(ASK + line, columns), () => {
            rl.close();
            resolve(line);
          }),
        );
      });
      return /^y(es)?$/i.test(answer.trim()) ? "approve" : "decline";
    } finally {
      rl.close();
      this.drawn += rowsBelow;
      this.prompting = false;
      if (!this.stopped) this.draw();
    }
  };

  private columns(): number | undefined {
    return (this.io.stdout as { columns?: number }).columns || undefined;
  }

  private draw(final = false): void {
    if (!this.state || this.prompting) return;
    const lines = renderStatus(this.state, new Date(), {
      color: this.io.color,
      ...(final ? {} : { live: "running", progress: this.progress }),
    });
    // Back to the top of what was drawn (the previous frame, and a prompt below it, if any).
    let out = `\r${this.drawn > 0 ? `\x1b[${this.drawn}A` : ""}`;
    // A line longer than the terminal wraps onto a second row, and moving up by the number of
    // lines would then leave the top of the old frame behind: cut each line to the width.
    const columns = this.columns();
    for (const line of lines) out += `\x1b[2K${columns ? fitToWidth(line, columns - 1) : line}\n`;
    // Erase what a longer previous frame or an answered prompt left below.
    out += "\x1b[J";
    this.io.stdout.write(out);
    this.drawn = lines.length;
  }
}

const ASK = "Approve? [y/N] ";

/**
 * The rows a line takes when written at column 0 and ended with CR LF, on a terminal
 * `columns` wide: a full last row leaves the cursor there (readline then writes a space to
 * take the next row), so the cursor always ends below `floor(width / columns)` full rows.
 */
export function rowsOf(line: string, columns: number | undefined): number {
  return columns ? Math.floor(visibleLength(line) / columns) + 1 : 1;
}

/** `text` broken at its newlines and at spaces into lines of at most `width` characters (a longer word is cut). */
export function wrapToWidth(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      const next = line ? `${line} ${word}` : word;
      if (next.length <= width || !line) line = next;
      else {
        lines.push(line);
        line = word;
      }
      while (line.length > width) {
        lines.push(line.slice(0, width));
        line = line.slice(width);
      }
    }
    lines.push(line);
  }
  return lines;
}

/** `line` cut to `width` visible characters (colour codes kept, not counted), `…` marking a cut. */
export function fitToWidth(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let out = "";
  let visible = 0;
  for (let i = 0; i < line.length; i++) {
    const end = line[i] === "\x1b" ? line.indexOf("m", i) : -1;
    if (end > i) {
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible === width - 1) break;
    out += line[i];
    visible++;
  }
  return `${out}…${line.includes("\x1b[") ? "\x1b[0m" : ""}`;
}

function visibleLength(s: string): number {
  return s.replace(/\x1b\[[0-9;]*m/g, "").length;
}
