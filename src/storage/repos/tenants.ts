// Tenants: looked up by slug on every request, so a warm isolate keeps them briefly. The worker never creates
// one: `npm run keys -- create` does (tools/tenant-statements.ts).
import { eq } from "drizzle-orm";
import type { Db } from "../d1/db.ts";
import { tenants } from "../schema.ts";
import { TtlCache } from "../../util/ttl-cache.ts";

export interface Tenant {
  id: number;
  slug: string;
  region: string;
  defaultOrganization: string | null;
  status: "active" | "suspended";
}

const cache = new TtlCache<Tenant>(1000);

export async function findTenant(db: Db, slug: string, cacheSeconds: number): Promise<Tenant | null> {
  const cached = cache.get(slug);
  if (cached) return cached;
  const row = await db
    .select({
      id: tenants.id,
      slug: tenants.slug,
      region: tenants.region,
      defaultOrganization: tenants.defaultOrganization,
      status: tenants.status,
    })
    .from(tenants)
    .where(eq(tenants.slug, slug))
    .get();
  if (!row) return null;
  cache.set(slug, row, cacheSeconds * 1000);
  return row;
}
