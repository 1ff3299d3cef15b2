// Index paging (RFC 7644 §3.4.2.4) at scale, without OFFSET (README, "Paging, sorting and search"): a page costs
// about `count` rows read at any depth, forwards and backwards, before and after deletes, and the pages of a
// sequential import (Okta pages with startIndex=1, 101, 201, ...) return every user exactly once. Cost is D1's own
// count (Server-Timing).
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bulkId, call, costOf, issueKey, json, seedUsers } from "./helpers.ts";

const N = 100_000;
/** Rows a page may read beyond its own: the tenant row, an empty position-tree range, the users' groups. */
const FEW = 10;
/**
 * With deletions, finding a position reads the position tree: at most 32 rows on each of 3 levels below the
 * top of a 100,000-user tenant, plus up to 31 rows skipped inside one 32-ordinal block.
 */
const TREE = 3 * 33 + 31;

let token = "";
let tenantId = 0;
/** The ids in list order, as the test expects them (seedUsers creates bulk-000001.. in order). */
let expected: string[] = [];

interface Page {
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: { id: string }[];
}

async function page(query: string): Promise<{ body: Page; rowsRead: number }> {
  const res = await call(`/scim/v2/Users?${query}`, { token });
  expect(res.status).toBe(200);
  return { body: await json<Page>(res), rowsRead: costOf(res).rowsRead };
}

const ids = (body: Page) => body.Resources.map((r) => r.id);

beforeAll(async () => {
  ({ token } = await issueKey("paging-co"));
  tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = 'paging-co'").first<{ id: number }>())!.id;
  await seedUsers(tenantId, 1, N);
  expected = Array.from({ length: N }, (_, i) => bulkId(i + 1));
  // Warm the isolate's key and tenant caches so the figures are the list's own.
  expect((await call("/scim/v2/ServiceProviderConfig", { token })).status).toBe(200);
}, 60_000);

describe(`rfc7644 3.4.2.4 index paging in a ${N}-user tenant`, () => {
  it("the first page reads about count rows", async () => {
    const { body, rowsRead } = await page("startIndex=1&count=100");
    expect(body).toMatchObject({ totalResults: N, startIndex: 1, itemsPerPage: 100 });
    expect(ids(body)).toEqual(expected.slice(0, 100));
    expect(rowsRead).toBeLessThanOrEqual(100 + FEW);
  });

  it("the last page (startIndex = N - 99) reads about count rows", async () => {
    const { body, rowsRead } = await page(`startIndex=${N - 99}&count=100`);
    expect(ids(body)).toEqual(expected.slice(N - 100));
    expect(rowsRead).toBeLessThanOrEqual(100 + FEW);
  });

  it("a deep page (startIndex = 90,001) reads about count rows, not the 90,000 before it", async () => {
    const { body, rowsRead } = await page("startIndex=90001&count=100");
    expect(ids(body)).toEqual(expected.slice(90_000, 90_100));
    expect(rowsRead).toBeLessThanOrEqual(100 + FEW);
  });

  it("totalResults of the unfiltered list reads the kept count", async () => {
    const { body, rowsRead } = await page("count=0");
    expect(body).toMatchObject({ totalResults: N, itemsPerPage: 0, Resources: [] });
    expect(rowsRead).toBeLessThanOrEqual(2);
  });

  it("a page past the end is empty and keeps totalResults", async () => {
    const { body, rowsRead } = await page(`startIndex=${N + 1}&count=100`);
    expect(body).toMatchObject({ totalResults: N, startIndex: N + 1, itemsPerPage: 0, Resources: [] });
    expect(rowsRead).toBeLessThanOrEqual(FEW);
  });

  it("a partial last page returns what is left", async () => {
    const { body } = await page(`startIndex=${N - 4}&count=100`);
    expect(ids(body)).toEqual(expected.slice(N - 5));
  });

  it("sortOrder=descending without sortBy lists the newest first, at the same cost at both ends", async () => {
    const first = await page("sortOrder=descending&startIndex=1&count=100");
    expect(ids(first.body)).toEqual(expected.slice(N - 100).reverse());
    const deep = await page("sortOrder=descending&startIndex=60001&count=100");
    expect(ids(deep.body)).toEqual(expected.slice(N - 60_100, N - 60_000).reverse());
    const last = await page(`sortOrder=descending&startIndex=${N - 99}&count=100`);
    expect(ids(last.body)).toEqual(expected.slice(0, 100).reverse());
    for (const { rowsRead } of [first, deep, last]) expect(rowsRead).toBeLessThanOrEqual(100 + FEW);
  });

  it("okta: a sequential import returns every user once, each page at the same cost", async () => {
    const count = 1000;
    const seen: string[] = [];
    const costs: number[] = [];
    for (let start = 1; start <= N; start += count) {
      const { body, rowsRead } = await page(`startIndex=${start}&count=${count}&attributes=userName`);
      expect(body.totalResults).toBe(N);
      seen.push(...ids(body));
      costs.push(rowsRead);
    }
    expect(seen).toEqual(expected);
    expect(Math.max(...costs)).toBeLessThanOrEqual(count + FEW);
    expect(Math.min(...costs)).toBeGreaterThanOrEqual(count);
  }, 60_000);
});

