import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { z } from "zod";
import { ValidationError } from "../errors.js";
import { issuesToDiagnostics } from "../language/issues.js";
import { keysAt } from "../language/schema-keys.js";
import { SourceMap } from "../language/source-map.js";

/**
 * `runbook.config.yaml`, beside `runbooks/`: what a repository of runbooks says about itself,
 * so the line an incident commander types (`runbook run failover-case-api --approve`) works
 * as typed from anywhere in the checkout. Found in the working directory or the nearest
 * parent that has one, as git finds `.git`. Without one, everything is relative to the
 * working directory, as before.
 */

export const CONFIG_FILE = "runbook.config.yaml";

const Folder = z.string().min(1);

export const ProjectConfigDocument = z.strictObject({
  $schema: z.string().optional(),
  apiVersion: z.literal("runbook/v1"),
  kind: z.literal("Project"),
  /** The environment used when neither `--env` nor `$RUNBOOK_ENV` names one. */
  defaultEnvironment: z.string().min(1).optional(),
  /** Folders, relative to this file. */
  runbooks: Folder.optional(),
  environments: Folder.optional(),
  /** Where executions, locks and the sandbox live (`$RUNBOOK_HOME` wins). */
  home: Folder.optional(),
});

export interface Project {
  /** The folder holding the config file, else the working directory. */
  root: string;
  configFile?: string;
  runbooksDir: string;
  environmentsDir: string;
  home: string;
  defaultEnvironment?: { name: string; line: number };
}

const cache = new Map<string, Project>();

export function findProject(cwd: string): Project {
  const key = resolve(cwd);
  let project = cache.get(key);
  if (!project) {
    project = loadProject(key);
    cache.set(key, project);
  }
  return project;
}

function loadProject(cwd: string): Project {
  const file = findUp(cwd);
  if (!file) {
    return {
      root: cwd,
      runbooksDir: join(cwd, "runbooks"),
      environmentsDir: join(cwd, "environments"),
      home: join(cwd, ".runbook"),
    };
  }
  const text = readFileSync(file, "utf8");
  const map = new SourceMap(file, text);
  const syntax = map.syntaxErrors();
  if (syntax.length) throw new ValidationError(syntax);
  const parsed = ProjectConfigDocument.safeParse(map.doc.toJS(), { reportInput: true });
  if (!parsed.success) {
    throw new ValidationError(
      issuesToDiagnostics(parsed.error.issues, map, [], (p) => keysAt(ProjectConfigDocument, p)),
    );
  }
  const doc = parsed.data;
  const root = dirname(file);
  return {
    root,
    configFile: file,
    runbooksDir: resolve(root, doc.runbooks ?? "runbooks"),
    environmentsDir: resolve(root, doc.environments ?? "environments"),
    home: resolve(root, doc.home ?? ".runbook"),
    ...(doc.defaultEnvironment
      ? { defaultEnvironment: { name: doc.defaultEnvironment, line: map.at(["defaultEnvironment"]).line } }
      : {}),
  };
}

function findUp(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Which environment a command uses, and what said so: shown by `plan`, the live view and the journal. */
export interface EnvironmentChoice {
  name: string;
  /** `--env`, `$RUNBOOK_ENV`, or `runbook.config.yaml:3` */
  source: string;
}

export function chooseEnvironment(
  flag: string | undefined,
  io: { cwd: string; env: Record<string, string | undefined> },
): EnvironmentChoice | undefined {
  if (flag) return { name: flag, source: "--env" };
  const fromEnv = io.env.RUNBOOK_ENV?.trim();
  if (fromEnv) return { name: fromEnv, source: "$RUNBOOK_ENV" };
  const project = findProject(io.cwd);
  if (project.defaultEnvironment && project.configFile) {
    const shown = relative(io.cwd, project.configFile) || project.configFile;
    const { name } = project.defaultEnvironment;
    return {
      // A path in the config file is relative to the config file, wherever the command runs.
      name: isEnvironmentPath(name) ? resolve(project.root, name) : name,
      source: `${shown}:${project.defaultEnvironment.line} (defaultEnvironment)`,
    };
  }
  return undefined;
}

/** `--env` takes a name (environments/<name>.yaml) or a path to a file. */
export function isEnvironmentPath(arg: string): boolean {
  return /\.ya?ml$/.test(arg) || arg.includes("/");
}

/**
 * A runbook or environment argument: a path (relative to the working directory), or a name
 * looked up in the project's folder as `<name>.yaml`, then `<name>.yml`. `path` is the file
 * found (undefined when there is none); `lookedFor` is what to name in the error.
 */
export function locateProjectFile(
  arg: string,
  cwd: string,
  folder: "runbooks" | "environments",
): { path: string | undefined; lookedFor: string } {
  if (isEnvironmentPath(arg)) {
    const direct = resolve(cwd, arg);
    return { path: existsSync(direct) ? direct : undefined, lookedFor: direct };
  }
  const project = findProject(cwd);
  const dir = folder === "runbooks" ? project.runbooksDir : project.environmentsDir;
  const candidates = [".yaml", ".yml"].map((ext) => join(dir, `${arg}${ext}`));
  const shown = relative(cwd, candidates[0]!);
  return {
    path: candidates.find((c) => existsSync(c)),
    lookedFor: shown && !shown.startsWith("..") ? shown : candidates[0]!,
  };
}

/** Where relative paths in a runbook's commands resolve: the project's root, else the working directory. */
export function projectWorkdir(cwd: string): string {
  const project = findProject(cwd);
  return project.configFile ? project.root : resolve(cwd);
}
