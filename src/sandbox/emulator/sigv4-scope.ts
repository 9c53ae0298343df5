/**
 * What the emulator needs from a SigV4 Authorization header: the region, service and
 * access key of the credential scope. Signatures are not verified: the sandbox accepts
 * any credentials, like most local emulators.
 *
 * `AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/rds/aws4_request, SignedHeaders=…`
 */
export interface CredentialScope {
  accessKeyId: string;
  region: string;
  service: string;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

export function credentialScope(authorization: string | undefined): CredentialScope | undefined {
  if (!authorization) return undefined;
  const match = CREDENTIAL.exec(authorization);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { accessKeyId: match[1], region: match[2], service: match[3] };
}
