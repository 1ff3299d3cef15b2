// Every multi-statement change is ONE D1 batch, so a statement failing midway leaves nothing behind. The
// failure is real: a trigger in the test database aborts one statement of the batch (an INSERT or DELETE that
// runs after the batch has already updated or deleted other rows), and each test shows the earlier
// statements of that batch were rolled back with it, through the HTTP API and through the storage functions.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { openDb } from "../../src/storage/db.ts";
import { getUser, updateUser } from "../../src/storage/users.ts";
import { call, expectScimError, issueKey, json, testOrigin } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const TENANT = "faults-batch-co";
const POISON_EMAIL = "poison@example.com";

let token = "";
let tenantId = 0;

/** A trigger that aborts the statement writing the matching row, as a failing statement would. */
async function abortWhen(name: string, event: string, condition: string): Promise<void> {
  await env.DB.prepare(`CREATE TRIGGER ${name} ${event} WHEN ${condition} BEGIN SELECT RAISE(ABORT, 'injected failure in ${name}'); END`).run();
}

beforeAll(async () => {
  ({ token } = await issueKey(TENANT));
  tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(TENANT).first<{ id: number }>())!.id;
  await abortWhen("poison_email", "BEFORE INSERT ON user_emails", `NEW.value_key = '${POISON_EMAIL}'`);
});

