// D1 round trips per request (README, "Cost and the benchmark"): every request Okta and Entra send makes at most two sequential D1 round trips. In production each round trip is a network
// hop between the Worker near the identity provider and the database's one location, so these numbers, not
// rows, decide latency. Counted by the D1 meter (src/storage/d1/meter.ts) and read from Server-Timing, with the
// isolate's key and tenant caches warm, as they are for an identity provider's steady stream of requests.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { meterD1 } from "../../src/storage/d1/meter.ts";
import { afterSeconds } from "../support/clock.ts";
import { bulkId, call, costOf, expectScimError, issueKey, json, seedUsers } from "./helpers.ts";

const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const patch = (...operations: Record<string, unknown>[]) => JSON.stringify({ schemas: [PATCH_OP], Operations: operations });

let token = "";

function roundTrips(res: Response): number {
  const header = res.headers.get("Server-Timing") ?? "";
  const match = /round_trips=(\d+)/.exec(header);
  if (!match) throw new Error(`no round trips in Server-Timing: "${header}"`);
  return Number(match[1]);
}

async function createUser(userName: string): Promise<string> {
  const body = JSON.stringify({ schemas: [CORE_USER], userName, externalId: `ext-${userName}`, displayName: `Display ${userName}`, emails: [{ value: userName, type: "work", primary: true }], active: true });
  const res = await call("/scim/v2/Users", { method: "POST", token, body });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

async function createGroup(displayName: string, members: string[]): Promise<string> {
  const body = JSON.stringify({ schemas: [CORE_GROUP], displayName, members: members.map((value) => ({ value })) });
  const res = await call("/scim/v2/Groups", { method: "POST", token, body });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

let alice = "";
let bob = "";
let carol = "";
let team = "";
let other = "";
let nested = "";

beforeAll(async () => {
  ({ token } = await issueKey("trips-co"));
  alice = await createUser("alice@trips.example");
  bob = await createUser("bob@trips.example");
  carol = await createUser("carol@trips.example");
  for (let i = 0; i < 30; i++) await createUser(`filler-${i}@trips.example`);
  team = await createGroup("Team", [alice, bob]);
  other = await createGroup("Other", [alice]);
  nested = await createGroup("Nested", []);
});

const filter = (resource: string, expression: string) => `/scim/v2/${resource}?filter=${encodeURIComponent(expression)}&startIndex=1&count=100`;

/** Runs a request and answers its status and round trips. */
async function measure(path: string, init: RequestInit = {}): Promise<{ status: number; trips: number }> {
  const res = await call(path, { ...init, token });
  await res.arrayBuffer();
  return { status: res.status, trips: roundTrips(res) };
}

describe("round trips of what identity providers read", () => {
  const reads: [string, () => string, number][] = [
    ["okta: userName eq (hit)", () => filter("Users", `userName eq "alice@trips.example"`), 1],
    ["okta: userName eq (miss)", () => filter("Users", `userName eq "nobody@trips.example"`), 1],
    ["entra: externalId eq (hit)", () => filter("Users", `externalId eq "ext-bob@trips.example"`), 1],
    ["okta: GET /Users/{id}", () => `/scim/v2/Users/${alice}`, 1],
    ["okta: import walk page of users with their groups", () => "/scim/v2/Users?startIndex=1&count=100", 2],
    ["okta: import walk, a later page", () => "/scim/v2/Users?startIndex=21&count=10", 1],
    ["users: count, unfiltered", () => "/scim/v2/Users?count=0", 1],
    ["okta: displayName eq (group push existence check, miss)", () => filter("Groups", `displayName eq "Nobody"`), 1],
    ["okta: displayName eq (hit)", () => filter("Groups", `displayName eq "Team"`), 2],
    ["okta: GET /Groups/{id} with members", () => `/scim/v2/Groups/${team}`, 1],
    ["okta: GET /Groups/{id}?excludedAttributes=members", () => `/scim/v2/Groups/${team}?excludedAttributes=members`, 1],
    ["okta: group list page", () => "/scim/v2/Groups?startIndex=1&count=100", 2],
  ];
  for (const [name, path, expected] of reads) {
    it(`${name}: ${expected} round trip(s)`, async () => {
      const { status, trips } = await measure(path());
      expect(status).toBe(200);
      expect(trips).toBe(expected);
    });
  }
});

describe("what the one-trip reads answer", () => {
  it("okta: userName eq (hit) lists the user's groups by name, read in the lookup's own statement", async () => {
    const res = await call(filter("Users", `userName eq "alice@trips.example"`), { token });
    const body = await json<{ Resources: { id: string; groups: { value: string; display: string }[] }[] }>(res);
    expect(body.Resources.map((user) => user.id)).toEqual([alice]);
    const groups = body.Resources[0]!.groups.map((group) => [group.display, group.value]);
    expect(groups.slice(0, 2)).toEqual([["Other", other], ["Team", team]]);
    expect(roundTrips(res)).toBe(1);
  });

  it("a lookup that is not by a key (userName sw) keeps the page's two-step group read: 2 round trips, the same groups", async () => {
    const res = await call(filter("Users", `userName sw "alice@trips"`), { token });
    const body = await json<{ Resources: { groups: { value: string }[] }[] }>(res);
    expect(body.Resources[0]!.groups.map((group) => group.value).slice(0, 2)).toEqual([other, team]);
    expect(roundTrips(res)).toBe(2);
  });

  it("okta: GET /Groups/{id} carries its members from the same batch; with If-None-Match the members wait for the 304 check", async () => {
    const res = await call(`/scim/v2/Groups/${team}`, { token });
    const body = await json<{ members: { value: string }[] }>(res);
    expect(body.members.map((member) => member.value).sort()).toEqual([alice, bob].sort());
    expect(roundTrips(res)).toBe(1);
    const unchanged = await call(`/scim/v2/Groups/${team}`, { token, headers: { "If-None-Match": res.headers.get("ETag")! } });
    expect(unchanged.status).toBe(304);
    expect(costOf(unchanged).rowsRead).toBe(1);
  });
});

describe("round trips of what identity providers write", () => {
  const writes: [string, () => [string, RequestInit], number][] = [
    ["okta: POST /Users", () => ["/scim/v2/Users", { method: "POST", body: JSON.stringify({ schemas: [CORE_USER], userName: `new-${crypto.randomUUID()}@trips.example`, active: true }) }], 1],
    ["okta: PUT /Users/{id}", () => [`/scim/v2/Users/${alice}`, { method: "PUT", body: JSON.stringify({ schemas: [CORE_USER], userName: "alice@trips.example", displayName: `Alice ${crypto.randomUUID()}`, active: true }) }], 2],
    ["okta: PATCH active false", () => [`/scim/v2/Users/${bob}`, { method: "PATCH", body: patch({ op: "replace", value: { active: false } }) }], 1],
    ["okta: PATCH active true", () => [`/scim/v2/Users/${bob}`, { method: "PATCH", body: patch({ op: "replace", value: { active: true } }) }], 1],
    ["okta: PATCH password", () => [`/scim/v2/Users/${bob}`, { method: "PATCH", body: patch({ op: "replace", value: { password: "Trips-Passw0rd!" } }) }], 2],
    ["entra: PATCH attributes", () => [`/scim/v2/Users/${carol}`, { method: "PATCH", body: patch({ op: "Replace", path: "displayName", value: `Carol ${crypto.randomUUID()}` }) }], 1],
    ["entra: PATCH of a filtered multi-valued attribute (read, then one batch)", () => [`/scim/v2/Users/${carol}`, { method: "PATCH", body: patch({ op: "Replace", path: 'emails[type eq "work"].value', value: `carol-${crypto.randomUUID()}@trips.example` }) }], 2],
    ["entra: PATCH that changes nothing", () => [`/scim/v2/Users/${carol}`, { method: "PATCH", body: patch({ op: "Replace", path: "active", value: "True" }) }], 1],
    ["okta: POST /Groups (group push)", () => ["/scim/v2/Groups", { method: "POST", body: JSON.stringify({ schemas: [CORE_GROUP], displayName: `Push ${crypto.randomUUID()}`, members: [] }) }], 1],
    ["okta: POST /Groups with members", () => ["/scim/v2/Groups", { method: "POST", body: JSON.stringify({ schemas: [CORE_GROUP], displayName: `Push ${crypto.randomUUID()}`, members: [{ value: alice }, { value: bob }] }) }], 1],
    ["okta: PATCH group add member", () => [`/scim/v2/Groups/${other}`, { method: "PATCH", body: patch({ op: "add", path: "members", value: [{ value: carol }] }) }], 1],
    ["okta: PATCH group remove member", () => [`/scim/v2/Groups/${other}`, { method: "PATCH", body: patch({ op: "remove", path: `members[value eq "${carol}"]` }) }], 1],
    ["entra: PATCH group add member", () => [`/scim/v2/Groups/${other}`, { method: "PATCH", body: patch({ op: "Add", path: "members", value: [{ value: bob }] }) }], 1],
    ["entra: PATCH group remove member", () => [`/scim/v2/Groups/${other}`, { method: "PATCH", body: patch({ op: "Remove", path: "members", value: [{ value: bob }] }) }], 1],
    ["okta: PATCH group rename", () => [`/scim/v2/Groups/${other}`, { method: "PATCH", body: patch({ op: "replace", value: { id: other, displayName: `Other ${crypto.randomUUID()}` } }) }], 1],
    ["okta: PUT /Groups/{id}", () => [`/scim/v2/Groups/${team}`, { method: "PUT", body: JSON.stringify({ schemas: [CORE_GROUP], displayName: "Team", members: [{ value: alice }, { value: bob }] }) }], 2],
    ["okta: PUT /Groups/{id} that changes nothing (Push Now)", () => [`/scim/v2/Groups/${team}`, { method: "PUT", body: JSON.stringify({ schemas: [CORE_GROUP], displayName: "Team", members: [{ value: alice }, { value: bob }] }) }], 2],
    ["PATCH group add a nested group (existence and cycle checks inside the write's batch)", () => [`/scim/v2/Groups/${team}`, { method: "PATCH", body: patch({ op: "add", path: "members", value: [{ value: nested, type: "Group" }] }) }], 1],
    ["PATCH group add member, members asked for in the response", () => [`/scim/v2/Groups/${other}?attributes=members`, { method: "PATCH", body: patch({ op: "add", path: "members", value: [{ value: carol }] }) }], 1],
  ];
  for (const [name, request, expected] of writes) {
    it(`${name}: ${expected} round trip(s)`, async () => {
      const [path, init] = request();
      const { status, trips } = await measure(path, init);
      expect(status).toBeLessThan(300);
      expect(trips).toBe(expected);
    });
  }

  it("entra: DELETE /Users/{id}: 1 round trip (the event renders the row the batch deletes)", async () => {
    const id = await createUser(`gone-${crypto.randomUUID()}@trips.example`);
    expect(await measure(`/scim/v2/Users/${id}`, { method: "DELETE" })).toEqual({ status: 204, trips: 1 });
    expect(await measure(`/scim/v2/Users/${id}`, { method: "DELETE" })).toEqual({ status: 404, trips: 1 });
  });

  it("okta: DELETE /Groups/{id}: 1 round trip", async () => {
    const id = await createGroup(`Gone ${crypto.randomUUID()}`, [alice]);
    expect(await measure(`/scim/v2/Groups/${id}`, { method: "DELETE" })).toEqual({ status: 204, trips: 1 });
    expect(await measure(`/scim/v2/Groups/${id}`, { method: "DELETE" })).toEqual({ status: 404, trips: 1 });
  });

  it("DELETE with If-Match: 2 round trips (the version is read and checked before the batch)", async () => {
    const id = await createUser(`pinned-${crypto.randomUUID()}@trips.example`);
    expect(await measure(`/scim/v2/Users/${id}`, { method: "DELETE", headers: { "If-Match": 'W/"2"' } })).toEqual({ status: 412, trips: 1 });
    expect(await measure(`/scim/v2/Users/${id}`, { method: "DELETE", headers: { "If-Match": 'W/"1"' } })).toEqual({ status: 204, trips: 2 });
  });
});

// A members-only PATCH is one batch with nothing read first; the batch checks the group, the members and cycles
// itself and aborts whole when one fails. Only then is the group read, to say precisely what is wrong.
describe("a member push the one-trip batch refuses", () => {
  const stored = async (groupId: string) => {
    const row = await env.DB.prepare("SELECT version, member_count FROM groups WHERE id = ?").bind(groupId).first<{ version: number; member_count: number }>();
    const events = await env.DB.prepare("SELECT count(*) AS n FROM events WHERE json_extract(body, '$.resourceId') = ?").bind(groupId).first<{ n: number }>();
    return { ...row, events: events?.n };
  };

  it("an unknown member: 400 invalidValue naming it, nothing written, the read that explains it is the 2nd round trip", async () => {
    const before = await stored(other);
    const res = await call(`/scim/v2/Groups/${other}`, { method: "PATCH", token, body: patch({ op: "add", path: "members", value: [{ value: carol }, { value: "no-such-user" }] }) });
    const body = await expectScimError(res.clone(), 400, "invalidValue");
    expect(body.detail).toContain('"no-such-user"');
    expect(roundTrips(res)).toBe(2);
    expect(await stored(other)).toEqual(before);
  });

  it("POST /Groups with an unknown member: 400 invalidValue naming it, no group, in 2 round trips", async () => {
    const displayName = `Refused ${crypto.randomUUID()}`;
    const res = await call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [CORE_GROUP], displayName, members: [{ value: alice }, { value: "no-such-member" }] }) });
    expect((await expectScimError(res.clone(), 400, "invalidValue")).detail).toContain('"no-such-member"');
    expect(roundTrips(res)).toBe(2);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM groups WHERE display_name = ?").bind(displayName).first("n")).toBe(0);
  });

  it("a group that is not there: 404, in 2 round trips", async () => {
    const res = await call("/scim/v2/Groups/00000000-0000-4000-8000-000000000000", { method: "PATCH", token, body: patch({ op: "add", path: "members", value: [{ value: carol }] }) });
    await expectScimError(res.clone(), 404);
    expect(roundTrips(res)).toBe(2);
  });

  it("a nested group that would make a cycle: 400 invalidValue, nothing written", async () => {
    const outer = await createGroup(`Outer ${crypto.randomUUID()}`, [nested]);
    const before = await stored(nested);
    const res = await call(`/scim/v2/Groups/${nested}`, { method: "PATCH", token, body: patch({ op: "add", path: "members", value: [{ value: outer }] }) });
    expect((await expectScimError(res, 400, "invalidValue")).detail).toMatch(/cycle/);
    expect(await stored(nested)).toEqual(before);
  });

  it("the one-trip answer is what a read after it shows: the ETag and, when asked, the members", async () => {
    const res = await call(`/scim/v2/Groups/${other}?attributes=members`, { method: "PATCH", token, body: patch({ op: "add", path: "members", value: [{ value: bob }] }) });
    expect(res.status).toBe(200);
    expect(roundTrips(res)).toBe(1);
    const answered = await json<{ members: { value: string }[] }>(res);
    const read = await call(`/scim/v2/Groups/${other}?attributes=members`, { token });
    expect(res.headers.get("ETag")).toBe(read.headers.get("ETag"));
    expect(answered).toEqual(await json(read));
    expect(answered.members.map((member) => member.value)).toContain(bob);
  });
});

