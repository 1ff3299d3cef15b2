// D1 round trips per request (README, "Cost and the benchmark"): every request Okta and Entra send makes at most two sequential D1 round trips (the write paths'
// figures are pinned as they are until their batches are reworked). In production each round trip is a network
// hop between the Worker near the identity provider and the database's one location, so these numbers, not
// rows, decide latency. Counted by the D1 meter (src/storage/d1/meter.ts) and read from Server-Timing, with the
// isolate's key and tenant caches warm, as they are for an identity provider's steady stream of requests.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { meterD1 } from "../../src/storage/d1/meter.ts";
import { call, issueKey, json } from "./helpers.ts";

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

beforeAll(async () => {
  ({ token } = await issueKey("trips-co"));
  alice = await createUser("alice@trips.example");
  bob = await createUser("bob@trips.example");
  carol = await createUser("carol@trips.example");
  for (let i = 0; i < 30; i++) await createUser(`filler-${i}@trips.example`);
  team = await createGroup("Team", [alice, bob]);
  other = await createGroup("Other", [alice]);
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
    ["okta: userName eq (hit)", () => filter("Users", `userName eq "alice@trips.example"`), 2],
    ["okta: userName eq (miss)", () => filter("Users", `userName eq "nobody@trips.example"`), 1],
    ["entra: externalId eq (hit)", () => filter("Users", `externalId eq "ext-bob@trips.example"`), 2],
    ["okta: GET /Users/{id}", () => `/scim/v2/Users/${alice}`, 1],
    ["okta: import walk page of users with their groups", () => "/scim/v2/Users?startIndex=1&count=100", 2],
    ["okta: import walk, a later page", () => "/scim/v2/Users?startIndex=21&count=10", 1],
    ["users: count, unfiltered", () => "/scim/v2/Users?count=0", 1],
    ["okta: displayName eq (group push existence check, miss)", () => filter("Groups", `displayName eq "Nobody"`), 1],
    ["okta: displayName eq (hit)", () => filter("Groups", `displayName eq "Team"`), 2],
    ["okta: GET /Groups/{id} with members", () => `/scim/v2/Groups/${team}`, 2],
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

describe("round trips of what identity providers write", () => {
  const writes: [string, () => [string, RequestInit], number][] = [
    ["okta: POST /Users", () => ["/scim/v2/Users", { method: "POST", body: JSON.stringify({ schemas: [CORE_USER], userName: `new-${crypto.randomUUID()}@trips.example`, active: true }) }], 1],
    ["okta: PUT /Users/{id}", () => [`/scim/v2/Users/${alice}`, { method: "PUT", body: JSON.stringify({ schemas: [CORE_USER], userName: "alice@trips.example", displayName: `Alice ${crypto.randomUUID()}`, active: true }) }], 2],
    ["okta: PATCH active false", () => [`/scim/v2/Users/${bob}`, { method: "PATCH", body: patch({ op: "replace", value: { active: false } }) }], 2],
    ["okta: PATCH active true", () => [`/scim/v2/Users/${bob}`, { method: "PATCH", body: patch({ op: "replace", value: { active: true } }) }], 2],
    ["okta: PATCH password", () => [`/scim/v2/Users/${bob}`, { method: "PATCH", body: patch({ op: "replace", value: { password: "Trips-Passw0rd!" } }) }], 2],
    ["entra: PATCH attributes", () => [`/scim/v2/Users/${carol}`, { method: "PATCH", body: patch({ op: "Replace", path: "displayName", value: `Carol ${crypto.randomUUID()}` }) }], 2],
    ["entra: PATCH that changes nothing", () => [`/scim/v2/Users/${carol}`, { method: "PATCH", body: patch({ op: "Replace", path: "active", value: "True" }) }], 1],
    ["okta: POST /Groups (group push)", () => ["/scim/v2/Groups", { method: "POST", body: JSON.stringify({ schemas: [CORE_GROUP], displayName: `Push ${crypto.randomUUID()}`, members: [] }) }], 2],
    ["okta: PATCH group add member", () => [`/scim/v2/Groups/${other}`, { method: "PATCH", body: patch({ op: "add", path: "members", value: [{ value: carol }] }) }], 3],
    ["okta: PATCH group remove member", () => [`/scim/v2/Groups/${other}`, { method: "PATCH", body: patch({ op: "remove", path: `members[value eq "${carol}"]` }) }], 2],
    ["entra: PATCH group add member", () => [`/scim/v2/Groups/${other}`, { method: "PATCH", body: patch({ op: "Add", path: "members", value: [{ value: bob }] }) }], 3],
    ["entra: PATCH group remove member", () => [`/scim/v2/Groups/${other}`, { method: "PATCH", body: patch({ op: "Remove", path: "members", value: [{ value: bob }] }) }], 2],
    ["okta: PATCH group rename", () => [`/scim/v2/Groups/${other}`, { method: "PATCH", body: patch({ op: "replace", value: { id: other, displayName: `Other ${crypto.randomUUID()}` } }) }], 2],
    ["okta: PUT /Groups/{id}", () => [`/scim/v2/Groups/${team}`, { method: "PUT", body: JSON.stringify({ schemas: [CORE_GROUP], displayName: "Team", members: [{ value: alice }, { value: bob }] }) }], 4],
  ];
  for (const [name, request, expected] of writes) {
    it(`${name}: ${expected} round trip(s)`, async () => {
      const [path, init] = request();
      const { status, trips } = await measure(path, init);
      expect(status).toBeLessThan(300);
      expect(trips).toBe(expected);
    });
  }

  it("okta: DELETE /Users/{id}: 2 round trips", async () => {
    const id = await createUser(`gone-${crypto.randomUUID()}@trips.example`);
    expect(await measure(`/scim/v2/Users/${id}`, { method: "DELETE" })).toEqual({ status: 204, trips: 2 });
  });

  it("okta: DELETE /Groups/{id}: 2 round trips", async () => {
    const id = await createGroup(`Gone ${crypto.randomUUID()}`, []);
    expect(await measure(`/scim/v2/Groups/${id}`, { method: "DELETE" })).toEqual({ status: 204, trips: 2 });
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
