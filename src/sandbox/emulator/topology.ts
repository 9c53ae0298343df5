/**
 * What an emulator starts with: the account, the two regions, ARC routing controls and
 * safety rules, the global database's identifiers, secrets and alarms. Everything here is
 * plain data so the sandbox can load it from a file.
 */

export type RoutingControlState = "On" | "Off";

export interface RoutingControlConfig {
  name: string;
  /** Defaults to an ARN under the control panel, derived from the name. */
  arn?: string;
  state?: RoutingControlState;
}

export interface AssertionRuleConfig {
  type: "assertion";
  name: string;
  arn?: string;
  /** Routing controls (ARN or name) of which at least `atLeast` must stay On. */
  controls: string[];
  atLeast: number;
}

export interface GatingRuleConfig {
  type: "gating";
  name: string;
  arn?: string;
  /** Target controls may change only while at least `atLeast` gating controls are On. */
  gatingControls: string[];
  targetControls: string[];
  atLeast: number;
}

export type SafetyRuleConfig = AssertionRuleConfig | GatingRuleConfig;

export interface ArcConfig {
  controlPanelName?: string;
  controlPanelArn?: string;
  routingControls: RoutingControlConfig[];
  safetyRules?: SafetyRuleConfig[];
}

export interface DatabaseConfig {
  globalClusterIdentifier: string;
  engine?: string;
  engineVersion?: string;
  /** DB cluster identifier in each region; the backend says which one is the writer. */
  clusters: Record<string, string>;
  /**
   * `global` (default): an Aurora global database. `read-replica`: the secondary is a
   * cross-region read replica (cluster and instance), promoted with PromoteReadReplica*.
   */
  mode?: "global" | "read-replica";
}

export interface SecretConfig {
  region: string;
  name: string;
  value: string;
  description?: string;
}

export interface AlarmConfig {
  region: string;
  alarmName: string;
  namespace: string;
  metricName: string;
  dimensions?: Record<string, string>;
  statistic?: "Average" | "Sum" | "Minimum" | "Maximum" | "SampleCount";
  period?: number;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
  threshold: number;
  comparisonOperator:
    | "GreaterThanOrEqualToThreshold"
    | "GreaterThanThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold";
  treatMissingData?: "missing" | "notBreaching" | "breaching" | "ignore";
}

export interface EmulatorTopology {
  /** Defaults to 111111111111. */
  accountId?: string;
  /** Region A (primary at start) and region B. */
  regions: [string, string];
  arc?: ArcConfig;
  database?: DatabaseConfig;
  secrets?: SecretConfig[];
  alarms?: AlarmConfig[];
}

export const DEFAULT_ACCOUNT_ID = "111111111111";

/** The sandbox's usual shape, handy for tests and `runbook sandbox up`. */
export function defaultTopology(regions: [string, string] = ["us-east-1", "us-west-2"]): EmulatorTopology {
  const [a, b] = regions;
  return {
    accountId: DEFAULT_ACCOUNT_ID,
    regions,
    arc: {
      controlPanelName: "case-api",
      routingControls: [
        { name: `cell-${a}`, state: "On" },
        { name: `cell-${b}`, state: "Off" },
      ],
      safetyRules: [
        { type: "assertion", name: "at-least-one-cell-on", controls: [`cell-${a}`, `cell-${b}`], atLeast: 1 },
      ],
    },
    database: {
      globalClusterIdentifier: "case-global",
      clusters: { [a]: `case-${a}`, [b]: `case-${b}` },
    },
    secrets: [
      { region: a, name: "case-api/db", value: '{"username":"app","password":"sandbox"}' },
      { region: b, name: "case-api/db", value: '{"username":"app","password":"sandbox"}' },
    ],
  };
}
