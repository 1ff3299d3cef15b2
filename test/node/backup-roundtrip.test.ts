// Backups and recovery (README): a local database written through the API is exported with
// `wrangler d1 export`, imported into an empty state with `wrangler d1 execute --file`, and compared row
// for row: every user, email, group, membership, counter, index, trigger and the migration history. Then
// the restored state is served with its KV gone, as after losing KV: old tokens fail, a re-issued key reads
// the same directory.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Target } from "../../tools/wrangler.ts";
import { exportDatabase, restore, snapshot } from "../../tools/d1-backup.ts";
import { bearer, freePort, runKeys, startWranglerDev, stopGroup, tempDir, waitUntilServing, type Background } from "./helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let root: string;
let server: Background | undefined;
const local = (persistTo: string): Target => ({ env: null, remote: false, persistTo });

async function createToken(tenant: string, persistTo: string): Promise<string> {
  const result = await runKeys(["create", tenant, "--persist-to", persistTo, "--json"]);
  expect(result.status, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { token: string }).token;
}

/** wrangler dev on `persistTo`; any earlier server is stopped first, and one that never answers is not left behind. */
async function serve(persistTo: string): Promise<string> {
  await stopGroup(server);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = await startWranglerDev(port, persistTo);
  server = started;
  try {
    await waitUntilServing(baseUrl, started);
  } catch (error) {
    await stopGroup(started);
    throw error;
  }
  return baseUrl;
}

function client(baseUrl: string, token: string) {
  return async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> | null }> => {
    const headers: Record<string, string> = { ...bearer(token), ...(body !== undefined ? { "Content-Type": "application/scim+json" } : {}) };
    const res = await fetch(`${baseUrl}/scim/v2${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    return { status: res.status, json: text === "" ? null : (JSON.parse(text) as Record<string, unknown>) };
  };
}

type Client = ReturnType<typeof client>;

/** A directory with the shapes the app stores: Unicode, quotes, passwords, extensions, nesting, deletions. */
async function seed(api: Client, tenant: string): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < 24; i++) {
    const userName = i % 3 === 0 ? `zoë.o'brien+${i}@${tenant}.example` : `user-${i}@${tenant}.example`;
    const res = await api("POST", "/Users", {
      schemas: [USER, ENTERPRISE],
      userName,
      externalId: `ext-${i}`,
      name: { givenName: "Zoë", familyName: `O'Brien "${i}"` },
      displayName: `Zoë ${i} — 東京`,
      emails: [
        { value: userName, type: "work", primary: true },
        { value: `home-${i}@${tenant}.example`, type: "home" },
      ],
      ...(i % 4 === 0 ? { password: `Pa55word-${i}!` } : {}),
      [ENTERPRISE]: { employeeNumber: String(1000 + i), department: "R&D\nLab" },
      active: true,
    });
    expect(res.status).toBe(201);
    ids.push(String(res.json?.id));
  }
  const [first, second, third, , doomed] = ids;
  const late = ids[20];
  expect((await api("PATCH", `/Users/${first}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] })).status).toBe(200);
  const parent = await api("POST", "/Groups", { schemas: [GROUP], displayName: `Everyone at ${tenant}`, members: ids.slice(0, 12).map((value) => ({ value })) });
  expect(parent.status).toBe(201);
  const child = await api("POST", "/Groups", { schemas: [GROUP], displayName: "Nested \"team\" ✓", externalId: "g-ext", members: [{ value: second }, { value: third }] });
  expect(child.status).toBe(201);
  const patched = await api("PATCH", `/Groups/${String(parent.json?.id)}`, {
    schemas: [PATCH_OP],
    Operations: [
      { op: "add", path: "members", value: [{ value: String(child.json?.id) }, { value: late }] },
      { op: "remove", path: `members[value eq "${first}"]` },
    ],
  });
  expect(patched.status).toBe(204);
  expect((await api("DELETE", `/Users/${doomed}`)).status).toBe(204);
}

/** Everything a client can read: every user and group, members included, page by page. */
async function readDirectory(api: Client): Promise<Record<string, unknown>[]> {
  const resources: Record<string, unknown>[] = [];
  for (const endpoint of ["/Users", "/Groups"]) {
    for (let startIndex = 1; ; startIndex += 10) {
      const page = await api("GET", `${endpoint}?startIndex=${startIndex}&count=10`);
      expect(page.status).toBe(200);
      const batch = (page.json?.Resources ?? []) as Record<string, unknown>[];
      resources.push(...batch);
      if (batch.length < 10) break;
    }
  }
  return resources;
}

let stateA: string;
let stateB: string;
let dump: string;
let directoryA: Record<string, unknown>[] = [];
let oldToken = "";

beforeAll(async () => {
  root = await tempDir("backup-roundtrip-");
  [stateA, stateB, dump] = [join(root, "a"), join(root, "b"), join(root, "dump.sql")];
});

afterAll(async () => {
  await stopGroup(server);
  await rm(root, { recursive: true, force: true });
});

describe("wrangler d1 export, then import into an empty database", () => {
  test("round-trips every row of every table, the schema and the migration history", async () => {
    oldToken = await createToken("acme", stateA);
    const baseUrl = await serve(stateA);
    await seed(client(baseUrl, oldToken), "acme");
    directoryA = await readDirectory(client(baseUrl, oldToken));
    await stopGroup(server);

    await exportDatabase(local(stateA), dump);
    // restore() is what `npm run backup:verify` runs, there into a throwaway directory.
    const [a, b] = await Promise.all([snapshot(local(stateA)), restore(local(stateB), dump)]);

    // Not vacuous: the users, emails, groups and memberships written above are all there.
    expect(a.tables.users).toHaveLength(23);
    expect(a.tables.user_emails).toHaveLength(46);
    expect(a.tables.groups).toHaveLength(2);
    // The parent's 12, plus the child group and a later user, minus a removed and a deleted user; the child's 2.
    expect(a.tables.group_members).toHaveLength(12 + 2 - 2 + 2);
    expect(a.tables.d1_migrations?.length).toBeGreaterThan(0);
    expect(a.schema.some((row) => row.type === "index" && String(row.sql).includes("UNIQUE"))).toBe(true);
    expect(b.snapshot).toEqual(a);
    expect(b.missingMigrations).toEqual([]);
  }, 120_000);

  test("the restored database serves the same directory; KV is empty, so old tokens fail until keys are re-issued", async () => {
    // `npm run keys -- create` for the existing tenant (its row came back with the data), while the server starts.
    const [baseUrl, reissued] = await Promise.all([serve(stateB), createToken("acme", stateB)]);
    expect((await client(baseUrl, oldToken)("GET", "/Users?count=1")).status).toBe(401);
    expect(await readDirectory(client(baseUrl, reissued))).toEqual(directoryA);
    await stopGroup(server);
  }, 120_000);
});
