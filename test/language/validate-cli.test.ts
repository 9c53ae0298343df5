import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeWorkdir, runCli } from "../cli/harness.js";

/** `runbook validate` as an operator runs it: the built CLI, from some other directory. */

describe("runbook validate <path>", () => {
  const work = makeWorkdir();
  const elsewhere = mkdtempSync(join(tmpdir(), "runbook-elsewhere-"));
  const toy = join(work, "runbooks", "failover-toy.yaml");

  it("an absolute path outside the working directory is read and shown absolute", async () => {
    const r = await runCli(["validate", toy], elsewhere);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^ok ${toy.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(failover-toy: `),
    );
  });

  it("a relative path is resolved against the working directory and shown relative to it", async () => {
    const r = await runCli(["validate", "./runbooks/../runbooks/failover-toy.yaml"], work);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok runbooks\/failover-toy\.yaml \(failover-toy: /);
  });

  it("a relative path that leaves the working directory is shown absolute", async () => {
    mkdirSync(join(work, "sub"), { recursive: true });
    const r = await runCli(["validate", "../runbooks/failover-toy.yaml"], join(work, "sub"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`ok ${toy} `);
  });

  it("a missing file says why, exit 2", async () => {
    const r = await runCli(["validate", join(elsewhere, "nope.yaml")], work);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(elsewhere, "nope.yaml")}: cannot read file (no such file)`);
  });

  it("an alias bomb exits 2 at the alias, with no internal error and no stack", async () => {
    let bomb = "apiVersion: runbook/v1\nkind: Runbook\nmetadata: { name: bomb, environment: sandbox }\n";
    bomb += "steps:\n  - { id: a, type: note, with: { message: hi } }\nx:\n";
    for (let i = 0; i < 9; i++) {
      bomb += `  l${i}: &a${i} [${Array(9)
        .fill(i === 0 ? "x" : `*a${i - 1}`)
        .join(", ")}]\n`;
    }
    writeFileSync(join(elsewhere, "bomb.yaml"), bomb);
    const r = await runCli(["validate", "bomb.yaml"], elsewhere);
    expect(r.code).toBe(2);
    // Line 11 is `l4: [*a3, …]`: the first alias that takes the repeated values past the cap.
    expect(r.stderr).toMatch(/^bomb\.yaml:11:12: alias \*a3 makes aliases repeat more than 10000 values/);
    expect(r.stderr).not.toContain("internal error");
    expect(r.stderr).not.toMatch(/\n {4}at /);
  });
});
