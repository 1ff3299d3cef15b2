// Concurrent and retried requests, as identity providers produce them: Okta and Entra run provisioning
// tasks in parallel, and a client that timed out sends the same request again. All requests go through the
// worker at once (Promise.all); the assertions are on the responses AND on the rows stored.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, expectScimError, issueKey, json } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const TENANT = "races-co";

let token = "";
let tenantId = 0;

beforeAll(async () => {
  ({ token } = await issueKey(TENANT));
  tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(TENANT).first<{ id: number }>())!.id;
});

const userBody = (userName: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ schemas: [USER], userName, emails: [{ value: userName, type: "work", primary: true }], ...extra });
const patchBody = (...operations: unknown[]) => JSON.stringify({ schemas: [PATCH_OP], Operations: operations });

async function createUser(userName: string): Promise<string> {
  const res = await call("/scim/v2/Users", { method: "POST", token, body: userBody(userName) });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

async function createGroup(displayName: string, members: string[]): Promise<string> {
  const body = JSON.stringify({ schemas: [GROUP], displayName, members: members.map((value) => ({ value })) });
  const res = await call("/scim/v2/Groups", { method: "POST", token, body });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

async function rows<T>(sql: string, ...params: unknown[]): Promise<T[]> {
  return (await env.DB.prepare(sql).bind(tenantId, ...params).all<T>()).results;
}

async function storedMembers(groupId: string): Promise<{ ids: string[]; memberCount: number }> {
  const members = await rows<{ member_id: string }>("SELECT member_id FROM group_members WHERE tenant_id = ? AND group_id = ? ORDER BY member_id", groupId);
  const [group] = await rows<{ member_count: number }>("SELECT member_count FROM groups WHERE tenant_id = ? AND id = ?", groupId);
  return { ids: members.map((m) => m.member_id), memberCount: group!.member_count };
}

/**
 * The tenant's stored directory, row by row. `version` and `updated_at` are left out: they record that a
 * write happened, and a retried write is still a write; every attribute, email, membership and count is in.
 */
async function directory() {
  return {
    counts: await rows("SELECT user_count, group_count FROM tenants WHERE id = ?"),
    users: await rows("SELECT id, user_name, display_name, active, data FROM users WHERE tenant_id = ? ORDER BY seq"),
    emails: await rows("SELECT user_seq, value_key, type, is_primary FROM user_emails WHERE tenant_id = ? ORDER BY user_seq, value_key"),
    groups: await rows("SELECT id, display_name, member_count, data FROM groups WHERE tenant_id = ? ORDER BY seq"),
    members: await rows("SELECT group_id, member_id, member_type FROM group_members WHERE tenant_id = ? ORDER BY group_id, member_id"),
  };
}

describe("concurrent creates of one userName", () => {
  it("50 at once: exactly one 201, 49 409 uniqueness, one row, one count", async () => {
    const [before] = await rows<{ user_count: number }>("SELECT user_count FROM tenants WHERE id = ?");
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => call("/scim/v2/Users", { method: "POST", token, body: userBody("same@example.com") })),
    );
    const created = responses.filter((res) => res.status === 201);
    const conflicts = responses.filter((res) => res.status === 409);
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(49);
    for (const res of conflicts) await expectScimError(res, 409, "uniqueness");

    const id = (await json<{ id: string }>(created[0]!)).id;
    const stored = await rows<{ id: string }>("SELECT id FROM users WHERE tenant_id = ? AND user_name_key = 'same@example.com'");
    expect(stored.map((row) => row.id)).toEqual([id]);
    const [after] = await rows<{ user_count: number }>("SELECT user_count FROM tenants WHERE id = ?");
    expect(after!.user_count).toBe(before!.user_count + 1);
    const emails = await rows("SELECT value_key FROM user_emails WHERE tenant_id = ? AND value_key = 'same@example.com'");
    expect(emails).toHaveLength(1);
  });

  it("userNames differing only in case count as the same one", async () => {
    const spellings = ["Case@Example.com", "CASE@EXAMPLE.COM", "case@example.com", "cAsE@example.COM"];
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call("/scim/v2/Users", { method: "POST", token, body: userBody(spellings[i % spellings.length]!) })),
    );
    expect(responses.filter((res) => res.status === 201)).toHaveLength(1);
    expect(responses.filter((res) => res.status === 409)).toHaveLength(19);
    expect(await rows("SELECT id FROM users WHERE tenant_id = ? AND user_name_key = 'case@example.com'")).toHaveLength(1);
  });
});

