// The change feed (README, "Consuming changes in your application"): every committed change is an event, written in the change's own D1 batch, read through
// GET /v1/events with an `app` key. Each test starts from the head cursor and reads what its requests emitted.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, expectScimError, feedPage, headCursor, issueKey, json, readFeed, type FeedEvent } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const TENANT = "events-co";

let scim = { token: "", keyId: "" };
let app = { token: "", keyId: "" };

beforeAll(async () => {
  const s = await issueKey(TENANT);
  const a = await issueKey(TENANT, { scope: "app", label: "backend" });
  scim = { token: s.token, keyId: s.record.keyId };
  app = { token: a.token, keyId: a.record.keyId };
});

const okta = { "User-Agent": "Okta SCIM Client 1.0.0" };

async function write(method: string, path: string, body?: unknown, token = scim.token): Promise<Response> {
  return call(`/scim/v2${path}`, { method, token, headers: okta, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

async function createUser(userName: string, extra: Record<string, unknown> = {}, token = scim.token): Promise<Record<string, unknown> & { id: string }> {
  const res = await write("POST", "/Users", { schemas: [USER], userName, name: { givenName: "Jane", familyName: "Doe" }, ...extra }, token);
  expect(res.status).toBe(201);
  return json(res);
}

async function createGroup(displayName: string, members: string[] = []): Promise<{ id: string }> {
  const res = await write("POST", "/Groups", { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) });
  expect(res.status).toBe(201);
  return json(res);
}

/** Runs `act` and returns the events it emitted (everything after the head taken before it). */
async function emitted(act: () => Promise<unknown>): Promise<FeedEvent[]> {
  const head = await headCursor(app.token);
  await act();
  return (await readFeed(app.token, head)).events;
}

const patch = (path: string, ...operations: unknown[]) => write("PATCH", path, { schemas: [PATCH_OP], Operations: operations });

describe("the event JSON contract", () => {
  it("user.created carries every contract field, data as SCIM GET renders it, and the actor", async () => {
    let user: Record<string, unknown> & { id: string } = { id: "" };
    const events = await emitted(async () => (user = await createUser("contract@example.com", { externalId: "00u1abcd" })));
    expect(events).toHaveLength(1);
    const [event] = events as [FeedEvent];
    expect(Object.keys(event)).toEqual(["id", "type", "occurredAt", "tenant", "resourceType", "resourceId", "externalId", "version", "data", "requestId", "actor"]);
    expect(event).toMatchObject({
      type: "user.created",
      tenant: TENANT,
      resourceType: "User",
      resourceId: user.id,
      externalId: "00u1abcd",
      version: 'W/"1"',
      actor: { keyId: scim.keyId, scope: "scim", userAgent: "Okta SCIM Client 1.0.0" },
    });
    expect(event.id).toMatch(/^[1-9][0-9]*$/);
    expect(Date.parse(event.occurredAt)).not.toBeNaN();
    expect(event.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The resource exactly as GET returns it (a new user has no groups).
    expect(event.data).toEqual(await json(await call(`/scim/v2/Users/${user.id}`, { token: scim.token })));
  });

  it("ids are strings that count up by one per event, in commit order", async () => {
    const events = await emitted(async () => {
      for (let i = 0; i < 5; i++) await createUser(`order-${i}@example.com`);
    });
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => ids[0]! + i));
    expect(events.map((e) => e.data.userName)).toEqual([0, 1, 2, 3, 4].map((i) => `order-${i}@example.com`));
  });
});

describe("user events", () => {
  it("user.updated names the changed attributes; deactivated, reactivated and password_changed follow", async () => {
    const user = await createUser("lifecycle@example.com", { emails: [{ value: "lifecycle@example.com", type: "work" }] });
    const base = { schemas: [USER], userName: "lifecycle@example.com", name: { givenName: "Janet", familyName: "Doe" }, emails: [{ value: "janet@example.com", type: "work" }] };

    const updated = await emitted(() => write("PUT", `/Users/${user.id}`, base));
    expect(updated.map((e) => e.type)).toEqual(["user.updated"]);
    expect(updated[0]!.changed).toEqual(["emails", "name.givenName"]);
    expect(updated[0]!.version).toBe('W/"2"');
    expect(updated[0]!.data).toMatchObject({ name: { givenName: "Janet" }, meta: { version: 'W/"2"' } });

    const deactivated = await emitted(() => patch(`/Users/${user.id}`, { op: "replace", value: { active: false } }));
    expect(deactivated.map((e) => [e.type, e.version])).toEqual([["user.deactivated", 'W/"3"']]);
    expect(deactivated[0]!.changed).toBeUndefined();
    expect(deactivated[0]!.data.active).toBe(false);

    const reactivated = await emitted(() => patch(`/Users/${user.id}`, { op: "replace", path: "active", value: true }));
    expect(reactivated.map((e) => e.type)).toEqual(["user.reactivated"]);

    const password = await emitted(() => patch(`/Users/${user.id}`, { op: "replace", path: "password", value: "Correct-Horse-9" }));
    expect(password.map((e) => e.type)).toEqual(["user.password_changed"]);
    expect(JSON.stringify(password)).not.toMatch(/Correct-Horse|pbkdf2/);

    // One request that renames, deactivates and sets a password: three events, one version.
    const all = await emitted(() => write("PUT", `/Users/${user.id}`, { ...base, displayName: "J", active: false, password: "Other-Pass-1" }));
    expect(all.map((e) => e.type)).toEqual(["user.updated", "user.deactivated", "user.password_changed"]);
    expect(new Set(all.map((e) => e.version))).toEqual(new Set(['W/"6"']));
    expect(all[0]!.changed).toEqual(["displayName"]);
    expect(JSON.stringify(all)).not.toMatch(/Other-Pass|pbkdf2/);
  });

  it("user.deleted carries the user as it was and the groups it was removed from", async () => {
    const user = await createUser("leaver@example.com");
    const before = await json<Record<string, unknown>>(await call(`/scim/v2/Users/${user.id}?excludedAttributes=groups`, { token: scim.token }));
    const [a, b] = [await createGroup("Leaver A", [user.id]), await createGroup("Leaver B", [user.id])];
    const events = await emitted(() => write("DELETE", `/Users/${user.id}`));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "user.deleted", resourceId: user.id, version: 'W/"1"' });
    expect(events[0]!.data).toEqual(before);
    expect(events[0]!.groups).toEqual([a.id, b.id].sort());
  });

  it("user.deleted renders the deleted row as GET did, nested attributes, extension and key order alike", async () => {
    const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const user = await createUser("nested-leaver@example.com", {
      schemas: [USER, enterprise],
      name: { givenName: "Ña", familyName: "Straße", formatted: "Ña Straße" },
      emails: [{ value: "nested-leaver@example.com", type: "work", primary: true }],
      title: "Leaver",
      [enterprise]: { department: "Ops", manager: { value: "boss" } },
    });
    const before = await json<Record<string, unknown>>(await call(`/scim/v2/Users/${user.id}?excludedAttributes=groups`, { token: scim.token }));
    const [deleted] = await emitted(() => write("DELETE", `/Users/${user.id}`));
    expect(deleted!.data).toEqual(before);
    expect(JSON.stringify(deleted!.data)).toBe(JSON.stringify(before));
    expect(deleted).toMatchObject({ externalId: null, version: 'W/"1"', groups: [] });
  });
});

