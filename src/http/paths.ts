// Request paths as identity providers send them: `/scim/v2` in any case, an optional `/t/<tenant>` prefix,
// and trailing or doubled slashes (Okta doubles one when its base URL ends in `/`).
const SCIM_PREFIX = /^(?:\/t\/([^/]+))?\/scim\/v2(?=\/|$)/i;

const CANONICAL_ENDPOINTS = new Map(
  ["Users", "Groups", "ServiceProviderConfig", "ResourceTypes", "Schemas", "Bulk", "Me", ".search"].map((name) => [
    name.toLowerCase(),
    name,
  ]),
);

export interface ScimPath {
  /** The tenant slug named in the URL (`/t/<tenant>/...`), or null for the credential's tenant. */
  tenant: string | null;
  /** Canonical path below `/scim/v2`, starting with `/` or empty. */
  rest: string;
}

export function parseScimPath(pathname: string): ScimPath | null {
  const collapsed = pathname.replace(/\/{2,}/g, "/");
  const trimmed = collapsed.length > 1 ? collapsed.replace(/\/$/, "") : collapsed;
  const match = SCIM_PREFIX.exec(trimmed);
  if (!match) return null;
  const segments = trimmed.slice(match[0].length).split("/");
  const first = segments[1];
  if (first !== undefined) segments[1] = CANONICAL_ENDPOINTS.get(first.toLowerCase()) ?? first;
  let tenant: string | null = null;
  if (match[1] !== undefined) {
    try {
      tenant = decodeURIComponent(match[1]);
    } catch {
      tenant = match[1];
    }
  }
  return { tenant, rest: segments.join("/") };
}

/** The path Hono routes on: every accepted spelling maps to `/scim/v2/<Endpoint>/...`. */
export function routingPath(request: Request): string {
  const pathname = new URL(request.url).pathname;
  const scim = parseScimPath(pathname);
  return scim ? `/scim/v2${scim.rest}` : pathname;
}
