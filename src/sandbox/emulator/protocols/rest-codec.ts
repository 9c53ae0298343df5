import type { IncomingHttpHeaders } from "node:http";
import { createRequire } from "node:module";
import type * as SmithyProtocols from "@smithy/core/protocols";
import type * as SmithySchema from "@smithy/core/schema";
import type { SdkModule } from "../../../aws/sdk-modules.js";
import { ApiError } from "../errors.js";
import type { Params } from "../params.js";
import type { RestRoute } from "./rest-routes.js";

/**
 * Request decoding and reply encoding for the REST protocols, driven by the SDK's own
 * schemas and codecs: the client package's protocol object (`client.config.protocol`, an
 * `AwsRestXmlProtocol` or `AwsRestJsonProtocol`) brings the XML or JSON shape
 * (de)serializers the SDK itself uses, with the service's XML namespace and timestamp
 * formats; `NormalizedSchema` walks the operation's input and output members and their HTTP
 * binding traits (httpLabel, httpQuery, httpHeader, httpPrefixHeaders, httpPayload,
 * httpResponseCode). So the emulator reads what the SDK writes, and writes what it reads,
 * without a hand-written parser per operation.
 */

export type RestProtocolName = "rest-xml" | "rest-json";

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

type Schema = SmithySchema.NormalizedSchema;
type SchemaRef = Parameters<typeof SmithySchema.NormalizedSchema.of>[0];
interface ShapeCodec {
  settings: ConstructorParameters<typeof SmithyProtocols.FromStringShapeDeserializer>[0] & {
    xmlNamespace?: string;
  };
  createSerializer(): { write(schema: unknown, value: unknown): void; flush(): string | Uint8Array };
  createDeserializer(): { read(schema: unknown, data: Uint8Array): Promise<unknown> | unknown };
}
interface SdkProtocol {
  getShapeId(): string;
  codec: ShapeCodec;
  setSerdeContext(context: unknown): void;
}

const PROTOCOLS: Record<string, RestProtocolName> = {
  "aws.protocols#restXml": "rest-xml",
  "aws.protocols#restJson1": "rest-json",
};

// CommonJS, as sdk-modules loads the clients: one copy of smithy's schema classes for both.
const requireCjs = createRequire(import.meta.url);
let smithy: { schema: typeof SmithySchema; protocols: typeof SmithyProtocols } | undefined;
const loadSmithy = () =>
  (smithy ??= {
    schema: requireCjs("@smithy/core/schema") as typeof SmithySchema,
    protocols: requireCjs("@smithy/core/protocols") as typeof SmithyProtocols,
  });

export interface DecodeErrors {
  /** Code for a value of the wrong type in a label, query or header. */
  invalid: string;
  /** Code for a body the codec cannot parse. */
  malformed: string;
}

export class RestCodec {
  private readonly strings: SmithyProtocols.FromStringShapeDeserializer;

  private constructor(
    readonly protocol: RestProtocolName,
    private readonly codec: ShapeCodec,
    serdeContext: unknown,
  ) {
    this.strings = new (loadSmithy().protocols.FromStringShapeDeserializer)(codec.settings);
    this.strings.setSerdeContext(serdeContext as never);
  }

  /** The codec of a client package, taken from a client built (and never used) for the purpose. */
  static of(mod: SdkModule): RestCodec {
    const client = new mod.Client({
      region: "us-east-1",
      credentials: { accessKeyId: "emulator", secretAccessKey: "emulator" },
    });
    const config = (client as { config?: { protocol?: SdkProtocol } }).config;
    client.destroy();
    const sdk = config?.protocol;
    const name = sdk ? PROTOCOLS[sdk.getShapeId()] : undefined;
    if (!sdk || !name) {
      throw new Error(`${mod.packageName} does not speak a REST protocol (${sdk?.getShapeId() ?? "none"})`);
    }
    sdk.setSerdeContext(config);
    return new RestCodec(name, sdk.codec, config);
  }

  get xmlNamespace(): string | undefined {
    return this.codec.settings.xmlNamespace;
  }

  get contentType(): string {
    return this.protocol === "rest-xml" ? "text/xml" : "application/json";
  }

