import { ApiError } from "../errors.js";
import { pageOf } from "../pagination.js";
import type { ParamReader } from "../params.js";
import type { RequestContext, ServiceDefinition } from "../service.js";
import type { MetricDatum, MetricStore } from "./cloudwatch-metrics.js";
import {
  advanceReplication,
  type BucketModel,
  createS3State,
  replicationFigures,
  replicationMetrics,
  resetS3State,
  type S3Config,
  type S3State,
} from "./s3-model.js";

/**
 * Amazon S3 (rest-xml, path-style `/{Bucket}?replication`, bare `<Error>` bodies): the
 * bucket-level reads a failover's readiness needs. HeadBucket, GetBucketLocation,
 * GetBucketVersioning, GetBucketReplication and ListBuckets, with S3's codes and messages.
 * Routing and encoding come from `@aws-sdk/client-s3`'s schemas (rest-router.ts).
 *
 * Buckets are regional: a request for a bucket signed for another region is refused with
 * AuthorizationHeaderMalformed naming the bucket's region, as S3 refuses it (the SDK does
 * not follow region redirects unless told to); GetBucketLocation answers from anywhere,
 * which is what it is for.
 */

/** What an RTC rule promises, and its metrics' event threshold: S3 RTC's fixed 15 minutes. */
const RTC_MINUTES = 15;

const noSuchBucket = (name: string) =>
  new ApiError("NoSuchBucket", "The specified bucket does not exist", 404, { fields: { BucketName: name } });

function bucketFor(state: S3State, accountId: string, p: ParamReader, ctx: RequestContext): BucketModel {
  const name = p.string("Bucket");
  const bucket = state.buckets.get(name);
  if (!bucket) throw noSuchBucket(name);
  const owner = p.optionalString("ExpectedBucketOwner");
  if (owner !== undefined && owner !== accountId) throw new ApiError("AccessDenied", "Access Denied", 403);
  if (ctx.operation !== "GetBucketLocation" && bucket.region !== ctx.region) {
    throw new ApiError(
      "AuthorizationHeaderMalformed",
      `The authorization header is malformed; the region '${ctx.region}' is wrong; expecting '${bucket.region}'`,
      400,
      { fields: { Region: bucket.region } },
    );
  }
  return bucket;
}

function replicationConfiguration(bucket: BucketModel) {
  const r = bucket.replication;
  if (!r) {
    throw new ApiError(
      "ReplicationConfigurationNotFoundError",
      "The replication configuration was not found",
      404,
      { fields: { BucketName: bucket.name } },
    );
  }
  return {
    ReplicationConfiguration: {
      Role: r.role,
      Rules: [
        {
          ID: r.ruleId,
          Priority: 1,
          Filter: { Prefix: "" },
          Status: r.status,
          DeleteMarkerReplication: { Status: "Disabled" },
          Destination: {
            Bucket: `arn:aws:s3:::${r.destinationBucket}`,
            StorageClass: "STANDARD",
            ...(r.replicationTimeControl
              ? {
                  ReplicationTime: { Status: "Enabled", Time: { Minutes: RTC_MINUTES } },
                  Metrics: { Status: "Enabled", EventThreshold: { Minutes: RTC_MINUTES } },
                }
              : {}),
          },
        },
      ],
    },
  };
}

function listBuckets(state: S3State, p: ParamReader) {
  const prefix = p.optionalString("Prefix");
  const region = p.optionalString("BucketRegion");
  const max = p.optionalNumber("MaxBuckets") ?? 10_000;
  if (!Number.isInteger(max) || max < 1 || max > 10_000)
    throw new ApiError("InvalidArgument", "max-buckets must be an integer between 1 and 10000", 400, {
      fields: { ArgumentName: "max-buckets", ArgumentValue: String(max) },
    });
  const matching = [...state.buckets.values()]
    .filter((b) => (!prefix || b.name.startsWith(prefix)) && (!region || b.region === region))
    .sort((x, y) => (x.name < y.name ? -1 : 1));
  const { page, next } = pageOf(
    matching,
    p.optionalString("ContinuationToken"),
    max,
    () => new ApiError("InvalidArgument", "The continuation token provided is incorrect", 400),
  );
  return {
    Buckets: page.map((b) => ({ Name: b.name, CreationDate: b.createdAt, BucketRegion: b.region })),
    Owner: { ID: state.ownerId },
    ...(next ? { ContinuationToken: next } : {}),
    ...(prefix ? { Prefix: prefix } : {}),
  };
}

const bucketArn = (p: ParamReader) => [`arn:aws:s3:::${p.string("Bucket")}`];

