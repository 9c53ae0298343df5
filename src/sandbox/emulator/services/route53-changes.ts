import { ApiError } from "../errors.js";
import type { ParamReader } from "../params.js";
import { fqdn, type RecordSet, recordKey, type ZoneModel } from "./route53-model.js";

/**
 * ChangeResourceRecordSets' rules: a batch is validated whole and applied all or nothing.
 * Shape problems are InvalidInput (AWS's request validation); what the changes would do to
 * the zone is InvalidChangeBatch, with every problem of the batch in its message, worded as
 * Route 53 words them.
 */

export type ChangeAction = "CREATE" | "DELETE" | "UPSERT";
export interface Change {
  action: ChangeAction;
  set: RecordSet;
}

const ACTIONS = ["DELETE", "CREATE", "UPSERT"];
const RECORD_TYPES = [
  "SOA",
  "A",
  "TXT",
  "NS",
  "CNAME",
  "MX",
  "NAPTR",
  "PTR",
  "SRV",
  "SPF",
  "AAAA",
  "CAA",
  "DS",
  "TLSA",
  "SSHFP",
  "SVCB",
  "HTTPS",
];
const POLICIES = [
  "Weight",
  "Region",
  "Failover",
  "GeoLocation",
  "MultiValueAnswer",
  "GeoProximityLocation",
  "CidrRoutingConfig",
];
/** Routing policies other than Weight, and traffic policies: stored and returned as sent. */
const KEPT_AS_SENT = [...POLICIES.filter((p) => p !== "Weight"), "TrafficPolicyInstanceId"];

const invalidInput = (message: string) => new ApiError("InvalidInput", message, 400);
const constraint = (value: unknown, at: string, rule: string) =>
  invalidInput(
    `1 validation error detected: Value '${value}' at '${at}' failed to satisfy constraint: ${rule}`,
  );

export function readChanges(batch: ParamReader): Change[] {
  const items = batch.items("Changes");
  if (items.length === 0)
    throw constraint("[]", "changeBatch.changes", "Member must have length greater than or equal to 1");
  return items.map((c, i) => {
    const at = `changeBatch.changes.${i + 1}.member`;
    const action = c.string("Action");
    if (!ACTIONS.includes(action))
      throw constraint(action, `${at}.action`, `Member must satisfy enum value set: [${ACTIONS.join(", ")}]`);
    const rs = c.struct("ResourceRecordSet");
    const type = rs.string("Type");
    if (!RECORD_TYPES.includes(type))
      throw constraint(
        type,
        `${at}.resourceRecordSet.type`,
        `Member must satisfy enum value set: [${RECORD_TYPES.join(", ")}]`,
      );
    const set: RecordSet = { Name: fqdn(rs.string("Name")), Type: type };
    const id = rs.optionalString("SetIdentifier");
    if (id !== undefined) set.SetIdentifier = id;
    const weight = rs.optionalNumber("Weight");
    if (weight !== undefined) {
      if (weight < 0)
        throw constraint(
          weight,
          `${at}.resourceRecordSet.weight`,
          "Member must have value greater than or equal to 0",
        );
      if (weight > 255)
        throw constraint(
          weight,
          `${at}.resourceRecordSet.weight`,
          "Member must have value less than or equal to 255",
        );
      set.Weight = Math.trunc(weight);
    }
    const ttl = rs.optionalNumber("TTL");
    if (ttl !== undefined) {
      if (ttl < 0 || ttl > 2_147_483_647)
        throw constraint(
          ttl,
          `${at}.resourceRecordSet.TTL`,
          "Member must have value between 0 and 2147483647",
        );
      set.TTL = Math.trunc(ttl);
    }
    const values = rs.items("ResourceRecords").map((r) => ({ Value: r.string("Value") }));
    if (values.length > 0) set.ResourceRecords = values;
    if (rs.has("AliasTarget")) {
      const a = rs.struct("AliasTarget");
      set.AliasTarget = {
        HostedZoneId: a.string("HostedZoneId"),
        DNSName: fqdn(a.string("DNSName")),
        EvaluateTargetHealth: a.boolean("EvaluateTargetHealth") ?? false,
      };
    }
    const healthCheck = rs.optionalString("HealthCheckId");
    if (healthCheck !== undefined) set.HealthCheckId = healthCheck;
    for (const member of KEPT_AS_SENT) if (rs.has(member)) set[member] = rs.raw[member];
    return { action: action as ChangeAction, set };
  });
}

const describeSet = (s: RecordSet) =>
  `[name='${s.Name}', type='${s.Type}'${s.SetIdentifier === undefined ? "" : `, set-identifier='${s.SetIdentifier}'`}]`;
const inChange = (c: Change) =>
  `in Change with [Action=${c.action}, Name=${c.set.Name}, Type=${c.set.Type}, SetIdentifier=${c.set.SetIdentifier ?? "null"}]`;

