// /Groups (RFC 7643 §4.2, RFC 7644 §3) as Okta Group Push and Entra group provisioning drive it. Every step
// asserts what is stored (group_members rows and the member_count kept beside them), not only the response.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_LISTED_MEMBERS } from "../../src/routes/groups.ts";
import { openDb } from "../../src/storage/d1/db.ts";
import { getGroup as readGroup, updateGroup } from "../../src/storage/repos/groups.ts";
import { call, expectScimError, issueKey, json, testOrigin } from "./helpers.ts";

const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const TENANT = "groups-co";
const BASE = `${env.PUBLIC_BASE_URL}/t/${TENANT}/scim/v2`;

let token = "";
let tenantId = 0;

interface Member {
  value: string;
  $ref: string;
  display?: string;
  type: string;
}

interface GroupBody {
  id: string;
  displayName: string;
  externalId?: string;
  members?: Member[];
  meta: { version: string; location: string };
}

beforeAll(async () => {
  ({ token } = await issueKey(TENANT));
  tenantId = (await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(TENANT).first<{ id: number }>())!.id;
});

let userSeq = 0;
async function createUser(displayName?: string): Promise<string> {
  const userName = `member-${++userSeq}@example.com`;
  const body = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName, ...(displayName ? { displayName } : {}) };
  const res = await call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  return (await json<{ id: string }>(res)).id;
}

async function createGroup(displayName: string, extra: Record<string, unknown> = {}): Promise<GroupBody> {
  const res = await call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP_SCHEMA], displayName, ...extra }) });
  expect(res.status).toBe(201);
  return json<GroupBody>(res);
}

const patchBody = (...operations: unknown[]) => JSON.stringify({ schemas: [PATCH_SCHEMA], Operations: operations });

function patch(id: string, operations: unknown[], init: { query?: string; headers?: Record<string, string> } = {}) {
  return call(`/scim/v2/Groups/${id}${init.query ?? ""}`, { method: "PATCH", token, body: patchBody(...operations), headers: init.headers ?? {} });
}

async function getGroup(id: string, query = ""): Promise<GroupBody> {
  const res = await call(`/scim/v2/Groups/${id}${query}`, { token });
  expect(res.status).toBe(200);
  return json<GroupBody>(res);
}

/** What storage holds for a group: its member rows (sorted) and the counter kept beside them. */
async function stored(groupId: string) {
  const rows = await env.DB.prepare("SELECT member_id, member_type FROM group_members WHERE tenant_id = ? AND group_id = ? ORDER BY member_id")
    .bind(tenantId, groupId)
    .all<{ member_id: string; member_type: string }>();
  const group = await env.DB.prepare("SELECT display_name, display_name_key, external_id, version, member_count, data FROM groups WHERE tenant_id = ? AND id = ?")
    .bind(tenantId, groupId)
    .first<{ display_name: string; display_name_key: string; external_id: string | null; version: number; member_count: number; data: string }>();
  return {
    members: rows.results.map((r) => r.member_id),
    types: Object.fromEntries(rows.results.map((r) => [r.member_id, r.member_type])),
    group,
  };
}

async function storedMembers(groupId: string): Promise<string[]> {
  const { members, group } = await stored(groupId);
  // The counter must always agree with the rows: it is what makes counting free.
  expect(group?.member_count).toBe(members.length);
  return members;
}

const sorted = (ids: string[]) => [...ids].sort();

async function groupCount(): Promise<number> {
  return (await env.DB.prepare("SELECT group_count FROM tenants WHERE id = ?").bind(tenantId).first<{ group_count: number }>())!.group_count;
}