export function s3Service(state: S3State, accountId: string): ServiceDefinition {
  const bucket = (p: ParamReader, ctx: RequestContext) => bucketFor(state, accountId, p, ctx);
  return {
    name: "s3",
    rest: { sdkService: "s3", xmlErrors: "Error", pathPrefixLabel: "Bucket" },
    errors: {
      missing: "InvalidArgument",
      invalid: "InvalidArgument",
      malformed: "MalformedXML",
      unknownOperation: "NotImplemented",
      throttling: "SlowDown",
      throttlingStatus: 503,
      auth: {
        unknownKey: {
          code: "InvalidAccessKeyId",
          status: 403,
          message: "The AWS Access Key Id you provided does not exist in our records.",
        },
        expiredToken: { code: "ExpiredToken", status: 400, message: "The provided token has expired." },
        badSignature: {
          code: "SignatureDoesNotMatch",
          status: 403,
          message:
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        },
      },
    },
    // IAM's names for S3's bucket operations (HeadBucket is s3:ListBucket), on `arn:aws:s3:::<bucket>`.
    iam: {
      actions: {
        HeadBucket: "ListBucket",
        GetBucketReplication: "GetReplicationConfiguration",
        ListBuckets: "ListAllMyBuckets",
        ListObjectsV2: "ListBucket",
      },
      resources: {
        HeadBucket: bucketArn,
        GetBucketLocation: bucketArn,
        GetBucketVersioning: bucketArn,
        GetBucketReplication: bucketArn,
      },
    },
    mutating: new Set(),
    operations: {
      HeadBucket: (p, ctx) => ({ BucketRegion: bucket(p, ctx).region, AccessPointAlias: false }),
      // us-east-1 is the one region S3 names with an empty LocationConstraint.
      GetBucketLocation: (p, ctx) => {
        const region = bucket(p, ctx).region;
        return region === "us-east-1" ? {} : { LocationConstraint: region };
      },
      GetBucketVersioning: (p, ctx) => ({ Status: bucket(p, ctx).versioning, MFADelete: "Disabled" }),
      GetBucketReplication: (p, ctx) => replicationConfiguration(bucket(p, ctx)),
      ListBuckets: (p) => listBuckets(state, p),
    },
  };
}

export interface BucketReplicationStatus {
  destinationBucket: string;
  ruleId: string;
  status: string;
  /** The replication-stall fault is on, or the destination's region is down. */
  stalled: boolean;
  operationsPending: number;
  replicationLatencySeconds: number;
}

/** Bucket → its region, versioning, and replication as S3's metrics would report it now. */
export type S3Status = Record<
  string,
  { region: string; versioning: string; replication?: BucketReplicationStatus }
>;

/** The emulator's S3: its state and service, the replication metrics, the replication-stall fault. */
export class S3Buckets {
  readonly state: S3State;

  constructor(
    private readonly config: S3Config | undefined,
    private readonly accountId: string,
    private readonly metricStore: MetricStore,
    private readonly isRegionDown: (region: string) => boolean,
  ) {
    this.state = createS3State(config, accountId);
    this.publish();
  }

  service(): ServiceDefinition {
    return s3Service(this.state, this.accountId);
  }

  /** Replication from `bucket` stops (operations pile up) until called again with `on` false. */
  stall(bucketName: string, on: boolean): void {
    const bucket = this.state.buckets.get(bucketName);
    if (!bucket?.replication)
      throw new Error(
        `${bucketName} has no replication configuration (buckets that replicate: ${this.replicating().join(", ") || "none"})`,
      );
    this.advance();
    bucket.replication.stallFault = on;
    // A datapoint at once, so a probe right after the change sees it.
    this.publish();
  }

  /** `AWS/S3 OperationsPendingReplication` and `ReplicationLatency`, sampled with the other sources. */
  metrics(): MetricDatum[] {
    this.advance();
    return replicationMetrics(this.state, Date.now(), this.isRegionDown);
  }

  /** The topology's buckets, replication flowing with no backlog; a first datapoint right away. */
  reset(): void {
    resetS3State(this.state, this.config, this.accountId);
    this.publish();
  }

  status(): S3Status {
    this.advance();
    const now = Date.now();
    const out: S3Status = {};
    for (const b of this.state.buckets.values()) {
      const r = b.replication;
      const figures = r ? replicationFigures(r, now) : undefined;
      out[b.name] = {
        region: b.region,
        versioning: b.versioning,
        ...(r && figures
          ? {
              replication: {
                destinationBucket: r.destinationBucket,
                ruleId: r.ruleId,
                status: r.status,
                stalled: !this.flowing(b),
                operationsPending: figures.operationsPending,
                replicationLatencySeconds: figures.latencySeconds,
              },
            }
          : {}),
      };
    }
    return out;
  }

  private replicating(): string[] {
    return [...this.state.buckets.values()].filter((b) => b.replication).map((b) => b.name);
  }

  private flowing(b: BucketModel): boolean {
    const r = b.replication;
    return !!r && !r.stallFault && !this.isRegionDown(r.destinationRegion);
  }

  private advance(): void {
    const now = Date.now();
    for (const b of this.state.buckets.values())
      if (b.replication) advanceReplication(b.replication, now, this.flowing(b));
  }

  private publish(): void {
    for (const datum of this.metrics()) this.metricStore.put(datum);
  }
}
