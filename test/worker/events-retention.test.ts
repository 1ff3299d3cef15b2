// Retention: the Cron Trigger's bounded prune, and the 410 that tells an application to resynchronise.
// Events are seeded with set-based SQL, numbered as the outbox numbers them.
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeEventCursor } from "../../src/events/cursor.ts";
import { DAY_MS as DAY, seedEvents } from "../support/worker/events.ts";
import { tenantId } from "../support/worker/tenants.ts";
import { DEFAULT_RETENTION_DAYS, parseRetentionDays } from "../../src/events/retention.ts";
import worker from "../../src/index.ts";
import { pruneExpiredEvents } from "../../src/scheduled.ts";
import { openDb } from "../../src/storage/d1/db.ts";
import { pruneEvents } from "../../src/storage/repos/events.ts";
import { call, expectScimError, feedPage, issueKey } from "./helpers.ts";

async function runCron(now = Date.now()): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: now, cron: "*/10 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("retention: the Cron Trigger prunes old events in bounded batches", () => {
  const TENANT = "feed-retention-co";
  const EMPTIED = "feed-pruned-co";
  let token = "";
  let emptiedToken = "";
  const countOf = async (slug: string) =>
    (await env.DB.prepare("SELECT count(*) AS n FROM events WHERE tenant_id = ?").bind(await tenantId(slug)).first<{ n: number }>())!.n;

  beforeAll(async () => {
    ({ token } = await issueKey(TENANT, { scope: "app" }));
    ({ token: emptiedToken } = await issueKey(EMPTIED, { scope: "app" }));
    // In commit order, as production writes them: the old events first, then recent ones.
    await seedEvents(TENANT, 10_500, 31);
    await seedEvents(EMPTIED, 5, 40);
    await seedEvents(TENANT, 20, 1);
  });

  it("EVENT_RETENTION_DAYS defaults to 30 and anything but a whole number of days fails closed", () => {
    expect(env.EVENT_RETENTION_DAYS).toBe("30");
    expect(parseRetentionDays(undefined)).toBe(DEFAULT_RETENTION_DAYS);
    expect(parseRetentionDays("7")).toBe(7);
    for (const bad of ["0", "-1", "1.5", "thirty", "99999"]) expect(() => parseRetentionDays(bad)).toThrow(/EVENT_RETENTION_DAYS/);
  });

  it("one prune statement deletes at most its batch, oldest first", async () => {
    const db = openDb(env.DB);
    expect(await pruneEvents(db, new Date(Date.now() - 30 * DAY).toISOString(), 10)).toBe(10);
    const oldest = await env.DB.prepare("SELECT min(event_id) AS id FROM events WHERE tenant_id = ?").bind(await tenantId(TENANT)).first<{ id: number }>();
    expect(oldest?.id).toBe(11);
  });

  it("a run deletes at most 10,000 events; the next run continues; events within retention stay", async () => {
    expect(await pruneExpiredEvents(env, Date.now())).toBe(10_000);
    expect(await countOf(TENANT)).toBe(510);
    await runCron();
    expect(await countOf(TENANT)).toBe(20);
    expect(await countOf(EMPTIED)).toBe(0);
    const oldest = await env.DB.prepare("SELECT min(event_id) AS id FROM events WHERE tenant_id = ?").bind(await tenantId(TENANT)).first<{ id: number }>();
    expect(oldest?.id).toBe(10_501);
    // Nothing left to prune: a run reads at most one batch and deletes nothing.
    expect(await pruneExpiredEvents(env, Date.now())).toBe(0);
  });

  it("a cursor older than retention is a 410 that says to resynchronise; the oldest valid cursor still works", async () => {
    const body = await expectScimError(await call(`/v1/events?after=${encodeEventCursor(TENANT, 10_499)}`, { token }), 410, "expiredCursor");
    expect(body.detail).toMatch(/[Rr]esynchronise/);
    expect(body.detail).toMatch(/limit=0/);
    const page = await feedPage(token, `?after=${encodeEventCursor(TENANT, 10_500)}`);
    expect(page.data).toHaveLength(20);
    // Without `after`, the feed starts at the oldest retained event.
    expect((await feedPage(token, "?limit=1")).data[0]!.id).toBe("10501");
  });

  it("a feed pruned empty: no cursor starts at the head, a cursor behind the head is a 410", async () => {
    expect(await feedPage(emptiedToken, "")).toEqual({ data: [], nextCursor: encodeEventCursor(EMPTIED, 5), hasMore: false });
    await expectScimError(await call(`/v1/events?after=${encodeEventCursor(EMPTIED, 3)}`, { token: emptiedToken }), 410, "expiredCursor");
    expect((await feedPage(emptiedToken, `?after=${encodeEventCursor(EMPTIED, 5)}`)).data).toEqual([]);
  });
});
