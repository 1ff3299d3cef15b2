// D1 cost of large groups (DESIGN.md "Storage": membership is one row per member), measured in D1's billing units
// (rows read / rows written, from the `meta` D1 returns, surfaced per request in Server-Timing): membership
// changes on a 50,000-member group cost a small constant, independent of the group's size; a rename likewise; a
// read without members reads no member rows; a read with members returns every one of them.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { meterD1 } from "../../src/storage/d1/meter.ts";
import { openDb } from "../../src/storage/d1/db.ts";
import { groups } from "../../src/storage/schema.ts";
import { bulkId, call, costOf, expectScimError, issueKey, json, seedUsers } from "./helpers.ts";

const GROUP_SIZE = 50_000;
/**
 * Per-request ceiling for a one-member change or a rename: a handful of rows, whatever the group's size.
 * (Measured: add 17 read / 9 written, add a nested group 22 / 9, remove 16-18 / 7, rename 6 / 8. The change
 * feed's event insert, counter and version bump account for about half; this was 30 while the event insert
 * numbered its members with a window, which D1 bills as rows read.)
 */
const SMALL = 25;

let token = "";
let tenantId = 0;
let groupId = "";

const patchBody = (...operations: unknown[]) =>
  JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: operations });

const patch = (body: string, query = "") => call(`/scim/v2/Groups/${groupId}${query}`, { method: "PATCH", token, body });

async function storedMemberCount(): Promise<{ rows: number; counter: number }> {
  const rows = await env.DB.prepare("SELECT count(*) AS n FROM group_members WHERE tenant_id = ? AND group_id = ?").bind(tenantId, groupId).first<{ n: number }>();
  const counter = await env.DB.prepare("SELECT member_count AS n FROM groups WHERE tenant_id = ? AND id = ?").bind(tenantId, groupId).first<{ n: number }>();
  return { rows: rows?.n ?? -1, counter: counter?.n ?? -1 };
}

beforeAll(async () => {
  ({ token } = await issueKey("cost-co"));
  const tenant = await env.DB.prepare("SELECT id FROM tenants WHERE slug = 'cost-co'").first<{ id: number }>();
  tenantId = tenant!.id;
  // 50,000 members plus a few spare users to add later.
  await seedUsers(tenantId, 1, GROUP_SIZE + 10);
  const created = await call("/scim/v2/Groups", {
    method: "POST",
    token,
    body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Everyone", members: [] }),
  });
  expect(created.status).toBe(201);
  groupId = (await json<{ id: string }>(created)).id;
  // Built through the API: 10,000 members per request, 1,000 per operation (the PATCH value limit).
  for (let start = 1; start <= GROUP_SIZE; start += 10_000) {
    const operations = Array.from({ length: 10 }, (_, op) => ({
      op: "add",
      path: "members",
      value: Array.from({ length: 1000 }, (_, i) => ({ value: bulkId(start + op * 1000 + i) })),
    }));
    const res = await patch(patchBody(...operations));
    expect(res.status).toBe(204);
  }
  expect(await storedMemberCount()).toEqual({ rows: GROUP_SIZE, counter: GROUP_SIZE });
}, 120_000);