describe("group events", () => {
  it("group.created, then members_added with the members it really added (data without members)", async () => {
    const [u1, u2] = [await createUser("g-member-1@example.com"), await createUser("g-member-2@example.com")];
    let group = { id: "" };
    const created = await emitted(async () => (group = await createGroup("Finance", [u1.id])));
    expect(created.map((e) => e.type)).toEqual(["group.created", "group.members_added"]);
    expect(created[0]!.data).toMatchObject({ id: group.id, displayName: "Finance", meta: { version: 'W/"1"' } });
    expect(created[0]!.data.members).toBeUndefined();
    expect(created[1]!.members).toEqual([{ value: u1.id, type: "User" }]);
    expect(created[1]!.version).toBe('W/"1"');

    // u1 is already a member: only u2 is named.
    const added = await emitted(() => patch(`/Groups/${group.id}`, { op: "add", path: "members", value: [{ value: u1.id }, { value: u2.id }] }));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({ type: "group.members_added", resourceId: group.id, version: 'W/"2"', members: [{ value: u2.id, type: "User" }] });
    expect(added[0]!.data).toMatchObject({ displayName: "Finance", meta: { version: 'W/"2"' } });
    expect(added[0]!.data.members).toBeUndefined();

    const removed = await emitted(() => patch(`/Groups/${group.id}`, { op: "remove", path: `members[value eq "${u1.id}"]` }));
    expect(removed).toHaveLength(1);
    expect(removed[0]).toMatchObject({ type: "group.members_removed", version: 'W/"3"', members: [{ value: u1.id, type: "User" }] });

    const renamed = await emitted(() => patch(`/Groups/${group.id}`, { op: "replace", value: { id: group.id, displayName: "Finance EU" } }));
    expect(renamed.map((e) => [e.type, e.changed, e.version])).toEqual([["group.updated", ["displayName"], 'W/"4"']]);

    const deleted = await emitted(() => write("DELETE", `/Groups/${group.id}`));
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ type: "group.deleted", resourceId: group.id, groups: [] });
    expect(deleted[0]!.members).toBeUndefined();
    expect(deleted[0]!.data).toMatchObject({ displayName: "Finance EU", meta: { version: 'W/"4"' } });
  });

  it("a push that replaces the member list names the removed and the added members, a nested group typed Group", async () => {
    const [u1, u2] = [await createUser("push-1@example.com"), await createUser("push-2@example.com")];
    const inner = await createGroup("Push inner");
    const group = await createGroup("Push outer", [u1.id]);
    const events = await emitted(() => patch(`/Groups/${group.id}`, { op: "replace", path: "members", value: [{ value: u2.id }, { value: inner.id }] }));
    expect(events.map((e) => e.type)).toEqual(["group.members_removed", "group.members_added"]);
    expect(events[0]!.members).toEqual([{ value: u1.id, type: "User" }]);
    expect(events[1]!.members).toEqual([{ value: inner.id, type: "Group" }, { value: u2.id, type: "User" }].sort((a, b) => (a.value < b.value ? -1 : 1)));
    expect(new Set(events.map((e) => e.version))).toEqual(new Set(['W/"2"']));
    // group.deleted of the nested group names the group it left.
    const deleted = await emitted(() => write("DELETE", `/Groups/${inner.id}`));
    expect(deleted[0]).toMatchObject({ type: "group.deleted", groups: [group.id] });
  });

  it("membership changes of more than 1000 members are split into events of at most 1000", async () => {
    const tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(TENANT).first<{ id: number }>())!.id;
    const ids = Array.from({ length: 2500 }, (_, i) => `split-${String(i).padStart(4, "0")}`);
    const now = new Date().toISOString();
    await env.DB.prepare(
      `INSERT INTO users (tenant_id, id, user_name, user_name_key, created_at, updated_at, version, data)
       SELECT ?1, value, value || '@example.com', value || '@example.com', ?2, ?2, 1, json_object('schemas', json_array(?3), 'userName', value || '@example.com')
       FROM json_each(?4)`,
    ).bind(tenantId, now, USER, JSON.stringify(ids)).run();
    const group = await createGroup("Everyone split");
    const value = (slice: string[]) => slice.map((v) => ({ value: v }));
    const added = await emitted(() =>
      patch(`/Groups/${group.id}`, ...[0, 1000, 2000].map((from) => ({ op: "add", path: "members", value: value(ids.slice(from, from + 1000)) }))),
    );
    expect(added.map((e) => [e.type, e.members!.length])).toEqual([
      ["group.members_added", 1000],
      ["group.members_added", 1000],
      ["group.members_added", 500],
    ]);
    expect(added.flatMap((e) => e.members!.map((m) => m.value)).sort()).toEqual(ids);
    expect(new Set(added.map((e) => e.version)).size).toBe(1);
    const removed = await emitted(() => patch(`/Groups/${group.id}`, { op: "replace", path: "members", value: [] }));
    expect(removed.map((e) => e.members!.length)).toEqual([1000, 1000, 500]);
  });
});