  /** The operation's input, as the JSON protocols would send it (timestamps as ISO strings). */
  async decode(
    route: RestRoute,
    labels: Record<string, string>,
    query: URLSearchParams,
    headers: IncomingHttpHeaders,
    body: Buffer,
    errors: DecodeErrors,
  ): Promise<Params> {
    const { schema } = loadSmithy();
    const input = schema.NormalizedSchema.of(route.input as SchemaRef);
    const params: Params = {};
    if (!input.isStructSchema()) return params;
    const bound = new Set<string>();
    const bodyMembers: string[] = [];
    let payload: [string, Schema] | undefined;
    let queryMap: string | undefined;
    const scalar = (member: Schema, raw: string, where: string) => {
      const value: unknown = this.strings.read(member, raw);
      if (typeof value === "number" && Number.isNaN(value))
        throw new ApiError(errors.invalid, `Value '${raw}' at '${where}' must be a number`, 400);
      return value;
    };
    for (const [name, member] of input.structIterator()) {
      const t = member.getMergedTraits();
      if (t.httpLabel) {
        const raw = labels[name];
        if (raw !== undefined) params[name] = scalar(member, raw, name);
      } else if (typeof t.httpQuery === "string") {
        bound.add(t.httpQuery);
        const values = query.getAll(t.httpQuery);
        if (values.length === 0) continue;
        params[name] = member.isListSchema()
          ? values.map((v) => scalar(member.getValueSchema(), v, t.httpQuery as string))
          : scalar(member, values[0] ?? "", t.httpQuery);
      } else if (t.httpQueryParams) {
        queryMap = name;
      } else if (typeof t.httpHeader === "string") {
        const raw = header(headers, t.httpHeader);
        if (raw !== undefined) params[name] = scalar(member, raw, t.httpHeader);
      } else if (typeof t.httpPrefixHeaders === "string") {
        const prefix = t.httpPrefixHeaders.toLowerCase();
        const map = Object.entries(headers).filter(([k]) => k.startsWith(prefix) && k.length > prefix.length);
        if (map.length)
          params[name] = Object.fromEntries(map.map(([k, v]) => [k.slice(prefix.length), String(v)]));
      } else if (t.httpPayload) {
        payload = [name, member];
      } else {
        bodyMembers.push(name);
      }
    }
    if (queryMap) {
      const rest = [...query].filter(([k]) => !bound.has(k));
      if (rest.length) params[queryMap] = Object.fromEntries(rest);
    }
    const read = async (shape: unknown) => {
      try {
        return await this.codec.createDeserializer().read(shape, body);
      } catch (error) {
        throw new ApiError(
          errors.malformed,
          `The request body could not be parsed: ${messageOf(error)}`,
          400,
        );
      }
    };
    if (payload) {
      const [name, member] = payload;
      if (member.isStructSchema() || member.isDocumentSchema()) {
        if (body.length > 0) params[name] = await read(member);
      } else if (member.isBlobSchema() || member.isStreaming()) {
        params[name] = new Uint8Array(body);
      } else if (body.length > 0) {
        params[name] = body.toString("utf8");
      }
    } else if (bodyMembers.length > 0 && body.length > 0) {
      const decoded = (await read(subsetSchema(input, bodyMembers))) as Params | undefined;
      for (const name of bodyMembers) if (decoded?.[name] !== undefined) params[name] = decoded[name];
    }
    return isoDates(params) as Params;
  }

  /** A handler's result as the HTTP reply the SDK expects for this operation. */
  encode(route: RestRoute, output: unknown): HttpReply {
    const { schema } = loadSmithy();
    const out = schema.NormalizedSchema.of(route.output as SchemaRef);
    const value = (output && typeof output === "object" ? output : {}) as Record<string, unknown>;
    const reply: HttpReply = {
      status: route.successCode,
      headers: { "content-type": this.contentType },
      body: "",
    };
    if (!out.isStructSchema()) return reply;
    const bodyMembers: string[] = [];
    let payload: [string, Schema] | undefined;
    for (const [name, member] of out.structIterator()) {
      const t = member.getMergedTraits();
      const v = value[name];
      if (typeof t.httpHeader === "string") {
        if (v !== undefined && v !== null) reply.headers[t.httpHeader.toLowerCase()] = headerText(member, v);
      } else if (typeof t.httpPrefixHeaders === "string") {
        for (const [k, item] of Object.entries((v ?? {}) as Record<string, unknown>))
          reply.headers[`${t.httpPrefixHeaders}${k}`.toLowerCase()] = String(item);
      } else if (t.httpResponseCode) {
        if (typeof v === "number") reply.status = v;
      } else if (t.httpPayload) {
        payload = [name, member];
      } else {
        bodyMembers.push(name);
      }
    }
    if (payload) {
      const [name, member] = payload;
      const v = value[name];
      if (v === undefined || v === null) return reply;
      if (member.isStructSchema() || member.isDocumentSchema()) reply.body = this.serialize(member, v);
      else if (v instanceof Uint8Array) {
        reply.body = v;
        reply.headers["content-type"] = "application/octet-stream";
      } else reply.body = String(v);
    } else if (bodyMembers.length > 0) {
      reply.body = this.serialize(subsetSchema(out, bodyMembers), value);
    }
    return reply;
  }

  private serialize(shape: unknown, value: unknown): string | Uint8Array {
    const serializer = this.codec.createSerializer();
    serializer.write(shape, value);
    const text = serializer.flush();
    return this.protocol === "rest-xml" ? `<?xml version="1.0" encoding="UTF-8"?>\n${text}` : text;
  }
}

/** A structure of only some members (those in the body), in the static schema form smithy reads. */
function subsetSchema(shape: Schema, names: string[]): unknown {
  const source = shape.getSchema() as [number, string, string, unknown, string[], unknown[]];
  const refs = names.map((n) => source[5][source[4].indexOf(n)]);
  return [3, source[1], source[2], source[3], names, refs];
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(", ") : v;
}

function headerText(member: Schema, v: unknown): string {
  if (Array.isArray(v)) {
    const item = member.getValueSchema();
    return v.map((x) => headerText(item, x)).join(", ");
  }
  if (member.isTimestampSchema()) {
    const d = v instanceof Date ? v : new Date(typeof v === "number" ? v * 1000 : String(v));
    const format = member.getSchema();
    if (format === 5) return d.toISOString();
    if (format === 7) return String(d.getTime() / 1000);
    return d.toUTCString();
  }
  return String(v);
}

/** Handlers read timestamps as the JSON and Query protocols give them: strings, not Dates. */
function isoDates(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(isoDates);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isoDates(v)]));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
