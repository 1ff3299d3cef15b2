// The sync protocol (README, "Consuming changes in your application") proven with a real client: `npm run dev` serves the worker, a scripted Okta-like client provisions
// the demo tenant, and the example application (examples/sync-app) takes the head, snapshots the directory and
// follows the feed into its own SQLite file while the client keeps creating, updating, deactivating, deleting
// and pushing groups. Once it has caught up, its database equals the directory that SCIM GET shows.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  freePort,
  runKeys,
  startDevCommand,
  startSyncExample,
  stopGroup,
  tempDir,
  TOKEN_IN_TEXT,
  waitFor,
  waitUntilServing,
  type Background,
} from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let persistTo: string;
let dev: Background | undefined;
let example: Background | undefined;
let baseUrl = "";
let scimToken = "";
let appToken = "";

beforeAll(async () => {
  persistTo = await tempDir("example-sync-");
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  dev = startDevCommand(port, persistTo);
  const running = dev;
  scimToken = await waitFor("the printed token", async () => running.output().match(TOKEN_IN_TEXT)?.[0] ?? null, running, 120_000);
  await waitUntilServing(baseUrl, running);
  const created = await runKeys(["create", "demo", "--scope", "app", "--label", "example", "--json", "--persist-to", persistTo]);
  expect(created.status).toBe(0);
  appToken = (JSON.parse(created.stdout) as { token: string }).token;
});

afterAll(async () => {
  await stopGroup(example);
  await stopGroup(dev);
  await rm(persistTo, { recursive: true, force: true });
});

/** The Okta-like client: JSON over fetch with the identity provider's (scim) key. */
async function scim(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/scim/v2${path}`, {
    method,
    headers: { Authorization: `Bearer ${scimToken}`, "Content-Type": "application/scim+json", "User-Agent": "Okta SCIM Client 1.0.0" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
}

const patch = (path: string, ...operations: unknown[]) => scim("PATCH", path, { schemas: [PATCH_OP], Operations: operations });

async function createUser(n: number): Promise<string> {
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

async function head(): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/events?limit=0`, { headers: { Authorization: `Bearer ${appToken}` } });
  return ((await response.json()) as { nextCursor: string }).nextCursor;
}

/** The example's database, read while it may be writing (so a busy read is retried by the caller). */
function readExample(file: string) {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const cursor = (db.prepare("SELECT value FROM state WHERE key = 'cursor'").get() as { value: string } | undefined)?.value ?? null;
    const users = db.prepare("SELECT id, version, user_name AS userName, active FROM users ORDER BY id").all();
    const groups = db.prepare("SELECT id, display_name AS displayName FROM groups ORDER BY id").all();
    const memberships = db.prepare("SELECT group_id AS groupId, member_id AS memberId, member_type AS type FROM memberships ORDER BY group_id, member_id").all();
    return { cursor, users: users.map((u) => ({ ...u })), groups: groups.map((g) => ({ ...g })), memberships: memberships.map((m) => ({ ...m })) };
  } finally {
    db.close();
  }
}

async function directory() {
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

describe("the example application against npm run dev", () => {
  test("head, snapshot, follow: its database equals the directory while an Okta-like client provisions", async () => {
    // Before the application starts: what its snapshot will find.
    const ids: string[] = [];
    for (let n = 0; n < 6; n++) ids.push(await createUser(n));
    const engineering = String((await scim("POST", "/Groups", { schemas: [GROUP], displayName: "Engineering", members: [{ value: ids[0] }, { value: ids[1] }] })).id);

    const dbFile = join(persistTo, "sync.db");
    example = startSyncExample(["--base", baseUrl, "--token", appToken, "--db", dbFile, "--interval", "200"]);
    const app = example;
    await waitFor("the snapshot", async () => (/snapshot: /.test(app.output()) ? true : null), app, 60_000);

    // While it follows: Okta's lifecycle and group push, interleaved.
    for (let n = 6; n < 10; n++) ids.push(await createUser(n));
    const user2 = await scim("GET", `/Users/${ids[2]}?excludedAttributes=groups`);
    const { id: _id, meta: _meta, ...profile } = user2;
    await scim("PUT", `/Users/${ids[2]}`, { ...profile, name: { givenName: "Renamed", familyName: "Example" }, title: "Engineer" });
    await patch(`/Users/${ids[3]}`, { op: "replace", value: { active: false } });
    await patch(`/Users/${ids[4]}`, { op: "replace", path: "password", value: "Synced-Password-4" });
    await patch(`/Groups/${engineering}`, { op: "add", path: "members", value: [{ value: ids[6] }, { value: ids[7] }] });
    await patch(`/Groups/${engineering}`, { op: "remove", path: `members[value eq "${ids[0]}"]` });
    const sales = String((await scim("POST", "/Groups", { schemas: [GROUP], displayName: "Sales", members: [{ value: ids[8] }] })).id);
    // Push Now: the whole member list, with a rename.
    await scim("PUT", `/Groups/${sales}`, { schemas: [GROUP], displayName: "Sales EMEA", members: [{ value: ids[8] }, { value: ids[9] }, { value: ids[5] }] });
    await patch(`/Users/${ids[3]}`, { op: "replace", value: { active: true } });
    await scim("DELETE", `/Users/${ids[7]}`);
    const temp = String((await scim("POST", "/Groups", { schemas: [GROUP], displayName: "Temporary", members: [{ value: ids[1] }] })).id);
    await scim("DELETE", `/Groups/${temp}`);
    await patch(`/Users/${ids[5]}`, { op: "replace", value: { active: false } });
    await scim("DELETE", `/Users/${ids[5]}`);

    const target = await head();
    const caughtUp = await waitFor(
      "the example to reach the head",
      async () => {
        try {
          const state = readExample(dbFile);
          return state.cursor === target ? state : null;
        } catch {
          return null; // busy while it writes
        }
      },
      app,
      60_000,
    );
    await stopGroup(app);
    console.info(`example output:\n${app.output()}`);

    const { cursor: _cursor, ...mirrored } = caughtUp;
    expect(mirrored).toEqual(await directory());
    // It printed each change it applied.
    expect(app.output()).toMatch(/user\.updated user2@example\.com v2 \(name\.givenName, title\) by scim/);
    expect(app.output()).toMatch(/group\.members_added Sales EMEA/);
    expect(app.output()).toMatch(/user\.deleted user7@example\.com/);
    expect(app.output()).not.toMatch(/Password/);
  }, 300_000);
});
