// The picture of stored rows that the property tests compare before and after each refused request
// (test/worker/invariants.ts, storedRows): it must change when any column of any row changes, or "a 4xx
// changed no row" could never fail.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { call, issueKey, json } from "./helpers.ts";
import { storedRows } from "./invariants.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

let tenantId = 0;

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  const slug = `rows-${crypto.randomUUID().slice(0, 8)}`;
  const { token } = await issueKey(slug);
  tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(slug).first<{ id: number }>())?.id ?? 0;
  const user = await json<{ id: string }>(await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName: "pictured", emails: [{ value: "p@example.com" }] }) }));
  await call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP], displayName: "pictured", members: [{ value: user.id }] }) });
});

describe("storedRows: the before/after picture of the property tests", () => {
  it("is the same text when nothing changed", async () => {
    expect(await storedRows([tenantId])).toBe(await storedRows([tenantId]));
    expect(await storedRows()).toBe(await storedRows());
  });

  // One column of one row per table, each changed and then restored: the picture sees every table, every
  // column kind (text, integer, NULL) and tells NULL from the text 'NULL'.
  const changes: [string, string, string][] = [
    ["a tenant's slug", "UPDATE tenants SET slug = slug || '-x' WHERE id = ?1", "UPDATE tenants SET slug = substr(slug, 1, length(slug) - 2) WHERE id = ?1"],
    ["a user's JSON", "UPDATE users SET data = json_set(data, '$.title', 'x') WHERE tenant_id = ?1", "UPDATE users SET data = json_remove(data, '$.title') WHERE tenant_id = ?1"],
    ["a user's version", "UPDATE users SET version = version + 1 WHERE tenant_id = ?1", "UPDATE users SET version = version - 1 WHERE tenant_id = ?1"],
    ["a user's externalId, NULL to the text 'NULL'", "UPDATE users SET external_id = 'NULL' WHERE tenant_id = ?1", "UPDATE users SET external_id = NULL WHERE tenant_id = ?1"],
    ["an email row", "UPDATE user_emails SET type = 'x' WHERE tenant_id = ?1", "UPDATE user_emails SET type = NULL WHERE tenant_id = ?1"],
    ["a group's name", "UPDATE groups SET display_name = display_name || 'x' WHERE tenant_id = ?1", "UPDATE groups SET display_name = substr(display_name, 1, length(display_name) - 1) WHERE tenant_id = ?1"],
    ["a membership", "UPDATE group_members SET member_type = 'Group' WHERE tenant_id = ?1", "UPDATE group_members SET member_type = 'User' WHERE tenant_id = ?1"],
  ];
  for (const [what, change, restore] of changes) {
    it(`changes when ${what} changes`, async () => {
      const before = await storedRows([tenantId]);
      const all = await storedRows();
      await env.DB.prepare(change).bind(tenantId).run();
      expect(await storedRows([tenantId])).not.toBe(before);
      expect(await storedRows()).not.toBe(all);
      await env.DB.prepare(restore).bind(tenantId).run();
      expect(await storedRows([tenantId])).toBe(before);
    });
  }

  it("changes when a row is added or removed", async () => {
    const before = await storedRows([tenantId]);
    await env.DB.prepare("DELETE FROM group_members WHERE tenant_id = ?").bind(tenantId).run();
    expect(await storedRows([tenantId])).not.toBe(before);
  });
});
