// RFC 9865 cursor paging: an empty cursor starts, nextCursor / previousCursor walk the whole list both
// ways, every page reads about `count` rows at any depth (a keyset, not an offset), and a cursor that is
// not the server's, belongs to another query or is too old is a 400 with the RFC's scimType.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { CURSOR_TIMEOUT_SECONDS, encodeCursor, sealCursorPayload } from "../../src/scim/cursor.ts";
import { bulkId, call, costOf, expectScimError, issueKey, json, seedUsers } from "./helpers.ts";

const N = 20_000;
const FEW = 10;

let token = "";
let tenantId = 0;
let expected: string[] = [];

interface CursorPage {
  totalResults: number;
  itemsPerPage: number;
  startIndex?: number;
  nextCursor?: string;
  previousCursor?: string;
  Resources: { id: string }[];
}

async function page(query: string): Promise<{ body: CursorPage; rowsRead: number }> {
  const res = await call(`/scim/v2/Users?${query}`, { token });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
  return { body: await json<CursorPage>(res), rowsRead: costOf(res).rowsRead };
}

const ids = (body: CursorPage) => body.Resources.map((r) => r.id);

/** Follows nextCursor from the first page to the last; returns the ids in order and each page's cost. */
async function walk(query: string, count: number): Promise<{ seen: string[]; costs: number[]; last: CursorPage }> {
  const seen: string[] = [];
  const costs: number[] = [];
  let cursor = "";
  for (;;) {
    const { body, rowsRead } = await page(`${query}&count=${count}&cursor=${cursor}`);
    seen.push(...ids(body));
    costs.push(rowsRead);
    if (body.nextCursor === undefined) return { seen, costs, last: body };
    cursor = body.nextCursor;
  }
}

beforeAll(async () => {
  ({ token } = await issueKey("cursor-co"));
  tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = 'cursor-co'").first<{ id: number }>())!.id;
  await seedUsers(tenantId, 1, N);
  expected = Array.from({ length: N }, (_, i) => bulkId(i + 1));
  expect((await call("/scim/v2/ServiceProviderConfig", { token })).status).toBe(200);
}, 60_000);

