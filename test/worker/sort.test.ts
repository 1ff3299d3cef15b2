// RFC 7644 §3.4.2.3 sortBy / sortOrder on the indexed attributes: case-insensitive where the attribute is,
// resources without a value last ascending and first descending, ties in creation order, descending the
// exact reverse; the same order through startIndex pages and cursors; at the same cost as the default order.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_SKIP } from "../../src/storage/listing/plan.ts";
import { foldKey } from "../../src/scim/fold.ts";
import { bulkId, call, costOf, expectScimError, issueKey, json, seedUsers } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

interface Listed {
  id: string;
  userName?: string;
  externalId?: string;
  displayName?: string;
  meta: { created: string; lastModified: string };
}

interface ListBody {
  totalResults: number;
  Resources: Listed[];
  nextCursor?: string;
  previousCursor?: string;
}

let token = "";
/** In creation order. */
let people: Listed[] = [];

const PEOPLE: { userName: string; externalId?: string; displayName?: string }[] = [
  { userName: "alice", externalId: "E-3", displayName: "Zed" },
  { userName: "Bob", displayName: "adam" },
  { userName: "carol", externalId: "e-1" },
  { userName: "Émile", externalId: "E-2", displayName: "Émile" },
  { userName: "dave", displayName: "Adam" },
  { userName: "erin", externalId: "E-10", displayName: "zed" },
  { userName: "ZOE", externalId: "E-3", displayName: "émile" },
  { userName: "frank" },
  { userName: "Ängel", externalId: "a-9", displayName: "Ångström" },
];

async function list(query: string): Promise<ListBody> {
  const res = await call(`/scim/v2/Users?${query}`, { token });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
  return json<ListBody>(res);
}

/** The RFC order: folded (or exact) value, missing values last, ties by creation; descending reverses it. */
function sorted(key: (p: Listed) => string | undefined, descending = false): string[] {
  const order = people.map((p, created) => ({ p, created, k: key(p) }));
  order.sort((a, b) => {
    if (a.k === undefined || b.k === undefined) return a.k === b.k ? a.created - b.created : a.k === undefined ? 1 : -1;
    return a.k < b.k ? -1 : a.k > b.k ? 1 : a.created - b.created;
  });
  const ids = order.map((o) => o.p.id);
  return descending ? ids.reverse() : ids;
}

const KEYS: Record<string, (p: Listed) => string | undefined> = {
  userName: (p) => foldKey(p.userName!),
  externalId: (p) => p.externalId,
  displayName: (p) => (p.displayName === undefined ? undefined : foldKey(p.displayName)),
  id: (p) => p.id,
  "meta.created": (p) => p.meta.created,
  "meta.lastModified": (p) => p.meta.lastModified,
};

beforeAll(async () => {
  ({ token } = await issueKey("sort-co"));
  for (const person of PEOPLE) {
    const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], ...person }) });
    expect(res.status).toBe(201);
  }
  // Two users changed later: meta.lastModified no longer follows creation.
  for (const name of ["carol", "alice"]) {
    const id = (await list(`filter=${encodeURIComponent(`userName eq "${name}"`)}`)).Resources[0]!.id;
    const body = JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "title", value: "x" }] });
    expect((await call(`/scim/v2/Users/${id}`, { method: "PATCH", token, body })).status).toBe(200);
  }
  people = (await list("count=100")).Resources;
  expect(people.map((p) => p.userName)).toEqual(PEOPLE.map((p) => p.userName));
});

describe("rfc7644 3.4.2.3 sortBy and sortOrder", () => {
  for (const attribute of Object.keys(KEYS)) {
    it(`sortBy=${attribute}, ascending and descending`, async () => {
      const key = KEYS[attribute]!;
      const up = await list(`sortBy=${attribute}&count=100`);
      expect(up.Resources.map((r) => r.id)).toEqual(sorted(key));
      const explicit = await list(`sortBy=${attribute}&sortOrder=ascending&count=100`);
      expect(explicit.Resources.map((r) => r.id)).toEqual(sorted(key));
      const down = await list(`sortBy=${attribute}&sortOrder=descending&count=100`);
      expect(down.Resources.map((r) => r.id)).toEqual(sorted(key, true));
    });
  }

  it("names are case-insensitive: sortBy=USERNAME, sortOrder=Descending", async () => {
    const body = await list("sortBy=USERNAME&sortOrder=Descending&count=100");
    expect(body.Resources.map((r) => r.id)).toEqual(sorted(KEYS.userName!, true));
  });

  it("startIndex pages of a sorted list, read from either end, join into the sorted list", async () => {
    for (const order of ["ascending", "descending"]) {
      const pages: string[] = [];
      for (let start = 1; start <= people.length; start += 2) {
        pages.push(...(await list(`sortBy=externalId&sortOrder=${order}&startIndex=${start}&count=2`)).Resources.map((r) => r.id));
      }
      expect(pages).toEqual(sorted(KEYS.externalId!, order === "descending"));
    }
  });

  it("cursors walk a sorted list forwards and back across the resources without a value", async () => {
    const forward: string[] = [];
    let body = await list("sortBy=displayName&count=2&cursor=");
    forward.push(...body.Resources.map((r) => r.id));
    while (body.nextCursor) {
      body = await list(`sortBy=displayName&count=2&cursor=${body.nextCursor}`);
      forward.push(...body.Resources.map((r) => r.id));
    }
    expect(forward).toEqual(sorted(KEYS.displayName!));
    const backward: string[] = [];
    while (body.previousCursor) {
      body = await list(`sortBy=displayName&count=2&cursor=${body.previousCursor}`);
      backward.unshift(...body.Resources.map((r) => r.id));
    }
    expect(backward).toEqual(forward.slice(0, backward.length));
    expect(backward.length).toBe(forward.length - (forward.length % 2 === 0 ? 2 : 1));
  });

  it("groups sort by displayName, case-insensitively", async () => {
    for (const name of ["beta", "Alpha", "gamma", "Delta"]) {
      const res = await call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP], displayName: name }) });
      expect(res.status).toBe(201);
    }
    const res = await call("/scim/v2/Groups?sortBy=displayName&sortOrder=descending", { token });
    const body = await json<{ Resources: { displayName: string }[] }>(res);
    expect(body.Resources.map((g) => g.displayName)).toEqual(["gamma", "Delta", "beta", "Alpha"]);
  });

  it("sortBy on an attribute without an index, or unknown, and a sortOrder that is neither, are 400 invalidValue", async () => {
    const title = await expectScimError(await call("/scim/v2/Users?sortBy=title", { token }), 400, "invalidValue");
    expect(title.detail).toContain("userName");
    await expectScimError(await call("/scim/v2/Users?sortBy=emails.value", { token }), 400, "invalidValue");
    await expectScimError(await call("/scim/v2/Users?sortBy=nickname.x", { token }), 400, "invalidValue");
    await expectScimError(await call("/scim/v2/Users?sortBy=noSuchAttribute", { token }), 400, "invalidValue");
    await expectScimError(await call("/scim/v2/Users?sortBy=password", { token }), 400, "invalidValue");
    await expectScimError(await call("/scim/v2/Users?sortBy=userName&sortOrder=up", { token }), 400, "invalidValue");
    await expectScimError(await call("/scim/v2/Groups?sortBy=members", { token }), 400, "invalidValue");
  });
});