describe("okta: group push", () => {
  it("okta: group push sequence: create empty, look up by displayName, add, remove by filter, rename, push now, unlink by DELETE", async () => {
    const [alice, bob, carol] = [await createUser("Alice Example"), await createUser("Bob Example"), await createUser()];
    const groupsBefore = await groupCount();

    // 1. Create with empty members.
    const createdRes = await call("/scim/v2/Groups", {
      method: "POST",
      token,
      body: JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: "Engineering", members: [] }),
    });
    expect(createdRes.status).toBe(201);
    const created = await json<GroupBody>(createdRes);
    expect(createdRes.headers.get("Location")).toBe(`${BASE}/Groups/${created.id}`);
    expect(created).toMatchObject({ schemas: [GROUP_SCHEMA], displayName: "Engineering", meta: { resourceType: "Group", location: `${BASE}/Groups/${created.id}` } });
    expect(created.members).toBeUndefined();
    expect(await storedMembers(created.id)).toEqual([]);
    expect(await groupCount()).toBe(groupsBefore + 1);
    const id = created.id;

    // 2. Look up by displayName (Okta's link step), case-insensitively.
    const lookup = await call(`/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "engineering"')}&startIndex=1&count=100`, { token });
    expect(lookup.status).toBe(200);
    const found = await json<{ totalResults: number; Resources: GroupBody[] }>(lookup);
    expect(found.totalResults).toBe(1);
    expect(found.Resources.map((g) => g.id)).toEqual([id]);

    // 3. Add members; Okta sends the path-less id/displayName replace with every membership change.
    const added = await patch(id, [
      { op: "replace", value: { id, displayName: "Engineering" } },
      { op: "add", path: "members", value: [{ value: alice, display: "alice" }, { value: bob, display: "bob" }] },
    ]);
    expect(added.status).toBe(204);
    expect(added.headers.get("ETag")).toBe('W/"2"');
    expect(await storedMembers(id)).toEqual(sorted([alice, bob]));

    // 4. Remove by filter.
    const removed = await patch(id, [
      { op: "replace", value: { id, displayName: "Engineering" } },
      { op: "remove", path: `members[value eq "${alice}"]` },
    ]);
    expect(removed.status).toBe(204);
    expect(await storedMembers(id)).toEqual([bob]);

    // 5. Rename via path-less replace: members untouched.
    expect((await patch(id, [{ op: "replace", value: { id, displayName: "Engineering Team" } }])).status).toBe(204);
    const renamed = await stored(id);
    expect(renamed.group).toMatchObject({ display_name: "Engineering Team", display_name_key: "engineering team" });
    expect(JSON.parse(renamed.group!.data)).toEqual({ schemas: [GROUP_SCHEMA], displayName: "Engineering Team" });
    expect(renamed.members).toEqual([bob]);

    // 6. Push Now: replace all members.
    expect((await patch(id, [{ op: "replace", path: "members", value: [{ value: carol }, { value: bob }] }])).status).toBe(204);
    expect(await storedMembers(id)).toEqual(sorted([bob, carol]));

    // 7. One request that removes and adds.
    const combined = await patch(id, [
      { op: "remove", path: `members[value eq "${bob}"]` },
      { op: "add", path: "members", value: [{ value: alice }] },
    ]);
    expect(combined.status).toBe(204);
    expect(await storedMembers(id)).toEqual(sorted([alice, carol]));

    // The group as Okta reads it, and each user's computed `groups`.
    const read = await getGroup(id);
    expect(read.displayName).toBe("Engineering Team");
    expect(read.meta.version).toBe('W/"6"');
    expect(sorted(read.members!.map((m) => m.value))).toEqual(sorted([alice, carol]));
    expect(read.members!.find((m) => m.value === alice)).toEqual({ value: alice, $ref: `${BASE}/Users/${alice}`, display: "Alice Example", type: "User" });
    expect(read.members!.find((m) => m.value === carol)?.display).toMatch(/^member-\d+@example\.com$/);
    const aliceRead = await json<{ groups?: unknown[] }>(await call(`/scim/v2/Users/${alice}`, { token }));
    expect(aliceRead.groups).toEqual([{ value: id, $ref: `${BASE}/Groups/${id}`, display: "Engineering Team", type: "direct" }]);

    // 8. Unlink: DELETE takes the memberships with it, the users stay.
    const deleted = await call(`/scim/v2/Groups/${id}`, { method: "DELETE", token });
    expect(deleted.status).toBe(204);
    await expectScimError(await call(`/scim/v2/Groups/${id}`, { token }), 404);
    expect((await stored(id)).members).toEqual([]);
    expect((await stored(id)).group).toBeNull();
    expect(await groupCount()).toBe(groupsBefore);
    const aliceAfter = await call(`/scim/v2/Users/${alice}`, { token });
    expect(aliceAfter.status).toBe(200);
    expect((await json(aliceAfter)).groups).toBeUndefined();
  });

  it("okta: re-adding a present member and removing an absent one are idempotent", async () => {
    const [u1, u2] = [await createUser(), await createUser()];
    const group = await createGroup("Idempotent", { members: [{ value: u1 }] });
    expect((await patch(group.id, [{ op: "add", path: "members", value: [{ value: u1 }] }])).status).toBe(204);
    expect((await patch(group.id, [{ op: "remove", path: `members[value eq "${u2}"]` }])).status).toBe(204);
    expect(await storedMembers(group.id)).toEqual([u1]);
  });

  it("okta: remove then add of the same member in one request leaves it a member; add then remove leaves it out", async () => {
    const [u1, u2] = [await createUser(), await createUser()];
    const group = await createGroup("Ordered", { members: [{ value: u1 }] });
    const res = await patch(group.id, [
      { op: "remove", path: `members[value eq "${u1}"]` },
      { op: "add", path: "members", value: [{ value: u1 }, { value: u2 }] },
      { op: "remove", path: `members[value eq "${u2}"]` },
    ]);
    expect(res.status).toBe(204);
    expect(await storedMembers(group.id)).toEqual([u1]);
  });
});

