import { describe, expect, it } from "vitest";
import { ExportError, formatDiagnostic } from "../../src/errors.js";
import { exported, runbookFrom } from "./export-fixtures.js";

/** What a valid runbook may do locally but not on Step Functions: refused at file:line:col, nothing exported. */

const head = (name: string, extra = "") => `apiVersion: runbook/v1
kind: Runbook
metadata: { name: ${name}, environment: sandbox }
${extra}steps:
`;

function refusal(yaml: string): string[] {
  const source = runbookFrom(yaml);
  try {
    exported(source);
  } catch (err) {
    if (!(err instanceof ExportError)) throw err;
    return err.diagnostics.map((d) => formatDiagnostic(d).replace(source.runbook.file, "<file>"));
  }
  throw new Error("expected the export to be refused");
}

describe("export refuses", () => {
  it("exec steps, at their type, saying where they could run", () => {
    const lines = refusal(`${head("with-exec")}  - { id: hello, type: note, with: { message: hi } }
  - id: promote
    type: exec
    with: { command: [./promote.sh] }
`);
    expect(lines).toEqual([
      "<file>:7:11: step promote: exec steps need to say where they run on Step Functions (an Activity polled by `runbook worker`, SSM Run Command or ECS RunTask); not supported yet",
    ]);
  });

  it("a when a Choice state cannot decide, at the when, and every such problem at once", () => {
    const lines = refusal(`${head("untranslatable", "inputs: { n: { default: '3' } }\n")}  - id: first
    type: note
    with: { message: hi }
    when: "\${{ env.FORCE == 'yes' }}"
  - id: second
    type: note
    with: { message: hi }
    when: "\${{ inputs.n > 2 }}"
  - id: third
    type: note
    with: { message: "\${{ steps.first.outputs.message }}" }
    when: "\${{ steps.first.outputs.a == steps.second.outputs.b }}"
`);
    expect(lines).toEqual([
      "<file>:9:11: when of step first cannot be exported to Step Functions: env.FORCE is the operator's shell on a laptop, not the Step Functions run's: give it as an input or a var",
      "<file>:13:11: when of step second cannot be exported to Step Functions: inputs.n is text: a Choice state cannot compare it with the number 2 by > (use ==, or compare in a step)",
      "<file>:17:11: when of step third cannot be exported to Step Functions: compares two values known only at run time: a Choice state compares a value with a constant",
    ]);
  });

  it("secret inputs, which the execution's history would show", () => {
    const lines =
      refusal(`${head("secret-input", "inputs:\n  token: { required: true, secret: true }\n")}  - { id: hello, type: note, with: { message: hi } }
`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^<file>:5:36: input token is secret, but a Step Functions execution keeps its input/,
    );
  });

  it("a timeout Lambda cannot run, and env.* in a step's params", () => {
    const lines = refusal(`${head("too-long")}  - id: slow
    type: http.check
    with: { url: "http://example.com/\${{ env.PATH_PART }}" }
    timeout: 20m
`);
    expect(lines).toEqual([
      "<file>:7:18: env.PATH_PART: on Step Functions the steps function has no operator's shell to read it from; pass it as an input or a var",
      "<file>:8:14: step slow has a timeout of 1200 s, but its Task runs in Lambda, which stops a function after 900 s: use a timeout of 15m or less (and retry: for longer waits)",
    ]);
  });

  it("reading an approval step's outputs, and an onAbort step reading a guarded step's", () => {
    const lines = refusal(`${head(
      "reads-lost-outputs",
      `abort:
  - id: alarm
    probe: { type: note, with: { message: probe } }
`,
    )}  - { id: ask, type: approval, with: { prompt: go? } }
  - { id: act, type: note, with: { message: "\${{ steps.ask.outputs.approvedBy }}" } }
onAbort:
  - { id: undo, type: note, with: { message: "\${{ steps.act.outputs.message }}" } }
`);
    expect(lines).toEqual([
      "<file>:9:45: steps.ask.outputs.approvedBy: on Step Functions the approval step ask is its gates only and has no outputs (the history records who approved)",
      "<file>:11:46: steps.act.outputs.message: act runs inside an abort guard, and after an abort its outputs are not in the Step Functions state this onAbort step reads",
    ]);
  });

  it("a step id the machine's own states use", () => {
    const lines = refusal(`${head("named-start")}  - { id: start, type: note, with: { message: hi } }
`);
    expect(lines).toEqual([
      '<file>:5:11: "start" is already a state of the exported machine: rename this step',
    ]);
  });

  it("a machine whose history could pass 20,000 events, naming the loop, at the criterion's every", () => {
    const lines = refusal(`${head(
      "long-watch",
      `abort:
  - id: alarm
    probe: { type: note, with: { message: probe } }
    every: 1s
`,
    )}  - id: poll
    type: http.check
    with: { url: "http://example.com/health" }
    timeout: 10m
    retry: { attempts: 5 }
`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^<file>:7:12: an execution of this machine may write up to (\d+) history events; Step Functions ends an execution at 25000 and the export allows 20000\. The costliest loop is the watcher of abort criterion alarm \(guard\.1\.watch\.alarm\), \d+ events: it probes for as long as poll may take, 3015 s with every attempt timing out\./,
    );
  });
});