describe("concurrent group PATCHes on one group", () => {
  it("20 at once, each adding one member and removing another: every one succeeds and the result is the sequential one", async () => {
    const leaving = await Promise.all(Array.from({ length: 20 }, (_, i) => createUser(`leaving-${i}@example.com`)));
    const joining = await Promise.all(Array.from({ length: 20 }, (_, i) => createUser(`joining-${i}@example.com`)));
    const groupId = await createGroup("Contended", leaving);

    const responses = await Promise.all(
      joining.map((joiner, i) =>
        call(`/scim/v2/Groups/${groupId}`, {
          method: "PATCH",
          token,
          // Okta's shape (filtered remove) and Entra's (value list, capitalised op) alternate.
          body:
            i % 2 === 0
              ? patchBody({ op: "remove", path: `members[value eq "${leaving[i]}"]` }, { op: "add", path: "members", value: [{ value: joiner }] })
              : patchBody({ op: "Remove", path: "members", value: [{ value: leaving[i] }] }, { op: "Add", path: "members", value: [{ value: joiner }] }),
        }),
      ),
    );
    expect(responses.map((res) => res.status)).toEqual(Array.from({ length: 20 }, () => 204));

    const stored = await storedMembers(groupId);
    expect(stored.ids).toEqual([...joining].sort());
    expect(stored.memberCount).toBe(20);
    const read = await json<{ members: { value: string }[] }>(await call(`/scim/v2/Groups/${groupId}`, { token }));
    expect(read.members.map((m) => m.value).sort()).toEqual([...joining].sort());
  });

  it("20 at once adding distinct members to an empty group: all 20 are members, member_count 20", async () => {
    const users = await Promise.all(Array.from({ length: 20 }, (_, i) => createUser(`adder-${i}@example.com`)));
    const groupId = await createGroup("Filled concurrently", []);
    const responses = await Promise.all(
      users.map((value) => call(`/scim/v2/Groups/${groupId}`, { method: "PATCH", token, body: patchBody({ op: "add", path: "members", value: [{ value }] }) })),
    );
    expect(responses.every((res) => res.status === 204)).toBe(true);
    expect(await storedMembers(groupId)).toEqual({ ids: [...users].sort(), memberCount: 20 });
  });

  it("members PATCHes pinned to one version with If-Match: the first wins, the others get 412 and change nothing", async () => {
    const users = await Promise.all(Array.from({ length: 5 }, (_, i) => createUser(`pinned-${i}@example.com`)));
    const groupId = await createGroup("Pinned", []);
    const etag = (await call(`/scim/v2/Groups/${groupId}`, { token })).headers.get("ETag")!;
    const responses = await Promise.all(
      users.map((value) =>
        call(`/scim/v2/Groups/${groupId}`, { method: "PATCH", token, headers: { "If-Match": etag }, body: patchBody({ op: "add", path: "members", value: [{ value }] }) }),
      ),
    );
    const statuses = responses.map((res) => res.status);
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(4);
    const winner = users[statuses.indexOf(204)]!;
    expect(await storedMembers(groupId)).toEqual({ ids: [winner], memberCount: 1 });
  });
});