describe("entra: group provisioning", () => {
  it("entra: excludedAttributes=members lookup, multi-member Add, Remove with value array, rename", async () => {
    const [u1, u2, u3] = [await createUser("One"), await createUser("Two"), await createUser("Three")];
    const group = await createGroup("Sales", { externalId: "entra-object-1", members: [] });

    const lookup = await call(`/scim/v2/Groups?excludedAttributes=members&filter=${encodeURIComponent('externalId eq "entra-object-1"')}`, { token });
    const found = await json<{ totalResults: number; Resources: GroupBody[] }>(lookup);
    expect(found.totalResults).toBe(1);
    expect(found.Resources[0]).toMatchObject({ id: group.id, displayName: "Sales", externalId: "entra-object-1" });
    expect(found.Resources[0]!.members).toBeUndefined();

    const add = await patch(group.id, [{ op: "Add", path: "members", value: [{ value: u1 }, { value: u2 }, { value: u3 }] }]);
    expect(add.status).toBe(204);
    expect(await storedMembers(group.id)).toEqual(sorted([u1, u2, u3]));

    // Remove with a value array removes exactly the listed members, never the whole group.
    const remove = await patch(group.id, [{ op: "Remove", path: "members", value: [{ $ref: null, value: u1 }, { value: u3 }] }]);
    expect(remove.status).toBe(204);
    expect(await storedMembers(group.id)).toEqual([u2]);

    const rename = await patch(group.id, [{ op: "Replace", path: "displayName", value: "Sales EMEA" }]);
    expect(rename.status).toBe(204);
    expect((await stored(group.id)).group?.display_name).toBe("Sales EMEA");
    expect(await storedMembers(group.id)).toEqual([u2]);

    const read = await getGroup(group.id, "?excludedAttributes=members");
    expect(read).toMatchObject({ displayName: "Sales EMEA", externalId: "entra-object-1" });
    expect(read.members).toBeUndefined();
  });

  it("entra: an empty Remove value array removes nothing", async () => {
    const u1 = await createUser();
    const group = await createGroup("Empty remove", { members: [{ value: u1 }] });
    expect((await patch(group.id, [{ op: "Remove", path: "members", value: [] }])).status).toBe(204);
    expect(await storedMembers(group.id)).toEqual([u1]);
  });
});

