// Secrets at rest (DESIGN.md "Credentials": hashes only, never logged or returned): after keys are issued the way
// the CLI issues them (newKeyRecord, the tenant statement, the KV record) and users are given passwords through every API shape (POST, PUT,
// PATCH with and without path), a scan of EVERY row of EVERY D1 table and EVERY KV key, value and metadata finds
// no token, no token secret (nor its first 16 characters) and no plain password; neither do the log lines written
// while serving those requests, nor the responses.
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { newKeyRecord, parseToken } from "../../src/keys/token.ts";
import { storeKeyRecord } from "../support/worker/keys.ts";
import { createTenant } from "../support/worker/tenants.ts";
import { call, json } from "./helpers.ts";
import { checkInvariants } from "./invariants.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

const slug = `secrets-${crypto.randomUUID().slice(0, 8)}`;
const tokens: string[] = [];
const passwords: string[] = [];
/** Everything written to the console while the requests ran. */
const logged: string[] = [];
/** Every response (status, headers, body) the requests got, with the URL and body of its request. */
const responses: { request: string; response: string }[] = [];
const password = (label: string) => {
  const value = `Pw-${label}-${crypto.randomUUID()}`;
  passwords.push(value);
  return value;
};

/** The strings no storage, log or response may contain: each token, its secret, the secret's first 16 characters, each password. */
function secrets(): string[] {
  return [
    ...tokens.flatMap((token) => {
      const secret = parseToken(token)?.secret ?? "";
      return [token, secret, secret.slice(0, 16)];
    }),
    ...passwords,
  ];
}

const found = (haystack: string) => secrets().filter((s) => haystack.includes(s));

async function send(path: string, init: RequestInit & { token?: string }): Promise<Response> {
  const res = await call(path, init);
  const body = await res.clone().text();
  responses.push({ request: `${path} ${typeof init.body === "string" ? init.body : ""}`, response: `${res.status} ${JSON.stringify([...res.headers])} ${body}` });
  return res;
}

