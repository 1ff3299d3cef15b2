// The statements that create and look up a tenant: the only place a tenant row is written. `npm run keys --
// create` (and through it `npm run oauth`, the bench and the load test) sends them through `wrangler d1
// execute`, which takes no bound parameters, so values are SQL literals (tools/sql.ts). The worker tests
// run the same statement on their D1 binding (test/support/worker/tenants.ts). No Node imports: both sides
// load this file.
import { sqlNullableString, sqlString } from "./sql.ts";

export interface NewTenant {
  slug: string;
  /** The deployment environment (`com`, `de`), or `local`. */
  region: string;
  defaultOrganization: string | null;
}

export const selectTenantStatus = (slug: string) => `SELECT status FROM tenants WHERE slug = ${sqlString(slug)}`;

/** Inserts the tenant unless its slug exists; RETURNING yields a row only if this insert did (a concurrent create may have won). */
export function insertTenant(tenant: NewTenant, createdAt = new Date().toISOString()): string {
  return (
    `INSERT INTO tenants (slug, region, default_organization, status, created_at) ` +
    `VALUES (${sqlString(tenant.slug)}, ${sqlString(tenant.region)}, ${sqlNullableString(tenant.defaultOrganization)}, 'active', ${sqlString(createdAt)}) ` +
    `ON CONFLICT (slug) DO NOTHING RETURNING id`
  );
}
