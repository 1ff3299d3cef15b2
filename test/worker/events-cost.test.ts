// The events API's cost: a page of 100 reads about 100 D1 rows at any depth of a 20,000-event feed.
// The feed is seeded with set-based SQL, numbered as the outbox numbers them.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeEventCursor } from "../../src/events/cursor.ts";
import { call, costOf, issueKey, json } from "./helpers.ts";

const DAY = 86_400_000;

async function tenantId(slug: string): Promise<number> {
  return (await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(slug).first<{ id: number }>())!.id;
}

/** Appends `count` events to the tenant's feed, created `ageDays` ago, the way the outbox numbers them. */
async function seedEvents(slug: string, count: number, ageDays: number): Promise<void> {
  const id = await tenantId(slug);
  const createdAt = new Date(Date.now() - ageDays * DAY).toISOString();
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?2 - 1)
     INSERT INTO events (tenant_id, event_id, created_at, type, body)
     SELECT ?1, (SELECT event_next FROM tenants WHERE id = ?1) + i, ?3, 'user.updated',
       json_object('type', 'user.updated', 'occurredAt', ?3, 'tenant', ?4, 'seeded', i)
     FROM n`,
  ).bind(id, count, createdAt, slug).run();
  await env.DB.prepare("UPDATE tenants SET event_next = event_next + ? WHERE id = ?").bind(count, id).run();
}

describe("a page of 100 events reads about 100 rows, at any depth", () => {
  const TENANT = "feed-depth-co";
  let token = "";
  beforeAll(async () => {
    ({ token } = await issueKey(TENANT, { scope: "app" }));
    await seedEvents(TENANT, 20_000, 0);
  });

  for (const after of [0, 10_000, 19_900]) {
    it(`after event ${after}`, async () => {
      const res = await call(`/v1/events?after=${encodeEventCursor(TENANT, after)}&limit=100`, { token });
      expect(res.status).toBe(200);
      const page = await json<{ data: { id: string }[]; hasMore: boolean }>(res);
      expect(page.data.map((e) => Number(e.id))).toEqual(Array.from({ length: 100 }, (_, i) => after + 1 + i));
      expect(page.hasMore).toBe(after + 100 < 20_000);
      const cost = costOf(res);
      console.info(`page after ${after}`, cost);
      expect(cost.rowsRead).toBeGreaterThanOrEqual(100);
      expect(cost.rowsRead).toBeLessThanOrEqual(110);
      expect(cost.rowsWritten).toBe(0);
    });
  }

  it("limit=0 (the head) reads a couple of rows", async () => {
    const res = await call("/v1/events?limit=0", { token });
    expect(await json(res)).toEqual({ data: [], nextCursor: encodeEventCursor(TENANT, 20_000), hasMore: false });
    expect(costOf(res).rowsRead).toBeLessThanOrEqual(3);
  });
});