describe("a retried request (same body, sent again after a client timeout) leaves the state of one request", () => {
  it("POST /Users: the retry is a 409 and nothing else changes", async () => {
    const body = userBody("retried-post@example.com", { displayName: "Retried" });
    expect((await call("/scim/v2/Users", { method: "POST", token, body })).status).toBe(201);
    const once = await directory();
    await expectScimError(await call("/scim/v2/Users", { method: "POST", token, body }), 409, "uniqueness");
    expect(await directory()).toEqual(once);
  });

  it("PUT /Users/{id}", async () => {
    const id = await createUser("retried-put@example.com");
    const body = userBody("retried-put@example.com", { displayName: "Put twice", emails: [{ value: "other@example.com", type: "home" }] });
    expect((await call(`/scim/v2/Users/${id}`, { method: "PUT", token, body })).status).toBe(200);
    const once = await directory();
    expect((await call(`/scim/v2/Users/${id}`, { method: "PUT", token, body })).status).toBe(200);
    expect(await directory()).toEqual(once);
  });

  it("PATCH /Users/{id} (Okta deactivate; Entra replace of several attributes)", async () => {
    const id = await createUser("retried-patch@example.com");
    for (const body of [
      patchBody({ op: "replace", value: { active: false } }),
      patchBody({ op: "Replace", path: "displayName", value: "Entra Name" }, { op: "Replace", path: "active", value: "True" }),
    ]) {
      expect((await call(`/scim/v2/Users/${id}`, { method: "PATCH", token, body })).status).toBe(200);
      const once = await directory();
      expect((await call(`/scim/v2/Users/${id}`, { method: "PATCH", token, body })).status).toBe(200);
      expect(await directory()).toEqual(once);
    }
  });

  it("PATCH /Groups/{id} adding and removing members", async () => {
    const [a, b, c] = await Promise.all(["retry-a", "retry-b", "retry-c"].map((name) => createUser(`${name}@example.com`)));
    const groupId = await createGroup("Retried members", [a!, b!]);
    const body = patchBody({ op: "add", path: "members", value: [{ value: c }] }, { op: "remove", path: `members[value eq "${a}"]` });
    expect((await call(`/scim/v2/Groups/${groupId}`, { method: "PATCH", token, body })).status).toBe(204);
    const once = await directory();
    expect((await call(`/scim/v2/Groups/${groupId}`, { method: "PATCH", token, body })).status).toBe(204);
    expect(await directory()).toEqual(once);
    expect(await storedMembers(groupId)).toEqual({ ids: [b!, c!].sort(), memberCount: 2 });
  });

  it("PUT /Groups/{id} with the full member list (Okta push)", async () => {
    const [a, b] = await Promise.all(["push-a", "push-b"].map((name) => createUser(`${name}@example.com`)));
    const groupId = await createGroup("Pushed twice", [a!]);
    const body = JSON.stringify({ schemas: [GROUP], id: groupId, displayName: "Pushed twice", members: [{ value: a }, { value: b }] });
    expect((await call(`/scim/v2/Groups/${groupId}`, { method: "PUT", token, body })).status).toBe(200);
    const once = await directory();
    expect((await call(`/scim/v2/Groups/${groupId}`, { method: "PUT", token, body })).status).toBe(200);
    expect(await directory()).toEqual(once);
  });

  it("DELETE /Users/{id}: the retry is a 404 and nothing else changes", async () => {
    const id = await createUser("retried-delete@example.com");
    await createGroup("Holds retried-delete", [id]);
    expect((await call(`/scim/v2/Users/${id}`, { method: "DELETE", token })).status).toBe(204);
    const once = await directory();
    await expectScimError(await call(`/scim/v2/Users/${id}`, { method: "DELETE", token }), 404);
    expect(await directory()).toEqual(once);
  });

  it("the retry arriving while the first is still running: PATCH twice at once gives the state of one", async () => {
    const [a, b] = await Promise.all(["overlap-a", "overlap-b"].map((name) => createUser(`${name}@example.com`)));
    const groupId = await createGroup("Overlapping retry", [a!]);
    const body = patchBody({ op: "add", path: "members", value: [{ value: b }] }, { op: "remove", path: `members[value eq "${a}"]` });
    const both = await Promise.all([1, 2].map(() => call(`/scim/v2/Groups/${groupId}`, { method: "PATCH", token, body })));
    expect(both.map((res) => res.status)).toEqual([204, 204]);
    expect(await storedMembers(groupId)).toEqual({ ids: [b!], memberCount: 1 });
  });
});
