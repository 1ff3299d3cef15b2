// Absolute URLs come from the deployment's PUBLIC_BASE_URL, never from the request's Host header.
export function tenantBaseUrl(publicBaseUrl: string, tenantSlug: string): string {
  return `${publicBaseUrl.replace(/\/+$/, "")}/t/${tenantSlug}/scim/v2`;
}