describe("rfc7644 3.5.2: members operations", () => {
  it("replace of members sets the list; remove of members without value or filter empties it", async () => {
    const [u1, u2, u3] = [await createUser(), await createUser(), await createUser()];
    const group = await createGroup("Replace and clear", { members: [{ value: u1 }, { value: u2 }] });
    expect(await storedMembers(group.id)).toEqual(sorted([u1, u2]));
    expect((await patch(group.id, [{ op: "replace", path: "members", value: [{ value: u3 }] }])).status).toBe(204);
    expect(await storedMembers(group.id)).toEqual([u3]);
    expect((await patch(group.id, [{ op: "remove", path: "members" }])).status).toBe(204);
    expect(await storedMembers(group.id)).toEqual([]);
    expect((await patch(group.id, [{ op: "add", path: "members", value: [{ value: u1 }] }])).status).toBe(204);
    expect((await patch(group.id, [{ op: "replace", path: "members", value: [] }])).status).toBe(204);
    expect(await storedMembers(group.id)).toEqual([]);
  });

  it("a path-less replace carrying members sets the list", async () => {
    const [u1, u2] = [await createUser(), await createUser()];
    const group = await createGroup("Pathless members", { members: [{ value: u1 }] });
    expect((await patch(group.id, [{ op: "replace", value: { displayName: "Pathless members 2", members: [{ value: u2 }] } }])).status).toBe(204);
    expect(await storedMembers(group.id)).toEqual([u2]);
    expect((await stored(group.id)).group?.display_name).toBe("Pathless members 2");
  });

  it("members[value eq a or value eq b] removes both", async () => {
    const [u1, u2, u3] = [await createUser(), await createUser(), await createUser()];
    const group = await createGroup("Or filter", { members: [{ value: u1 }, { value: u2 }, { value: u3 }] });
    expect((await patch(group.id, [{ op: "remove", path: `members[value eq "${u1}" or value eq "${u3}"]` }])).status).toBe(204);
    expect(await storedMembers(group.id)).toEqual([u2]);
  });

  it("rfc7644 3.5.2: PATCH answers 200 with the requested attributes when attributes is given", async () => {
    const u1 = await createUser();
    const group = await createGroup("Asked for");
    const res = await patch(group.id, [{ op: "add", path: "members", value: [{ value: u1 }] }], { query: "?attributes=displayName" });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ schemas: [GROUP_SCHEMA], id: group.id, displayName: "Asked for" });
    const withMembers = await patch(group.id, [{ op: "replace", path: "displayName", value: "Asked for 2" }], { query: "?attributes=members" });
    expect(withMembers.status).toBe(200);
    expect(await json(withMembers)).toEqual({ schemas: [GROUP_SCHEMA], id: group.id, members: [{ value: u1, $ref: `${BASE}/Users/${u1}`, display: expect.any(String), type: "User" }] });
  });

  it("nested groups are stored and returned with type Group; an unspecified type resolves to the group", async () => {
    const child = await createGroup("Child");
    const other = await createGroup("Other child");
    const parent = await createGroup("Parent", { members: [{ value: child.id, type: "Group" }] });
    expect((await stored(parent.id)).types).toEqual({ [child.id]: "Group" });
    expect((await patch(parent.id, [{ op: "add", path: "members", value: [{ value: other.id }] }])).status).toBe(204);
    const read = await getGroup(parent.id);
    expect(read.members).toEqual(
      [
        { value: child.id, $ref: `${BASE}/Groups/${child.id}`, display: "Child", type: "Group" },
        { value: other.id, $ref: `${BASE}/Groups/${other.id}`, display: "Other child", type: "Group" },
      ].sort((a, b) => (a.value < b.value ? -1 : 1)),
    );
    // Deleting a nested group removes it from its parent.
    expect((await call(`/scim/v2/Groups/${child.id}`, { method: "DELETE", token })).status).toBe(204);
    expect(await storedMembers(parent.id)).toEqual([other.id]);
  });

  it("a user's groups attribute lists direct memberships, also in lists, and only when projected", async () => {
    const u1 = await createUser();
    const a = await createGroup("Alpha readers", { members: [{ value: u1 }] });
    const b = await createGroup("Beta readers", { members: [{ value: u1, type: "User" }] });
    const user = await json<{ groups: unknown[] }>(await call(`/scim/v2/Users/${u1}`, { token }));
    expect(user.groups).toEqual([
      { value: a.id, $ref: `${BASE}/Groups/${a.id}`, display: "Alpha readers", type: "direct" },
      { value: b.id, $ref: `${BASE}/Groups/${b.id}`, display: "Beta readers", type: "direct" },
    ]);
    const list = await json<{ Resources: { id: string; groups?: unknown[] }[] }>(
      await call(`/scim/v2/Users?filter=${encodeURIComponent(`id eq "${u1}"`)}`, { token }),
    );
    expect(list.Resources[0]?.groups).toHaveLength(2);
    const projected = await call(`/scim/v2/Users/${u1}?excludedAttributes=groups`, { token });
    expect((await json(projected)).groups).toBeUndefined();
    expect(projected.headers.get("Server-Timing")).toMatch(/queries=1"/);
  });

  it("deleting a user removes its memberships and keeps member_count right", async () => {
    const [u1, u2] = [await createUser(), await createUser()];
    const g1 = await createGroup("Leaver one", { members: [{ value: u1 }, { value: u2 }] });
    const g2 = await createGroup("Leaver two", { members: [{ value: u1 }] });
    const before = (await stored(g1.id)).group!.version;
    expect((await call(`/scim/v2/Users/${u1}`, { method: "DELETE", token })).status).toBe(204);
    expect(await storedMembers(g1.id)).toEqual([u2]);
    expect(await storedMembers(g2.id)).toEqual([]);
    // The groups' representation changed, so their version did too.
    expect((await stored(g1.id)).group!.version).toBe(before + 1);
  });
});