describe("D1 cost of membership changes and reads on a 50,000-member group", () => {
  it("okta: adding one member reads and writes a small constant number of rows", async () => {
    const res = await patch(patchBody({ op: "add", path: "members", value: [{ value: bulkId(GROUP_SIZE + 1) }] }));
    expect(res.status).toBe(204);
    const cost = costOf(res);
    console.info("add one member", cost);
    expect(cost.rowsRead).toBeLessThanOrEqual(SMALL);
    expect(cost.rowsWritten).toBeLessThanOrEqual(SMALL);
    expect(await storedMemberCount()).toEqual({ rows: GROUP_SIZE + 1, counter: GROUP_SIZE + 1 });
  });

  it("okta: removing one member by filter reads and writes a small constant number of rows", async () => {
    const res = await patch(patchBody({ op: "remove", path: `members[value eq "${bulkId(GROUP_SIZE + 1)}"]` }));
    expect(res.status).toBe(204);
    const cost = costOf(res);
    console.info("remove one member (filter)", cost);
    expect(cost.rowsRead).toBeLessThanOrEqual(SMALL);
    expect(cost.rowsWritten).toBeLessThanOrEqual(SMALL);
    expect(await storedMemberCount()).toEqual({ rows: GROUP_SIZE, counter: GROUP_SIZE });
  });

  it("entra: removing one member by value array reads and writes a small constant number of rows", async () => {
    const res = await patch(patchBody({ op: "Remove", path: "members", value: [{ value: bulkId(1) }] }));
    expect(res.status).toBe(204);
    const cost = costOf(res);
    console.info("remove one member (value array)", cost);
    expect(cost.rowsRead).toBeLessThanOrEqual(SMALL);
    expect(cost.rowsWritten).toBeLessThanOrEqual(SMALL);
    expect(await storedMemberCount()).toEqual({ rows: GROUP_SIZE - 1, counter: GROUP_SIZE - 1 });
    // Put it back for the tests below.
    expect((await patch(patchBody({ op: "add", path: "members", value: [{ value: bulkId(1) }] }))).status).toBe(204);
  });

  it("okta: re-adding a present member and removing an absent one stay cheap and change nothing", async () => {
    const readd = await patch(patchBody({ op: "add", path: "members", value: [{ value: bulkId(2) }] }));
    const absent = await patch(patchBody({ op: "remove", path: `members[value eq "${bulkId(GROUP_SIZE + 5)}"]` }));
    for (const res of [readd, absent]) {
      expect(res.status).toBe(204);
      expect(costOf(res).rowsRead).toBeLessThanOrEqual(SMALL);
      expect(costOf(res).rowsWritten).toBeLessThanOrEqual(SMALL);
    }
    expect(await storedMemberCount()).toEqual({ rows: GROUP_SIZE, counter: GROUP_SIZE });
  });

  it("adding a nested group reads a small constant number of rows (the cycle checks seek the member index)", async () => {
    const created = await call("/scim/v2/Groups", {
      method: "POST",
      token,
      body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Nested in Everyone", members: [] }),
    });
    expect(created.status).toBe(201);
    const nestedId = (await json<{ id: string }>(created)).id;
    // Untyped, as Okta sends members: the existence check finds it is a group, then the cycle checks run.
    const res = await patch(patchBody({ op: "add", path: "members", value: [{ value: nestedId }] }));
    expect(res.status).toBe(204);
    const cost = costOf(res);
    console.info("add a nested group", cost);
    expect(cost.rowsRead).toBeLessThanOrEqual(SMALL);
    expect(cost.rowsWritten).toBeLessThanOrEqual(SMALL);
    expect(await storedMemberCount()).toEqual({ rows: GROUP_SIZE + 1, counter: GROUP_SIZE + 1 });
    const removed = await patch(patchBody({ op: "remove", path: `members[value eq "${nestedId}"]` }));
    expect(removed.status).toBe(204);
    expect(await storedMemberCount()).toEqual({ rows: GROUP_SIZE, counter: GROUP_SIZE });
  });

  it("okta: a rename via path-less replace reads and writes a small constant number of rows", async () => {
    const res = await patch(patchBody({ op: "replace", value: { id: groupId, displayName: "Everyone (all staff)" } }));
    expect(res.status).toBe(204);
    const cost = costOf(res);
    console.info("rename", cost);
    expect(cost.rowsRead).toBeLessThanOrEqual(SMALL);
    expect(cost.rowsWritten).toBeLessThanOrEqual(SMALL);
    const stored = await env.DB.prepare("SELECT display_name FROM groups WHERE id = ?").bind(groupId).first<{ display_name: string }>();
    expect(stored?.display_name).toBe("Everyone (all staff)");
  });

  it("entra: GET with excludedAttributes=members reads no member rows", async () => {
    const res = await call(`/scim/v2/Groups/${groupId}?excludedAttributes=members`, { token });
    expect(res.status).toBe(200);
    const cost = costOf(res);
    console.info("get without members", cost);
    expect(cost.rowsRead).toBeLessThanOrEqual(5);
    const body = await json(res);
    expect(body.members).toBeUndefined();
    expect(body.displayName).toBe("Everyone (all staff)");
  });

  it("entra: a filtered list lookup with excludedAttributes=members reads no member rows", async () => {
    const filter = encodeURIComponent('displayName eq "everyone (ALL staff)"');
    const res = await call(`/scim/v2/Groups?filter=${filter}&excludedAttributes=members`, { token });
    expect(res.status).toBe(200);
    const cost = costOf(res);
    console.info("list lookup without members", cost);
    expect(cost.rowsRead).toBeLessThanOrEqual(5);
    const body = await json<{ totalResults: number; Resources: Record<string, unknown>[] }>(res);
    expect(body.totalResults).toBe(1);
    expect(body.Resources[0]?.members).toBeUndefined();
  });

  it("GET with members returns all 50,000, each with $ref, display and type, in one members query", async () => {
    const res = await call(`/scim/v2/Groups/${groupId}`, { token });
    expect(res.status).toBe(200);
    const cost = costOf(res);
    console.info("get with members", cost);
    expect(cost.queries).toBeLessThanOrEqual(3);
    const body = await json<{ members: { value: string; $ref: string; display: string; type: string }[] }>(res);
    expect(body.members).toHaveLength(GROUP_SIZE);
    const ids = new Set(body.members.map((m) => m.value));
    expect(ids.size).toBe(GROUP_SIZE);
    for (let i = 1; i <= GROUP_SIZE; i++) expect(ids.has(bulkId(i))).toBe(true);
    expect(body.members[0]).toEqual({
      value: bulkId(1),
      $ref: `${env.PUBLIC_BASE_URL}/t/cost-co/scim/v2/Users/${bulkId(1)}`,
      display: "Bulk User 000001",
      type: "User",
    });
    expect(body.members.every((m) => m.type === "User" && m.display.startsWith("Bulk User "))).toBe(true);
  });
});

