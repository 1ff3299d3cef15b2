// The traffic: Okta's and Entra's request shapes in a steady-state mix (lookups and reads, profile updates,
// deactivations, group pushes, an occasional create or delete). Each operation applies to the model only
// what the server acknowledged with the status the identity provider expects.
import type { ScimClient } from "./client.ts";
import type { ExpectedGroup, ExpectedUser, TenantModel } from "./model.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

type Op = (t: TenantModel, c: ScimClient) => Promise<void>;

const q = (text: string) => encodeURIComponent(text);
const patch = (...operations: unknown[]) => ({ schemas: [PATCH_OP], Operations: operations });

function oktaUser(u: ExpectedUser, password: boolean): Record<string, unknown> {
  return {
    schemas: [USER],
    userName: u.userName,
    name: { givenName: u.givenName, familyName: u.familyName },
    emails: u.emails.map((e, i) => ({ primary: i === 0, value: e.value, type: e.type })),
    displayName: u.displayName,
    locale: "en-US",
    externalId: u.externalId,
    groups: [],
    ...(password ? { password: "Load-Test-Pa55!" } : {}),
    active: u.active,
  };
}

function entraUser(u: ExpectedUser): Record<string, unknown> {
  return {
    schemas: [USER, ENTERPRISE],
    externalId: u.externalId,
    userName: u.userName,
    active: u.active,
    displayName: u.displayName,
    emails: u.emails.map((e, i) => ({ primary: i === 0, type: e.type, value: e.value })),
    meta: { resourceType: "User" },
    name: { formatted: `${u.givenName} ${u.familyName}`, familyName: u.familyName, givenName: u.givenName },
    roles: [],
    [ENTERPRISE]: { employeeNumber: u.externalId, department: "Load" },
  };
}

/** Okta and Entra both look a user up by userName before creating it. */
const lookupNew: Op = async (t, c) => {
  const userName = `${t.uniqueName("nobody")}@example.com`;
  const res = await c.send("GET /Users?filter (new)", t.token, "GET", `/Users?filter=${q(`userName eq "${userName}"`)}&startIndex=1&count=100`, 200);
  if (res?.status === 200 && res.json?.totalResults !== 0) c.recorder.fail("GET /Users?filter (new)", `${userName}: totalResults ${String(res.json?.totalResults)}`);
};

const createUser: Op = async (t, c) => {
  const okta = t.rng.next() < 0.5;
  const name = t.uniqueName(okta ? "okta" : "entra");
  const u: ExpectedUser = {
    id: "",
    userName: `${name}@example.com`,
    externalId: name,
    displayName: `User ${name}`,
    givenName: "Load",
    familyName: name,
    active: true,
    emails: [{ value: `${name}@example.com`, type: "work" }],
  };
  // Okta sends a password when password sync is on; PBKDF2 makes it the costliest create, so 1 in 5.
  const body = okta ? oktaUser(u, t.rng.next() < 0.2) : entraUser(u);
  t.busy.add(u.userName);
  try {
    const res = await c.send("POST /Users", t.token, "POST", "/Users", 201, body);
    if (res === null) t.uncertain.add(u.userName);
    if (res?.status !== 201) return;
    u.id = String(res.json?.id);
    t.users.set(u.id, u);
  } finally {
    t.busy.delete(u.userName);
  }
};

const getUser: Op = async (t, c) => {
  const u = t.idleUser();
  if (!u) return createUser(t, c);
  const res = await c.send("GET /Users/{id}", t.token, "GET", `/Users/${u.id}`, 200);
  if (res?.status === 200 && res.json?.userName !== u.userName) c.recorder.fail("GET /Users/{id}", `${u.id}: userName ${String(res.json?.userName)}`);
};