describe("PUT, GET, list, filters", () => {
  it("PUT replaces displayName, externalId and members; without members it keeps them", async () => {
    const [u1, u2] = [await createUser(), await createUser()];
    const group = await createGroup("Put me", { externalId: "x-1", members: [{ value: u1 }] });
    const put = await call(`/scim/v2/Groups/${group.id}`, {
      method: "PUT",
      token,
      body: JSON.stringify({ schemas: [GROUP_SCHEMA], id: group.id, displayName: "Put me too", members: [{ value: u2 }] }),
    });
    expect(put.status).toBe(200);
    const body = await json<GroupBody>(put);
    expect(body.externalId).toBeUndefined();
    expect(body.members?.map((m) => m.value)).toEqual([u2]);
    expect(await storedMembers(group.id)).toEqual([u2]);
    expect((await stored(group.id)).group).toMatchObject({ display_name: "Put me too", external_id: null });

    const rename = await call(`/scim/v2/Groups/${group.id}`, { method: "PUT", token, body: JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: "Put me three" }) });
    expect(rename.status).toBe(200);
    expect(await storedMembers(group.id)).toEqual([u2]);
  });

  it("GET honours attributes and excludedAttributes, ETag and If-None-Match", async () => {
    const u1 = await createUser();
    const group = await createGroup("Projected", { externalId: "p-1", members: [{ value: u1 }] });
    expect(await getGroup(group.id, "?attributes=displayName")).toEqual({ schemas: [GROUP_SCHEMA], id: group.id, displayName: "Projected" });
    const noMembers = await getGroup(group.id, "?excludedAttributes=members");
    expect(noMembers.members).toBeUndefined();
    expect(noMembers.externalId).toBe("p-1");
    const first = await call(`/scim/v2/Groups/${group.id}`, { token });
    expect(first.headers.get("ETag")).toBe('W/"1"');
    const notModified = await call(`/scim/v2/Groups/${group.id}`, { token, headers: { "If-None-Match": 'W/"1"' } });
    expect(notModified.status).toBe(304);
  });

  it("lists page through groups with members, in one members query per page", async () => {
    const u1 = await createUser();
    for (const name of ["Page A", "Page B", "Page C"]) await createGroup(name, { members: [{ value: u1 }] });
    const res = await call(`/scim/v2/Groups?filter=${encodeURIComponent('displayName sw "page "')}&count=2`, { token });
    const body = await json<{ totalResults: number; itemsPerPage: number; Resources: GroupBody[] }>(res);
    expect(body.totalResults).toBe(3);
    expect(body.itemsPerPage).toBe(2);
    expect(body.Resources.map((g) => g.displayName)).toEqual(["Page A", "Page B"]);
    expect(body.Resources.every((g) => g.members?.[0]?.value === u1)).toBe(true);
    // count, page, members: three queries whatever the page size.
    expect(res.headers.get("Server-Timing")).toMatch(/queries=3"/);
  });

  it("filters on members, member type, presence, displayName and meta", async () => {
    const u1 = await createUser("Filter Person");
    const withUser = await createGroup("Filter has user", { members: [{ value: u1 }] });
    const inner = await createGroup("Filter inner");
    const withGroup = await createGroup("Filter has group", { members: [{ value: inner.id }] });
    const ids = async (filter: string) => {
      const res = await call(`/scim/v2/Groups?excludedAttributes=members&filter=${encodeURIComponent(filter)}`, { token });
      expect(res.status).toBe(200);
      return (await json<{ Resources: GroupBody[] }>(res)).Resources.map((g) => g.id).sort();
    };
    expect(await ids(`members.value eq "${u1}"`)).toEqual([withUser.id]);
    expect(await ids(`members eq "${inner.id}"`)).toEqual([withGroup.id]);
    expect(await ids(`displayName sw "Filter" and members[type eq "group"]`)).toEqual([withGroup.id]);
    expect(await ids(`displayName sw "Filter" and members.display eq "filter person"`)).toEqual([withUser.id]);
    expect(await ids(`displayName sw "Filter" and not (members pr)`)).toEqual([inner.id]);
    expect(await ids(`members.$ref eq "${BASE}/Groups/${inner.id}"`)).toEqual([withGroup.id]);
    expect(await ids(`id eq "${inner.id}" and meta.location eq "${BASE}/Groups/${inner.id}"`)).toEqual([inner.id]);
    expect(await ids(`displayName co "has" and meta.lastModified ge "2000-01-01T00:00:00Z"`)).toEqual(sorted([withUser.id, withGroup.id]));
    expect(await ids(`displayName eq "FILTER INNER"`)).toEqual([inner.id]);
  });

  it("unknown groups, also another tenant's, are 404; wrong methods are 405", async () => {
    const group = await createGroup("Tenant A only");
    const other = await issueKey("groups-other-co");
    await expectScimError(await call(`/scim/v2/Groups/${group.id}`, { token: other.token }), 404);
    await expectScimError(await call(`/scim/v2/Groups/${group.id}`, { method: "PATCH", token: other.token, body: patchBody({ op: "remove", path: "members" }) }), 404);
    await expectScimError(await call(`/scim/v2/Groups/${group.id}`, { method: "DELETE", token: other.token }), 404);
    await expectScimError(await call("/scim/v2/Groups/00000000-0000-0000-0000-000000000000", { token }), 404);
    const res = await call("/scim/v2/Groups", { method: "DELETE", token });
    await expectScimError(res, 405);
    expect(res.headers.get("Allow")).toBe("GET, POST");
  });

  it("discovery: /ResourceTypes and /Schemas include Group", async () => {
    const types = await json<{ Resources: { id: string; endpoint: string }[] }>(await call("/scim/v2/ResourceTypes", { token }));
    expect(types.Resources).toContainEqual(expect.objectContaining({ id: "Group", endpoint: "/Groups" }));
    const schema = await call(`/scim/v2/Schemas/${GROUP_SCHEMA}`, { token });
    expect(schema.status).toBe(200);
    expect((await json<{ attributes: { name: string }[] }>(schema)).attributes.map((a) => a.name)).toEqual(["displayName", "members"]);
  });
});

