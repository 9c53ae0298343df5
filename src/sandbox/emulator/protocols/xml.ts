/**
 * Renders handler results as AWS Query XML.
 *
 * Results are plain objects; lists need the element name each item is wrapped in, which
 * AWS varies per shape (`<DBClusters><DBCluster>`, `<GlobalClusters><GlobalClusterMember>`,
 * CloudWatch's `<member>`): services give a lookup by list name, defaulting to `member`.
 */
export type MemberNames = Readonly<Record<string, string>>;

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function toXml(name: string, value: unknown, members: MemberNames): string {
  if (value === undefined || value === null) return "";
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (Array.isArray(value)) {
    const member = members[name] ?? "member";
    return `<${name}>${value.map((item) => toXml(member, item, members)).join("")}</${name}>`;
  }
  if (typeof value === "object") {
    const inner = Object.entries(value)
      .map(([k, v]) => toXml(k, v, members))
      .join("");
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function queryResponseXml(
  operation: string,
  result: unknown,
  requestId: string,
  xmlns: string,
  members: MemberNames,
): string {
  const hasResult = result !== undefined && result !== null && Object.keys(result).length > 0;
  const body = hasResult ? toXml(`${operation}Result`, result, members) : "";
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${xmlns}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

export function queryErrorXml(
  type: "Sender" | "Receiver",
  code: string,
  message: string,
  requestId: string,
  xmlns: string,
): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
