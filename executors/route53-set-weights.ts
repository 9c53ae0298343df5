import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ResourceRecordSet, Route53Client } from "@aws-sdk/client-route-53";
import { z } from "zod";
import { poll } from "../src/aws/poll.js";
import {
  bareZoneId,
  checkIdentifiers,
  formatWeights,
  resolveZone,
  route53Failure,
  ttlOf,
  weightedSets,
  weightsOf,
  type ZoneRef,
} from "../src/aws/route53-weights.js";
import { defineExecutor, type ExecutorContext, type Outputs } from "../src/executor.js";
import { allow, isKnown, resourceArn } from "../src/iam/arn.js";

/**
 * Shift traffic between the sets of a Route 53 weighted record: one atomic
 * ChangeResourceRecordSets of UPSERTs (each set keeps its TTL, values or alias and health
 * check; only its weight changes), then GetChange until INSYNC. Clients may still hold the
 * old answer for one TTL after that: `oldAnswerUntil` says until when.
 *
 * The change id is kept in the step's scratch folder before waiting, so a resume after a
 * crash mid-wait waits for that change instead of submitting another.
 */

const RECORD_TYPES = [
  "A",
  "AAAA",
  "CNAME",
  "TXT",
  "MX",
  "SRV",
  "CAA",
  "NAPTR",
  "PTR",
  "SPF",
  "DS",
  "TLSA",
  "SSHFP",
  "SVCB",
  "HTTPS",
] as const;

const params = z
  .strictObject({
    hostedZoneId: z
      .string()
      .min(1)
      .optional()
      .describe("The hosted zone (Z…, or /hostedzone/Z…); or give zoneName"),
    zoneName: z
      .string()
      .min(1)
      .optional()
      .describe("Found with ListHostedZonesByName; must name exactly one zone"),
    recordName: z.string().min(1).describe("The weighted record's DNS name, e.g. api.case.internal"),
    type: z.enum(RECORD_TYPES).optional().describe("Default: the type the record's weighted sets have"),
    weights: z
      .record(z.string().min(1), z.number().int().min(0).max(255))
      .refine((w) => Object.keys(w).length > 0, { message: "give the weight of at least one set identifier" })
      .describe("Weight (0–255) per set identifier; sets not named keep theirs"),
    waitForSync: z.boolean().optional().describe("Default true: wait until GetChange says INSYNC"),
  })
  .refine((p) => Boolean(p.hostedZoneId) !== Boolean(p.zoneName), {
    message: "give exactly one of hostedZoneId or zoneName",
  });
type Params = z.infer<typeof params>;

/** The change this step submitted, kept where a resume finds it. */
interface SubmittedChange {
  /** "" from just before the call until its answer: a change was (maybe) sent, id unknown. */
  changeId: string;
  zoneId: string;
  recordName: string;
  weights: Record<string, number>;
  submittedAt: string;
  insyncAt?: string;
}

const changeFile = (ctx: ExecutorContext) => join(ctx.scratchDir, "route53-change.json");

async function readSubmitted(
  ctx: ExecutorContext,
  p: Params,
  zone: ZoneRef,
): Promise<SubmittedChange | undefined> {
  try {
    const c = JSON.parse(await readFile(changeFile(ctx), "utf8")) as SubmittedChange;
    const same = c.zoneId === zone.id && c.recordName === p.recordName && sameWeights(c.weights, p.weights);
    return same ? c : undefined;
  } catch {
    return undefined;
  }
}

async function writeSubmitted(ctx: ExecutorContext, c: SubmittedChange): Promise<void> {
  await mkdir(ctx.scratchDir, { recursive: true });
  const tmp = `${changeFile(ctx)}.tmp`;
  await writeFile(tmp, JSON.stringify(c));
  await rename(tmp, changeFile(ctx));
}

const sameWeights = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

const ROUTE53_REGION = "us-east-1";