/** Entra matches by userName (or externalId) and reads the match. */
const lookupExisting: Op = async (t, c) => {
  const u = t.idleUser();
  if (!u) return lookupNew(t, c);
  const res = await c.send("GET /Users?filter (existing)", t.token, "GET", `/Users?filter=${q(`userName eq "${u.userName}"`)}`, 200);
  const found = (res?.json?.Resources as { id?: string }[] | undefined)?.[0]?.id;
  if (res?.status === 200 && (res.json?.totalResults !== 1 || found !== u.id)) c.recorder.fail("GET /Users?filter (existing)", `${u.userName}: found ${String(found)}`);
};

/** Okta pushes profile changes as a full PUT. */
const putUser: Op = async (t, c) => {
  const u = t.idleUser();
  if (!u) return createUser(t, c);
  const next: ExpectedUser = { ...u, displayName: `${t.uniqueName("renamed")}`, givenName: t.uniqueName("given"), emails: [...u.emails.slice(0, 1), { value: `${t.uniqueName("home")}@example.net`, type: "home" }] };
  await t.holding([u.id], async () => {
    const res = await c.send("PUT /Users/{id}", t.token, "PUT", `/Users/${u.id}`, 200, { ...oktaUser(next, false), id: u.id });
    if (res === null) t.uncertain.add(u.id);
    if (res?.status === 200) t.users.set(u.id, next);
  });
};

/** Okta deactivates and reactivates with a path-less replace; Entra replaces attributes by path, booleans as strings. */
const patchUser: Op = async (t, c) => {
  const u = t.idleUser();
  if (!u) return createUser(t, c);
  const okta = t.rng.next() < 0.5;
  const next: ExpectedUser = okta ? { ...u, active: !u.active } : { ...u, displayName: t.uniqueName("entra-name"), active: !u.active };
  const body = okta
    ? patch({ op: "replace", value: { active: next.active } })
    : patch({ op: "Replace", path: "displayName", value: next.displayName }, { op: "Replace", path: "active", value: next.active ? "True" : "False" });
  await t.holding([u.id], async () => {
    const res = await c.send("PATCH /Users/{id}", t.token, "PATCH", `/Users/${u.id}`, 200, body);
    if (res === null) t.uncertain.add(u.id);
    if (res?.status === 200) t.users.set(u.id, next);
  });
};

/** Entra deletes a user some time after soft-deleting it. Its groups change too, so they are held with it. */
const deleteUser: Op = async (t, c) => {
  const u = t.idleUser();
  const groups = u ? t.groupsOf(u.id) : [];
  if (!u || groups.some((g) => t.busy.has(g.id))) return getUser(t, c);
  await t.holding([u.id, ...groups.map((g) => g.id)], async () => {
    const res = await c.send("DELETE /Users/{id}", t.token, "DELETE", `/Users/${u.id}`, 204);
    // Unanswered, the delete may still land, and take the user out of its groups with it.
    if (res === null) for (const id of [u.id, ...groups.map((g) => g.id)]) t.uncertain.add(id);
    if (res?.status === 204) t.removeUser(u.id);
  });
};

/** Okta's import: a page of users. */
const listUsers: Op = async (t, c) => {
  await c.send("GET /Users (page)", t.token, "GET", `/Users?startIndex=${1 + t.rng.int(Math.max(1, t.users.size))}&count=100`, 200);
};

const createGroup: Op = async (t, c) => {
  const members = t.idleUsers(3);
  const g: ExpectedGroup = { id: "", displayName: t.uniqueName("Group"), members: new Set(members.map((m) => m.id)) };
  await t.holding([g.displayName, ...g.members], async () => {
    const body = { schemas: [GROUP], displayName: g.displayName, members: members.map((m) => ({ value: m.id, display: m.displayName })) };
    const res = await c.send("POST /Groups", t.token, "POST", "/Groups", 201, body);
    if (res === null) t.uncertain.add(g.displayName);
    if (res?.status !== 201) return;
    g.id = String(res.json?.id);
    t.groups.set(g.id, g);
  });
};

