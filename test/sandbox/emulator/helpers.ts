import { createEmulator, type Emulator, type EmulatorOptions } from "../../../src/sandbox/emulator/index.js";

export const REGION_A = "us-east-1";
export const REGION_B = "us-west-2";

/** Client config pointing an unmodified SDK v3 client at the emulator. */
export function clientConfig(endpoint: string, region = REGION_A, requestTimeout = 2_000) {
  return {
    region,
    endpoint,
    credentials: { accessKeyId: "AKIDSANDBOX", secretAccessKey: "test" },
    // Fail fast in tests: no retries unless a test asks for them, short timeouts.
    maxAttempts: 1,
    // A plain object configures the default NodeHttpHandler (no direct @smithy import needed).
    // Without throwOnRequestTimeout this SDK version only warns and keeps waiting.
    requestHandler: { requestTimeout, connectionTimeout: 1_000, throwOnRequestTimeout: true },
  };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return createEmulator({ rdsTransitionMs: 150, evaluationIntervalMs: 100_000, ...options });
}

/** Posts a raw AWS Query form, as an old SDK or CLI would. */
export async function postQuery(
  url: string,
  form: Record<string, string>,
  service = "monitoring",
  region = REGION_A,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}/`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDRAW/20261127/${region}/${service}/aws4_request, SignedHeaders=host, Signature=00`,
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, text: await res.text() };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
