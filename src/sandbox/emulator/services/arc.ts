import { ApiError } from "../errors.js";
import type { ParamReader } from "../params.js";
import type { ServiceDefinition } from "../service.js";
import type { ArcConfig, RoutingControlState } from "../topology.js";
import { brokenRule, type SafetyRule } from "./arc-safety-rules.js";

/**
 * Route 53 Application Recovery Controller, cluster data plane (route53-recovery-cluster):
 * routing control states and the safety rules that guard them. ARC is a global service,
 * so state is shared by every region and every cluster endpoint.
 */
export interface RoutingControl {
  arn: string;
  name: string;
  state: RoutingControlState;
  controlPanelArn: string;
  controlPanelName: string;
}

export interface ArcState {
  controls: Map<string, RoutingControl>;
  rules: SafetyRule[];
}

const NAMESPACE = "com.amazonaws.route53recoverycluster";

export function createArcState(config: ArcConfig | undefined, accountId: string): ArcState {
  const panelName = config?.controlPanelName ?? "sandbox";
  const panelArn =
    config?.controlPanelArn ??
    `arn:aws:route53-recovery-control::${accountId}:controlpanel/${slug(panelName)}`;
  const controls = new Map<string, RoutingControl>();
  for (const rc of config?.routingControls ?? []) {
    const arn = rc.arn ?? `${panelArn}/routingcontrol/${slug(rc.name)}`;
    controls.set(arn, {
      arn,
      name: rc.name,
      state: rc.state ?? "Off",
      controlPanelArn: panelArn,
      controlPanelName: panelName,
    });
  }
  // Rules may name controls by ARN or by name; resolve once, refuse unknown names early.
  const resolve = (ref: string): string => {
    if (controls.has(ref)) return ref;
    const byName = [...controls.values()].find((c) => c.name === ref);
    if (!byName) throw new Error(`safety rule refers to unknown routing control ${ref}`);
    return byName.arn;
  };
  const rules: SafetyRule[] = (config?.safetyRules ?? []).map((r) => {
    const arn = r.arn ?? `${panelArn}/safetyrule/${slug(r.name)}`;
    return r.type === "assertion"
      ? { type: "assertion", name: r.name, arn, controls: r.controls.map(resolve), atLeast: r.atLeast }
      : {
          type: "gating",
          name: r.name,
          arn,
          gatingControls: r.gatingControls.map(resolve),
          targetControls: r.targetControls.map(resolve),
          atLeast: r.atLeast,
        };
  });
  return { controls, rules };
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
}

function parseState(value: string): RoutingControlState {
  if (value !== "On" && value !== "Off") {
    throw new ApiError("ValidationException", `RoutingControlState must be On or Off, got ${value}`, 400, {
      fields: { reason: "fieldValidationFailed" },
    });
  }
  return value;
}

export function arcService(state: ArcState): ServiceDefinition {
  const control = (arn: string): RoutingControl => {
    const rc = state.controls.get(arn);
    if (!rc) {
      throw new ApiError("ResourceNotFoundException", `Routing control ${arn} does not exist`, 404, {
        fields: { resourceId: arn, resourceType: "RoutingControl" },
      });
    }
    return rc;
  };

  /** Applies a batch atomically: every control exists and no rule breaks, or nothing changes. */
  const apply = (changes: Map<string, RoutingControlState>, p: ParamReader): Record<string, never> => {
    for (const arn of changes.keys()) control(arn);
    const current = new Map([...state.controls].map(([arn, rc]) => [arn, rc.state]));
    const overrides = new Set(p.stringList("SafetyRulesToOverride"));
    const rule = brokenRule(state.rules, current, changes, overrides);
    if (rule) {
      throw new ApiError(
        "ConflictException",
        `Cannot update routing control state: the change would violate safety rule ${rule.name} (${rule.arn})`,
        409,
        { fields: { resourceId: rule.arn, resourceType: "SafetyRule" } },
      );
    }
    for (const [arn, s] of changes) control(arn).state = s;
    return {};
  };

  return {
    name: "route53-recovery-cluster",
    json: { target: "ToggleCustomerAPI", version: "1.0", namespace: NAMESPACE },
    errors: {
      missing: "ValidationException",
      invalid: "ValidationException",
      unknownOperation: "UnknownOperationException",
      throttling: "ThrottlingException",
      auth: { accessDenied: { code: "AccessDeniedException", status: 403 } },
    },
    // The routing controls of the request: in the recovery account, so a workload-account
    // principal is refused (cross-account, no resource policy) and must assume its role.
    iam: {
      resources: {
        GetRoutingControlState: (p) => [p.string("RoutingControlArn")],
        UpdateRoutingControlState: (p) => [p.string("RoutingControlArn")],
        UpdateRoutingControlStates: (p) =>
          p.items("UpdateRoutingControlStateEntries").map((e) => e.string("RoutingControlArn")),
      },
    },
    mutating: new Set(["UpdateRoutingControlState", "UpdateRoutingControlStates"]),
    operations: {
      GetRoutingControlState: (p) => {
        const rc = control(p.string("RoutingControlArn"));
        return { RoutingControlArn: rc.arn, RoutingControlState: rc.state, RoutingControlName: rc.name };
      },
      UpdateRoutingControlState: (p) =>
        apply(new Map([[p.string("RoutingControlArn"), parseState(p.string("RoutingControlState"))]]), p),
      UpdateRoutingControlStates: (p) => {
        const entries = p.items("UpdateRoutingControlStateEntries");
        if (entries.length === 0)
          throw new ApiError("ValidationException", "UpdateRoutingControlStateEntries is empty");
        const changes = new Map<string, RoutingControlState>();
        for (const e of entries)
          changes.set(e.string("RoutingControlArn"), parseState(e.string("RoutingControlState")));
        return apply(changes, p);
      },
      ListRoutingControls: (p) => {
        const panel = p.optionalString("ControlPanelArn");
        const all = [...state.controls.values()].filter((rc) => !panel || rc.controlPanelArn === panel);
        const start = Number(p.optionalString("NextToken") ?? 0);
        const max = p.optionalNumber("MaxResults") ?? 500;
        const page = all.slice(start, start + max);
        return {
          RoutingControls: page.map((rc) => ({
            ControlPanelArn: rc.controlPanelArn,
            ControlPanelName: rc.controlPanelName,
            RoutingControlArn: rc.arn,
            RoutingControlName: rc.name,
            RoutingControlState: rc.state,
          })),
          NextToken: start + max < all.length ? String(start + max) : undefined,
        };
      },
    },
  };
}
