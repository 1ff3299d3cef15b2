// RFC 7644 §3.4.3 searching with POST: /Users/.search and /Groups/.search answer exactly what the same
// query as GET parameters answers, and POST /.search searches Users then Groups with one filter, paging
// across both with startIndex or cursors.
import { beforeAll, describe, expect, it } from "vitest";
import { call, costOf, expectScimError, issueKey, json } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

interface Listed {
  id: string;
  userName?: string;
  displayName?: string;
  meta?: { resourceType: string };
}

interface ListBody {
  totalResults: number;
  startIndex?: number;
  itemsPerPage: number;
  nextCursor?: string;
  previousCursor?: string;
  Resources: Listed[];
}

let token = "";
const userIds: string[] = [];
const groupIds: string[] = [];

const search = (path: string, body: Record<string, unknown>) =>
  call(path, { method: "POST", token, body: JSON.stringify({ schemas: [SEARCH], ...body }) });

async function ok(res: Response): Promise<ListBody> {
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
  return json<ListBody>(res);
}

beforeAll(async () => {
  ({ token } = await issueKey("search-co"));
  for (const [userName, displayName] of [["ann", "Team A"], ["ben", "Ben"], ["cat", undefined], ["dan", "Dan"], ["eve", "Eve"]] as const) {
    const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName, ...(displayName ? { displayName } : {}) }) });
    expect(res.status).toBe(201);
    userIds.push((await json<{ id: string }>(res)).id);
  }
  for (const displayName of ["Team A", "Team B", "Admins"]) {
    const res = await call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP], displayName, members: [{ value: userIds[0] }] }) });
    expect(res.status).toBe(201);
    groupIds.push((await json<{ id: string }>(res)).id);
  }
});

describe("rfc7644 3.4.3 POST /Users/.search and /Groups/.search", () => {
  const cases: { query: string; body: Record<string, unknown> }[] = [
    { query: "", body: {} },
    { query: `filter=${encodeURIComponent('userName sw "a" or userName eq "dan"')}`, body: { filter: 'userName sw "a" or userName eq "dan"' } },
    { query: "sortBy=displayName&sortOrder=descending", body: { sortBy: "displayName", sortOrder: "descending" } },
    { query: "startIndex=2&count=2", body: { startIndex: 2, count: 2 } },
    { query: "attributes=userName,displayName", body: { attributes: ["userName", "displayName"] } },
    { query: "excludedAttributes=groups,meta", body: { excludedAttributes: ["groups", "meta"] } },
    { query: "count=0", body: { count: 0 } },
  ];
  for (const { query, body } of cases) {
    it(`POST /Users/.search ${JSON.stringify(body)} equals GET /Users?${query}`, async () => {
      const viaGet = await ok(await call(`/scim/v2/Users?${query}`, { token }));
      const viaPost = await ok(await search("/scim/v2/Users/.search", body));
      expect(viaPost).toEqual(viaGet);
    });
  }

  it("POST /Groups/.search equals GET /Groups", async () => {
    const viaGet = await ok(await call(`/scim/v2/Groups?filter=${encodeURIComponent('displayName sw "team"')}&sortBy=displayName`, { token }));
    const viaPost = await ok(await search("/scim/v2/Groups/.search", { filter: 'displayName sw "team"', sortBy: "displayName" }));
    expect(viaPost).toEqual(viaGet);
    expect(viaPost.Resources.map((g) => g.displayName)).toEqual(["Team A", "Team B"]);
  });

  it("rfc9865 cursors work in a SearchRequest body", async () => {
    const first = await ok(await search("/scim/v2/Users/.search", { cursor: "", count: 2 }));
    expect(first.Resources.map((u) => u.id)).toEqual(userIds.slice(0, 2));
    const second = await ok(await search("/scim/v2/Users/.search", { cursor: first.nextCursor, count: 2 }));
    expect(second.Resources.map((u) => u.id)).toEqual(userIds.slice(2, 4));
    // The same cursor through GET: a cursor belongs to the query, not to the method.
    const viaGet = await ok(await call(`/scim/v2/Users?cursor=${first.nextCursor}&count=2`, { token }));
    // Cursors are encrypted with a fresh IV each time, so the two pages carry different (equally valid) ones.
    const withoutCursors = ({ nextCursor: _n, previousCursor: _p, ...rest }: typeof second) => rest;
    expect(withoutCursors(viaGet)).toEqual(withoutCursors(second));
    expect(typeof viaGet.nextCursor).toBe("string");
  });

  it("a body without the SearchRequest schema, with an unknown member or a mistyped one is a 400 invalidSyntax", async () => {
    const post = (body: unknown) => call("/scim/v2/Users/.search", { method: "POST", token, body: JSON.stringify(body) });
    await expectScimError(await post({ filter: 'userName eq "ann"' }), 400, "invalidSyntax");
    await expectScimError(await post({ schemas: [USER] }), 400, "invalidSyntax");
    await expectScimError(await post({ schemas: [SEARCH], filer: 'userName eq "ann"' }), 400, "invalidSyntax");
    await expectScimError(await post({ schemas: [SEARCH], attributes: [1] }), 400, "invalidSyntax");
    await expectScimError(await post({ schemas: [SEARCH], count: true }), 400, "invalidSyntax");
    await expectScimError(await post({ schemas: [SEARCH], filter: 'userName eq "ann" and' }), 400, "invalidFilter");
    await expectScimError(await post({ schemas: [SEARCH], startIndex: 2, cursor: "" }), 400, "invalidValue");
  });

  it("member names are case-insensitive and null is absent", async () => {
    const body = await ok(await call("/scim/v2/Users/.search", { method: "POST", token, body: JSON.stringify({ Schemas: [SEARCH], FILTER: 'userName eq "ben"', sortBy: null }) }));
    expect(body.Resources.map((u) => u.userName)).toEqual(["ben"]);
  });

  it("GET, PUT and DELETE on /Users/.search are 405 naming POST", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await call("/scim/v2/Users/.search", { method, token });
      await expectScimError(res, 405);
      expect(res.headers.get("Allow")).toBe("POST");
    }
    await expectScimError(await call("/scim/v2/.search", { token }), 405);
  });
});

