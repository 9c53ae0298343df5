/**
 * One page of a list operation, continued by an opaque token (here: the index of the next
 * item). `invalidToken` builds the service's own error for a token it never handed out.
 */
export function pageOf<T>(
  items: readonly T[],
  token: string | undefined,
  limit: number,
  invalidToken: () => Error,
): { page: T[]; next: string | undefined } {
  const start = token === undefined ? 0 : Number(token);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw invalidToken();
  const end = start + limit;
  return { page: items.slice(start, end), next: end < items.length ? String(end) : undefined };
}