describe("rfc9865 cursor paging", () => {
  it("ServiceProviderConfig advertises cursor and index paging, and sorting", async () => {
    const body = await json<Record<string, unknown>>(await call("/scim/v2/ServiceProviderConfig", { token }));
    expect(body.pagination).toEqual({
      cursor: true,
      index: true,
      defaultPaginationMethod: "index",
      defaultPageSize: 100,
      maxPageSize: 1000,
      cursorTimeout: CURSOR_TIMEOUT_SECONDS,
    });
    expect(body.sort).toEqual({ supported: true });
  });

  it("an empty cursor starts; the first page has a nextCursor, no previousCursor and no startIndex", async () => {
    for (const query of ["cursor=&count=10", "cursor&count=10"]) {
      const { body } = await page(query);
      expect(ids(body)).toEqual(expected.slice(0, 10));
      expect(body.totalResults).toBe(N);
      expect(body.itemsPerPage).toBe(10);
      expect(body.startIndex).toBeUndefined();
      expect(body.previousCursor).toBeUndefined();
      expect(body.nextCursor).toMatch(/^[A-Za-z0-9._~-]+$/);
    }
  });

  it("walking nextCursor returns every user once, each page at the same cost, and the last page has no nextCursor", async () => {
    const { seen, costs, last } = await walk("attributes=userName", 1000);
    expect(seen).toEqual(expected);
    expect(Math.max(...costs)).toBeLessThanOrEqual(1000 + FEW);
    expect(last.previousCursor).toBeDefined();
  }, 30_000);

  it("previousCursor walks back page by page to the first page", async () => {
    const pages: string[][] = [];
    let cursor: string | undefined;
    // Forward three pages of 7, then back.
    let body = (await page("count=7&cursor=")).body;
    for (let i = 0; i < 3; i++) body = (await page(`count=7&cursor=${body.nextCursor}`)).body;
    expect(ids(body)).toEqual(expected.slice(21, 28));
    cursor = body.previousCursor;
    while (cursor !== undefined) {
      const back = await page(`count=7&cursor=${cursor}`);
      pages.push(ids(back.body));
      expect(back.rowsRead).toBeLessThanOrEqual(7 + FEW);
      cursor = back.body.previousCursor;
    }
    expect(pages).toEqual([expected.slice(14, 21), expected.slice(7, 14), expected.slice(0, 7)]);
  });

  it("a cursor page deep in the list reads about count rows", async () => {
    const deep = await page(`count=100&sortOrder=descending&cursor=`);
    expect(ids(deep.body)).toEqual(expected.slice(N - 100).reverse());
    let cursor = deep.body.nextCursor!;
    let body: CursorPage = deep.body;
    for (let i = 0; i < 3; i++) {
      const next = await page(`count=100&sortOrder=descending&cursor=${cursor}`);
      expect(next.rowsRead).toBeLessThanOrEqual(100 + FEW);
      body = next.body;
      cursor = body.nextCursor!;
    }
    expect(ids(body)).toEqual(expected.slice(N - 400, N - 300).reverse());
  });

  it("sorted by an attribute every user shares (meta.created), cursors still walk each user once at a flat cost", async () => {
    const { seen, costs } = await walk("sortBy=meta.created", 1000);
    expect(seen).toEqual(expected);
    expect(Math.max(...costs)).toBeLessThanOrEqual(1000 + FEW + Math.ceil(1000 / 90)); // + a tenant-row check per 90 ids in the groups lookup
  }, 30_000);

  it("a user deleted between two pages is neither skipped over nor repeated by the rest of the walk", async () => {
    const first = await page("count=50&cursor=");
    // The first user of the next page, and one of the page already read.
    for (const id of [expected[50]!, expected[10]!]) {
      expect((await call(`/scim/v2/Users/${id}`, { method: "DELETE", token })).status).toBe(204);
    }
    const second = await page(`count=50&cursor=${first.body.nextCursor}`);
    expect(ids(second.body)).toEqual(expected.slice(51, 101));
    expected = expected.filter((_, i) => i !== 50 && i !== 10);
  });
});