describe("bad input gets the right SCIM error and changes nothing", () => {
  let u1 = "";
  let u2 = "";
  let group: GroupBody;
  beforeAll(async () => {
    [u1, u2] = [await createUser(), await createUser()];
    await createGroup("Taken Name");
    group = await createGroup("Guarded", { members: [{ value: u1 }] });
  });

  /** Sends `request`, expects the error, and checks the group, its members and the tenant's counts are untouched. */
  async function rejected(request: () => Promise<Response>, status: number, scimType?: string): Promise<Record<string, unknown>> {
    const before = { ...(await stored(group.id)), groups: await groupCount() };
    const body = await expectScimError(await request(), status, scimType);
    expect({ ...(await stored(group.id)), groups: await groupCount() }).toEqual(before);
    return body;
  }

  const missing = "11111111-1111-4111-8111-111111111111";

  it("400 invalidValue naming members that do not exist, nothing applied", async () => {
    const body = await rejected(
      () => patch(group.id, [
        { op: "replace", path: "displayName", value: "Renamed meanwhile" },
        { op: "add", path: "members", value: [{ value: u2 }, { value: missing }] },
      ]),
      400,
      "invalidValue",
    );
    expect(body.detail).toContain(missing);
    expect(body.detail).not.toContain(u2);
  });

  it("400 invalidValue for a member of the wrong type, an unknown type, or no value", async () => {
    await rejected(() => patch(group.id, [{ op: "add", path: "members", value: [{ value: u2, type: "Group" }] }]), 400, "invalidValue");
    await rejected(() => patch(group.id, [{ op: "add", path: "members", value: [{ value: u2, type: "Robot" }] }]), 400, "invalidValue");
    await rejected(() => patch(group.id, [{ op: "add", path: "members", value: [{ display: "nobody" }] }]), 400, "invalidValue");
    await rejected(() => patch(group.id, [{ op: "add", path: "members", value: [{ value: 42 }] }]), 400, "invalidValue");
  });

  it("400 invalidValue for a member from another tenant", async () => {
    const other = await issueKey("groups-foreign-co");
    const foreign = await call("/scim/v2/Users", { method: "POST", token: other.token, body: JSON.stringify({ userName: "foreign@example.com" }) });
    const foreignId = (await json<{ id: string }>(foreign)).id;
    await rejected(() => patch(group.id, [{ op: "add", path: "members", value: [{ value: foreignId }] }]), 400, "invalidValue");
  });

  it("400 invalidValue for a group containing itself, directly or through a cycle", async () => {
    const self = await rejected(() => patch(group.id, [{ op: "add", path: "members", value: [{ value: group.id, type: "Group" }] }]), 400, "invalidValue");
    expect(self.detail).toMatch(/itself/);
    const outer = await createGroup("Outer", { members: [{ value: group.id }] });
    const cycle = await rejected(() => patch(group.id, [{ op: "add", path: "members", value: [{ value: outer.id }] }]), 400, "invalidValue");
    expect(cycle.detail).toMatch(/cycle/);
    expect((await call(`/scim/v2/Groups/${outer.id}`, { method: "DELETE", token })).status).toBe(204);
  });

  it("400 invalidFilter for a members filter other than value eq", async () => {
    const body = await rejected(() => patch(group.id, [{ op: "remove", path: 'members[display eq "x"]' }]), 400, "invalidFilter");
    expect(body.detail).toMatch(/value eq/);
    await rejected(() => patch(group.id, [{ op: "remove", path: `members[value ne "${u1}"]` }]), 400, "invalidFilter");
    await rejected(() => patch(group.id, [{ op: "remove", path: `members[value eq "${u1}" and type eq "User"]` }]), 400, "invalidFilter");
  });

  it("400 for writes into members' sub-attributes or through a members filter", async () => {
    await rejected(() => patch(group.id, [{ op: "replace", path: `members[value eq "${u1}"].value`, value: u2 }]), 400, "mutability");
    await rejected(() => patch(group.id, [{ op: "add", path: `members[value eq "${u2}"]`, value: { value: u2 } }]), 400, "invalidPath");
    await rejected(() => patch(group.id, [{ op: "replace", path: `members[value eq "${u1}"].display`, value: "x" }]), 400, "mutability");
  });

  it("409 uniqueness for a rename onto another group's name (case-insensitively), with nothing else applied", async () => {
    await rejected(
      () => patch(group.id, [
        { op: "add", path: "members", value: [{ value: u2 }] },
        { op: "replace", value: { id: group.id, displayName: "TAKEN name" } },
      ]),
      409,
      "uniqueness",
    );
    await rejected(
      () => call(`/scim/v2/Groups/${group.id}`, { method: "PUT", token, body: JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: "taken NAME", members: [] }) }),
      409,
      "uniqueness",
    );
  });

  it("409 uniqueness for POST of a taken displayName; 400 for POST with a missing member; no group is created", async () => {
    await rejected(() => call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: "taken name" }) }), 409, "uniqueness");
    await rejected(
      () => call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: "Fresh", members: [{ value: missing }] }) }),
      400,
      "invalidValue",
    );
    const res = await call(`/scim/v2/Groups?filter=${encodeURIComponent('displayName eq "Fresh"')}`, { token });
    expect((await json(res)).totalResults).toBe(0);
    await rejected(() => call("/scim/v2/Groups", { method: "POST", token, body: JSON.stringify({ schemas: [GROUP_SCHEMA], members: [] }) }), 400, "invalidValue");
  });

  it("400 for PUT with a missing member or a mismatched id", async () => {
    const put = (body: Record<string, unknown>) => () =>
      call(`/scim/v2/Groups/${group.id}`, { method: "PUT", token, body: JSON.stringify({ schemas: [GROUP_SCHEMA], ...body }) });
    await rejected(put({ displayName: "Guarded 2", members: [{ value: missing }] }), 400, "invalidValue");
    await rejected(put({ id: missing, displayName: "Guarded 2" }), 400, "mutability");
  });

  it("400 for malformed PATCH requests: wrong echoed id, required displayName removed, bad op, unknown attribute", async () => {
    await rejected(() => patch(group.id, [{ op: "replace", value: { id: missing, displayName: "Other" } }]), 400, "mutability");
    await rejected(() => patch(group.id, [{ op: "remove", path: "displayName" }]), 400, "mutability");
    await rejected(() => patch(group.id, [{ op: "move", path: "members" }]), 400, "invalidSyntax");
    await rejected(() => patch(group.id, [{ op: "add", path: "owners", value: "x" }]), 400, "invalidPath");
    await rejected(() => patch(group.id, [{ op: "add", path: "members", value: [{ value: u2 }] }], { query: "?attributes=nope" }), 400, "invalidValue");
  });

  it("412 for a stale If-Match, nothing applied", async () => {
    await rejected(() => patch(group.id, [{ op: "add", path: "members", value: [{ value: u2 }] }], { headers: { "If-Match": 'W/"999"' } }), 412);
    await rejected(() => call(`/scim/v2/Groups/${group.id}`, { method: "DELETE", token, headers: { "If-Match": 'W/"999"' } }), 412);
  });

  it("400 invalidFilter for a bad list filter", async () => {
    await expectScimError(await call(`/scim/v2/Groups?filter=${encodeURIComponent("displayName xx 1")}`, { token }), 400, "invalidFilter");
    await expectScimError(await call(`/scim/v2/Groups?filter=${encodeURIComponent('userName eq "x"')}`, { token }), 400, "invalidFilter");
  });
});

