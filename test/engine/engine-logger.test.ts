import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEngineLogger } from "../../src/engine/engine-logger.js";
import { Redactor } from "../../src/engine/redact.js";

describe("createEngineLogger", () => {
  it("writes an error's name, metadata and stack, with registered secrets masked everywhere", () => {
    const path = join(mkdtempSync(join(tmpdir(), "runbook-log-")), "engine.log");
    const redactor = new Redactor();
    redactor.addSecret("s3cr3t-value");
    const logger = createEngineLogger(path, "x-1", redactor);
    const err = Object.assign(new Error("denied for s3cr3t-value"), {
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 403, requestId: "req-42" },
    });
    logger
      .child({ step: "promote" })
      .error({ err, url: "postgres://app:pw-1234@db:5432/x" }, "s3cr3t-value step failed");
    const line = JSON.parse(readFileSync(path, "utf8").trim());
    expect(line).toMatchObject({
      executionId: "x-1",
      step: "promote",
      msg: "*** step failed",
      url: "postgres://app:***@db:5432/x",
      err: { name: "AccessDeniedException", message: "denied for ***", $metadata: { requestId: "req-42" } },
    });
    expect(line.err.stack).toContain("AccessDeniedException: denied for ***");
    expect(readFileSync(path, "utf8")).not.toMatch(/s3cr3t-value|pw-1234/);
  });
});