describe("rfc9865 pagination errors", () => {
  it("a cursor that was altered is a 400 invalidCursor", async () => {
    const { body } = await page("count=10&cursor=");
    const cursor = body.nextCursor!;
    const flipped = cursor.slice(0, 5) + (cursor[5] === "A" ? "B" : "A") + cursor.slice(6);
    for (const bad of [flipped, cursor.slice(0, -3), "garbage", `${cursor}x`, "a.b.c", "%00"]) {
      await expectScimError(await call(`/scim/v2/Users?count=10&cursor=${encodeURIComponent(bad)}`, { token }), 400, "invalidCursor");
    }
  });

  it("a cursor used with another filter, sort or endpoint is a 400 invalidCursor", async () => {
    const { body } = await page("count=10&cursor=");
    const cursor = body.nextCursor!;
    for (const path of [
      `/scim/v2/Users?count=10&cursor=${cursor}&filter=${encodeURIComponent('userName sw "bulk"')}`,
      `/scim/v2/Users?count=10&cursor=${cursor}&sortBy=userName`,
      `/scim/v2/Users?count=10&cursor=${cursor}&sortOrder=descending`,
      `/scim/v2/Groups?count=10&cursor=${cursor}`,
    ]) {
      await expectScimError(await call(path, { token }), 400, "invalidCursor");
    }
  });

  it("another tenant's cursor is a 400 invalidCursor", async () => {
    const { token: other } = await issueKey("cursor-other-co");
    const { body } = await page("count=10&cursor=");
    await expectScimError(await call(`/scim/v2/Users?count=10&cursor=${body.nextCursor}`, { token: other }), 400, "invalidCursor");
  });

  it("a cursor older than cursorTimeout is a 400 expiredCursor", async () => {
    const scope = { tenantId, endpoint: "/Users", filter: undefined, sortBy: null, descending: false };
    const now = Math.floor(Date.now() / 1000);
    const position = { key: 1, seq: 1 };
    const old = await encodeCursor({ direction: "next", position }, scope, now - CURSOR_TIMEOUT_SECONDS - 5, env.CURSOR_SECRET);
    await expectScimError(await call(`/scim/v2/Users?count=10&cursor=${old}`, { token }), 400, "expiredCursor");
    const fresh = await encodeCursor({ direction: "next", position }, scope, now - CURSOR_TIMEOUT_SECONDS + 60, env.CURSOR_SECRET);
    expect((await call(`/scim/v2/Users?count=10&cursor=${fresh}`, { token })).status).toBe(200);
  });

  it("attack: a cursor forged without the server's secret (to reset `issued`, or any position) is a 400 invalidCursor", async () => {
    const scope = { tenantId, endpoint: "/Users", filter: undefined, sortBy: null, descending: false };
    const now = Math.floor(Date.now() / 1000);
    const position = { key: 1, seq: 1 };
    // Right format, right scope, a fresh `issued`, but sealed with another key: only CURSOR_SECRET makes one.
    const forged = await encodeCursor({ direction: "next", position }, scope, now, `${env.CURSOR_SECRET}-guessed`);
    await expectScimError(await call(`/scim/v2/Users?count=10&cursor=${forged}`, { token }), 400, "invalidCursor");
    // The old unkeyed format (base64url(payload) "." SHA-256 prefix) is no longer accepted either.
    const payload = btoa(JSON.stringify([1, 1, 1, 1, null, now])).replace(/=+$/, "");
    await expectScimError(await call(`/scim/v2/Users?count=10&cursor=${payload}.AAAAAAAAAAAAAAAA`, { token }), 400, "invalidCursor");
  });

  it("a well-formed, authentic cursor whose payload is not what the server writes is a 400, never a 500", async () => {
    const scope = { tenantId, endpoint: "/Users", filter: undefined, sortBy: null, descending: false };
    for (const payload of ["not json", "", "{", "[1,1,1,1,null]", '{"a":1}', "[2,1,1,1,null,1]", "[1,1,{},1,null,1]", "[1,1,1,1.5,null,1]", "null"]) {
      const sealed = await sealCursorPayload(payload, scope, env.CURSOR_SECRET);
      const res = await call(`/scim/v2/Users?count=10&cursor=${sealed}`, { token });
      await expectScimError(res, 400, "invalidCursor");
    }
  });

  it("a cursor does not show the sort value it carries (userNames are personal data in GET URLs)", async () => {
    const { body } = await page("count=10&cursor=&sortBy=userName");
    const cursor = body.nextCursor!;
    const decoded = atob(cursor.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(cursor.length / 4) * 4, "="));
    expect(decoded).not.toContain("bulk-");
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    // The same page asked twice gives different cursors (a fresh IV each time), both accepted.
    const again = (await page("count=10&cursor=&sortBy=userName")).body.nextCursor!;
    expect(again).not.toBe(cursor);
    expect(ids((await page(`count=10&sortBy=userName&cursor=${again}`)).body)).toEqual(ids((await page(`count=10&sortBy=userName&cursor=${cursor}`)).body));
  });

  it("startIndex with a cursor, and a count below 1 with a cursor, are 400s", async () => {
    await expectScimError(await call("/scim/v2/Users?startIndex=1&cursor=", { token }), 400, "invalidValue");
    await expectScimError(await call("/scim/v2/Users?count=0&cursor=", { token }), 400, "invalidCount");
    // A count above maxPageSize is served as maxPageSize (RFC 7644 §3.4.2.4).
    const { body } = await page("count=5000&cursor=");
    expect(body.itemsPerPage).toBe(1000);
  });
});
