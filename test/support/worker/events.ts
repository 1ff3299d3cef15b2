// A tenant's change feed seeded with set-based SQL (one statement for any count), numbered as the outbox
// numbers events (src/storage/repos/events.ts): ids continue from the tenant's event_next, which moves past them.
import { env } from "cloudflare:workers";
import { tenantId } from "./tenants.ts";

export const DAY_MS = 86_400_000;

/** Appends `count` user.updated events to the tenant's feed, created `ageDays` ago. */
export async function seedEvents(slug: string, count: number, ageDays: number): Promise<void> {
  const id = await tenantId(slug);
  const createdAt = new Date(Date.now() - ageDays * DAY_MS).toISOString();
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?2 - 1)
     INSERT INTO events (tenant_id, event_id, created_at, type, body)
     SELECT ?1, (SELECT event_next FROM tenants WHERE id = ?1) + i, ?3, 'user.updated',
       json_object('type', 'user.updated', 'occurredAt', ?3, 'tenant', ?4, 'seeded', i)
     FROM n`,
  ).bind(id, count, createdAt, slug).run();
  await env.DB.prepare("UPDATE tenants SET event_next = event_next + ? WHERE id = ?").bind(count, id).run();
}
