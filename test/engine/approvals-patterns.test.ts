import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import {
  identitiesRequired,
  identityModeFor,
  mayApprove,
  principalMatches,
} from "../../src/engine/approvers.js";
import { ValidationError } from "../../src/errors.js";
import { validateRunbook } from "../../src/language/validate.js";

describe("approvers: IAM principal ARNs with * patterns", () => {
  it("matches users exactly and with wildcards, segment by segment", () => {
    const user = "arn:aws:iam::111111111111:user/approver";
    expect(principalMatches(user, user)).toBe(true);
    expect(
      principalMatches("arn:aws:iam::111111111111:user/approver", "arn:aws:iam::111111111111:user/approver2"),
    ).toBe(false);
    expect(principalMatches("arn:aws:iam::*:user/appro?er", user)).toBe(true);
    expect(principalMatches("arn:aws:iam::222222222222:user/*", user)).toBe(false);
    // A `*` in the account segment does not reach into the resource.
    expect(principalMatches("arn:aws:iam::*", user)).toBe(false);
    expect(
      principalMatches("arn:aws:iam::111111111111:user/team/*", "arn:aws:iam::111111111111:user/team/ann"),
    ).toBe(true);
  });

  it("an assumed-role session matches its role's ARN, with or without a path", () => {
    const session = "arn:aws:sts::111111111111:assumed-role/oncall-sre/alice@example.com";
    expect(principalMatches("arn:aws:iam::111111111111:role/oncall-sre", session)).toBe(true);
    expect(principalMatches("arn:aws:iam::*:role/oncall-*", session)).toBe(true);
    expect(principalMatches("arn:aws:iam::111111111111:role/teams/sre/oncall-sre", session)).toBe(true);
    expect(principalMatches("arn:aws:sts::111111111111:assumed-role/oncall-sre/*", session)).toBe(true);
    expect(principalMatches("arn:aws:iam::111111111111:role/oncall-dba", session)).toBe(false);
    expect(principalMatches("arn:aws:iam::222222222222:role/oncall-sre", session)).toBe(false);
    expect(principalMatches("arn:aws:iam::111111111111:user/oncall-sre", session)).toBe(false);
    // A session ARN carries no path: a wildcard name under a path cannot be checked from it.
    expect(principalMatches("arn:aws:iam::111111111111:role/teams/oncall-*", session)).toBe(false);
    // The role itself (not a session) matches as an ARN like any other.
    expect(
      principalMatches("arn:aws:iam::111111111111:role/teams/*", "arn:aws:iam::111111111111:role/teams/x"),
    ).toBe(true);
  });

  it("patterns only match proven identities; names only match names, exactly", () => {
    const approvers = ["alice", "arn:aws:iam::*:role/oncall-*"];
    expect(mayApprove(approvers, "arn:aws:sts::111111111111:assumed-role/oncall-a/s", true)).toBe(true);
    expect(mayApprove(approvers, "alice", true)).toBe(false);
    expect(mayApprove(approvers, "arn:aws:iam::*:role/oncall-*", false)).toBe(true);
    expect(mayApprove(["alice"], "alice", false)).toBe(true);
    expect(mayApprove(undefined, "anyone", false)).toBe(true);
    expect(mayApprove(undefined, "arn:aws:iam::1:user/x", true)).toBe(true);
  });

  it("identities are the default outside the sandbox; a runbook may opt into names; an ARN always needs them", () => {
    expect(identityModeFor({ environment: "prod" })).toBe("aws");
    expect(identityModeFor({ environment: "nonprod" })).toBe("aws");
    expect(identityModeFor({ environment: "sandbox" })).toBe("names");
    // The environment file's kind decides where there is one: a prod runbook on the sandbox.
    expect(identityModeFor({ environment: "prod" }, "sandbox")).toBe("names");
    // A runbook marked sandbox (a toy) allows names wherever it runs, as its author could opt in.
    expect(identityModeFor({ environment: "sandbox" }, "nonprod")).toBe("names");
    expect(identityModeFor({ environment: "nonprod" }, "nonprod")).toBe("aws");
    expect(identityModeFor({ environment: "prod", approvals: { identities: "names" } }, "prod")).toBe(
      "names",
    );
    expect(identityModeFor({ environment: "sandbox", approvals: { identities: "aws" } })).toBe("aws");
    expect(identitiesRequired("names", ["alice", "bob"])).toBe(false);
    expect(identitiesRequired("names", ["alice", "arn:aws:iam::1:user/bob"])).toBe(true);
    expect(identitiesRequired("names", undefined)).toBe(false);
    expect(identitiesRequired("aws", ["alice"])).toBe(true);
  });
});

describe("approvals: { identities } in a runbook", () => {
  const doc = (approvals: string) => `apiVersion: runbook/v1
kind: Runbook
metadata: { name: x, environment: prod }
${approvals}
steps:
  - { id: go, type: approval, with: { prompt: Go? } }
`;

  it("opting into names reaches the validated runbook and the execution's mode", () => {
    const rb = validateRunbook(doc("approvals: { identities: names }"), "runbooks/x.yaml", executors);
    expect(rb.approvals).toEqual({ identities: "names" });
    expect(identityModeFor(rb, "prod")).toBe("names");
    const plain = validateRunbook(doc(""), "runbooks/x.yaml", executors);
    expect(plain.approvals).toBeUndefined();
    expect(identityModeFor(plain, "prod")).toBe("aws");
  });

  it("anything else is refused at its line and column", () => {
    const err = (() => {
      try {
        validateRunbook(doc("approvals: { identities: typed }"), "runbooks/x.yaml", executors);
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error("accepted");
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.diagnostics[0]).toMatchObject({ file: "runbooks/x.yaml", line: 4 });
    expect(err.diagnostics[0]!.message).toMatch(/aws|names/);
  });
});