beforeAll(async () => {
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
  // Keys exactly as `npm run keys -- create` makes them (tools/key-commands.ts): newKeyRecord, the tenant, the record.
  await createTenant(slug);
  for (const options of [
    { label: "okta", organization: null, expiresInDays: null },
    { label: "entra", organization: "Acme EU", expiresInDays: 90 },
    { label: "spare", organization: null, expiresInDays: 1 },
  ]) {
    const { token, record } = await newKeyRecord({ tenant: slug, ...options });
    await storeKeyRecord(record);
    tokens.push(token);
  }
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe("no token secret and no plain password in D1, KV, logs or responses", () => {
  it("serves requests that carry tokens and passwords in every shape", async () => {
    const [okta = "", entra = "", spare = ""] = tokens;
    // POST with a password, Bearer.
    const created = await send("/scim/v2/Users", { method: "POST", token: okta, body: JSON.stringify({ schemas: [USER], userName: "alice", password: password("post") }) });
    expect(created.status).toBe(201);
    const id = (await json<{ id: string }>(created)).id;
    // PUT with a password, Basic (username = tenant slug, password = token).
    const basic = { Authorization: `Basic ${btoa(`${slug}:${entra}`)}` };
    expect((await send(`/scim/v2/Users/${id}`, { method: "PUT", headers: basic, body: JSON.stringify({ schemas: [USER], userName: "alice", password: password("put") }) })).status).toBe(200);
    // PATCH with path, and without path (Okta's shape), and with the core-URN path.
    const patch = (operations: unknown[]) => send(`/scim/v2/Users/${id}`, { method: "PATCH", token: okta, body: JSON.stringify({ schemas: [PATCH_OP], Operations: operations }) });
    expect((await patch([{ op: "replace", path: "password", value: password("patch-path") }])).status).toBe(200);
    expect((await patch([{ op: "replace", value: { password: password("patch-pathless"), active: true } }])).status).toBe(200);
    expect((await patch([{ op: "add", path: `${USER}:password`, value: password("patch-urn") }])).status).toBe(200);
    expect((await patch([{ op: "replace", value: { [USER]: { password: password("patch-core-object") } } }])).status).toBe(200);
    // POST of a second user, through the tenant path, with the third key.
    expect((await send(`/t/${slug}/scim/v2/Users`, { method: "POST", token: spare, body: JSON.stringify({ schemas: [USER], userName: "bob", password: password("post-2"), emails: [{ value: "bob@example.com" }] }) })).status).toBe(201);
    // Refused requests carrying secrets: each must be refused without leaving them anywhere.
    const refusals: [string, RequestInit & { token?: string }][] = [
      ["/scim/v2/Users", { method: "POST", token: okta, body: JSON.stringify({ schemas: [USER], userName: "alice", password: password("conflict") }) }],
      ["/scim/v2/Users", { method: "POST", token: okta, body: JSON.stringify({ schemas: [USER], userName: "carol", password: `${password("too-long")}${"x".repeat(300)}` }) }],
      ["/scim/v2/Users", { method: "POST", token: okta, body: JSON.stringify({ schemas: [USER], userName: "dave", password: password("bad-body"), nope: 1 }) }],
      [`/scim/v2/Users/${id}`, { method: "PATCH", token: okta, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "password", value: password("bad-patch") }, { op: "nope" }] }) }],
      [`/scim/v2/Users/${id}`, { method: "PATCH", token: okta, headers: { "If-Match": 'W/"999"' }, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "password", value: password("stale-etag") }] }) }],
      ["/scim/v2/Users", { method: "GET", headers: { Authorization: `Basic ${btoa(`other-tenant:${okta}`)}` } }],
      ["/t/other-tenant/scim/v2/Users", { method: "GET", token: okta }],
      ["/scim/v2/Users", { method: "GET", headers: { Authorization: `Bearer ${okta.slice(0, -1)}x` } }],
      ["/scim/v2/Users", { method: "GET", headers: { Authorization: `Bearer ${okta} trailing` } }],
      [`/scim/v2/Users?filter=${encodeURIComponent(`password eq "${passwords[0]}"`)}`, { method: "GET", token: okta }],
    ];
    for (const [path, init] of refusals) {
      const res = await send(path, init);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
    }
    expect(tokens).toHaveLength(3);
    expect(passwords.length).toBeGreaterThanOrEqual(12);
  });

  it("every row of every D1 table: no token, secret, secret prefix or plain password", async () => {
    const tables = (await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>()).results.map((t) => t.name);
    expect(tables).toEqual(expect.arrayContaining(["tenants", "users", "user_emails", "groups", "group_members"]));
    const hits: string[] = [];
    const unreadable: string[] = [];
    let rows = 0;
    for (const table of tables) {
      let result: Record<string, unknown>[];
      try {
        result = (await env.DB.prepare(`SELECT * FROM "${table.replace(/"/g, '""')}"`).all<Record<string, unknown>>()).results;
      } catch (error) {
        // D1's own bookkeeping tables (_cf_*) refuse reads; nothing of ours is written there.
        unreadable.push(`${table}: ${String(error)}`);
        continue;
      }
      for (const row of result) {
        rows++;
        for (const secret of found(JSON.stringify(row))) hits.push(`${table}: ${secret}`);
      }
    }
    expect(unreadable.filter((t) => !t.startsWith("_cf_"))).toEqual([]);
    expect(hits).toEqual([]);
    // The scan read what the requests wrote: the users, and a password hash for each of them.
    const hashes = (await env.DB.prepare("SELECT password_hash FROM users WHERE user_name IN ('alice', 'bob') AND password_hash LIKE 'pbkdf2-sha256-peppered$%'").all()).results;
    expect(hashes).toHaveLength(2);
    expect(rows).toBeGreaterThan(5);
    expect(await checkInvariants()).toEqual([]);
  });

  it("every KV key, value and metadata: no token, secret, secret prefix or plain password", async () => {
    const hits: string[] = [];
    let keys = 0;
    let cursor: string | undefined;
    do {
      const page: KVNamespaceListResult<unknown> = await env.KV.list(cursor !== undefined ? { cursor } : {});
      for (const key of page.keys) {
        keys++;
        const { value, metadata } = await env.KV.getWithMetadata(key.name, "text");
        for (const secret of found(`${key.name} ${value ?? ""} ${JSON.stringify(metadata)} ${JSON.stringify(key.metadata)}`)) hits.push(`${key.name}: ${secret}`);
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor !== undefined);
    expect(hits).toEqual([]);
    // Each key is stored, as a hash: the scan looked at the records the requests authenticated against.
    for (const token of tokens) {
      const keyId = parseToken(token)?.keyId ?? "";
      const record = await env.KV.get<{ hash: string }>(`key:${keyId}`, "json");
      expect(record?.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(keys).toBeGreaterThanOrEqual(tokens.length);
  });

  it("the log lines written while serving them: no token, secret, secret prefix or plain password", () => {
    expect(logged.length).toBeGreaterThanOrEqual(10);
    expect(logged.flatMap((line) => found(line).map((s) => `${s} in ${line.slice(0, 200)}`))).toEqual([]);
  });

  it("the responses: no token, secret, secret prefix or plain password (beyond an echo of the request's own URL or body)", () => {
    expect(responses.length).toBeGreaterThanOrEqual(17);
    const leaks = responses.flatMap(({ request, response }) => {
      const echoed = new Set(found(request));
      return found(response)
        .filter((s) => !echoed.has(s))
        .map((s) => `${s} in ${response.slice(0, 200)}`);
    });
    expect(leaks).toEqual([]);
  });
});
