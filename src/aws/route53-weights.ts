import type {
  ListResourceRecordSetsCommandOutput,
  ResourceRecordSet,
  Route53Client,
} from "@aws-sdk/client-route-53";
import { classifyError, fatal, retryable } from "../executor.js";

/**
 * What `route53.set-weights` needs from Route 53: the hosted zone (by id or by name), the
 * weighted record sets of one name, and its errors classified with the zone and record
 * named, so an operator reads which change was refused and why.
 */

export interface ZoneRef {
  id: string;
  name: string;
}

export interface WeightedRecordTarget {
  hostedZoneId?: string | undefined;
  zoneName?: string | undefined;
  recordName: string;
  type?: string | undefined;
}

/** `API.Case.Internal` → `api.case.internal.`, as Route 53 returns names. */
export const fqdn = (name: string) => {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower : `${lower}.`;
};

export const bareZoneId = (id: string) => id.replace(/^\/?hostedzone\//, "");

/** A Route 53 error as an executor error: the zone and record in the message, the class by code. */
export function route53Failure(err: unknown, what: string): Error {
  const e = err as { name?: string; message?: string };
  const name = e?.name ?? "";
  const message = `${what}: ${name ? `${name}: ` : ""}${e?.message ?? String(err)}`;
  if (
    name === "NoSuchHostedZone" ||
    name === "InvalidChangeBatch" ||
    name === "InvalidInput" ||
    name === "NoSuchChange"
  )
    return fatal(message, err);
  if (name === "Throttling" || name === "ThrottlingException" || name === "PriorRequestNotComplete")
    return retryable(message, err);
  const c = classifyError(err);
  if (c.class === "retryable") return retryable(message, err);
  return c.class === "fatal" ? fatal(message, err) : (err as Error);
}

/** The zone the params name: by id (checked with GetHostedZone) or by its unique name. */
export async function resolveZone(
  r53: Route53Client,
  t: WeightedRecordTarget,
  signal: AbortSignal,
): Promise<ZoneRef> {
  const sdk = await import("@aws-sdk/client-route-53");
  if (t.hostedZoneId) {
    const id = bareZoneId(t.hostedZoneId);
    const out = await r53
      .send(new sdk.GetHostedZoneCommand({ Id: id }), { abortSignal: signal })
      .catch((err: unknown) => {
        throw route53Failure(err, `hosted zone ${id} (for ${t.recordName})`);
      });
    return { id, name: out.HostedZone?.Name ?? "" };
  }
  const wanted = fqdn(t.zoneName ?? "");
  const out = await r53
    .send(new sdk.ListHostedZonesByNameCommand({ DNSName: wanted, MaxItems: 10 }), { abortSignal: signal })
    .catch((err: unknown) => {
      throw route53Failure(err, `hosted zones named ${wanted}`);
    });
  const zones = (out.HostedZones ?? []).filter((z) => fqdn(z.Name ?? "") === wanted);
  if (zones.length === 0) throw fatal(`no Route 53 hosted zone is named ${wanted} (for ${t.recordName})`);
  if (zones.length > 1) {
    throw fatal(
      `${zones.length} hosted zones are named ${wanted} (${zones.map((z) => bareZoneId(z.Id ?? "")).join(", ")}): say which with hostedZoneId`,
    );
  }
  return { id: bareZoneId(zones[0]?.Id ?? ""), name: wanted };
}

const zoneLabel = (zone: ZoneRef) => `zone ${zone.id}${zone.name ? ` (${zone.name})` : ""}`;

/** Every weighted set of the record (of `type`, or of the one type its weighted sets have). */
export async function weightedSets(
  r53: Route53Client,
  zone: ZoneRef,
  t: WeightedRecordTarget,
  signal: AbortSignal,
): Promise<ResourceRecordSet[]> {
  const sdk = await import("@aws-sdk/client-route-53");
  const name = fqdn(t.recordName);
  const found: ResourceRecordSet[] = [];
  let start: { name: string; type?: string; identifier?: string } | undefined = {
    name,
    ...(t.type ? { type: t.type } : {}),
  };
  while (start) {
    const out: ListResourceRecordSetsCommandOutput = await r53
      .send(
        new sdk.ListResourceRecordSetsCommand({
          HostedZoneId: zone.id,
          StartRecordName: start.name,
          ...(start.type ? { StartRecordType: start.type as never } : {}),
          ...(start.identifier ? { StartRecordIdentifier: start.identifier } : {}),
        }),
        { abortSignal: signal },
      )
      .catch((err: unknown) => {
        throw route53Failure(err, `record sets of ${name} in ${zoneLabel(zone)}`);
      });
    const sets = out.ResourceRecordSets ?? [];
    const mine = sets.filter((s) => fqdn(s.Name ?? "") === name);
    found.push(...mine);
    // Sorted by name: once another name shows up, there is nothing more of this one.
    const more: boolean =
      Boolean(out.IsTruncated) && mine.length === sets.length && fqdn(out.NextRecordName ?? "") === name;
    start = more
      ? {
          name,
          ...(out.NextRecordType ? { type: out.NextRecordType } : {}),
          ...(out.NextRecordIdentifier ? { identifier: out.NextRecordIdentifier } : {}),
        }
      : undefined;
  }
  const weighted = found.filter(
    (s) => s.SetIdentifier !== undefined && s.Weight !== undefined && (!t.type || s.Type === t.type),
  );
  const types = [...new Set(weighted.map((s) => s.Type))];
  if (weighted.length === 0)
    throw fatal(
      `${name} has no weighted record sets${t.type ? ` of type ${t.type}` : ""} in ${zoneLabel(zone)}`,
    );
  if (types.length > 1)
    throw fatal(
      `${name} has weighted record sets of types ${types.join(", ")} in ${zoneLabel(zone)}: say which with type`,
    );
  return weighted;
}

/** Every identifier the params weigh must be one of the record's sets: a typo must not pass silently. */
export function checkIdentifiers(
  sets: ResourceRecordSet[],
  weights: Record<string, number>,
  zone: ZoneRef,
  recordName: string,
): void {
  const known = sets.map((s) => s.SetIdentifier ?? "");
  const unknown = Object.keys(weights).filter((id) => !known.includes(id));
  if (unknown.length > 0) {
    throw fatal(
      `${fqdn(recordName)} in ${zoneLabel(zone)} has no weighted set ${unknown.map((u) => `"${u}"`).join(", ")}; its set identifiers are ${known.join(", ")}`,
    );
  }
}

export const weightsOf = (sets: ResourceRecordSet[]): Record<string, number> =>
  Object.fromEntries(sets.map((s) => [s.SetIdentifier ?? "", s.Weight ?? 0]));

/** `us-east-1 10 / us-west-2 90` */
export const formatWeights = (w: Record<string, number>) =>
  Object.entries(w)
    .map(([id, weight]) => `${id} ${weight}`)
    .join(" / ");

/** The longest TTL of the sets: how long a resolver may keep an answer it got before the change. */
export const ttlOf = (sets: ResourceRecordSet[]) => Math.max(0, ...sets.map((s) => s.TTL ?? 0));
