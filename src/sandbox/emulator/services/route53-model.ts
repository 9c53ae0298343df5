import type { HostedZoneConfig, RecordSetConfig, Route53Config } from "../topology.js";

/**
 * Route 53's state: hosted zones, their record sets and changes. A change is applied to the
 * zone at once (ListResourceRecordSets shows it, as in AWS) but reaches the DNS answers
 * only when it is INSYNC: `answerRecords` is what resolvers are told, the records as of
 * the last change that has propagated.
 */

export interface RecordSet {
  Name: string;
  Type: string;
  SetIdentifier?: string;
  Weight?: number;
  TTL?: number;
  ResourceRecords?: { Value: string }[];
  AliasTarget?: { HostedZoneId: string; DNSName: string; EvaluateTargetHealth: boolean };
  HealthCheckId?: string;
  /** Other routing policies (Region, Failover, GeoLocation, MultiValueAnswer, …), kept as sent. */
  [member: string]: unknown;
}

export interface ChangeModel {
  /** `C` + 13 characters, as AWS's change ids (the API says `/change/<id>`). */
  id: string;
  zoneId: string;
  submittedAt: Date;
  insyncAt: number;
  comment?: string;
}

export interface ZoneModel {
  id: string;
  /** Lower case, with the trailing dot, as AWS returns it. */
  name: string;
  callerReference: string;
  comment?: string;
  private: boolean;
  vpcs: { region: string; vpcId: string }[];
  /** Sorted as ListResourceRecordSets returns them. */
  records: RecordSet[];
  /** Published versions of `records`, oldest first: each visible from its change's INSYNC time. */
  versions: { visibleAt: number; records: RecordSet[] }[];
  lastChange?: ChangeModel;
}

export interface Route53State {
  zones: Map<string, ZoneModel>;
  changes: Map<string, ChangeModel>;
  propagationMs: number;
  now: () => number;
}

export function createRoute53State(
  config: Route53Config | undefined,
  now: () => number = Date.now,
): Route53State {
  const state: Route53State = {
    zones: new Map(),
    changes: new Map(),
    propagationMs: config?.changePropagationMs ?? 1_000,
    now,
  };
  resetRoute53State(state, config);
  return state;
}

/** Back to the topology's zones and records (`sandbox reset`); pending changes are forgotten. */
export function resetRoute53State(state: Route53State, config: Route53Config | undefined): void {
  state.zones.clear();
  state.changes.clear();
  for (const z of config?.hostedZones ?? []) state.zones.set(z.id, zoneFromConfig(z));
}

function zoneFromConfig(z: HostedZoneConfig): ZoneModel {
  const name = fqdn(z.name);
  const records = sortRecords([
    {
      Name: name,
      Type: "SOA",
      TTL: 900,
      ResourceRecords: [{ Value: `ns-1.${name} hostmaster.${name} 1 7200 900 1209600 86400` }],
    },
    { Name: name, Type: "NS", TTL: 172800, ResourceRecords: [{ Value: `ns-1.${name}` }] },
    ...z.records.map(recordFromConfig),
  ]);
  return {
    id: z.id,
    name,
    callerReference: `sandbox-${z.id}`,
    ...(z.comment ? { comment: z.comment } : {}),
    private: z.private ?? false,
    vpcs: z.vpcs ?? [],
    records,
    versions: [{ visibleAt: 0, records }],
  };
}

function recordFromConfig(r: RecordSetConfig): RecordSet {
  return {
    Name: fqdn(r.name),
    Type: r.type,
    ...(r.setIdentifier === undefined ? {} : { SetIdentifier: r.setIdentifier }),
    ...(r.weight === undefined ? {} : { Weight: r.weight }),
    TTL: r.ttl,
    ResourceRecords: r.values.map((Value) => ({ Value })),
  };
}

/** `API.Case.Internal` → `api.case.internal.` */
export function fqdn(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower : `${lower}.`;
}

/** AWS's order: DNS name with its labels reversed, then type, then set identifier. */
export function recordKey(r: { Name: string; Type: string; SetIdentifier?: string | undefined }): string {
  return [reversedLabels(r.Name), r.Type, r.SetIdentifier ?? ""].join("\u0000");
}

export function reversedLabels(name: string): string {
  return fqdn(name).slice(0, -1).split(".").reverse().join(".");
}

export function sortRecords(records: RecordSet[]): RecordSet[] {
  return records.sort((a, b) => (recordKey(a) < recordKey(b) ? -1 : recordKey(a) > recordKey(b) ? 1 : 0));
}

export function changeStatus(state: Route53State, change: ChangeModel): "PENDING" | "INSYNC" {
  return state.now() >= change.insyncAt ? "INSYNC" : "PENDING";
}

/** Applies new records to a zone as one change, PENDING for the propagation delay. */
export function commitChange(
  state: Route53State,
  zone: ZoneModel,
  records: RecordSet[],
  comment?: string,
): ChangeModel {
  const now = state.now();
  const change: ChangeModel = {
    id: `C${changeSuffix()}`,
    zoneId: zone.id,
    submittedAt: new Date(now),
    insyncAt: now + state.propagationMs,
    ...(comment ? { comment } : {}),
  };
  zone.records = sortRecords(records);
  // Keep the newest visible version and the pending ones: older ones can never be answered again.
  const visible = zone.versions.filter((v) => v.visibleAt <= now).at(-1);
  zone.versions = [...(visible ? [visible] : []), ...zone.versions.filter((v) => v.visibleAt > now)];
  zone.versions.push({ visibleAt: change.insyncAt, records: zone.records });
  zone.lastChange = change;
  state.changes.set(change.id, change);
  return change;
}

/** The records resolvers are answered from now. */
export function answerRecords(state: Route53State, zone: ZoneModel): RecordSet[] {
  const now = state.now();
  return zone.versions.filter((v) => v.visibleAt <= now).at(-1)?.records ?? [];
}

export interface WeightedAnswer {
  ttlSeconds: number;
  /** Weight by set identifier. */
  weights: Record<string, number>;
}

/**
 * What a resolver learns of a weighted name now: every weighted set of it (of its first
 * type with weighted sets), the weights by set identifier and their TTL. Undefined when
 * no zone holds weighted sets of that name.
 */
export function weightedAnswer(
  state: Route53State,
  recordName: string,
  /** `configured`: what the zone holds now, INSYNC or not (for status views). */
  view: "answered" | "configured" = "answered",
): WeightedAnswer | undefined {
  const name = fqdn(recordName);
  const zone = [...state.zones.values()]
    .filter((z) => name === z.name || name.endsWith(`.${z.name}`))
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (!zone) return undefined;
  const records = view === "answered" ? answerRecords(state, zone) : zone.records;
  const weighted = records.filter(
    (r) => r.Name === name && r.SetIdentifier !== undefined && r.Weight !== undefined,
  );
  const type = weighted[0]?.Type;
  const sets = weighted.filter((r) => r.Type === type);
  if (sets.length === 0) return undefined;
  return {
    ttlSeconds: Math.min(...sets.map((r) => r.TTL ?? 0)),
    weights: Object.fromEntries(sets.map((r) => [r.SetIdentifier as string, r.Weight as number])),
  };
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
function changeSuffix(): string {
  let s = "";
  for (let i = 0; i < 13; i++) s += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return s;
}
