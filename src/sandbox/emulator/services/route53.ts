import { ApiError } from "../errors.js";
import type { ParamReader } from "../params.js";
import type { ServiceDefinition } from "../service.js";
import type { Route53Config } from "../topology.js";
import { applyChanges, readChanges } from "./route53-changes.js";
import {
  type ChangeModel,
  changeStatus,
  commitChange,
  createRoute53State,
  fqdn,
  type RecordSet,
  type Route53State,
  recordKey,
  resetRoute53State,
  reversedLabels,
  type WeightedAnswer,
  weightedAnswer,
  type ZoneModel,
} from "./route53-model.js";

/**
 * Route 53 (rest-xml, `2013-04-01`), a global service signed for us-east-1: hosted zones,
 * record sets, atomic ChangeResourceRecordSets and GetChange's PENDING → INSYNC. Routing,
 * decoding and encoding come from `@aws-sdk/client-route-53`'s schemas (rest-router.ts);
 * this file is only what the operations do, with AWS's error codes and messages.
 */

const noSuchZone = (id: string) =>
  new ApiError("NoSuchHostedZone", `No hosted zone found with ID: ${id}`, 404);
const invalidInput = (message: string) => new ApiError("InvalidInput", message, 400);
const RECORD_TYPE = /^[A-Z]{1,5}$/;

