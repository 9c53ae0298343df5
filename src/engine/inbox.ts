import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { IdentityProof } from "../aws/identity-proof.js";

/**
 * An execution's inbox: `runbook approve` in any shell drops one file per decision; the
 * engine that runs the execution reads them. Files appear whole (rename), so the engine never
 * reads half of one; once read they move to `processed/`, without their proof.
 */

export interface InboxMessage {
  stepId?: string;
  /** Who the sender says it is: a name, or the ARN its own STS call returned. A claim, never trusted. */
  by: string;
  decision: "approve" | "decline";
  reason?: string;
  at: string;
  /** Signature parts of a presigned GetCallerIdentity bound to this decision; never credentials. */
  proof?: IdentityProof;
}

let dropped = 0;

/** Used by `runbook approve`. Only its owner may read it: a proof is a bearer token while it lasts. */
export function dropInInbox(inbox: string, message: InboxMessage): string {
  mkdirSync(inbox, { recursive: true, mode: 0o700 });
  // Read in name order: the time, then the order of this process's own drops within it.
  const name = `${Date.now()}-${String(dropped++).padStart(6, "0")}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.json`;
  const tmp = join(inbox, `.${name}.tmp`);
  writeFileSync(tmp, JSON.stringify(message), { mode: 0o600 });
  renameSync(tmp, join(inbox, name));
  return name;
}

/**
 * The messages for `stepId` (or for no step in particular), oldest first, each taken out of
 * the inbox as it is read. Unreadable files are left for a later look (a writer may be slow).
 */
export function* readInbox(inbox: string, stepId: string): Generator<InboxMessage> {
  let names: string[];
  try {
    names = readdirSync(inbox)
      .filter((n) => n.endsWith(".json"))
      .sort();
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(inbox, name);
    let msg: InboxMessage;
    try {
      msg = JSON.parse(readFileSync(path, "utf8")) as InboxMessage;
    } catch {
      continue;
    }
    if (!msg || typeof msg !== "object") continue;
    if (msg.stepId && msg.stepId !== stepId) continue;
    const done = join(inbox, "processed");
    mkdirSync(done, { recursive: true, mode: 0o700 });
    // Kept for the record, but not the proof: once used it is of no further good to anyone.
    const { proof, ...kept } = msg;
    if (proof === undefined) renameSync(path, join(done, name));
    else {
      writeFileSync(join(done, name), JSON.stringify(kept), { mode: 0o600 });
      rmSync(path, { force: true });
    }
    yield msg;
  }
}
