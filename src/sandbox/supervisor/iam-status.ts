import { SANDBOX_USERS } from "../emulator/iam/iam-defaults.js";
import type { Emulator } from "../emulator/index.js";
import type { SandboxEndpoints } from "../endpoints.js";
import type { SandboxStatus } from "./status.js";

/** The sandbox's IAM in endpoints.json, `runbook sandbox status`, and their human-readable rows. */

/** The operator's key: what the sandbox has always handed out as `credentials`. */
export const SANDBOX_CREDENTIALS = (() => {
  const operator = SANDBOX_USERS.find((u) => u.name === "operator");
  if (!operator) throw new Error("the sandbox has no operator user");
  return { accessKeyId: operator.accessKeyId, secretAccessKey: operator.secretAccessKey };
})();

export function iamEndpoints(
  emulator: Emulator,
): Pick<SandboxEndpoints, "accounts" | "roles" | "principals"> {
  const iam = emulator.iam;
  return {
    accounts: iam.accounts,
    roles: { arc: iam.arcRole.arn },
    principals: Object.fromEntries(
      SANDBOX_USERS.map((u) => [
        u.name,
        {
          arn: `arn:aws:iam::${iam.accounts.workload}:user/${u.name}`,
          accessKeyId: u.accessKeyId,
          secretAccessKey: u.secretAccessKey,
        },
      ]),
    ),
  };
}

export function iamStatus(emulator: Emulator): Pick<SandboxStatus, "iam"> {
  const view = emulator.iam.view();
  return {
    iam: {
      enforced: view.enforced,
      accounts: view.accounts,
      principals: Object.fromEntries(view.principals.map((p) => [p.name, p.arn])),
      policies: Object.fromEntries(view.principals.map((p) => [p.name, Object.keys(p.policies)])),
      denies: view.denies,
    },
  };
}

export function iamEndpointRows(e: SandboxEndpoints): [string, string][] {
  const rows: [string, string][] = [];
  if (e.accounts)
    rows.push(["accounts", `workload ${e.accounts.workload}, recovery ${e.accounts.recovery} (ARC)`]);
  if (e.roles) rows.push(["ARC role", `${e.roles.arc}  (assumed from the workload account)`]);
  if (e.principals)
    rows.push([
      "principals",
      Object.entries(e.principals)
        .map(([name, p]) => `${name} ${p.accessKeyId}`)
        .join(", "),
    ]);
  return rows;
}

export function iamStatusRows(s: SandboxStatus): [string, string][] {
  if (!s.iam) return [];
  const denies = s.iam.denies.map((d) => `${d.action} (${d.principals.join(", ")})`).join("; ");
  return [
    ["accounts", `workload ${s.iam.accounts.workload}, recovery ${s.iam.accounts.recovery} (ARC)`],
    [
      "principals",
      Object.entries(s.iam.principals)
        .map(([name, arn]) => `${name} ${arn}`)
        .join(", "),
    ],
    [
      "IAM",
      `enforcement ${s.iam.enforced ? "ON" : "off"}; denied: ${denies || "nothing"}; ` +
        Object.entries(s.iam.policies)
          .map(([name, policies]) => `${name} [${policies.join(", ")}]`)
          .join(", "),
    ],
  ];
}
