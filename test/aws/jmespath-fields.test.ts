import { describe, expect, it } from "vitest";
import { checkExpression, isTruthy, searchResponse } from "../../src/aws/jmespath-fields.js";
import { sdkModuleSync } from "../../src/aws/sdk-modules.js";
import { operationShapes } from "../../src/aws/sdk-shapes.js";

const output = (service: string, op: string) => operationShapes(sdkModuleSync(service), op)!.output;

describe("JMESPath over SDK responses", () => {
  it("evaluates with the jmespath library, dates as ISO strings, with JMESPath's truthiness", () => {
    const response = { services: [{ runningCount: 3, desiredCount: 3, createdAt: new Date(0) }] };
    expect(searchResponse(response, "services[0].runningCount >= services[0].desiredCount")).toBe(true);
    expect(searchResponse(response, "services[0].createdAt")).toBe("1970-01-01T00:00:00.000Z");
    expect([false, null, "", [], {}, 0, "x", [0]].map(isTruthy)).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
      true,
      true,
    ]);
  });

  it("finds fields the output shape does not have, through projections, filters, pipes and functions", () => {
    const ecs = output("ecs", "DescribeServices");
    expect(checkExpression("services[0].runningCount >= services[0].desiredCount", ecs)).toEqual([]);
    expect(checkExpression("services[*].deployments[].rolloutState", ecs)).toEqual([]);
    expect(checkExpression("length(services[?status == 'ACTIVE'].events[:3].message)", ecs)).toEqual([]);
    expect(checkExpression("Services[0].runningCount", ecs)).toEqual([
      '"Services" is not a field of DescribeServicesResponse (did you mean "services"?)',
    ]);
    expect(checkExpression("services[?statuss == 'ACTIVE'] | [0].deployments[0].rolloutStat", ecs)).toEqual([
      '"statuss" is not a field of Service (did you mean "status"?)',
      '"rolloutStat" is not a field of Deployment (did you mean "rolloutState"?)',
    ]);
    expect(checkExpression("services[0].desiredCount.value", ecs)).toEqual([
      '"value": desiredCount is a number, which has no fields',
    ]);
    expect(checkExpression("services[0", ecs)[0]).toMatch(/^not a JMESPath expression: /);
  });

  it("does not guess inside maps and documents", () => {
    const ddb = output("dynamodb", "GetItem");
    expect(checkExpression("Item.anything.S", ddb)).toEqual([]);
  });
});
