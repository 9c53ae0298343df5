import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { installedServices, SdkModuleMissingError, sdkModuleSync } from "../../src/aws/sdk-modules.js";
import { shapeInput } from "../../src/aws/sdk-operation.js";
import { checkValue, operationShapes } from "../../src/aws/sdk-shapes.js";

const ecs = sdkModuleSync("ecs");
const shapes = (m: typeof ecs, op: string) => operationShapes(m, op)!;

describe("operation shapes from the SDK's own schemas", () => {
  it("knows the operations of a client and the members and types of their inputs", () => {
    expect(ecs.operations).toContain("UpdateService");
    expect(ecs.packageName).toBe("@aws-sdk/client-ecs");
    const input = shapes(ecs, "UpdateService").input;
    expect(checkValue({ service: "case-api", cluster: "case", desiredCount: 3 }, input)).toEqual([]);
    expect(
      checkValue({ service: "x", desiredCont: 3, desiredCount: "3", forceNewDeployment: "yes" }, input),
    ).toEqual([
      {
        path: ["desiredCont"],
        key: true,
        message: 'unknown member "desiredCont" of UpdateServiceRequest (did you mean "desiredCount"?)',
      },
      { path: ["desiredCount"], message: 'expected a number, got the string "3"' },
      { path: ["forceNewDeployment"], message: 'expected a boolean, got the string "yes"' },
    ]);
    expect(checkValue({ cluster: "case" }, input)).toEqual([
      { path: [], message: 'missing required member "service" of UpdateServiceRequest' },
    ]);
  });

  it("walks nested lists and structures, and lets expressions through unchecked", () => {
    const input = shapes(ecs, "UpdateService").input;
    expect(
      checkValue(
        { service: "x", loadBalancers: [{ containerPort: "80" }, "nope"], desiredCount: "${{ inputs.n }}" },
        input,
      ),
    ).toEqual([
      { path: ["loadBalancers", 0, "containerPort"], message: 'expected a number, got the string "80"' },
      { path: ["loadBalancers", 1], message: 'expected an object, got the string "nope"' },
    ]);
  });

  it("a rendered input is shaped to the SDK's types, and what cannot be is a fatal error", () => {
    const s = shapes(ecs, "UpdateService");
    expect(
      shapeInput({ service: "x", desiredCount: "6", forceNewDeployment: "true" }, s, "ecs UpdateService"),
    ).toEqual({
      service: "x",
      desiredCount: 6,
      forceNewDeployment: true,
    });
    expect(() => shapeInput({ service: "x", desiredCount: "six" }, s, "ecs UpdateService")).toThrow(
      'ecs UpdateService: desiredCount: expected a number, got the string "six"',
    );
    const rds = sdkModuleSync("rds");
    const shaped = shapeInput(
      { StartTime: "2026-12-01T00:00:00Z" },
      shapes(rds, "DescribeEvents"),
      "rds DescribeEvents",
    );
    expect(shaped.StartTime).toEqual(new Date("2026-12-01T00:00:00Z"));
  });
});

describe("finding client packages", () => {
  it("a client installed beside the runbooks is found; one installed nowhere names the package to install", () => {
    const dir = mkdtempSync(join(tmpdir(), "runbook-sdk-"));
    try {
      mkdirSync(join(dir, "node_modules", "@aws-sdk"), { recursive: true });
      const real = join(new URL("../..", import.meta.url).pathname, "node_modules", "@aws-sdk", "client-sts");
      symlinkSync(real, join(dir, "node_modules", "@aws-sdk", "client-teststs"));
      expect(() => sdkModuleSync("teststs")).toThrow(SdkModuleMissingError);
      const found = sdkModuleSync("teststs", dir);
      expect(found.operations).toContain("GetCallerIdentity");
      expect(found.service).toBe("teststs");
      expect(installedServices(dir)).toContain("teststs");
      expect(() => sdkModuleSync("ecz", dir)).toThrow(
        'no AWS SDK client for service "ecz" (did you mean "ecs"?): a service is named after its client package, @aws-sdk/client-<service>; to use @aws-sdk/client-ecz, install it where your runbooks live: npm install @aws-sdk/client-ecz',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