/** Okta: add with a value list, remove by filter. Entra: "Add"/"Remove" with value lists. */
const patchGroup: Op = async (t, c) => {
  const g = t.idleGroup();
  if (!g) return createGroup(t, c);
  const adding = t.idleUsers(2).filter((u) => !g.members.has(u.id));
  const removing = t.rng.pick([...g.members]);
  const okta = t.rng.next() < 0.5;
  const operations: unknown[] = [];
  if (adding.length > 0) operations.push({ op: okta ? "add" : "Add", path: "members", value: adding.map((u) => ({ value: u.id })) });
  if (removing !== undefined) {
    operations.push(okta ? { op: "remove", path: `members[value eq "${removing}"]` } : { op: "Remove", path: "members", value: [{ value: removing }] });
  }
  if (operations.length === 0) return getGroup(t, c);
  await t.holding([g.id, ...adding.map((u) => u.id)], async () => {
    const res = await c.send("PATCH /Groups/{id}", t.token, "PATCH", `/Groups/${g.id}`, 204, patch(...operations));
    if (res === null) t.uncertain.add(g.id);
    if (res?.status !== 204) return;
    for (const u of adding) g.members.add(u.id);
    if (removing !== undefined) g.members.delete(removing);
  });
};

/** Okta "Push Now": the whole member list with a PUT. */
const putGroup: Op = async (t, c) => {
  const g = t.idleGroup();
  if (!g) return createGroup(t, c);
  const kept = [...g.members].filter(() => t.rng.next() < 0.7);
  const added = t.idleUsers(2).map((u) => u.id);
  const members = new Set([...kept, ...added]);
  await t.holding([g.id, ...added], async () => {
    const body = { schemas: [GROUP], id: g.id, displayName: g.displayName, members: [...members].map((value) => ({ value })) };
    const res = await c.send("PUT /Groups/{id}", t.token, "PUT", `/Groups/${g.id}`, 200, body);
    if (res === null) t.uncertain.add(g.id);
    if (res?.status === 200) g.members = members;
  });
};

const getGroup: Op = async (t, c) => {
  const g = t.idleGroup();
  if (!g) return createGroup(t, c);
  const res = await c.send("GET /Groups/{id}", t.token, "GET", `/Groups/${g.id}?excludedAttributes=members`, 200);
  if (res?.status === 200 && res.json?.displayName !== g.displayName) c.recorder.fail("GET /Groups/{id}", `${g.id}: displayName ${String(res.json?.displayName)}`);
};

/** Entra finds a group by displayName, without members. */
const filterGroup: Op = async (t, c) => {
  const g = t.idleGroup();
  if (!g) return createGroup(t, c);
  const path = `/Groups?filter=${q(`displayName eq "${g.displayName}"`)}&excludedAttributes=members`;
  const res = await c.send("GET /Groups?filter", t.token, "GET", path, 200);
  if (res?.status === 200 && res.json?.totalResults !== 1) c.recorder.fail("GET /Groups?filter", `${g.displayName}: totalResults ${String(res.json?.totalResults)}`);
};

/** Weights per 100 requests. */
const MIX: [Op, number][] = [
  [lookupNew, 10],
  [lookupExisting, 8],
  [createUser, 12],
  [getUser, 15],
  [putUser, 8],
  [patchUser, 12],
  [deleteUser, 2],
  [listUsers, 3],
  [createGroup, 3],
  [patchGroup, 12],
  [putGroup, 3],
  [getGroup, 6],
  [filterGroup, 6],
];
const TOTAL_WEIGHT = MIX.reduce((sum, [, w]) => sum + w, 0);

/** One request (or, when its target is missing, the operation that makes one) from the mix. */
export function nextOperation(t: TenantModel): Op {
  let roll = t.rng.next() * TOTAL_WEIGHT;
  for (const [op, weight] of MIX) {
    roll -= weight;
    if (roll < 0) return op;
  }
  return getUser;
}
