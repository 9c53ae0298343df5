import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Runs a function's unzipped package as Lambda's Node.js runtime would, for the sandbox: the
 * module `<dir>/index.mjs` imported once per process (a warm container), its `handler` called
 * with the event and a context whose clock is the invocation's deadline, the result passed
 * through JSON as Lambda passes it. Meant for a long-lived worker process (worker-main.ts)
 * whose environment already holds the function's variables and its role's keys.
 */

export type InvokeResult = { payload: unknown } | { error: { errorType: string; errorMessage: string } };

type Handler = (event: unknown, context: unknown) => unknown;

const modules = new Map<string, Promise<Handler>>();

/**
 * Import the package's handler (once): what Lambda does at a cold start. `handler` is Lambda's
 * `Handler` setting, `<module>.<export>` (default `index.handler`, i.e. `index.mjs`'s `handler`).
 */
export function loadBundle(dir: string, handler = process.env._HANDLER || "index.handler"): Promise<Handler> {
  const key = `${dir}|${handler}`;
  let loaded = modules.get(key);
  if (!loaded) {
    const dot = handler.lastIndexOf(".");
    const file = dot > 0 ? handler.slice(0, dot) : handler;
    const name = dot > 0 ? handler.slice(dot + 1) : "handler";
    const path = [".mjs", ".js", ".cjs"].map((ext) => join(dir, `${file}${ext}`)).find((p) => existsSync(p));
    loaded = (
      path
        ? import(pathToFileURL(path).href)
        : Promise.reject(
            Object.assign(new Error(`Cannot find module '${file}' in ${dir}`), {
              name: "Runtime.ImportModuleError",
            }),
          )
    ).then((m: Record<string, unknown>) => {
      if (typeof m[name] !== "function")
        throw Object.assign(new Error(`${handler} is undefined or not exported`), {
          name: "Runtime.HandlerNotFound",
        });
      return m[name] as Handler;
    });
    modules.set(key, loaded);
    loaded.catch(() => modules.delete(key));
  }
  return loaded;
}

export async function invokeBundle(
  dir: string,
  event: unknown,
  o: { timeoutMs: number; requestId?: string; handler?: string },
): Promise<InvokeResult> {
  const deadline = Date.now() + o.timeoutMs;
  let handler: Handler;
  try {
    handler = await loadBundle(dir, o.handler);
  } catch (err) {
    return { error: initError(err) };
  }
  const requestId = o.requestId ?? randomUUID();
  const context = {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "",
    functionVersion: "$LATEST",
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<InvokeResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          error: {
            errorType: "Sandbox.Timedout",
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(o.timeoutMs / 1000).toFixed(2)} seconds`,
          },
        }),
      Math.max(0, o.timeoutMs),
    );
  });
  const ran = (async (): Promise<InvokeResult> => {
    try {
      const value = await handler(event, context);
      // What Lambda hands back is JSON: undefined becomes null, class instances plain objects.
      return { payload: JSON.parse(JSON.stringify(value ?? null)) as unknown };
    } catch (err) {
      return { error: errorOf(err) };
    }
  })();
  try {
    return await Promise.race([ran, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** A package that cannot be imported, as Lambda names it. */
export function initError(err: unknown): { errorType: string; errorMessage: string } {
  const e = err as Error;
  const known = e?.name === "Runtime.HandlerNotFound" || e?.name === "Runtime.ImportModuleError";
  return { errorType: known ? e.name : "Runtime.ImportModuleError", errorMessage: e?.message ?? String(err) };
}

/** As the Node.js runtime reports a thrown value: the error's name is its type. */
function errorOf(err: unknown): { errorType: string; errorMessage: string } {
  if (err instanceof Error) return { errorType: err.name || "Error", errorMessage: err.message };
  return { errorType: typeof err, errorMessage: String(err) };
}