/** Problems a change has on its own, whatever the zone holds. */
function shapeProblems(zone: ZoneModel, c: Change): string[] {
  const s = c.set;
  const problems: string[] = [];
  if (s.Name !== zone.name && !s.Name.endsWith(`.${zone.name}`))
    problems.push(`RRSet with DNS name ${s.Name} is not permitted in zone ${zone.name}`);
  const policies = POLICIES.filter((p) => s[p] !== undefined);
  if (policies.length > 0 && s.SetIdentifier === undefined)
    problems.push(`Invalid request: Missing field 'SetIdentifier' ${inChange(c)}`);
  if (s.SetIdentifier !== undefined && policies.length !== 1)
    problems.push(
      `Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig], but found ${policies.length === 0 ? "none" : "more than one"} ${inChange(c)}`,
    );
  const valueKinds = [
    s.AliasTarget !== undefined,
    s.TTL !== undefined || s.ResourceRecords !== undefined,
    s.TrafficPolicyInstanceId !== undefined,
  ].filter(Boolean).length;
  const incomplete =
    s.AliasTarget === undefined && (s.TTL === undefined) !== (s.ResourceRecords === undefined);
  if (valueKinds !== 1 || incomplete)
    problems.push(
      `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found ${valueKinds > 1 ? "more than one" : "none"} ${inChange(c)}`,
    );
  if (s.Type === "CNAME" && (s.ResourceRecords?.length ?? 0) > 1)
    problems.push(
      `RRSet of type CNAME with DNS name ${s.Name} has more than one value; a CNAME names exactly one`,
    );
  if (s.Type === "CNAME" && s.Name === zone.name)
    problems.push(
      `RRSet of type CNAME with DNS name ${s.Name} is not permitted at apex in zone ${zone.name}`,
    );
  return problems;
}

const sameValues = (a: RecordSet, b: RecordSet) =>
  a.TTL === b.TTL &&
  a.Weight === b.Weight &&
  a.HealthCheckId === b.HealthCheckId &&
  JSON.stringify((a.ResourceRecords ?? []).map((r) => r.Value).sort()) ===
    JSON.stringify((b.ResourceRecords ?? []).map((r) => r.Value).sort()) &&
  JSON.stringify(a.AliasTarget ?? null) === JSON.stringify(b.AliasTarget ?? null);

/** What adding `s` would conflict with among the other sets of its name. */
function conflicts(zone: ZoneModel, sets: Map<string, RecordSet>, s: RecordSet): string | undefined {
  const sameName = [...sets.values()].filter((r) => r.Name === s.Name && recordKey(r) !== recordKey(s));
  const other = sameName.find((r) => (r.Type === "CNAME") !== (s.Type === "CNAME"));
  if (other)
    return `RRSet of type ${s.Type} with DNS name ${s.Name} is not permitted because a conflicting RRSet of type ${other.Type} with the same DNS name already exists in zone ${zone.name}`;
  const sameType = sameName.filter((r) => r.Type === s.Type);
  if (s.SetIdentifier !== undefined && sameType.some((r) => r.SetIdentifier === undefined))
    return `RRSet with DNS name ${s.Name}, type ${s.Type}, SetIdentifier ${s.SetIdentifier} cannot be created as a non-weighted set exists with the same name and type.`;
  if (s.SetIdentifier === undefined && sameType.length > 0)
    return `RRSet with DNS name ${s.Name}, type ${s.Type} cannot be created as weighted sets exist with the same name and type.`;
  return undefined;
}

/** The zone's records after the batch; nothing is changed when any change is refused. */
export function applyChanges(zone: ZoneModel, changes: Change[]): RecordSet[] {
  const problems = changes.flatMap((c) => shapeProblems(zone, c));
  const seen = new Set<string>();
  for (const c of changes) {
    const key = `${c.action === "DELETE" ? "D" : "W"}${recordKey(c.set)}`;
    if (seen.has(key))
      problems.push(
        `The request contains an invalid set of changes for a resource record set '${c.set.Type} ${c.set.Name}'`,
      );
    seen.add(key);
  }
  if (problems.length === 0) {
    const sets = new Map(zone.records.map((r) => [recordKey(r), r]));
    for (const c of changes) {
      const key = recordKey(c.set);
      const current = sets.get(key);
      if (c.action === "DELETE") {
        if (!current)
          problems.push(`Tried to delete resource record set ${describeSet(c.set)} but it was not found`);
        else if (!sameValues(current, c.set))
          problems.push(
            `Tried to delete resource record set ${describeSet(c.set)} but the values provided do not match the current values`,
          );
        else if (c.set.Type === "SOA" && c.set.Name === zone.name)
          problems.push("A HostedZone must contain exactly one SOA record.");
        else if (c.set.Type === "NS" && c.set.Name === zone.name)
          problems.push("A HostedZone must contain at least one NS record for the zone itself.");
        else sets.delete(key);
        continue;
      }
      if (c.action === "CREATE" && current) {
        problems.push(`Tried to create resource record set ${describeSet(c.set)} but it already exists`);
        continue;
      }
      const conflict = current ? undefined : conflicts(zone, sets, c.set);
      if (conflict) problems.push(conflict);
      else sets.set(key, c.set);
    }
    if (problems.length === 0) return [...sets.values()];
  }
  throw new ApiError("InvalidChangeBatch", `[${problems.join(", ")}]`, 400);
}