describe("rfc7644 3.4.2.4 index paging after deletes: positions shift, the cost stays flat", () => {
  it("a delete between two pages of an import moves the later users up by one", async () => {
    const before = await page("startIndex=101&count=100");
    expect(ids(before.body)).toEqual(expected.slice(100, 200));
    const res = await call(`/scim/v2/Users/${expected[49]}`, { method: "DELETE", token });
    expect(res.status).toBe(204);
    expected.splice(49, 1);
    const after = await page("startIndex=101&count=100");
    expect(after.body.totalResults).toBe(N - 1);
    // The user that was at 101 is now at 100: the page starts with the one that was at 102.
    expect(ids(after.body)).toEqual(expected.slice(100, 200));
    expect(ids(after.body)[0]).toBe(bulkId(102));
    expect(after.rowsRead).toBeLessThanOrEqual(100 + FEW + TREE);
  });

  it("pages stay exact and cheap with thousands of deletions spread over the tenant", async () => {
    // Every 7th user of 20,001..60,000 and a run of 1,000, deleted the way a script would (the delete
    // trigger counts them in position_tree whoever deletes); the kept count follows as the API keeps it.
    const gone = new Set<string>();
    for (let i = 20_001; i <= 60_000; i += 7) gone.add(bulkId(i));
    for (let i = 70_001; i <= 71_000; i++) gone.add(bulkId(i));
    await env.DB.prepare(`DELETE FROM users WHERE tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2))`)
      .bind(tenantId, JSON.stringify([...gone]))
      .run();
    await env.DB.prepare("UPDATE tenants SET user_count = user_count - ?2 WHERE id = ?1").bind(tenantId, gone.size).run();
    expected = expected.filter((id) => !gone.has(id));
    const stored = await env.DB.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>();
    expect(stored?.n).toBe(expected.length);
    const total = expected.length;
    for (const start of [1, 20_000, 33_333, 45_678, 60_001, 65_000, 69_990, total - 99]) {
      const { body, rowsRead } = await page(`startIndex=${start}&count=100`);
      expect(body.totalResults).toBe(total);
      expect(ids(body), `startIndex=${start}`).toEqual(expected.slice(start - 1, start + 99));
      expect(rowsRead, `startIndex=${start}`).toBeLessThanOrEqual(100 + FEW + TREE);
    }
    const newest = await page("sortOrder=descending&startIndex=30000&count=100");
    expect(ids(newest.body)).toEqual(expected.slice(total - 30_099, total - 29_999).reverse());
  });
});

describe("rfc7644 3.4.2.4 index paging of groups", () => {
  it("a deep page of groups reads about count rows, also after deletes", async () => {
    // Groups inserted directly: the insert trigger numbers them as the API would.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
       INSERT INTO groups (tenant_id, id, display_name, display_name_key, created_at, updated_at, data)
       SELECT ?1, printf('grp-%05d', i), printf('Team %05d', i), printf('team %05d', i), '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z',
         json_object('schemas', json_array('urn:ietf:params:scim:schemas:core:2.0:Group'), 'displayName', printf('Team %05d', i))
       FROM n`,
    )
      .bind(tenantId)
      .run();
    await env.DB.prepare("UPDATE tenants SET group_count = group_count + 5000 WHERE id = ?").bind(tenantId).run();
    let groups = Array.from({ length: 5000 }, (_, i) => `grp-${String(i + 1).padStart(5, "0")}`);
    const get = async (query: string) => {
      const res = await call(`/scim/v2/Groups?${query}&excludedAttributes=members`, { token });
      expect(res.status).toBe(200);
      return { body: await json<Page>(res), rowsRead: costOf(res).rowsRead };
    };
    const deep = await get("startIndex=4001&count=100");
    expect(ids(deep.body)).toEqual(groups.slice(4000, 4100));
    expect(deep.rowsRead).toBeLessThanOrEqual(100 + FEW);
    for (const id of [groups[10]!, groups[3999]!]) {
      expect((await call(`/scim/v2/Groups/${id}`, { method: "DELETE", token })).status).toBe(204);
    }
    groups = groups.filter((id) => id !== "grp-00011" && id !== "grp-04000");
    const after = await get("startIndex=3990&count=100");
    expect(after.body.totalResults).toBe(4998);
    expect(ids(after.body)).toEqual(groups.slice(3989, 4089));
    expect(after.rowsRead).toBeLessThanOrEqual(100 + FEW + TREE);
  });
});

describe("rfc7644 3.4.2.4 index paging of users written outside the API", () => {
  it("users inserted without an ordinal (a script, the bench) are numbered by the insert trigger and listed last", async () => {
    const total = (await page("count=0")).body.totalResults;
    // Every other test seeds with the ordinals in the INSERT; this one takes the migration's trigger path.
    await seedUsers(tenantId, N + 1, 50, { ordinals: "trigger" });
    const added = Array.from({ length: 50 }, (_, i) => bulkId(N + 1 + i));
    const { body, rowsRead } = await page(`startIndex=${total - 19}&count=100`);
    expect(body.totalResults).toBe(total + 50);
    expect(ids(body)).toEqual([...expected.slice(-20), ...added]);
    expect(rowsRead).toBeLessThanOrEqual(100 + FEW + TREE);
    const numbered = await env.DB.prepare(
      `SELECT min(ordinal) AS lo, max(ordinal) AS hi, count(DISTINCT ordinal) AS n,
         (SELECT user_ordinal_next FROM tenants WHERE id = ?1) AS next
       FROM users WHERE tenant_id = ?1 AND id > ?2`,
    )
      .bind(tenantId, bulkId(N))
      .first();
    expect(numbered).toEqual({ lo: N, hi: N + 49, n: 50, next: N + 50 });
  });
});
