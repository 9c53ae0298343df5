import { ApiError } from "../../../src/sandbox/emulator/errors.js";
import type { ServiceDefinition } from "../../../src/sandbox/emulator/service.js";

/**
 * Test-only REST services, defined the way a service file would be: a name, `rest` with
 * the SDK package whose schemas route and encode, error codes, and operation handlers.
 */

/** A rest-json service for this test only, routed from the real Lambda client's schemas. */
export function testLambda(): ServiceDefinition {
  const mapping = {
    UUID: "esm-1",
    FunctionArn: "arn:aws:lambda:us-west-2:111111111111:function:case-outbox",
    State: "Enabled",
    BatchSize: 10,
  };
  return {
    name: "lambda",
    rest: { sdkService: "lambda" },
    errors: {
      missing: "InvalidParameterValueException",
      invalid: "InvalidParameterValueException",
      unknownOperation: "UnknownOperationException",
      throttling: "TooManyRequestsException",
      throttlingStatus: 429,
    },
    mutating: new Set(["UpdateEventSourceMapping"]),
    operations: {
      GetFunction: (p, ctx) => {
        const name = p.string("FunctionName");
        if (name !== "case-outbox")
          throw new ApiError("ResourceNotFoundException", `Function not found: ${name}`, 404, {
            fields: { Type: "User" },
          });
        return {
          Configuration: {
            FunctionName: name,
            FunctionArn: `arn:aws:lambda:${ctx.region}:111111111111:function:${name}`,
            Timeout: 3,
          },
          Tags: { team: "case" },
        };
      },
      ListEventSourceMappings: (p) => ({
        EventSourceMappings: p.optionalString("FunctionName") === "case-outbox" ? [mapping] : [],
        NextMarker: `max-${p.optionalNumber("MaxItems") ?? "none"}`,
      }),
      UpdateEventSourceMapping: (p) => {
        if (p.string("UUID") !== mapping.UUID)
          throw new ApiError("ResourceNotFoundException", "The resource you requested does not exist.", 404);
        mapping.State = p.boolean("Enabled") === false ? "Disabled" : "Enabled";
        return { ...mapping, LastModified: new Date("2026-12-01T00:00:00Z") };
      },
    },
  };
}

/** A rest-xml service in S3's style: path-style bucket, bare `<Error>` bodies. */
export function testS3(): ServiceDefinition {
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
    },
    mutating: new Set(),
    operations: {
      GetBucketReplication: (p) => {
        const bucket = p.string("Bucket");
        if (bucket !== "case-evidence-us-east-1")
          throw new ApiError("NoSuchBucket", "The specified bucket does not exist", 404, {
            fields: { BucketName: bucket },
          });
        return {
          ReplicationConfiguration: {
            Role: "arn:aws:iam::111111111111:role/replication",
            Rules: [
              {
                ID: "to-recovery",
                Status: "Enabled",
                Priority: 1,
                Destination: { Bucket: "arn:aws:s3:::case-evidence-us-west-2" },
              },
            ],
          },
        };
      },
      ListObjectsV2: (p) => ({
        Name: p.string("Bucket"),
        Prefix: p.optionalString("Prefix"),
        KeyCount: 1,
        MaxKeys: p.optionalNumber("MaxKeys") ?? 1000,
        IsTruncated: false,
        Contents: [{ Key: "evidence/1.json", Size: 12, LastModified: new Date("2026-12-01T00:00:00Z") }],
      }),
    },
  };
}
