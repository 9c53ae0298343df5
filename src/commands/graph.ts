import { loadRunbook } from "../language/load.js";
import type { ExecutorStepIR } from "../language/runbook.js";
import { type CommandIO, writeLine } from "./io.js";

/** Mermaid flowchart: steps in order, parallel blocks as fork/join, gates and the point of no return marked. */
export async function graphCommand(arg: string, io: CommandIO): Promise<number> {
  const rb = loadRunbook(arg, io.cwd);
  const lines = ["flowchart TD", '  start(["start"])'];
  const node = (s: ExecutorStepIR) => {
    const label = `${s.approval ? "🔒 " : ""}${s.id}<br/><small>${s.type}</small>`;
    return s.pointOfNoReturn
      ? `  ${key(s.id)}{{"${label}<br/>point of no return"}}`
      : `  ${key(s.id)}["${label}"]`;
  };
  let prev = ["start"];
  for (const s of rb.steps) {
    if (s.kind === "parallel") {
      lines.push(`  ${key(s.id)}_fork(("${s.id}"))`, `  ${key(s.id)}_join(( ))`);
      for (const p of prev) lines.push(`  ${key(p)} --> ${key(s.id)}_fork`);
      for (const c of s.children)
        lines.push(node(c), `  ${key(s.id)}_fork --> ${key(c.id)}`, `  ${key(c.id)} --> ${key(s.id)}_join`);
      prev = [`${s.id}_join`];
    } else {
      lines.push(node(s));
      for (const p of prev) lines.push(`  ${key(p)} --> ${key(s.id)}`);
      prev = [s.id];
    }
  }
  lines.push('  done(["completed"])');
  for (const p of prev) lines.push(`  ${key(p)} --> done`);
  if (rb.onAbort.length || rb.abort.length) {
    lines.push('  abort{{"abort criterion fired / gate declined"}}');
    let from = "abort";
    for (const s of rb.onAbort) {
      lines.push(node(s), `  ${key(from)} -.-> ${key(s.id)}`);
      from = s.id;
    }
    lines.push('  aborted(["aborted"])', `  ${key(from)} -.-> aborted`);
  }
  writeLine(io.stdout, lines.join("\n"));
  return 0;
}

const key = (id: string) => id.replace(/-/g, "_");