const zoneId = (raw: string) => raw.replace(/^\/?hostedzone\//, "");

function findZone(state: Route53State, raw: string): ZoneModel {
  const id = zoneId(raw);
  const zone = state.zones.get(id);
  if (!zone) throw noSuchZone(id);
  return zone;
}

function hostedZone(zone: ZoneModel) {
  return {
    Id: `/hostedzone/${zone.id}`,
    Name: zone.name,
    CallerReference: zone.callerReference,
    Config: { ...(zone.comment ? { Comment: zone.comment } : {}), PrivateZone: zone.private },
    ResourceRecordSetCount: zone.records.length,
  };
}

function changeInfo(state: Route53State, c: ChangeModel) {
  return {
    Id: `/change/${c.id}`,
    Status: changeStatus(state, c),
    SubmittedAt: c.submittedAt,
    ...(c.comment ? { Comment: c.comment } : {}),
  };
}

function maxItems(p: ParamReader, limit: number): number {
  const n = p.optionalNumber("MaxItems") ?? limit;
  if (!Number.isInteger(n) || n < 1) throw invalidInput(`MaxItems must be a positive integer (got ${n})`);
  return Math.min(n, limit);
}

function listHostedZonesByName(state: Route53State, p: ParamReader) {
  const dnsName = p.optionalString("DNSName");
  const startId = p.optionalString("HostedZoneId");
  if (startId && !dnsName) throw invalidInput("HostedZoneId may only be specified together with DNSName");
  if (dnsName !== undefined && !/^[A-Za-z0-9*_.-]+$/.test(dnsName))
    throw new ApiError("InvalidDomainName", `${dnsName} is not a valid domain name`, 400);
  const limit = maxItems(p, 100);
  const key = (z: ZoneModel) => `${reversedLabels(z.name)}\u0000${z.id}`;
  const zones = [...state.zones.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  const from = dnsName ? `${reversedLabels(dnsName)}\u0000${startId ? zoneId(startId) : ""}` : "";
  const rest = zones.filter((z) => key(z) >= from);
  const page = rest.slice(0, limit);
  const next = rest[limit];
  return {
    HostedZones: page.map(hostedZone),
    ...(dnsName ? { DNSName: fqdn(dnsName) } : {}),
    ...(startId ? { HostedZoneId: zoneId(startId) } : {}),
    IsTruncated: next !== undefined,
    ...(next ? { NextDNSName: next.name, NextHostedZoneId: next.id } : {}),
    MaxItems: limit,
  };
}

function getHostedZone(state: Route53State, p: ParamReader) {
  const zone = findZone(state, p.string("Id"));
  return {
    HostedZone: hostedZone(zone),
    ...(zone.private
      ? { VPCs: zone.vpcs.map((v) => ({ VPCRegion: v.region, VPCId: v.vpcId })) }
      : { DelegationSet: { NameServers: [`ns-1.${zone.name}`] } }),
  };
}

/** Paging as AWS does it: from the first set at or after (name, type, identifier) in zone order. */
function listResourceRecordSets(state: Route53State, p: ParamReader) {
  const zone = findZone(state, p.string("HostedZoneId"));
  const name = p.optionalString("StartRecordName");
  const type = p.optionalString("StartRecordType");
  const identifier = p.optionalString("StartRecordIdentifier");
  if (type && !name)
    throw invalidInput("StartRecordType may only be specified together with StartRecordName");
  if (identifier && !type)
    throw invalidInput("StartRecordIdentifier may only be specified together with StartRecordType");
  if (type && !RECORD_TYPE.test(type)) throw invalidInput(`Invalid type for resource record set: ${type}`);
  const limit = maxItems(p, 300);
  const from = name ? recordKey({ Name: name, Type: type ?? "", SetIdentifier: identifier ?? "" }) : "";
  const rest = zone.records.filter((r) => recordKey(r) >= from);
  const next: RecordSet | undefined = rest[limit];
  return {
    ResourceRecordSets: rest.slice(0, limit),
    IsTruncated: next !== undefined,
    ...(next
      ? {
          NextRecordName: next.Name,
          NextRecordType: next.Type,
          ...(next.SetIdentifier === undefined ? {} : { NextRecordIdentifier: next.SetIdentifier }),
        }
      : {}),
    MaxItems: limit,
  };
}

function changeResourceRecordSets(state: Route53State, p: ParamReader) {
  const zone = findZone(state, p.string("HostedZoneId"));
  // AWS refuses a change to a zone while it is still propagating the previous one.
  if (zone.lastChange && changeStatus(state, zone.lastChange) === "PENDING") {
    throw new ApiError(
      "PriorRequestNotComplete",
      "The request was rejected because Route 53 was still processing a prior request.",
      400,
    );
  }
  const batch = p.struct("ChangeBatch");
  const records = applyChanges(zone, readChanges(batch));
  return {
    ChangeInfo: changeInfo(state, commitChange(state, zone, records, batch.optionalString("Comment"))),
  };
}

function getChange(state: Route53State, p: ParamReader) {
  const id = p.string("Id").replace(/^\/?change\//, "");
  const change = state.changes.get(id);
  if (!change)
    throw new ApiError("NoSuchChange", `A change with the specified change ID does not exist: ${id}`, 404);
  return { ChangeInfo: changeInfo(state, change) };
}

const zoneArn = (id: string) => `arn:aws:route53:::hostedzone/${id.replace(/^\/?hostedzone\//, "")}`;

export function route53Service(state: Route53State): ServiceDefinition {
  return {
    name: "route53",
    rest: { sdkService: "route-53", xmlErrors: "ErrorResponse" },
    errors: {
      missing: "InvalidInput",
      invalid: "InvalidInput",
      unknownOperation: "InvalidAction",
      throttling: "Throttling",
      throttlingStatus: 400,
    },
    // Route 53 ARNs carry no account or region: `arn:aws:route53:::hostedzone/<id>`.
    iam: {
      resources: {
        GetHostedZone: (p) => [zoneArn(p.string("Id"))],
        ListResourceRecordSets: (p) => [zoneArn(p.string("HostedZoneId"))],
        ChangeResourceRecordSets: (p) => [zoneArn(p.string("HostedZoneId"))],
        GetChange: (p) => [`arn:aws:route53:::change/${p.string("Id").replace(/^\/?change\//, "")}`],
      },
    },
    mutating: new Set(["ChangeResourceRecordSets"]),
    operations: {
      ListHostedZonesByName: (p) => listHostedZonesByName(state, p),
      GetHostedZone: (p) => getHostedZone(state, p),
      ListResourceRecordSets: (p) => listResourceRecordSets(state, p),
      ChangeResourceRecordSets: (p) => changeResourceRecordSets(state, p),
      GetChange: (p) => getChange(state, p),
    },
  };
}

/** The emulator's Route 53: its state, its service, the DNS answers the sandbox's edge reads. */
export class Route53Dns {
  readonly state: Route53State;

  constructor(private readonly config: Route53Config | undefined) {
    this.state = createRoute53State(config);
  }

  service(): ServiceDefinition {
    return route53Service(this.state);
  }

  /** Back to the topology's records (`sandbox reset` restores the weights). */
  reset(): void {
    resetRoute53State(this.state, this.config);
  }

  /** What resolvers are answered for a weighted name now (changes count once INSYNC). */
  weightedAnswer(recordName: string): WeightedAnswer | undefined {
    return weightedAnswer(this.state, recordName);
  }

  /** The weights as configured, and whether the zone's last change is still propagating. */
  configured(recordName: string): (WeightedAnswer & { change: "PENDING" | "INSYNC" }) | undefined {
    const answer = weightedAnswer(this.state, recordName, "configured");
    if (!answer) return undefined;
    const pending = [...this.state.zones.values()].some(
      (z) => z.lastChange && changeStatus(this.state, z.lastChange) === "PENDING",
    );
    return { ...answer, change: pending ? "PENDING" : "INSYNC" };
  }
}
