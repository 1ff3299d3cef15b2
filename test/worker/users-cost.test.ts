// D1 cost of user lookups (DESIGN.md "Storage": an indexed lookup reads about 1 row): a lookup by userName,
// externalId or id reads at most a few D1 rows, whatever the tenant size. Measured in D1's own units (rows read,
// from Server-Timing), not with timers.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { bulkId, call, costOf, issueKey, json, seedUsers } from "./helpers.ts";

const TENANT_SIZE = 20_000;
/** A lookup reads the index entry, the row, the count and the user's group rows: a handful, never a scan. */
const FEW = 12;
let token = "";

beforeAll(async () => {
  ({ token } = await issueKey("lookup-co"));
  const tenant = await env.DB.prepare("SELECT id FROM tenants WHERE slug = 'lookup-co'").first<{ id: number }>();
  await seedUsers(tenant!.id, 1, TENANT_SIZE);
  // Every user in one big group: reading a user's `groups` must use the member index, not the tenant's
  // memberships (the benchmark caught a plan that read all of them on every user response).
  await env.DB.prepare(
    `INSERT INTO groups (tenant_id, id, display_name, display_name_key, created_at, updated_at, version, data)
     VALUES (?1, 'everyone', 'Everyone', 'everyone', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1, '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Everyone"}')`,
  ).bind(tenant!.id).run();
  await env.DB.prepare(
    `INSERT INTO group_members (tenant_id, group_id, member_id, member_type) SELECT tenant_id, 'everyone', id, 'User' FROM users WHERE tenant_id = ?1`,
  ).bind(tenant!.id).run();
  // Keep the kept counters true, as the API would.
  await env.DB.prepare(
    `UPDATE groups SET member_count = (SELECT count(*) FROM group_members WHERE tenant_id = ?1 AND group_id = 'everyone') WHERE tenant_id = ?1 AND id = 'everyone'`,
  ).bind(tenant!.id).run();
  await env.DB.prepare("UPDATE tenants SET group_count = group_count + 1 WHERE id = ?").bind(tenant!.id).run();
  // Warm the isolate's key and tenant cache so the figures are the lookup's own.
  expect((await call("/scim/v2/ServiceProviderConfig", { token })).status).toBe(200);
});

const q = (filter: string) => `/scim/v2/Users?filter=${encodeURIComponent(filter)}&startIndex=1&count=100`;
const middle = TENANT_SIZE / 2;

describe(`lookups in a ${TENANT_SIZE}-user tenant`, () => {
  for (const [name, path] of [
    ["okta: userName eq", q(`userName eq "${bulkId(middle)}@example.com"`)],
    ["okta: userName eq in another case", q(`userName eq "${bulkId(middle).toUpperCase()}@EXAMPLE.COM"`)],
    ["entra: externalId eq", q(`externalId eq "ext-${String(middle).padStart(6, "0")}"`)],
    ["id eq", q(`id eq "${bulkId(middle)}"`)],
    ["GET /Users/:id", `/scim/v2/Users/${bulkId(middle)}`],
  ] as const) {
    it(`${name} reads at most ${FEW} rows`, async () => {
      const res = await call(path, { token });
      expect(res.status).toBe(200);
      const body = await json<{ totalResults?: number; id?: string }>(res);
      if (body.totalResults !== undefined) expect(body.totalResults).toBe(1);
      const user = (body as { Resources?: { groups?: unknown }[]; groups?: unknown }).Resources?.[0] ?? body;
      expect((user as { groups?: unknown }).groups).toEqual([expect.objectContaining({ value: "everyone", display: "Everyone" })]);
      const cost = costOf(res);
      expect(cost.rowsRead).toBeLessThanOrEqual(FEW);
      expect(cost.rowsWritten).toBe(0);
    });
  }

  it("emails.value eq goes through the user_emails index: a dozen rows, not a scan", async () => {
    const res = await call(q(`emails.value eq "${bulkId(middle).toUpperCase()}@example.com"`), { token });
    expect((await json<{ totalResults: number }>(res)).totalResults).toBe(1);
    // Two statements (page and count), each reading the email index entry, its materialised subquery and the user row.
    expect(costOf(res).rowsRead).toBeLessThanOrEqual(18);
  });

  it('entra: emails[type eq "work"].value eq is the same index lookup as the bracket form: a dozen rows, not a scan', async () => {
    const email = `${bulkId(middle + 1)}@example.com`;
    const entra = await call(q(`emails[type eq "work"].value eq "${email}"`), { token });
    expect(entra.status).toBe(200);
    const found = await json<{ totalResults: number; Resources: { id: string }[] }>(entra);
    expect(found.totalResults).toBe(1);
    expect(found.Resources[0]!.id).toBe(bulkId(middle + 1));
    const bracket = await call(q(`emails[type eq "work" and value eq "${email}"]`), { token });
    expect(costOf(entra).rowsRead).toBe(costOf(bracket).rowsRead);
    expect(costOf(entra).rowsRead).toBeLessThanOrEqual(18);
  });

  it("a lookup that finds nothing reads at most a row or two", async () => {
    const cost = costOf(await call(q(`userName eq "${crypto.randomUUID()}"`), { token }));
    expect(cost.rowsRead).toBeLessThanOrEqual(2);
  });

  it("totalResults of the unfiltered list is read from the kept count, not by counting", async () => {
    const res = await call("/scim/v2/Users?count=0", { token });
    expect((await json<{ totalResults: number }>(res)).totalResults).toBe(TENANT_SIZE);
    expect(costOf(res).rowsRead).toBeLessThanOrEqual(2);
  });

  it("a first page of 100 users, each in a group, reads a bounded number of rows per user, not per tenant", async () => {
    const res = await call("/scim/v2/Users?startIndex=1&count=100", { token });
    expect((await json<{ Resources: unknown[] }>(res)).Resources).toHaveLength(100);
    // Per user: its row, and one seek of the member index (the match and the entry after it). The ids are
    // bound as VALUES rows, which D1 does not bill, not as an IN list, whose probe table costs a row per id.
    // The one shared group's name is read once, not once per member.
    expect(costOf(res).rowsRead).toBeLessThanOrEqual(100 * 3 + FEW);
  });

  it("okta: an import page with excludedAttributes=groups reads about the page's 100 rows, groups or not", async () => {
    const res = await call("/scim/v2/Users?startIndex=10001&count=100&excludedAttributes=groups", { token });
    const body = await json<{ Resources: Record<string, unknown>[] }>(res);
    expect(body.Resources).toHaveLength(100);
    expect(body.Resources[0]).not.toHaveProperty("groups");
    expect(costOf(res).rowsRead).toBeLessThanOrEqual(100 + FEW);
  });
});
