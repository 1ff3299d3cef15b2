// Rate limits on the Workers Rate Limiting bindings (src/http/rate-limit.ts): failed authentications per
// client IP and per key id, requests per tenant. The limiter's windows are fixed and may roll over during a
// test, so each test sends the limit's worth of requests (none may be refused), then at most as many again
// until the first 429 (one must come). Every run uses fresh IPs, key ids and tenants: counters outlive a file,
// and no test depends on what this isolate remembers of another's refusals.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { app } from "../../src/app.ts";
import { hashSecret, kvKeyName, newToken } from "../../src/keys/token.ts";
import { ABSENT_KEY_CACHE_SECONDS } from "../../src/storage/repos/keys.ts";
import { afterSeconds } from "../support/clock.ts";
import { createTenant } from "../support/worker/tenants.ts";
import { BASE, call, expectScimError, issueKey, json } from "./helpers.ts";

const SPC = "/scim/v2/ServiceProviderConfig";
const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const IP_LIMIT = 20; // wrangler.toml AUTH_FAIL_BY_IP
const KEY_LIMIT = 10; // wrangler.toml AUTH_FAIL_BY_KEY
const TEST_TENANT_LIMIT = 5; // vitest.config.ts TEST_TENANT_REQUESTS
const KEY_CACHE_SECONDS = Number(env.KEY_CACHE_SECONDS); // wrangler.toml

const hex = () => crypto.getRandomValues(new Uint16Array(1))[0]!.toString(16);
/** A fresh IPv6 /64 in the documentation range, so no other test or run has counted it. */
const freshPrefix = () => `2001:db8:${hex()}:${hex()}`;
const freshIp = () => `${freshPrefix()}::1`;
const from = (ip: string) => ({ "CF-Connecting-IP": ip });
const unknownToken = () => newToken().token;

async function expect429(res: Response): Promise<Record<string, unknown>> {
  const body = await expectScimError(res, 429);
  expect(res.headers.get("Retry-After")).toMatch(/^[1-9][0-9]*$/);
  expect(res.headers.get("Retry-After")).toBe("60");
  expect(res.headers.get("WWW-Authenticate")).toBeNull();
  return body;
}

/** Sends `limit` requests (none may be a 429), then up to `limit + 1` more; returns the first 429. */
async function exhaust(limit: number, send: (i: number) => Promise<Response>): Promise<Response> {
  for (let i = 0; i < limit; i++) {
    const res = await send(i);
    expect(res.status, `request ${i + 1} of ${limit}, within the limit`).not.toBe(429);
    await res.arrayBuffer();
  }
  for (let i = limit; i <= 2 * limit; i++) {
    const res = await send(i);
    if (res.status === 429) return res;
    await res.arrayBuffer();
  }
  throw new Error(`no 429 after ${2 * limit + 1} requests`);
}

describe("failed authentication per client IP (AUTH_FAIL_BY_IP)", () => {
  it("failures from one IP become a 429 SCIM error with an integer Retry-After once over the limit", async () => {
    const ip = freshIp();
    const limited = await exhaust(IP_LIMIT, () => call(SPC, { token: "not-a-token", headers: from(ip) }));
    const body = await expect429(limited);
    expect(body.detail).toMatch(/failed authentication/);
    // It stays refused for the rest of the window.
    await expect429(await call(SPC, { token: unknownToken(), headers: from(ip) }));
  });

  it("another IP is not limited by one IP's failures", async () => {
    const ip = freshIp();
    await expect429(await exhaust(IP_LIMIT, () => call(SPC, { token: "not-a-token", headers: from(ip) })));
    await expectScimError(await call(SPC, { token: "not-a-token", headers: from(freshIp()) }), 401);
  });

  it("a valid token from an IP over its limit still authenticates (identity providers share egress IPs)", async () => {
    const { token } = await issueKey("rl-shared-egress");
    const ip = freshIp();
    expect((await call(SPC, { token, headers: from(ip) })).status).toBe(200);
    await expect429(await exhaust(IP_LIMIT, () => call(SPC, { token: "not-a-token", headers: from(ip) })));
    expect((await call(SPC, { token, headers: from(ip) })).status).toBe(200);
    expect((await call("/scim/v2/Users?count=1", { token, headers: from(ip) })).status).toBe(200);
  });

  it("over the limit, an unknown key id and a real key id with a wrong secret get the same 429", async () => {
    const { token } = await issueKey("rl-no-oracle");
    const ip = freshIp();
    expect((await call(SPC, { token, headers: from(ip) })).status).toBe(200);
    await expect429(await exhaust(IP_LIMIT, () => call(SPC, { token: "not-a-token", headers: from(ip) })));
    const wrongSecret = `${token.slice(0, 22)}${newToken().token.slice(22)}`;
    const known = await call(SPC, { token: wrongSecret, headers: from(ip) });
    const unknown = await call(SPC, { token: unknownToken(), headers: from(ip) });
    const knownBody = await expect429(known);
    const unknownBody = await expect429(unknown);
    expect(knownBody).toEqual(unknownBody);
    const headers = (res: Response) => [...res.headers].filter(([name]) => name !== "x-request-id");
    expect(headers(known)).toEqual(headers(unknown));
  });

  it("a valid key this isolate has never checked is served from an IP over its limit (Okta and Entra share egress IPs)", async () => {
    const ip = freshIp();
    await expect429(await exhaust(IP_LIMIT, () => call(SPC, { token: "not-a-token", headers: from(ip) })));
    // A key issued now: this isolate has never read it, so the first request reads KV, and must not be refused.
    const { token } = await issueKey("rl-uncached");
    expect((await call(SPC, { token, headers: from(ip) })).status).toBe(200);
    expect((await call("/scim/v2/Users?count=1", { token, headers: from(ip) })).status).toBe(200);
    // Failures from that IP stay limited.
    await expect429(await call(SPC, { token: unknownToken(), headers: from(ip) }));
  });

  it("a valid key whose id another client failed with past the key limit is still served", async () => {
    const { token } = await issueKey("rl-key-victim");
    const wrongSecret = () => `${token.slice(0, 22)}${newToken().token.slice(22)}`;
    await expect429(await exhaust(KEY_LIMIT, () => call(SPC, { token: wrongSecret(), headers: from(freshIp()) })));
    // Also once this isolate's cached record has expired and the key is read from KV again.
    expect((await call(SPC, { token, headers: from(freshIp()) })).status).toBe(200);
    await afterSeconds(KEY_CACHE_SECONDS, async () => expect((await call(SPC, { token, headers: from(freshIp()) })).status).toBe(200));
  });

  it("an unknown key id is looked up in KV once per brief window, not on every request", async () => {
    await createTenant("rl-absent");
    const { keyId, secret, token } = newToken();
    await expectScimError(await call(SPC, { token }), 401);
    // A record appearing in KV behind this isolate's back (written from another location) is not seen until
    // the absent entry expires: the repeated request was answered without reading KV.
    const record = { keyId, tenant: "rl-absent", label: "t", hash: await hashSecret(secret), organization: null, createdAt: new Date().toISOString(), expiresAt: null, revokedAt: null };
    await env.KV.put(kvKeyName(keyId), JSON.stringify(record));
    await expectScimError(await call(SPC, { token }), 401);
    expect(ABSENT_KEY_CACHE_SECONDS).toBeLessThanOrEqual(10);
    // Once the absent entry has expired, the key works.
    await afterSeconds(ABSENT_KEY_CACHE_SECONDS, async () => expect((await call(SPC, { token })).status).toBe(200));
  });

  it("counts an IPv6 client by its /64", async () => {
    const prefix = freshPrefix();
    const limited = await exhaust(IP_LIMIT, (i) => call(SPC, { token: "not-a-token", headers: from(`${prefix}::${(i + 1).toString(16)}`) }));
    await expect429(limited);
    await expectScimError(await call(SPC, { token: "not-a-token", headers: from(`${freshPrefix()}::1`) }), 401);
  });
});