describe("the D1 meter behind Server-Timing", () => {
  it("adds up meta from run, all, first, raw and batch, and keeps raw()'s column order", async () => {
    const meter = meterD1(env.DB);
    const seeded = GROUP_SIZE + 10;
    const first = await meter.db.prepare("SELECT count(*) AS n FROM users WHERE tenant_id = ?").bind(tenantId).first<{ n: number }>();
    expect(first?.n).toBe(seeded);
    expect(await meter.db.prepare("SELECT id FROM groups WHERE id = ?").bind(groupId).first<string>("id")).toBe(groupId);
    const raw = await meter.db.prepare("SELECT display_name, id, member_count FROM groups WHERE id = ?").bind(groupId).raw();
    expect(raw).toEqual([["Everyone (all staff)", groupId, GROUP_SIZE]]);
    const [names, ...rows] = await meter.db.prepare("SELECT id, member_count FROM groups WHERE id = ?").bind(groupId).raw({ columnNames: true });
    expect(names).toEqual(["id", "member_count"]);
    expect(rows).toEqual([[groupId, GROUP_SIZE]]);
    const afterReads = meter.totals();
    expect(afterReads.queries).toBe(4);
    // count(*) over the tenant's users reads each of them: the meter reports D1's own numbers.
    expect(afterReads.rowsRead).toBeGreaterThanOrEqual(seeded);
    await meter.db.batch([
      meter.db.prepare("UPDATE groups SET version = version WHERE id = ?").bind(groupId),
      meter.db.prepare("SELECT 1 AS one"),
    ]);
    const afterBatch = meter.totals();
    expect(afterBatch.queries).toBe(6);
    expect(afterBatch.rowsWritten).toBeGreaterThan(0);
    // drizzle over the meter maps selects correctly (it reads them through raw()).
    const viaDrizzle = await openDb(meter.db).select({ count: groups.memberCount, id: groups.id }).from(groups).all();
    expect(viaDrizzle).toContainEqual({ count: GROUP_SIZE, id: groupId });
    expect(meter.totals().queries).toBe(7);
  });

  it("error responses carry Server-Timing too", async () => {
    const res = await call("/scim/v2/Groups/no-such-group", { token });
    await expectScimError(res, 404);
    // Two statements of one batch: the group, and its members beside it (GET with members is one round trip).
    expect(costOf(res)).toEqual({ rowsRead: 0, rowsWritten: 0, queries: 2 });
  });
});
