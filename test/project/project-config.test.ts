import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { runbookHome } from "../../src/journal/paths.js";
import { chooseEnvironment, findProject } from "../../src/project/project-config.js";

let root: string;

beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), "runbook-project-")));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function config(dir: string, body: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "runbook.config.yaml"), `apiVersion: runbook/v1\nkind: Project\n${body}`);
}

describe("findProject", () => {
  it("without a config file, everything is relative to the working directory", () => {
    const p = findProject(root);
    expect(p).toEqual({
      root,
      runbooksDir: join(root, "runbooks"),
      environmentsDir: join(root, "environments"),
      home: join(root, ".runbook"),
    });
    expect(chooseEnvironment(undefined, { cwd: root, env: {} })).toBeUndefined();
  });

  it("finds the config in a parent folder and resolves its folders against it", () => {
    config(root, "defaultEnvironment: sandbox\nrunbooks: ops/runbooks\nhome: state\n");
    const sub = join(root, "ops", "deep");
    mkdirSync(sub, { recursive: true });
    const p = findProject(sub);
    expect(p.root).toBe(root);
    expect(p.runbooksDir).toBe(join(root, "ops", "runbooks"));
    expect(p.environmentsDir).toBe(join(root, "environments"));
    expect(p.home).toBe(join(root, "state"));
    expect(p.defaultEnvironment).toEqual({ name: "sandbox", line: 3 });
    expect(runbookHome({}, sub)).toBe(join(root, "state"));
    expect(runbookHome({ RUNBOOK_HOME: "elsewhere" }, sub)).toBe(join(sub, "elsewhere"));
  });

  it("an unknown field is an error at its line, with a suggestion", () => {
    config(root, "defaultEnviroment: sandbox\n");
    let err: unknown;
    try {
      findProject(join(root, "."));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toBe(
      `${join(root, "runbook.config.yaml")}:3:1: unknown field "defaultEnviroment" (did you mean "defaultEnvironment"?)`,
    );
  });

  it("a wrong kind names the expected one", () => {
    mkdirSync(root, { recursive: true });
    writeFileSync(join(root, "runbook.config.yaml"), "apiVersion: runbook/v1\nkind: Runbook\n");
    expect(() => findProject(join(root, "./"))).toThrow(/:2:7: kind: expected "Project"/);
  });
});

describe("chooseEnvironment", () => {
  it("--env wins over RUNBOOK_ENV, which wins over the project's default; each says where it came from", () => {
    config(root, "defaultEnvironment: staging\n");
    const sub = join(root, "x");
    mkdirSync(sub);
    expect(chooseEnvironment("prod", { cwd: sub, env: { RUNBOOK_ENV: "sandbox" } })).toEqual({
      name: "prod",
      source: "--env",
    });
    expect(chooseEnvironment(undefined, { cwd: sub, env: { RUNBOOK_ENV: "sandbox" } })).toEqual({
      name: "sandbox",
      source: "$RUNBOOK_ENV",
    });
    expect(chooseEnvironment(undefined, { cwd: sub, env: { RUNBOOK_ENV: "  " } })).toEqual({
      name: "staging",
      source: "../runbook.config.yaml:3 (defaultEnvironment)",
    });
  });

  it("a default given as a path is relative to the config file, not to where the command runs", () => {
    config(root, "defaultEnvironment: environments/sandbox.yaml\n");
    const sub = join(root, "a", "b");
    mkdirSync(sub, { recursive: true });
    expect(chooseEnvironment(undefined, { cwd: sub, env: {} })?.name).toBe(
      join(root, "environments", "sandbox.yaml"),
    );
  });
});
