// The events API's cost: a page of 100 reads about 100 D1 rows at any depth of a 20,000-event feed.
// The feed is seeded with set-based SQL, numbered as the outbox numbers them.
import { beforeAll, describe, expect, it } from "vitest";
import { encodeEventCursor } from "../../src/events/cursor.ts";
import { seedEvents } from "../support/worker/events.ts";
import { call, costOf, issueKey, json } from "./helpers.ts";

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