describe("what emits nothing", () => {
  it("a PUT equal to what is stored, a re-added member, an absent member removed, a same-list push: no event, no new version", async () => {
    const user = await createUser("noop@example.com");
    const group = await createGroup("No-op group", [user.id]);
    const events = await emitted(async () => {
      const { id: _id, meta: _meta, ...resource } = user;
      expect((await write("PUT", `/Users/${user.id}`, resource)).status).toBe(200);
      expect((await patch(`/Groups/${group.id}`, { op: "add", path: "members", value: [{ value: user.id }] })).status).toBe(204);
      expect((await patch(`/Groups/${group.id}`, { op: "remove", path: `members[value eq "not-a-member"]` })).status).toBe(204);
      expect((await patch(`/Groups/${group.id}`, { op: "replace", path: "members", value: [{ value: user.id }] })).status).toBe(204);
      expect((await write("PUT", `/Groups/${group.id}`, { schemas: [GROUP], displayName: "No-op group", members: [{ value: user.id }] })).status).toBe(200);
    });
    expect(events).toEqual([]);
    const read = await json<{ meta: { version: string } }>(await call(`/scim/v2/Groups/${group.id}`, { token: scim.token }));
    expect(read.meta.version).toBe('W/"1"');
  });

  it("rejected writes: a duplicate userName, an unknown member, a failed If-Match, a missing user", async () => {
    const user = await createUser("taken@example.com");
    const group = await createGroup("Rejects");
    const events = await emitted(async () => {
      await expectScimError(await write("POST", "/Users", { schemas: [USER], userName: "TAKEN@example.com" }), 409);
      await expectScimError(await patch(`/Groups/${group.id}`, { op: "add", path: "members", value: [{ value: "nobody" }] }), 400);
      const res = await call(`/scim/v2/Users/${user.id}`, {
        method: "PUT",
        token: scim.token,
        headers: { "If-Match": 'W/"9"' },
        body: JSON.stringify({ schemas: [USER], userName: "taken@example.com", displayName: "x" }),
      });
      await expectScimError(res, 412);
      await expectScimError(await write("DELETE", "/Users/no-such-user"), 404);
      await expectScimError(await write("POST", "/Users", { schemas: [USER] }), 400);
    });
    expect(events).toEqual([]);
  });
});