describe("storage guards for what a concurrent request could change between read and write", () => {
  it("a batch that would nest groups into a cycle aborts whole (another request nested them the other way)", async () => {
    const db = openDb(env.DB);
    const a = await createGroup("Race A");
    const b = await createGroup("Race B", { members: [{ value: a.id }] });
    // As if resolveDelta had read A before B gained A as a member: the write must still not make A contain B.
    const current = (await readGroup(db, tenantId, a.id))!;
    const before = await stored(a.id);
    const written = await updateGroup(db, tenantId, current, {
      data: { schemas: [GROUP_SCHEMA], displayName: "Race A renamed" },
      members: { clear: false, add: new Map([[b.id, "Group"]]), remove: new Set() },
    }, testOrigin(TENANT));
    expect(written).toBeNull();
    expect(await stored(a.id)).toEqual(before);
  });

  it("a member deleted after it was checked is skipped, not left dangling, and member_count stays right", async () => {
    const db = openDb(env.DB);
    const [kept, gone] = [await createUser(), await createUser()];
    const group = await createGroup("Race members");
    expect((await call(`/scim/v2/Users/${gone}`, { method: "DELETE", token })).status).toBe(204);
    const current = (await readGroup(db, tenantId, group.id))!;
    const written = await updateGroup(db, tenantId, current, {
      members: { clear: false, add: new Map([[kept, "User"], [gone, "User"]]), remove: new Set() },
    }, testOrigin(TENANT));
    expect(written?.memberCount).toBe(1);
    expect(await storedMembers(group.id)).toEqual([kept]);
  });
});

