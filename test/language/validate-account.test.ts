import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import { ValidationError } from "../../src/errors.js";
import type { ExecutorStepIR } from "../../src/language/runbook.js";
import { validateRunbook } from "../../src/language/validate.js";

/** `account:` on steps, onAbort steps and abort probes: its shape at validate time (aliases need an environment). */

const HEAD = `apiVersion: runbook/v1
kind: Runbook
metadata: { name: accounts, environment: sandbox }
`;
const WITH = `{ service: sts, command: GetCallerIdentity, region: us-west-2, expect: "Account == '1'" }`;

function problems(text: string): string[] {
  try {
    validateRunbook(HEAD + text, "accounts.yaml", executors);
  } catch (err) {
    if (err instanceof ValidationError) return err.diagnostics.map((d) => `${d.line}:${d.col}: ${d.message}`);
    throw err;
  }
  return [];
}

describe("a step's account", () => {
  it("an id, an alias or a vars expression is kept in the IR as written, on steps, onAbort and probes", () => {
    const rb = validateRunbook(
      `${HEAD}abort:
  - id: arc-up
    probe: { type: aws.assert, account: recovery, with: { service: sts, command: GetCallerIdentity, region: us-west-2, expect: "Account == '1'" } }
steps:
  - { id: a, type: aws.assert, account: "222222222222", with: ${WITH} }
  - { id: b, type: aws.assert, account: recovery, with: ${WITH} }
  - { id: c, type: aws.assert, account: "\${{ vars.arcAccount }}", with: ${WITH} }
onAbort:
  - { id: undo, type: aws.assert, account: recovery, with: ${WITH} }
`,
      "accounts.yaml",
      executors,
    );
    expect(rb.steps.map((s) => (s as ExecutorStepIR).account)).toEqual([
      "222222222222",
      "recovery",
      "${{ vars.arcAccount }}",
    ]);
    expect(rb.onAbort[0]?.account).toBe("recovery");
    expect(rb.abort[0]?.probe.account).toBe("recovery");
  });

  it("refuses what is no account", () => {
    expect(
      problems(`steps:
  - { id: a, type: aws.assert, account: "2222-2222", with: ${WITH} }
`),
    ).toEqual([
      "5:41: steps[0].account: an account is a 12-digit id, an alias from the environment's aws.accounts, or ${{ vars.NAME }}",
    ]);
  });

  it("refuses an account on a step that does not call AWS, and one known only once running", () => {
    expect(
      problems(`inputs:
  acct: { default: "222222222222" }
steps:
  - { id: b, type: note, account: recovery, with: { message: hi } }
  - { id: c, type: aws.assert, account: "\${{ inputs.acct }}", with: ${WITH} }
  - { id: d, type: aws.assert, account: "\${{ steps.c.outputs.x }}", with: ${WITH} }
`),
    ).toEqual([
      "7:35: account: note does not call AWS",
      '8:41: account: only vars.NAME and env.NAME can be used here, not "inputs.acct": the account is checked before anything runs',
      '9:41: account: only vars.NAME and env.NAME can be used here, not "steps.c.outputs.x": the account is checked before anything runs',
    ]);
  });
});
