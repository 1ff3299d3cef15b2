// Tenants: looked up by slug on every request, so a warm isolate keeps them briefly. The worker never creates
// one: `npm run keys -- create` does (tools/tenant-statements.ts).
import { eq } from "drizzle-orm";
import { openDb, type Db } from "../d1/db.ts";
import { tenants } from "../schema.ts";
import { TtlCache } from "../../util/ttl-cache.ts";

export interface Tenant {
  id: number;
  slug: string;
  region: string;
  defaultOrganization: string | null;
  status: "active" | "suspended";
}

/**
 * Once a cached tenant has expired it may still answer for this many lifetimes while a fresh read runs in the
 * background: an identity provider's steady stream then never waits on a D1 round trip for its tenant (it
 * would be a third one before a PUT's read and batch). A suspension reaches a warm isolate on the first request
 * after the lifetime, plus that one request; an isolate idle longer than the stale period reads first.
 */
const STALE_LIFETIMES = 5;

const cache = new TtlCache<Tenant>(1000);
const refreshing = new Set<string>();

/** Where a refresh of a stale entry runs, kept alive past the response. */
export interface BackgroundRefresh {
  /** The binding itself, not the request's metered handle: the refresh is not the request's cost. */
  d1: D1Database;
  waitUntil: (work: Promise<unknown>) => void;
}

export async function findTenant(db: Db, slug: string, cacheSeconds: number, background?: BackgroundRefresh): Promise<Tenant | null> {
  const cached = cache.getStale(slug);
  if (cached?.fresh) return cached.value;
  if (cached && background) {
    // One refresh at a time per tenant: the requests that arrive meanwhile answer from the stale entry too. A
    // failed refresh leaves the stale entry to the next request, which tries again, until it runs out.
    if (!refreshing.has(slug)) {
      refreshing.add(slug);
      const refresh = readTenant(openDb(background.d1), slug, cacheSeconds)
        .catch(() => undefined)
        .finally(() => refreshing.delete(slug));
      background.waitUntil(refresh);
    }
    return cached.value;
  }
  return readTenant(db, slug, cacheSeconds);
}

async function readTenant(db: Db, slug: string, cacheSeconds: number): Promise<Tenant | null> {
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
  if (!row) {
    cache.delete(slug);
    return null;
  }
  const ttlMs = cacheSeconds * 1000;
  cache.set(slug, row, ttlMs, Date.now(), ttlMs * STALE_LIFETIMES);
  return row;
}