// Past the first 32 positions a page in creation order is found through the position tree (position-tree.ts);
// with a deletion in the tenant the tree has rows and the walk runs. It is part of the page's statement, which
// runs beside the totals, so a deep page costs what the first does.
describe("round trips of deep import pages (the position tree is walked)", () => {
  const DEEP = 300;
  let deepToken = "";

  beforeAll(async () => {
    ({ token: deepToken } = await issueKey("trips-deep"));
    const tenant = await env.DB.prepare("SELECT id FROM tenants WHERE slug = 'trips-deep'").first<{ id: number }>();
    await seedUsers(tenant!.id, 1, DEEP);
    // Users on the deep and the last page are in a group, so those pages also read group names.
    const group = await call("/scim/v2/Groups", {
      method: "POST",
      token: deepToken,
      body: JSON.stringify({ schemas: [CORE_GROUP], displayName: "Deep", members: [{ value: bulkId(150) }, { value: bulkId(280) }] }),
    });
    expect(group.status).toBe(201);
    // A deletion early in the tenant puts rows into the position tree, which every later page then walks.
    expect((await call(`/scim/v2/Users/${bulkId(10)}`, { method: "DELETE", token: deepToken })).status).toBe(204);
    // Warm the isolate's tenant cache for this key.
    expect((await call("/scim/v2/Users?count=0", { token: deepToken })).status).toBe(200);
  });

  const deepPage = async (query: string) => {
    const res = await call(`/scim/v2/Users?${query}`, { token: deepToken });
    const body = await json<{ totalResults: number; Resources: { id: string; groups?: unknown[] }[] }>(res);
    return { status: res.status, trips: roundTrips(res), body };
  };

  it("okta: import walk, a deep page (startIndex=101) with group names: 2 round trips", async () => {
    const { status, trips, body } = await deepPage("startIndex=101&count=100");
    expect(status).toBe(200);
    // bulk-000010 is gone, so position 101 is bulk-000102.
    expect(body.Resources[0]?.id).toBe(bulkId(102));
    expect(body.Resources.find((r) => r.id === bulkId(150))?.groups).toHaveLength(1);
    expect(trips).toBe(2);
  });

  it("okta: import walk, the last page (startIndex=201) with group names: 2 round trips", async () => {
    const { status, trips, body } = await deepPage("startIndex=201&count=100");
    expect(status).toBe(200);
    expect(body.totalResults).toBe(DEEP - 1);
    expect(body.Resources.map((r) => r.id)).toEqual(Array.from({ length: 99 }, (_, i) => bulkId(202 + i)));
    expect(trips).toBe(2);
  });

  it("a deep page without groups (excludedAttributes=groups): 1 round trip", async () => {
    const { status, trips, body } = await deepPage("startIndex=101&count=100&excludedAttributes=groups");
    expect(status).toBe(200);
    expect(body.Resources).toHaveLength(100);
    expect(trips).toBe(1);
  });

  it("a page past the end: 1 round trip, empty", async () => {
    const { status, trips, body } = await deepPage(`startIndex=${DEEP + 1}&count=100`);
    expect(status).toBe(200);
    expect(body.Resources ?? []).toHaveLength(0);
    expect(trips).toBe(1);
  });
});

