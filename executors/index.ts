import type { ExecutorDefinition } from "../src/executor.js";
import { approval } from "./approval.js";
import { exec } from "./exec.js";
import { httpCheck } from "./http-check.js";
import { note } from "./note.js";
import { wait } from "./wait.js";

/** The one registry. Adding an executor means a file in this folder and a line here; never the engine. */
const all: ExecutorDefinition[] = [approval, exec, httpCheck, note, wait];

export const executors: ReadonlyMap<string, ExecutorDefinition> = new Map(all.map((e) => [e.type, e]));