const userBody = (userName: string, emails: string[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({ schemas: [USER], userName, emails: emails.map((value) => ({ value, type: "work" })), ...extra });

async function createUser(userName: string, emails: string[] = [userName]): Promise<string> {
  const res = await call("/scim/v2/Users", { method: "POST", token, body: userBody(userName, emails) });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

/** Everything stored about the tenant's directory and its feed, row by row: what a half-applied write would change. */
async function snapshot() {
  const all = async (sql: string) => (await env.DB.prepare(sql).bind(tenantId).all()).results;
  return {
    tenant: await all("SELECT user_count, group_count, event_next FROM tenants WHERE id = ?"),
    events: await all("SELECT event_id, type, body FROM events WHERE tenant_id = ? ORDER BY event_id"),
    users: await all("SELECT seq, id, user_name, display_name, active, version, updated_at, data FROM users WHERE tenant_id = ? ORDER BY seq"),
    emails: await all("SELECT user_seq, value_key, type, is_primary FROM user_emails WHERE tenant_id = ? ORDER BY user_seq, value_key"),
    groups: await all("SELECT seq, id, display_name, version, member_count, updated_at, data FROM groups WHERE tenant_id = ? ORDER BY seq"),
    members: await all("SELECT group_id, member_id, member_type FROM group_members WHERE tenant_id = ? ORDER BY group_id, member_id"),
  };
}

/** The failed request is a SCIM error without internals; the stored state is exactly as before. */
async function expectRejectedWithoutTrace(res: Response, before: Awaited<ReturnType<typeof snapshot>>): Promise<void> {
  const body = await expectScimError(res, 500);
  expect(JSON.stringify(body)).not.toMatch(/injected failure|RAISE|\bat \w|\.ts:\d|SELECT|INSERT/);
  expect(await snapshot()).toEqual(before);
}

describe("a statement failing inside a batch rolls back the whole batch", () => {
  it("POST /Users: the user row and tenant count written before the failing email insert are gone", async () => {
    const before = await snapshot();
    const res = await call("/scim/v2/Users", { method: "POST", token, body: userBody("half@example.com", ["half@example.com", POISON_EMAIL]) });
    await expectRejectedWithoutTrace(res, before);
    // No row was left behind to collide with: the same user can be created once the poison is gone.
    expect((await call("/scim/v2/Users", { method: "POST", token, body: userBody("half@example.com", ["half@example.com"]) })).status).toBe(201);
  });

  it("PUT /Users/{id}: the row update and the email delete before the failing insert are undone", async () => {
    const id = await createUser("put-me@example.com", ["put-me@example.com", "second@example.com"]);
    const before = await snapshot();
    const res = await call(`/scim/v2/Users/${id}`, {
      method: "PUT",
      token,
      body: userBody("renamed@example.com", ["renamed@example.com", POISON_EMAIL], { displayName: "Renamed", active: false }),
    });
    await expectRejectedWithoutTrace(res, before);
    const read = await json<{ userName: string; active: boolean; meta: { version: string } }>(await call(`/scim/v2/Users/${id}`, { token }));
    expect(read).toMatchObject({ userName: "put-me@example.com", active: true, meta: { version: 'W/"1"' } });
  });

  it("PATCH /Groups/{id}: rename, member removal and count changes before the failing member insert are undone", async () => {
    const kept = await createUser("kept@example.com");
    const removed = await createUser("removed@example.com");
    const poisoned = await createUser("poisoned-member@example.com");
    await abortWhen("poison_member", "BEFORE INSERT ON group_members", `NEW.member_id = '${poisoned}'`);
    const created = await call("/scim/v2/Groups", {
      method: "POST",
      token,
      body: JSON.stringify({ schemas: [GROUP], displayName: "Atomic", members: [{ value: kept }, { value: removed }] }),
    });
    expect(created.status).toBe(201);
    const groupId = (await json<{ id: string }>(created)).id;
    const before = await snapshot();
    const res = await call(`/scim/v2/Groups/${groupId}`, {
      method: "PATCH",
      token,
      body: JSON.stringify({
        schemas: [PATCH_OP],
        Operations: [
          { op: "replace", path: "displayName", value: "Atomic renamed" },
          { op: "remove", path: `members[value eq "${removed}"]` },
          { op: "add", path: "members", value: [{ value: poisoned }] },
        ],
      }),
    });
    await expectRejectedWithoutTrace(res, before);
    const read = await json<{ displayName: string; members: { value: string }[] }>(await call(`/scim/v2/Groups/${groupId}`, { token }));
    expect(read.displayName).toBe("Atomic");
    expect(read.members.map((m) => m.value).sort()).toEqual([kept, removed].sort());
  });

  it("DELETE /Users/{id}: the user, its emails and the count stay when removing its memberships fails", async () => {
    const id = await createUser("undeletable@example.com");
    for (const displayName of ["Holds undeletable 1", "Holds undeletable 2"]) {
      const res = await call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP], displayName, members: [{ value: id }] }) });
      expect(res.status).toBe(201);
    }
    await abortWhen("poison_unlink", "BEFORE DELETE ON group_members", `OLD.member_id = '${id}'`);
    const before = await snapshot();
    await expectRejectedWithoutTrace(await call(`/scim/v2/Users/${id}`, { method: "DELETE", token }), before);
    expect((await call(`/scim/v2/Users/${id}`, { token })).status).toBe(200);
  });

  it("the event insert failing undoes the change: no change without its event (POST, PUT, group PATCH, DELETE)", async () => {
    const id = await createUser("eventless@example.com");
    const groupRes = await call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP], displayName: "Eventless" }) });
    const groupId = (await json<{ id: string }>(groupRes)).id;
    await abortWhen("poison_event", "BEFORE INSERT ON events", "json_extract(NEW.body, '$.requestId') LIKE 'no-event-%'");
    const noEvent = () => ({ "X-Request-Id": `no-event-${crypto.randomUUID()}` });
    const before = await snapshot();
    const attempts = [
      call("/scim/v2/Users", { method: "POST", token, headers: noEvent(), body: userBody("never@example.com", ["never@example.com"]) }),
      call(`/scim/v2/Users/${id}`, { method: "PUT", token, headers: noEvent(), body: userBody("eventless@example.com", [], { active: false }) }),
      call(`/scim/v2/Groups/${groupId}`, {
        method: "PATCH",
        token,
        headers: noEvent(),
        body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: id }] }] }),
      }),
      call(`/scim/v2/Users/${id}`, { method: "DELETE", token, headers: noEvent() }),
      call(`/scim/v2/Groups/${groupId}`, { method: "DELETE", token, headers: noEvent() }),
    ];
    for (const attempt of attempts) await expectRejectedWithoutTrace(await attempt, before);
    await env.DB.prepare("DROP TRIGGER poison_event").run();
  });

  it("storage updateUser: a failing statement in its batch throws and leaves row and emails as they were", async () => {
    const id = await createUser("storage-level@example.com");
    const db = openDb(env.DB);
    const current = (await getUser(db, tenantId, id))!;
    const before = await snapshot();
    const write = { data: { ...current.data, userName: "storage-renamed@example.com", emails: [{ value: POISON_EMAIL }] } };
    await expect(updateUser(db, tenantId, current, write, testOrigin(TENANT))).rejects.toThrow(/injected failure in poison_email/);
    expect(await snapshot()).toEqual(before);
    expect((await getUser(db, tenantId, id))?.version).toBe(current.version);
  });
});
