import { describe, expect, it } from "vitest";
import { needsRefresh } from "../../src/aws/assumed-role-credentials.js";

/** The renewal window of an assumed role's session (test/aws/account-sessions.test.ts renews for real). */

describe("when credentials are renewed", () => {
  const exp = new Date("2026-11-27T08:00:00Z");
  it("5 minutes before expiry for a session of an hour, like the SDK", () => {
    const obtained = exp.getTime() - 3_600_000;
    expect(needsRefresh(exp, obtained, exp.getTime() - 301_000)).toBe(false);
    expect(needsRefresh(exp, obtained, exp.getTime() - 299_000)).toBe(true);
  });
  it("at half its life for a session shorter than 10 minutes, not at every call", () => {
    const obtained = exp.getTime() - 4_000;
    expect(needsRefresh(exp, obtained, obtained + 1_900)).toBe(false);
    expect(needsRefresh(exp, obtained, obtained + 2_100)).toBe(true);
  });
});