describe("round trips when the isolate's cached tenant has expired", () => {
  const lifetime = Number(env.KEY_CACHE_SECONDS);
  const put = (): [string, RequestInit] => [`/scim/v2/Users/${alice}`, { method: "PUT", body: JSON.stringify({ schemas: [CORE_USER], userName: "alice@trips.example", displayName: `Alice ${crypto.randomUUID()}`, active: true }) }];

  it("okta: PUT /Users/{id} just after the tenant's cache lifetime: still 2 round trips (the tenant is re-read after the response)", async () => {
    await measure(...put());
    const { status, trips } = await afterSeconds(lifetime, () => measure(...put()));
    expect(status).toBe(200);
    expect(trips).toBe(2);
  });

  it("okta: GET /Users/{id} in an isolate idle past the stale period: the tenant read adds 1 round trip (2)", async () => {
    await measure(`/scim/v2/Users/${alice}`);
    expect(await afterSeconds(lifetime * 100, () => measure(`/scim/v2/Users/${alice}`))).toEqual({ status: 200, trips: 2 });
  });
});

describe("how the D1 meter counts round trips", () => {
  it("sequential D1 calls are one round trip each; calls under Promise.all and one batch share one", async () => {
    const meter = meterD1(env.DB);
    const one = () => meter.db.prepare("SELECT 1 AS one").first();
    await one();
    await one();
    expect(meter.totals().roundTrips).toBe(2);
    await Promise.all([one(), one(), meter.db.prepare("SELECT 2 AS two").all()]);
    expect(meter.totals().roundTrips).toBe(3);
    await meter.db.batch([meter.db.prepare("SELECT 1 AS one"), meter.db.prepare("SELECT 2 AS two")]);
    expect(meter.totals()).toMatchObject({ roundTrips: 4, queries: 7 });
  });

  it("a call started after another finished is a further trip even while a third is still in flight", async () => {
    const meter = meterD1(env.DB);
    const slow = meter.db.prepare("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) SELECT count(*) AS c FROM n").first();
    await meter.db.prepare("SELECT 1 AS one").first();
    await meter.db.prepare("SELECT 2 AS two").first();
    await slow;
    // The critical path is the two quick calls in a row; the slow one overlapped them.
    expect(meter.totals().roundTrips).toBe(2);
  });

  it("Server-Timing and the request's log line carry round_trips", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const res = await call(`/scim/v2/Users/${alice}`, { token });
    expect(res.headers.get("Server-Timing")).toMatch(/desc="round_trips=1 rows_read=\d+ rows_written=0 queries=1"/);
    vi.restoreAllMocks();
    const entry = JSON.parse(lines.at(-1)!) as { d1: { roundTrips: number } };
    expect(entry.d1.roundTrips).toBe(1);
  });
});