describe("list responses stay bounded", () => {
  it("a page whose groups hold more members in total than one response carries is 400 tooMany, not a shortened list", async () => {
    const [u1, u2] = [await createUser(), await createUser()];
    const big1 = await createGroup("Bounded one", { members: [{ value: u1 }] });
    const big2 = await createGroup("Bounded two", { members: [{ value: u2 }] });
    // The check reads member_count (what makes it free); pretend both groups are large.
    const inflate = (id: string, n: number) => env.DB.prepare("UPDATE groups SET member_count = ? WHERE id = ?").bind(n, id).run();
    await inflate(big1.id, MAX_LISTED_MEMBERS);
    await inflate(big2.id, 1);
    try {
      const filter = encodeURIComponent('displayName sw "Bounded"');
      const res = await call(`/scim/v2/Groups?filter=${filter}`, { token });
      const body = await expectScimError(res, 400, "tooMany");
      expect(body.detail).toMatch(/excludedAttributes=members/);
      const light = await call(`/scim/v2/Groups?filter=${filter}&excludedAttributes=members`, { token });
      expect((await json(light)).totalResults).toBe(2);
      // One group alone is returned whole, as GET /Groups/{id} would.
      const one = await call(`/scim/v2/Groups?filter=${filter}&count=1`, { token });
      expect(one.status).toBe(200);
    } finally {
      await inflate(big1.id, 1);
      await inflate(big2.id, 1);
    }
  });
});