describe("rfc7644 3.4.3 POST /.search at the server root", () => {
  const everything = () => [...userIds, ...groupIds];

  it("without a filter lists every user, then every group", async () => {
    const body = await ok(await search("/scim/v2/.search", {}));
    expect(body.totalResults).toBe(8);
    expect(body.Resources.map((r) => r.id)).toEqual(everything());
    expect(body.Resources.map((r) => r.meta?.resourceType)).toEqual([...Array(5).fill("User"), ...Array(3).fill("Group")]);
  });

  it("startIndex pages run across the two types", async () => {
    const seen: string[] = [];
    for (let start = 1; start <= 8; start += 3) {
      const body = await ok(await search("/scim/v2/.search", { startIndex: start, count: 3 }));
      expect(body).toMatchObject({ totalResults: 8, startIndex: start });
      seen.push(...body.Resources.map((r) => r.id));
    }
    expect(seen).toEqual(everything());
  });

  it("cursors run across the two types, forwards and back", async () => {
    const forward: string[][] = [];
    let body = await ok(await search("/scim/v2/.search", { cursor: "", count: 3 }));
    forward.push(body.Resources.map((r) => r.id));
    while (body.nextCursor) {
      expect(body.totalResults).toBe(8);
      body = await ok(await search("/scim/v2/.search", { cursor: body.nextCursor, count: 3 }));
      forward.push(body.Resources.map((r) => r.id));
    }
    expect(forward).toEqual([everything().slice(0, 3), everything().slice(3, 6), everything().slice(6)]);
    const backward: string[][] = [];
    while (body.previousCursor) {
      body = await ok(await search("/scim/v2/.search", { cursor: body.previousCursor, count: 3 }));
      backward.push(body.Resources.map((r) => r.id));
    }
    expect(backward).toEqual([everything().slice(3, 6), everything().slice(0, 3)]);
    expect(body.previousCursor).toBeUndefined();
  });

  it("an attribute one type does not define matches none of its resources", async () => {
    const byUserName = await ok(await search("/scim/v2/.search", { filter: 'userName sw "a"' }));
    expect(byUserName.Resources.map((r) => r.id)).toEqual([userIds[0]]);
    const byMember = await ok(await search("/scim/v2/.search", { filter: `members.value eq "${userIds[0]}"` }));
    expect(byMember.Resources.map((r) => r.id)).toEqual(groupIds);
    const byDisplayName = await ok(await search("/scim/v2/.search", { filter: 'displayName eq "team a"' }));
    expect(byDisplayName.Resources.map((r) => r.id)).toEqual([userIds[0], groupIds[0]]);
    const negated = await ok(await search("/scim/v2/.search", { filter: 'not (userName eq "ann")' }));
    expect(negated.Resources.map((r) => r.id)).toEqual([...userIds.slice(1), ...groupIds]);
    // Each name is defined by one of the types: the users answer one side, the groups the other.
    const either = await ok(await search("/scim/v2/.search", { filter: `userName eq "ben" or members.value eq "${userIds[0]}"` }));
    expect(either.Resources.map((r) => r.id)).toEqual([userIds[1], ...groupIds]);
  });

  it("meta.resourceType narrows to one type without reading the other", async () => {
    const res = await search("/scim/v2/.search", { filter: 'meta.resourceType eq "Group"' });
    const body = await ok(res);
    expect(body.Resources.map((r) => r.id)).toEqual(groupIds);
    // What listing the groups alone costs: the users part reads nothing.
    const alone = await search("/scim/v2/Groups/.search", {});
    expect(await ok(alone)).toEqual(body);
    expect(costOf(res).rowsRead).toBe(costOf(alone).rowsRead);
  });

  it("attributes apply to the types that define them", async () => {
    const body = await ok(await search("/scim/v2/.search", { attributes: ["userName"] }));
    expect(body.Resources[0]).toEqual({ schemas: [USER], id: userIds[0], userName: "ann" });
    expect(body.Resources[5]).toEqual({ schemas: [GROUP], id: groupIds[0] });
  });

  it("a filter or attribute no type defines, and sortBy, are 400s", async () => {
    await expectScimError(await search("/scim/v2/.search", { filter: 'noSuchAttribute eq "x"' }), 400, "invalidFilter");
    await expectScimError(await search("/scim/v2/.search", { attributes: ["noSuchAttribute"] }), 400, "invalidValue");
    await expectScimError(await search("/scim/v2/.search", { sortBy: "id" }), 400, "invalidValue");
    await expectScimError(await search("/scim/v2/.search", { sortOrder: "descending" }), 400, "invalidValue");
  });
});
