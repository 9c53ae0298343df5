import { describe, expect, it } from "vitest";
import { compactLists, decodeQueryForm } from "../../../src/sandbox/emulator/protocols/query-form.js";
import { queryErrorXml, toXml } from "../../../src/sandbox/emulator/protocols/xml.js";
import { evaluate, parseExpression } from "../../../src/sandbox/emulator/services/metric-math.js";

describe("AWS Query form decoding", () => {
  it("turns member-named lists at any depth into arrays, keeps Action/Version apart", () => {
    const form = new URLSearchParams({
      Action: "DescribeDBClusters",
      Version: "2014-10-31",
      "Filters.Filter.1.Name": "db-cluster-id",
      "Filters.Filter.1.Values.Value.1": "a",
      "Filters.Filter.1.Values.Value.2": "b",
      "Filters.Filter.2.Name": "engine",
      "Tags.member.1.Key": "team",
      MaxRecords: "20",
      EmptyList: "",
    });
    const decoded = decodeQueryForm(form.toString());
    expect(decoded.action).toBe("DescribeDBClusters");
    expect(decoded.version).toBe("2014-10-31");
    expect(compactLists(decoded.params)).toEqual({
      Filters: [{ Name: "db-cluster-id", Values: ["a", "b"] }, { Name: "engine" }],
      Tags: [{ Key: "team" }],
      MaxRecords: "20",
      EmptyList: "",
    });
  });

  it("compacts sparse indexes (member.1 and member.3) into a dense list", () => {
    const decoded = decodeQueryForm("Statistics.member.1=Sum&Statistics.member.3=Maximum");
    expect(compactLists(decoded.params)).toEqual({ Statistics: ["Sum", "Maximum"] });
  });
});

describe("XML rendering", () => {
  it("wraps list items in the service's member names and escapes text", () => {
    const xml = toXml(
      "R",
      { DBClusters: [{ Id: "a<b" }], Readers: ["x"], At: new Date(0), Skip: undefined },
      { DBClusters: "DBCluster" },
    );
    expect(xml).toBe(
      "<R><DBClusters><DBCluster><Id>a&#60;b</Id></DBCluster></DBClusters><Readers><member>x</member></Readers>" +
        "<At>1970-01-01T00:00:00.000Z</At></R>",
    );
    expect(queryErrorXml("Sender", "Throttling", "Rate & more", "rid", "ns")).toContain(
      "<Message>Rate &#38; more</Message>",
    );
  });
});

describe("metric math", () => {
  const series = (entries: [number, number][]) => new Map(entries);
  const lookup = (id: string) => {
    if (id === "e")
      return series([
        [1, 5],
        [2, 0],
        [3, 9],
      ]);
    if (id === "r")
      return series([
        [1, 100],
        [2, 0],
      ]);
    throw new Error(`unknown ${id}`);
  };

  it("respects precedence, parentheses and unary minus", () => {
    expect(evaluate(parseExpression("1 + 2 * 3"), lookup)).toBe(7);
    expect(evaluate(parseExpression("(1 + 2) * 3"), lookup)).toBe(9);
    expect(evaluate(parseExpression("-2 * -3"), lookup)).toBe(6);
    expect(evaluate(parseExpression("10 / 4 - 0.5"), lookup)).toBe(2);
  });

  it("combines series on shared timestamps and drops divisions by zero", () => {
    expect(evaluate(parseExpression("100 * e / r"), lookup)).toEqual(series([[1, 5]]));
    expect(evaluate(parseExpression("e + 1"), lookup)).toEqual(
      series([
        [1, 6],
        [2, 1],
        [3, 10],
      ]),
    );
  });

  it("rejects functions and malformed expressions with a message", () => {
    expect(() => parseExpression("SUM(METRICS())")).toThrow(/SUM\(\) is not supported/);
    expect(() => parseExpression("e +")).toThrow(/Unexpected end/);
    expect(() => parseExpression("(e")).toThrow(/Missing \)/);
    expect(() => parseExpression("e $ r")).toThrow(/Unexpected character/);
  });
});
