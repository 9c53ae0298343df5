import { describe, expect, it } from "vitest";
import "../../../src/sandbox/emulator/services/promise-with-resolvers.js";

describe("Promise.withResolvers (aws-local-stepfunctions needs it; Node 20 lacks it)", () => {
  it("exists after the polyfill's import and settles the promise it returns", async () => {
    const P = Promise as unknown as {
      withResolvers<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void };
    };
    expect(typeof P.withResolvers).toBe("function");
    const ok = P.withResolvers<number>();
    ok.resolve(42);
    await expect(ok.promise).resolves.toBe(42);
    const bad = P.withResolvers<number>();
    bad.reject(new Error("States.Timeout"));
    await expect(bad.promise).rejects.toThrow("States.Timeout");
  });
});