describe("keys with a scope", () => {
  it("an app key writes through SCIM, and its events name scope app (the application skips its own echo)", async () => {
    const events = await emitted(() => createUser("seeded-by-app@example.com", {}, app.token));
    expect(events[0]!.actor).toEqual({ keyId: app.keyId, scope: "app", userAgent: "Okta SCIM Client 1.0.0" });
  });

  it("a scim key on the application API is a 403 SCIM error, on every /v1 route and spelling", async () => {
    for (const path of ["/v1/events", `/t/${TENANT}/v1/events?limit=0`, "/v1/passwords/verify"]) {
      const init = path.endsWith("verify") ? { method: "POST", body: JSON.stringify({ userName: "x", password: "y" }) } : {};
      const body = await expectScimError(await call(path, { token: scim.token, ...init }), 403);
      expect(body.detail).toMatch(/scope app/);
    }
  });

  it("an app key reads its tenant's feed at /t/{tenant}/v1/events, and not another tenant's", async () => {
    expect((await call(`/t/${TENANT}/v1/events?limit=0`, { token: app.token })).status).toBe(200);
    await issueKey("events-other-co");
    await expectScimError(await call(`/t/events-other-co/v1/events`, { token: app.token }), 401);
  });
});

describe("GET /v1/events", () => {
  it("limit=0 answers only the head; after/limit page oldest first with nextCursor and hasMore", async () => {
    const head = await feedPage(app.token, "?limit=0");
    expect(head.data).toEqual([]);
    expect(head.hasMore).toBe(false);
    for (let i = 0; i < 5; i++) await createUser(`paging-${i}@example.com`);
    const first = await feedPage(app.token, `?after=${head.nextCursor}&limit=2`);
    expect(first.data.map((e) => e.data.userName)).toEqual(["paging-0@example.com", "paging-1@example.com"]);
    expect(first.hasMore).toBe(true);
    const rest = await feedPage(app.token, `?after=${first.nextCursor}&limit=10`);
    expect(rest.data).toHaveLength(3);
    expect(rest.hasMore).toBe(false);
    const empty = await feedPage(app.token, `?after=${rest.nextCursor}`);
    expect(empty).toEqual({ data: [], nextCursor: rest.nextCursor, hasMore: false });
  });

  it("types filters by exact type and by family", async () => {
    const head = await headCursor(app.token);
    const user = await createUser("typed@example.com");
    await patch(`/Users/${user.id}`, { op: "replace", path: "active", value: false });
    await createGroup("Typed", [user.id]);
    const types = async (filter: string) => (await feedPage(app.token, `?after=${head}&types=${filter}`)).data.map((e) => e.type);
    expect(await types("user.*")).toEqual(["user.created", "user.deactivated"]);
    expect(await types("group.members_added,user.deactivated")).toEqual(["user.deactivated", "group.members_added"]);
    expect(await types("group.*")).toEqual(["group.created", "group.members_added"]);
  });

  it("bad parameters are 400s naming the parameter; a malformed cursor is 400 invalidCursor", async () => {
    for (const query of ["?limit=1001", "?limit=-1", "?limit=abc", "?types=user.exploded", "?types=*"]) {
      const body = await expectScimError(await call(`/v1/events${query}`, { token: app.token }), 400, "invalidValue");
      expect(body.detail).toMatch(/limit|types/);
    }
    for (const cursor of ["not-a-cursor", "%00", btoa("ev1:events-co:abc"), btoa(`ev1:${TENANT}:99999999`)]) {
      await expectScimError(await call(`/v1/events?after=${encodeURIComponent(cursor)}`, { token: app.token }), 400, "invalidCursor");
    }
  });

  it("a cursor from another tenant is a 400 and reads nothing of either feed", async () => {
    const other = await issueKey("events-foreign-co", { scope: "app" });
    const foreign = await headCursor(other.token);
    const res = await call(`/v1/events?after=${foreign}`, { token: app.token });
    await expectScimError(res, 400, "invalidCursor");
  });
});
