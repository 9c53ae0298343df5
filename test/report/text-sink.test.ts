import { describe, expect, it } from "vitest";
import { collectText, TextSink } from "../../src/report/text-sink.js";

describe("TextSink", () => {
  it("hands text on in chunks of about 64 KiB, each ending at a line break", () => {
    const chunks: string[] = [];
    const sink = new TextSink((c) => chunks.push(c));
    for (let i = 0; i < 5_000; i++) sink.line(`| row ${i} | ${"x".repeat(50)} |`);
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    for (const c of chunks) {
      expect(c.length).toBeGreaterThanOrEqual(64 * 1024);
      expect(c.length).toBeLessThan(64 * 1024 + 100);
      expect(c.endsWith("\n")).toBe(true);
    }
    const before = chunks.length;
    sink.flush();
    sink.flush();
    expect(chunks.length).toBe(before + 1);
    const all = chunks.join("").split("\n");
    expect(all).toHaveLength(5_001);
    expect(all[4_999]).toBe(`| row 4999 | ${"x".repeat(50)} |`);
  });

  it("collectText gives the lines as one string", () => {
    expect(collectText((s) => s.lines(["a", "", "b"]))).toBe("a\n\nb\n");
    expect(collectText(() => {})).toBe("");
  });
});
