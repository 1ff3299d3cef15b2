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

// The application API (`/v1/...`, `/t/<tenant>/v1/...`): case-sensitive like any JSON API, slashes tolerated.
const APP_PREFIX = /^(?:\/t\/([^/]+))?\/v1(?=\/|$)/;

/** The application API path below `/v1`, and the tenant named in the URL; null when not an /v1 path. */
export function parseAppPath(pathname: string): ScimPath | null {
  const collapsed = pathname.replace(/\/{2,}/g, "/");
  const trimmed = collapsed.length > 1 ? collapsed.replace(/\/$/, "") : collapsed;
  const match = APP_PREFIX.exec(trimmed);
  if (!match) return null;
  return { tenant: match[1] === undefined ? null : decodeSegment(match[1]), rest: trimmed.slice(match[0].length) };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The tenant a SCIM or application URL names (`/t/<tenant>/...`), or null when the credential decides. */
export function pathTenant(pathname: string): string | null {
  return (parseScimPath(pathname) ?? parseAppPath(pathname))?.tenant ?? null;
}

/** The path Hono routes on: every accepted spelling maps to `/scim/v2/<Endpoint>/...` or `/v1/...`. */
export function routingPath(request: Request): string {
  const pathname = new URL(request.url).pathname;
  const scim = parseScimPath(pathname);
  if (scim) return `/scim/v2${scim.rest}`;
  const app = parseAppPath(pathname);
  return app ? `/v1${app.rest}` : pathname;
}