describe("failed authentication per key id (AUTH_FAIL_BY_KEY)", () => {
  it("wrong secrets for one key id from ever new IPs become 429; the key's own token keeps working", async () => {
    const { token } = await issueKey("rl-key-attack");
    expect((await call(SPC, { token })).status).toBe(200);
    const wrongSecret = () => `${token.slice(0, 22)}${newToken().token.slice(22)}`;
    await expect429(await exhaust(KEY_LIMIT, () => call(SPC, { token: wrongSecret(), headers: from(freshIp()) })));
    expect((await call(SPC, { token, headers: from(freshIp()) })).status).toBe(200);
  });

  it("an unknown key id is limited the same way, so the limit does not reveal which keys exist", async () => {
    const keyId = newToken().keyId;
    const guess = () => newToken(keyId).token;
    await expect429(await exhaust(KEY_LIMIT, () => call(SPC, { token: guess(), headers: from(freshIp()) })));
  });
});

describe("requests per tenant (TENANT_REQUESTS)", () => {
  /** The worker with the test's 5-per-minute limiter in place of the real one; every other binding is real. */
  async function callSmallLimit(path: string, init: RequestInit & { token: string }): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("Authorization", `Bearer ${init.token}`);
    if (init.body !== undefined) headers.set("Content-Type", "application/scim+json");
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers }), { ...env, TENANT_REQUESTS: env.TEST_TENANT_REQUESTS }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  }

  const freshTenant = () => `rl-tenant-${crypto.randomUUID().slice(0, 8)}`;

  it("a tenant over its limit gets a 429 SCIM error with an integer Retry-After, and the request does nothing", async () => {
    const tenant = freshTenant();
    const { token } = await issueKey(tenant);
    const userName = (i: number) => `${tenant}-${i}@example.com`;
    let last = "";
    const refused = await exhaust(TEST_TENANT_LIMIT, (i) => {
      last = userName(i);
      return callSmallLimit("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName: last }) });
    });
    expect((await expect429(refused)).detail).toMatch(/tenant has exceeded its request rate/);
    const stored = await env.DB.prepare("SELECT user_name FROM users WHERE user_name LIKE ? ORDER BY seq").bind(`${tenant}-%`).all<{ user_name: string }>();
    expect(stored.results.map((row) => row.user_name)).not.toContain(last);
    expect(stored.results.map((row) => row.user_name)).toContain(userName(0));
  });

  it("one tenant at its limit does not limit another", async () => {
    const first = await issueKey(freshTenant());
    const second = await issueKey(freshTenant());
    await expect429(await exhaust(TEST_TENANT_LIMIT, () => callSmallLimit(SPC, { token: first.token })));
    const res = await callSmallLimit("/scim/v2/Users?count=1", { token: second.token });
    expect(res.status).toBe(200);
    expect((await json(res)).totalResults).toBe(0);
  });

  it("the configured limit admits a minute of Entra's 25 requests/s (1500 requests) without a 429", async () => {
    const { token } = await issueKey(freshTenant());
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 30; batch++) {
      const responses = await Promise.all(Array.from({ length: 50 }, () => call(SPC, { token })));
      for (const res of responses) {
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        await res.arrayBuffer();
      }
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 1500 });
  }, 60_000);
});