describe("sorted paging cost in a 30,000-user tenant", () => {
  const N = 30_000;
  let big = "";
  let expectedByExternalId: string[] = [];

  beforeAll(async () => {
    ({ token: big } = await issueKey("sort-big-co"));
    const tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = 'sort-big-co'").first<{ id: number }>())!.id;
    await seedUsers(tenantId, 1, N);
    // Every third user without externalId: those sort after all the others.
    await env.DB.prepare("UPDATE users SET external_id = NULL WHERE tenant_id = ? AND seq % 3 = 0").bind(tenantId).run();
    const nulls = await env.DB.prepare("SELECT id FROM users WHERE tenant_id = ? AND external_id IS NULL ORDER BY seq").bind(tenantId).all<{ id: string }>();
    const nullIds = new Set(nulls.results.map((r) => r.id));
    const all = Array.from({ length: N }, (_, i) => bulkId(i + 1));
    expectedByExternalId = [...all.filter((id) => !nullIds.has(id)), ...nulls.results.map((r) => r.id)];
    expect((await call("/scim/v2/ServiceProviderConfig", { token: big })).status).toBe(200);
  }, 60_000);

  async function page(query: string): Promise<{ ids: string[]; rowsRead: number; body: ListBody }> {
    const res = await call(`/scim/v2/Users?${query}`, { token: big });
    expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
    const body = await json<ListBody>(res);
    return { ids: body.Resources.map((r) => r.id), rowsRead: costOf(res).rowsRead, body };
  }

  it("the first and the last page of a sorted list read about count rows", async () => {
    for (const order of ["ascending", "descending"]) {
      const expected = order === "ascending" ? expectedByExternalId : [...expectedByExternalId].reverse();
      const first = await page(`sortBy=externalId&sortOrder=${order}&startIndex=1&count=100`);
      expect(first.ids).toEqual(expected.slice(0, 100));
      const last = await page(`sortBy=externalId&sortOrder=${order}&startIndex=${N - 99}&count=100`);
      expect(last.ids).toEqual(expected.slice(N - 100));
      expect(first.rowsRead).toBeLessThanOrEqual(110);
      expect(last.rowsRead).toBeLessThanOrEqual(110);
    }
  });

  it("a cursor page anywhere in a sorted list reads about count rows, across the start of the missing values", async () => {
    // 20,000 users have an externalId: with pages of 700, page 29 holds the last of them and the first without.
    let body = (await page("sortBy=externalId&count=700&cursor=")).body;
    const seen: string[] = [...body.Resources.map((r) => r.id)];
    let worst = 0;
    while (body.nextCursor) {
      const next = await page(`sortBy=externalId&count=700&cursor=${body.nextCursor}`);
      worst = Math.max(worst, next.rowsRead);
      seen.push(...next.ids);
      body = next.body;
    }
    expect(seen).toEqual(expectedByExternalId);
    // + one tenant-row check per statement of 90 ids that looks up the page's groups (src/storage/group-members.ts).
    expect(worst).toBeLessThanOrEqual(700 + 10 + Math.ceil(700 / 90));
  }, 30_000);

  it(`startIndex reaches ${MAX_SKIP} results from either end of a sorted list; deeper is a 400 tooMany pointing to cursors`, async () => {
    const edge = await page(`sortBy=userName&startIndex=${MAX_SKIP + 1}&count=100`);
    expect(edge.ids).toEqual(Array.from({ length: 100 }, (_, i) => bulkId(MAX_SKIP + 1 + i)));
    expect(edge.rowsRead).toBeLessThanOrEqual(MAX_SKIP + 110);
    const res = await call(`/scim/v2/Users?sortBy=userName&startIndex=${N / 2}&count=100`, { token: big });
    const error = await expectScimError(res, 400, "tooMany");
    expect(error.detail).toContain("cursor");
    expect(costOf(res).rowsRead).toBeLessThanOrEqual(2);
  });
});