async function locate(p: Params, ctx: ExecutorContext) {
  const r53 = await ctx.aws.client("route-53", ROUTE53_REGION);
  const zone = await resolveZone(r53, p, ctx.signal);
  const sets = await weightedSets(r53, zone, p, ctx.signal);
  checkIdentifiers(sets, p.weights, zone, p.recordName);
  const current = weightsOf(sets);
  const pending = Object.entries(p.weights).filter(([id, w]) => current[id] !== w);
  return { r53, zone, sets, current, inPlace: pending.length === 0 };
}

async function changeStatus(
  r53: Route53Client,
  id: string,
  zone: ZoneRef,
  signal: AbortSignal,
): Promise<string> {
  const { GetChangeCommand } = await import("@aws-sdk/client-route-53");
  const out = await r53
    .send(new GetChangeCommand({ Id: id }), { abortSignal: signal })
    .catch((err: unknown) => {
      throw route53Failure(err, `change ${id} of zone ${zone.id}`);
    });
  return out.ChangeInfo?.Status ?? "PENDING";
}

const shortId = (id: string) => id.replace(/^\/change\//, "");
const untilIso = (from: Date, ttlSeconds: number) =>
  new Date(from.getTime() + ttlSeconds * 1000).toISOString();

/** UPSERTs of the sets whose weight differs; all the named sets when confirming a change already in. */
function upserts(sets: ResourceRecordSet[], weights: Record<string, number>, confirm = false) {
  return sets
    .filter(
      (s) =>
        weights[s.SetIdentifier ?? ""] !== undefined &&
        (confirm || weights[s.SetIdentifier ?? ""] !== s.Weight),
    )
    .map((s) => ({
      Action: "UPSERT" as const,
      // Everything else about the set (TTL, values or alias, health check) is sent back as it is.
      ResourceRecordSet: { ...s, Weight: weights[s.SetIdentifier ?? ""] },
    }));
}

export const route53SetWeights = defineExecutor({
  type: "route53.set-weights",
  summary: "Set the weights of a Route 53 weighted record in one atomic change and wait for INSYNC",
  params,
  aws: true,
  permissions(p, scope) {
    // Route 53 is global: hosted zone and change ARNs have no region or account, and its API
    // is called in us-east-1 (see `locate`).
    const regions = [ROUTE53_REGION];
    const zone = resourceArn(
      "route53",
      "hostedzone",
      { Id: isKnown(p.hostedZoneId) ? bareZoneId(p.hostedZoneId) : undefined },
      scope,
      undefined,
    );
    const reads = [
      p.hostedZoneId !== undefined
        ? allow("route53:GetHostedZone", [zone], regions)
        : allow("route53:ListHostedZonesByName", ["*"], regions),
      allow("route53:ListResourceRecordSets", [zone], regions),
      allow("route53:GetChange", [resourceArn("route53", "change", {}, scope, undefined)], regions),
    ];
    return { check: reads, run: [...reads, allow("route53:ChangeResourceRecordSets", [zone], regions)] };
  },
  describe: (p) =>
    `Route 53 ChangeResourceRecordSets on ${p.recordName} in ${p.hostedZoneId ?? p.zoneName}: weights ${formatWeights(p.weights)} in one atomic change (UPSERT, each set's other attributes kept)${p.waitForSync === false ? "" : ", then GetChange until INSYNC"}; clients may keep the old answer for one TTL`,
  async check(p, ctx) {
    const { r53, zone, sets, current, inPlace } = await locate(p, ctx);
    const ttlSeconds = ttlOf(sets);
    if (!inPlace)
      return {
        inPlace: false,
        detail: `weights are ${formatWeights(current)}; want ${formatWeights(p.weights)}`,
      };
    const ours = await readSubmitted(ctx, p, zone);
    if (ours && !ours.changeId && p.waitForSync !== false) {
      // Stopped between sending the change and hearing its id: the weights are in, but whether
      // they have propagated cannot be asked. An identical UPSERT changes nothing and gives an id
      // whose INSYNC means every earlier change of the zone is in sync too.
      return {
        inPlace: false,
        detail: `weights already ${formatWeights(current)}; this step's change was sent but its id never recorded: an identical UPSERT will confirm it`,
      };
    }
    if (ours && !ours.insyncAt && p.waitForSync !== false) {
      const status = await changeStatus(r53, ours.changeId, zone, ctx.signal);
      if (status !== "INSYNC")
        return {
          inPlace: false,
          detail: `weights already ${formatWeights(current)}; change ${shortId(ours.changeId)} still ${status}`,
        };
    }
    // Not knowing when the weights were set, assume just now: clients may hold the old answer one TTL more.
    const syncedAt = ours?.insyncAt ? new Date(ours.insyncAt) : ctx.now();
    return {
      inPlace: true,
      detail: `weights already ${formatWeights(current)}`,
      outputs: {
        changeId: ours?.changeId ?? null,
        ttlSeconds,
        oldAnswerUntil: untilIso(syncedAt, ttlSeconds),
        weights: current,
      },
    };
  },
  async run(p, ctx): Promise<Outputs> {
    const { ChangeResourceRecordSetsCommand } = await import("@aws-sdk/client-route-53");
    const { r53, zone, sets, current, inPlace } = await locate(p, ctx);
    const ttlSeconds = ttlOf(sets);
    const target = { ...current, ...p.weights };
    let submitted = await readSubmitted(ctx, p, zone);
    if (!inPlace || (submitted && !submitted.changeId)) {
      const marker = { changeId: "", zoneId: zone.id, recordName: p.recordName, weights: p.weights };
      await writeSubmitted(ctx, { ...marker, submittedAt: ctx.now().toISOString() });
      const out = await r53
        .send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: zone.id,
            ChangeBatch: {
              Comment: `runbook ${ctx.executionId} ${ctx.stepId}: ${formatWeights(target)}`,
              Changes: upserts(sets, p.weights, inPlace),
            },
          }),
          { abortSignal: ctx.signal },
        )
        .catch((err: unknown) => {
          throw route53Failure(
            err,
            `weights ${formatWeights(p.weights)} on ${p.recordName} in zone ${zone.id}`,
          );
        });
      submitted = {
        changeId: out.ChangeInfo?.Id ?? "",
        zoneId: zone.id,
        recordName: p.recordName,
        weights: p.weights,
        submittedAt: (out.ChangeInfo?.SubmittedAt ?? ctx.now()).toISOString(),
      };
      await writeSubmitted(ctx, submitted);
      ctx.logger.info({ changeId: submitted.changeId, weights: target }, "ChangeResourceRecordSets accepted");
    } else if (submitted) {
      ctx.logger.info(
        { changeId: submitted.changeId },
        "weights already set by this step's change: waiting for it",
      );
    }
    ctx.measure("dns_ttl_ms", ttlSeconds * 1000, "ms");
    const changeId = submitted?.changeId ?? null;
    if (p.waitForSync === false || !submitted || submitted.insyncAt) {
      const synced = submitted?.insyncAt ? new Date(submitted.insyncAt) : undefined;
      return {
        changeId,
        ttlSeconds,
        // Not waited for: the old answer may last until INSYNC (unknown) plus one TTL.
        oldAnswerUntil: synced
          ? untilIso(synced, ttlSeconds)
          : p.waitForSync === false
            ? null
            : untilIso(ctx.now(), ttlSeconds),
        weights: target,
        previousWeights: current,
      };
    }
    const id = submitted.changeId;
    const insyncAt = await poll(
      async () => {
        const status = await changeStatus(r53, id, zone, ctx.signal);
        return status === "INSYNC"
          ? { state: "SUCCESS", value: ctx.now() }
          : { state: "RETRY", detail: status };
      },
      {
        signal: ctx.signal,
        minDelayMs: 200,
        maxDelayMs: 2_000,
        onRetry: (status) =>
          ctx.progress(`change ${shortId(id)} ${status ?? "PENDING"}, weights ${formatWeights(target)}`),
      },
    );
    await writeSubmitted(ctx, { ...submitted, insyncAt: insyncAt.toISOString() });
    return {
      changeId: id,
      ttlSeconds,
      insyncAt: insyncAt.toISOString(),
      oldAnswerUntil: untilIso(insyncAt, ttlSeconds),
      weights: target,
      previousWeights: current,
    };
  },
});
