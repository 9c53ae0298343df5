import type { Diagnostic } from "../errors.js";
import type { Runbook } from "../language/runbook.js";
import type { Path, SourceMap } from "../language/source-map.js";
import { type AslState, type Next, transition } from "./asl.js";
import { type ManifestState, StateTable } from "./manifest.js";
import type { FoldScope } from "./when-choice.js";

/**
 * What every part of the export shares while it builds one machine: the runbook, the state
 * names handed out so far, the function ARNs, what export time knows (vars), and the problems
 * found, each placed at file:line:col of the runbook.
 */

/** States built for one part of the machine, entered at `start` (which may be a state built before). */
export interface Fragment {
  start: Next;
  states: Record<string, AslState>;
}

export class ExportContext {
  readonly table = new StateTable();
  readonly problems: Diagnostic[] = [];
  private readonly paths = new Map<string, Path>();

  constructor(
    readonly runbook: Runbook,
    /** The two functions, and the Lambda integration's Resource in this partition. */
    readonly arns: { steps: string; approvals: string; invoke: string },
    readonly fold: FoldScope,
    private readonly sourceMap?: SourceMap,
  ) {
    for (const [i, s] of runbook.steps.entries()) {
      this.paths.set(s.id, ["steps", i]);
      if (s.kind === "parallel")
        for (const [j, c] of s.children.entries()) this.paths.set(c.id, ["steps", i, "parallel", j]);
    }
    for (const [i, s] of runbook.onAbort.entries()) this.paths.set(s.id, ["onAbort", i]);
    for (const [i, a] of runbook.abort.entries()) this.paths.set(a.id, ["abort", i]);
  }

  /** Where a step (or abort criterion) is written, and a field of it. */
  pathOf(id: string, ...field: (string | number)[]): Path {
    return [...(this.paths.get(id) ?? []), ...field];
  }

  problem(path: Path, message: string): void {
    this.problems.push(
      this.sourceMap
        ? this.sourceMap.diagnostic(path, message)
        : { file: this.runbook.file, line: 1, col: 1, message: `${path.join(".")}: ${message}` },
    );
  }

  /** A new state's name; a name the runbook made impossible (too long, taken) is a problem at `path`. */
  claim(name: string, entry: ManifestState, path?: Path): string {
    return this.table.claim(name, entry, path ? (m) => this.problem(path, m) : undefined);
  }
}

export function fragment(start: Next, ...parts: Record<string, AslState>[]): Fragment {
  return { start, states: Object.assign({}, ...parts) };
}

/** A Pass state that only marks a moment (a milestone reached, a step skipped): its output is its input. */
export function marker(next: Next, comment?: string): AslState {
  return { Type: "Pass", ...(comment ? { Comment: comment } : {}), ...transition(next) };
}
