// Tenants for worker tests, created by the statement `npm run keys -- create` sends (tools/tenant-statements.ts),
// run on the test's D1 binding instead of through wrangler: production has one way to create a tenant, and
// the tests use it.
import { env } from "cloudflare:workers";
import { insertTenant } from "../../../tools/tenant-statements.ts";

/** Creates the tenant (region `local`, as the CLI's local target does) unless it exists. */
export async function createTenant(slug: string, defaultOrganization: string | null = null): Promise<void> {
  await env.DB.prepare(insertTenant({ slug, region: "local", defaultOrganization })).run();
}

/** The tenant's row id (what storage and seeding statements key on). */
export async function tenantId(slug: string): Promise<number> {
  const row = await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(slug).first<{ id: number }>();
  if (row === null) throw new Error(`no tenant ${slug}`);
  return row.id;
}
