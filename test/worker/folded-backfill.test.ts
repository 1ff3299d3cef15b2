// Migration 0005 adds folded_data, which only TypeScript can compute, so rows that exist when it is applied
// (and rows raw SQL writes) have none: filters compare them as before (ASCII lower()), and the every-10-minutes
// Cron run backfills them in bounded batches. This is what an operator upgrading a deployment with data sees.
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { foldKey } from "../../src/scim/fold.ts";
import { foldedDocument } from "../../src/scim/folded-document.ts";
import { GROUP_RESOURCE, USER_RESOURCE } from "../../src/scim/schema/registry.ts";
import worker from "../../src/index.ts";
import { openDb } from "../../src/storage/d1/db.ts";
import { meterD1 } from "../../src/storage/d1/meter.ts";
import { BACKFILL_BATCHES_PER_RUN, backfillFoldedBatch, backfillFoldedData } from "../../src/storage/repos/folded-backfill.ts";
import { call, costOf, issueKey, json, seedUsers } from "./helpers.ts";
import { checkInvariants } from "./invariants.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async function tenantIdOf(slug: string): Promise<number> {
  return (await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(slug).first<{ id: number }>())!.id;
}

async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "*/10 * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function pending(table: "users" | "groups", tenantId: number): Promise<number> {
  return (await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ? AND folded_data IS NULL`).bind(tenantId).first<{ n: number }>())!.n;
}

describe("operator upgrade: rows written before migration 0005 get folded_data from the Cron backfill", () => {
  const TENANT = "backfill-co";
  let token = "";
  let tenantId = 0;
  const ids: Record<string, string> = {};

  async function idsFor(path: string, filter: string): Promise<string[]> {
    const res = await call(`/scim/v2/${path}?filter=${encodeURIComponent(filter)}`, { token });
    expect(res.status).toBe(200);
    return (await json<{ Resources: { id: string }[] }>(res)).Resources.map((r) => r.id).sort();
  }

  beforeAll(async () => {
    ({ token } = await issueKey(TENANT));
    tenantId = await tenantIdOf(TENANT);
    const create = async (path: string, body: Record<string, unknown>) => {
      const res = await call(path, { method: "POST", token, body: JSON.stringify(body) });
      expect(res.status).toBe(201);
      return (await json<{ id: string }>(res)).id;
    };
    ids.emile = await create("/scim/v2/Users", { schemas: [USER], userName: "emile", displayName: "ÉMILE", name: { familyName: "ÉMILE" } });
    ids.strasse = await create("/scim/v2/Users", {
      schemas: [USER],
      userName: "strasse",
      name: { familyName: "Straße" },
      title: "JENSEN",
      emails: [{ value: "s@example.de", type: "WORK" }, { value: "b@example.de", type: "BÜRO" }],
    });
    ids.group = await create("/scim/v2/Groups", { schemas: [GROUP], displayName: "Équipe", members: [{ value: ids.emile }] });
    // The state a deployment had before 0005: no folded document, display_name_key lowered by migration 0001.
    await env.DB.batch([
      env.DB.prepare("UPDATE users SET folded_data = NULL, display_name_key = lower(display_name) WHERE tenant_id = ?").bind(tenantId),
      env.DB.prepare("UPDATE groups SET folded_data = NULL WHERE tenant_id = ?").bind(tenantId),
      // Email types as sent, as user_emails held them before 0005.
      env.DB.prepare("UPDATE user_emails SET type = CASE type WHEN 'work' THEN 'WORK' WHEN 'büro' THEN 'BÜRO' END WHERE tenant_id = ?").bind(tenantId),
    ]);
  });

  it("before the backfill, a row matches exactly as before the migration: ASCII case-insensitively, and no more", async () => {
    expect(await pending("users", tenantId)).toBe(2);
    expect(await idsFor("Users", 'title eq "jensen"')).toEqual([ids.strasse]);
    // lower() folds ASCII only: what it matched before, it still matches; what it missed, it still misses.
    expect(await idsFor("Users", 'name.familyName eq "straße"')).toEqual([ids.strasse]);
    expect(await idsFor("Users", 'name.familyName eq "émile"')).toEqual([]);
    expect(await idsFor("Users", 'name.familyName eq "strasse"')).toEqual([]);
    expect(await idsFor("Groups", `schemas eq "${GROUP.toUpperCase()}"`)).toEqual([ids.group]);
    expect(await idsFor("Users", 'emails[type eq "work"]')).toEqual([ids.strasse]);
    expect(await idsFor("Users", 'emails.type sw "W"')).toEqual([ids.strasse]);
    expect(await idsFor("Users", 'emails[type eq "büro"]')).toEqual([]);
  });

  it("after one Cron run every row has its folded document and matches under the full case fold", async () => {
    await runCron();
    expect(await pending("users", tenantId)).toBe(0);
    expect(await pending("groups", tenantId)).toBe(0);
    expect(await idsFor("Users", 'name.familyName eq "émile"')).toEqual([ids.emile]);
    expect(await idsFor("Users", 'name.familyName eq "strasse"')).toEqual([ids.strasse]);
    expect(await idsFor("Users", 'name.familyName eq "straße"')).toEqual([ids.strasse]);
    expect(await idsFor("Users", 'title eq "jensen"')).toEqual([ids.strasse]);
    // display_name_key, lowered by migration 0001, is re-folded too: displayName and sortBy see "émile".
    const row = await env.DB.prepare("SELECT display_name_key, data, folded_data FROM users WHERE id = ?").bind(ids.emile).first<{ display_name_key: string; data: string; folded_data: string }>();
    expect(row!.display_name_key).toBe(foldKey("ÉMILE"));
    expect(JSON.parse(row!.folded_data)).toEqual(foldedDocument(JSON.parse(row!.data), USER_RESOURCE));
    expect(await idsFor("Users", 'displayName eq "émile"')).toEqual([ids.emile]);
    expect(await idsFor("Groups", 'members.display eq "émile"')).toEqual([ids.group]);
    expect(await idsFor("Users", 'emails[type eq "büro"]')).toEqual([ids.strasse]);
    expect(await idsFor("Users", 'emails[type eq "Work"]')).toEqual([ids.strasse]);
    const types = await env.DB.prepare("SELECT type FROM user_emails WHERE tenant_id = ? ORDER BY type").bind(tenantId).all<{ type: string }>();
    expect(types.results.map((r) => r.type)).toEqual(["büro", "work"]);
    const group = await env.DB.prepare("SELECT data, folded_data FROM groups WHERE id = ?").bind(ids.group).first<{ data: string; folded_data: string }>();
    expect(JSON.parse(group!.folded_data)).toEqual(foldedDocument(JSON.parse(group!.data), GROUP_RESOURCE));
    expect(await checkInvariants([tenantId])).toEqual([]);
  });

  it("a user written through the API after the migration needs no backfill: create, PUT and PATCH write folded_data", async () => {
    const created = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName: "later", title: "DÉJÀ" }) });
    const { id } = await json<{ id: string }>(created);
    const folded = async () => JSON.parse((await env.DB.prepare("SELECT folded_data FROM users WHERE id = ?").bind(id).first<{ folded_data: string }>())!.folded_data);
    expect(await folded()).toMatchObject({ title: "déjà" });
    await call(`/scim/v2/Users/${id}`, { method: "PUT", token, body: JSON.stringify({ schemas: [USER], userName: "later", title: "ÜBER" }) });
    expect(await folded()).toMatchObject({ title: "über" });
    await call(`/scim/v2/Users/${id}`, {
      method: "PATCH",
      token,
      body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "GROẞ" }] }),
    });
    expect(await folded()).toMatchObject({ title: "gross" });
    expect(await pending("users", tenantId)).toBe(0);
  });
});

describe("the backfill is bounded and reads through its partial index", () => {
  const TENANT = "backfill-bulk-co";
  let tenantId = 0;

  beforeAll(async () => {
    await issueKey(TENANT);
    tenantId = await tenantIdOf(TENANT);
    // 3,000 users already folded (seedUsers writes folded_data as the repository does), then 250 without it.
    await seedUsers(tenantId, 1, 3000);
    await seedUsers(tenantId, 3001, 250, { ordinals: "trigger" });
  });

  it("one batch reads about its own rows, not the table", async () => {
    expect(await pending("users", tenantId)).toBe(250);
    const meter = meterD1(env.DB);
    const batch = await backfillFoldedBatch(openDb(meter.db), "users", 0, 100);
    expect(batch).toMatchObject({ read: 100, written: 100 });
    const cost = meter.totals();
    // A constant few per row handled (measured 500: the select through users_folded_pending, the update's
    // json_each elements, rows by rowid and index entries it rewrites), however many rows the table holds (3,250).
    expect(cost.rowsRead).toBeLessThanOrEqual(6 * 100);
    expect(cost.queries).toBe(2);
    expect(await pending("users", tenantId)).toBe(150);
  });

  it(`one run does at most ${BACKFILL_BATCHES_PER_RUN} batches per table, and the next run carries on`, async () => {
    expect(await backfillFoldedData(openDb(env.DB), 10)).toEqual({ users: 10 * BACKFILL_BATCHES_PER_RUN, groups: 0 });
    expect(await pending("users", tenantId)).toBe(150 - 10 * BACKFILL_BATCHES_PER_RUN);
    await backfillFoldedData(openDb(env.DB));
    expect(await pending("users", tenantId)).toBe(0);
    // Nothing left: a run reads one empty index range per table and writes nothing.
    const meter = meterD1(env.DB);
    expect(await backfillFoldedData(openDb(meter.db))).toEqual({ users: 0, groups: 0 });
    expect(meter.totals()).toMatchObject({ rowsWritten: 0, queries: 2 });
    expect(await checkInvariants([tenantId])).toEqual([]);
  });

  it("filters answer the same on backfilled and seeded rows", async () => {
    const { token } = await issueKey(TENANT);
    const res = await call(`/scim/v2/Users?filter=${encodeURIComponent('displayName eq "BULK USER 003100"')}`, { token });
    expect((await json<{ totalResults: number }>(res)).totalResults).toBe(1);
    const scan = await call(`/scim/v2/Users?count=1&filter=${encodeURIComponent('emails[type eq "WORK" and display pr] or name.familyName co "x"')}`, { token });
    expect(scan.status).toBe(200);
    expect(costOf(scan).rowsWritten).toBe(0);
  });
});

describe("writes cost what they cost before the folded document", () => {
  it("a user create, PUT and PATCH, and a group create, rename and PUT, write the rows they wrote before migration 0005", async () => {
    // Measured on the commit before 0005 with the same requests: folded_data is one more column of the same
    // row, and the partial indexes hold no row an API write leaves folded.
    const { token } = await issueKey("backfill-cost-co");
    const send = (method: string, path: string, body: Record<string, unknown>) => call(path, { method, token, body: JSON.stringify(body) });
    let res = await send("POST", "/scim/v2/Users", { schemas: [USER], userName: "a@x", title: "Émile", emails: [{ value: "a@x", type: "work" }] });
    expect(costOf(res).rowsWritten).toBe(18);
    const user = await json<{ id: string }>(res);
    res = await send("PUT", `/scim/v2/Users/${user.id}`, { schemas: [USER], userName: "a@x", title: "Zoë", emails: [{ value: "a@x", type: "work" }] });
    expect(costOf(res).rowsWritten).toBe(14);
    // With If-Match a PATCH reads, then rewrites the row and its email rows (updateUser), as before 0005.
    res = await call(`/scim/v2/Users/${user.id}`, { method: "PATCH", token, headers: { "If-Match": 'W/"2"' }, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "X" }] }) });
    expect(costOf(res).rowsWritten).toBe(14);
    // Without, a PATCH of single-valued attributes is one batch in SQL (assignUserAttributes), which leaves the
    // email rows alone: fewer rows, folded_data included.
    res = await send("PATCH", `/scim/v2/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "Y" }] });
    expect(costOf(res).rowsWritten).toBe(6);
    res = await send("POST", "/scim/v2/Groups", { schemas: [GROUP], displayName: "G" });
    expect(costOf(res).rowsWritten).toBe(13);
    const group = await json<{ id: string }>(res);
    res = await call(`/scim/v2/Groups/${group.id}`, { method: "PATCH", token, headers: { "If-Match": 'W/"1"' }, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "H" }] }) });
    expect(costOf(res).rowsWritten).toBe(8);
    // The rename in one batch (assignGroupAttributes) sets only the columns of the attributes it assigns, not
    // every indexed column: one row fewer here.
    res = await send("PATCH", `/scim/v2/Groups/${group.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "H2" }] });
    expect(costOf(res).rowsWritten).toBe(7);
    res = await send("PUT", `/scim/v2/Groups/${group.id}`, { schemas: [GROUP], displayName: "I" });
    expect(costOf(res).rowsWritten).toBe(8);
  });
});
