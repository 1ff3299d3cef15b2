// ETag preconditions (RFC 7644 §3.14): If-Match on writes, If-None-Match on reads.
import { ScimError } from "../scim/errors.ts";
import { etagMatches } from "../scim/meta.ts";

export function checkIfMatch(request: Request, version: number): void {
  const ifMatch = request.headers.get("If-Match");
  if (ifMatch !== null && !etagMatches(ifMatch, version)) {
    throw new ScimError(412, "The resource has changed since the version named in If-Match; read it again and retry.");
  }
}

export function notModified(request: Request, version: number): boolean {
  const ifNoneMatch = request.headers.get("If-None-Match");
  return ifNoneMatch !== null && etagMatches(ifNoneMatch, version);
}

/** If-Match named the version read, but another write changed the resource before this one landed. */
export const changedMeanwhile = () => new ScimError(412, "The resource changed while this request was applied; read it again and retry.");
