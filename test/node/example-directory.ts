// Shared by the example application's end-to-end tests (polling and webhook mode): the Okta-like client that
// provisions through SCIM, its scripted lifecycle, and the two views compared at the end, the example's
// SQLite file and the directory as SCIM GET shows it.
import { DatabaseSync } from "node:sqlite";
import { freePort, runKeys, startDevCommand, stopGroup, tempDir, TOKEN_IN_TEXT, waitFor, waitUntilServing, type Background } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

export type Scim = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/** The Okta-like client: JSON over fetch with the identity provider's (scim) key. */
export function scimClient(baseUrl: string, token: string): Scim {
  return async (method, path, body) => {
    const response = await fetch(`${baseUrl}/scim/v2${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json", "User-Agent": "Okta SCIM Client 1.0.0" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
  };
}

const patch = (scim: Scim, path: string, ...operations: unknown[]) => scim("PATCH", path, { schemas: [PATCH_OP], Operations: operations });

export async function createUser(scim: Scim, n: number): Promise<string> {
  const user = await scim("POST", "/Users", {
    schemas: [USER],
    userName: `user${n}@example.com`,
    name: { givenName: `Given${n}`, familyName: "Example" },
    emails: [{ value: `user${n}@example.com`, type: "work", primary: true }],
    active: true,
    password: `Initial-Password-${n}`,
  });
  return String(user.id);
}

/** Before the application starts: six users and Engineering with two of them. */
export async function provisionBefore(scim: Scim): Promise<{ ids: string[]; engineering: string }> {
  const ids: string[] = [];
  for (let n = 0; n < 6; n++) ids.push(await createUser(scim, n));
  const engineering = String((await scim("POST", "/Groups", { schemas: [GROUP], displayName: "Engineering", members: [{ value: ids[0] }, { value: ids[1] }] })).id);
  return { ids, engineering };
}

/** While it follows: Okta's lifecycle and group push, interleaved (creates, updates, deactivations, deletes). */
export async function provisionWhileFollowing(scim: Scim, ids: string[], engineering: string): Promise<void> {
  for (let n = 6; n < 10; n++) ids.push(await createUser(scim, n));
  const user2 = await scim("GET", `/Users/${ids[2]}?excludedAttributes=groups`);
  const { id: _id, meta: _meta, ...profile } = user2;
  await scim("PUT", `/Users/${ids[2]}`, { ...profile, name: { givenName: "Renamed", familyName: "Example" }, title: "Engineer" });
  await patch(scim, `/Users/${ids[3]}`, { op: "replace", value: { active: false } });
  await patch(scim, `/Users/${ids[4]}`, { op: "replace", path: "password", value: "Synced-Password-4" });
  await patch(scim, `/Groups/${engineering}`, { op: "add", path: "members", value: [{ value: ids[6] }, { value: ids[7] }] });
  await patch(scim, `/Groups/${engineering}`, { op: "remove", path: `members[value eq "${ids[0]}"]` });
  const sales = String((await scim("POST", "/Groups", { schemas: [GROUP], displayName: "Sales", members: [{ value: ids[8] }] })).id);
  // Push Now: the whole member list, with a rename.
  await scim("PUT", `/Groups/${sales}`, { schemas: [GROUP], displayName: "Sales EMEA", members: [{ value: ids[8] }, { value: ids[9] }, { value: ids[5] }] });
  await patch(scim, `/Users/${ids[3]}`, { op: "replace", value: { active: true } });
  await scim("DELETE", `/Users/${ids[7]}`);
  const temp = String((await scim("POST", "/Groups", { schemas: [GROUP], displayName: "Temporary", members: [{ value: ids[1] }] })).id);
  await scim("DELETE", `/Groups/${temp}`);
  await patch(scim, `/Users/${ids[5]}`, { op: "replace", value: { active: false } });
  await scim("DELETE", `/Users/${ids[5]}`);
}

export interface Mirrored {
  users: Record<string, unknown>[];
  groups: Record<string, unknown>[];
  memberships: Record<string, unknown>[];
}

/** The example's database, read while it may be writing (so a busy read throws and is retried by the caller). */
export function readExample(file: string): Mirrored & { cursor: string | null; applied: string | null; inbox: number } {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const state = (key: string) => (db.prepare("SELECT value FROM state WHERE key = ?").get(key) as { value: string } | undefined)?.value ?? null;
    const inbox = (db.prepare("SELECT count(*) AS n FROM inbox").get() as { n: number }).n;
    const users = db.prepare("SELECT id, version, user_name AS userName, active FROM users ORDER BY id").all();
    const groups = db.prepare("SELECT id, display_name AS displayName FROM groups ORDER BY id").all();
    const memberships = db.prepare("SELECT group_id AS groupId, member_id AS memberId, member_type AS type FROM memberships ORDER BY group_id, member_id").all();
    return {
      cursor: state("cursor"),
      applied: state("applied"),
      inbox,
      users: users.map((u) => ({ ...u })),
      groups: groups.map((g) => ({ ...g })),
      memberships: memberships.map((m) => ({ ...m })),
    };
  } finally {
    db.close();
  }
}

/** The directory as SCIM GET shows it, in the example's shape. */
export async function directoryOf(scim: Scim): Promise<Mirrored> {
  const users = (await scim("GET", "/Users?count=1000&excludedAttributes=groups")).Resources as {
    id: string;
    userName: string;
    active: boolean;
    meta: { version: string };
  }[];
  const groups = (await scim("GET", "/Groups?count=1000")).Resources as { id: string; displayName: string; members?: { value: string; type: string }[] }[];
  const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : 1);
  return {
    users: users
      .map((u) => ({ id: u.id, version: Number(/\d+/.exec(u.meta.version)![0]), userName: u.userName, active: u.active ? 1 : 0 }))
      .sort(byId),
    groups: groups.map((g) => ({ id: g.id, displayName: g.displayName })).sort(byId),
    memberships: groups
      .flatMap((g) => (g.members ?? []).map((m) => ({ groupId: g.id, memberId: m.value, type: m.type })))
      .sort((a, b) => (a.groupId + a.memberId < b.groupId + b.memberId ? -1 : 1)),
  };
}

/** The events API's head cursor (limit=0), read with the application's key. */
export async function headCursor(baseUrl: string, appToken: string): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/events?limit=0`, { headers: { Authorization: `Bearer ${appToken}` } });
  return ((await response.json()) as { nextCursor: string }).nextCursor;
}

export interface DevWithAppKey {
  persistTo: string;
  baseUrl: string;
  dev: Background;
  /** The identity provider's client, with the token `npm run dev` printed. */
  scim: Scim;
  /** A fresh app-scope key of the demo tenant, for the example application. */
  appToken: string;
}

/** `npm run dev` on throwaway state, serving, plus an app key made by `npm run keys` (stopped again on failure). */
export async function startDevWithAppKey(prefix: string): Promise<DevWithAppKey> {
  const persistTo = await tempDir(prefix);
  const baseUrl = `http://127.0.0.1:${await freePort()}`;
  const dev = await startDevCommand(Number(new URL(baseUrl).port), persistTo);
  try {
    const scimToken = await waitFor("the printed token", async () => dev.output().match(TOKEN_IN_TEXT)?.[0] ?? null, dev, 120_000);
    await waitUntilServing(baseUrl, dev);
    const created = await runKeys(["create", "demo", "--scope", "app", "--label", "example", "--json", "--persist-to", persistTo]);
    if (created.status !== 0) throw new Error(`npm run keys -- create failed: ${created.stderr}`);
    return { persistTo, baseUrl, dev, scim: scimClient(baseUrl, scimToken), appToken: (JSON.parse(created.stdout) as { token: string }).token };
  } catch (error) {
    await stopGroup(dev);
    throw error;
  }
}
