// ETag preconditions (RFC 7644 §3.14): If-Match on writes, If-None-Match on reads.
import { preconditionFailed } from "../scim/errors.ts";
import { etagMatches } from "../scim/meta.ts";

export function checkIfMatch(request: Request, version: number): void {
  const ifMatch = request.headers.get("If-Match");
  if (ifMatch !== null && !etagMatches(ifMatch, version)) {
    throw preconditionFailed();
  }
}

export function notModified(request: Request, version: number): boolean {
  const ifNoneMatch = request.headers.get("If-None-Match");
  return ifNoneMatch !== null && etagMatches(ifNoneMatch, version);
}
