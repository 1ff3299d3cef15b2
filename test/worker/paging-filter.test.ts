// Filtered lists at scale: totalResults of a filtered list reads the index range the filter selects, not
// the tenant; a filter that can use no index is answered up to UNINDEXED_SCAN_CAP resources and refused
// (400 tooMany) beyond, never run as an unbounded scan inside a request.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { UNINDEXED_SCAN_CAP } from "../../src/storage/listing/plan.ts";
import { bulkId, call, costOf, expectScimError, issueKey, json, seedUsers } from "./helpers.ts";

let token = "";
let tenantId = 0;

interface ListBody {
  totalResults: number;
  Resources: { id: string }[];
}

const q = (filter: string, rest = "count=100") => `/scim/v2/Users?filter=${encodeURIComponent(filter)}&${rest}`;

async function list(path: string): Promise<{ body: ListBody; rowsRead: number }> {
  const res = await call(path, { token });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
  return { body: await json<ListBody>(res), rowsRead: costOf(res).rowsRead };
}

beforeAll(async () => {
  ({ token } = await issueKey("filter-cap-co"));
  tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = 'filter-cap-co'").first<{ id: number }>())!.id;
  // Exactly at the cap: the unindexed filter is still answered.
  await seedUsers(tenantId, 1, UNINDEXED_SCAN_CAP);
  expect((await call("/scim/v2/ServiceProviderConfig", { token })).status).toBe(200);
}, 60_000);

describe(`filters in a tenant of ${UNINDEXED_SCAN_CAP} users (the cap)`, () => {
  it("a filter that can use no index is answered, reading the tenant once for the count and once for the page", async () => {
    const { body, rowsRead } = await list(q('name.familyName eq "nobody"'));
    expect(body.totalResults).toBe(0);
    expect(rowsRead).toBeLessThanOrEqual(2 * UNINDEXED_SCAN_CAP + 10);
  });

  it("an indexed range's count reads that range, whatever the tenant size", async () => {
    // 100 userNames start with "bulk-0001" (bulk-000100 .. bulk-000199).
    const { body, rowsRead } = await list(q('userName sw "BULK-0001"', "count=10"));
    expect(body.totalResults).toBe(100);
    expect(body.Resources.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => bulkId(100 + i)));
    // The count reads the range once; the page reads it and sorts it into creation order.
    expect(rowsRead).toBeLessThanOrEqual(3 * 100 + 10);
  });

  it("a lookup by an indexed attribute reads a handful of rows, combined with an unindexed condition too", async () => {
    for (const filter of [
      `externalId eq "ext-025000"`,
      `displayName eq "BULK USER 025000"`,
      `emails.value eq "bulk-025000@example.com" and name.familyName pr`,
      `userName eq "bulk-025000@example.com" and not (title co "x")`,
      `id eq "${bulkId(25_000)}" or externalId eq "ext-000001"`,
    ]) {
      const { body, rowsRead } = await list(q(filter));
      expect(body.totalResults, filter).toBe(filter.includes("pr") ? 0 : filter.includes(" or ") ? 2 : 1);
      // The count and the page each look up every condition's index entry and row: a handful, not a scan.
      expect(rowsRead, filter).toBeLessThanOrEqual(25);
    }
  });

  it("meta.resourceType is known without reading: eq User is the unfiltered list, eq Group an empty one", async () => {
    const users = await list(q('meta.resourceType eq "User"', "count=0"));
    expect(users.body.totalResults).toBe(UNINDEXED_SCAN_CAP);
    expect(users.rowsRead).toBeLessThanOrEqual(2);
    const groups = await list(q('meta.resourceType eq "Group"'));
    expect(groups.body).toMatchObject({ totalResults: 0, Resources: [] });
    expect(groups.rowsRead).toBe(0);
  });
});

describe(`filters in a tenant of ${UNINDEXED_SCAN_CAP + 1} users (past the cap)`, () => {
  beforeAll(async () => {
    const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "one-more" }) });
    expect(res.status).toBe(201);
  });

  it("a filter that can use no index is a 400 tooMany naming the indexed attributes, reading only the tenant size", async () => {
    for (const filter of ['name.familyName eq "nobody"', 'title co "x"', 'not (userName eq "one-more")', "externalId pr", 'userName ew "example.com"', 'userName eq "one-more" or title eq "x"']) {
      const res = await call(q(filter), { token });
      const error = await expectScimError(res, 400, "tooMany");
      expect(error.detail, filter).toContain(String(UNINDEXED_SCAN_CAP));
      expect(error.detail, filter).toContain("userName");
      // The count and the page each check the size first (one row each) and stop there.
      expect(costOf(res).rowsRead).toBeLessThanOrEqual(2);
    }
  });

  it("an unindexed condition joined with 'and' to an indexed one is still answered", async () => {
    const { body, rowsRead } = await list(q('userName eq "one-more" and name.familyName pr'));
    expect(body.totalResults).toBe(0);
    expect(rowsRead).toBeLessThanOrEqual(10);
  });

  it("sw on an indexed attribute is an index range, exact at the edges of Unicode", async () => {
    const names = ["pre\u{D7FF}x", "pre\u{E000}", "pre😀z", "pre😁", "PRE😀"];
    for (const userName of names) {
      const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName }) });
      expect(res.status).toBe(201);
    }
    const startingWith = async (prefix: string) => {
      const res = await call(q(`userName sw ${JSON.stringify(prefix)}`), { token });
      expect(res.status).toBe(200);
      expect(costOf(res).rowsRead).toBeLessThanOrEqual(20);
      return (await json<{ Resources: { userName: string }[] }>(res)).Resources.map((r) => r.userName);
    };
    expect(await startingWith("pre\u{D7FF}")).toEqual(["pre\u{D7FF}x"]);
    expect(await startingWith("pre😀")).toEqual(["pre😀z", "PRE😀"]);
    expect(await startingWith("PRE")).toEqual(names);
  });

  it("cursor paging and POST .search apply the same rule", async () => {
    await expectScimError(await call(q('title co "x"', "cursor="), { token }), 400, "tooMany");
    const search = await call("/scim/v2/Users/.search", {
      method: "POST",
      token,
      body: JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: 'title co "x"' }),
    });
    await expectScimError(search, 400, "tooMany");
  });
});
