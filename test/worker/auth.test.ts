// Credentials (DESIGN.md "Credentials"): Bearer and Basic, hashed keys in KV, revocation, expiry, tenant paths.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hashSecret, kvKeyName, parseToken } from "../../src/keys/token.ts";
import { afterSeconds } from "../support/clock.ts";
import { storeKeyRecord } from "../support/worker/keys.ts";
import { call, expectScimError, issueKey } from "./helpers.ts";

/** How long a warm isolate trusts a key record it read (wrangler.toml). */
const KEY_CACHE_SECONDS = Number(env.KEY_CACHE_SECONDS);

const SPC = "/scim/v2/ServiceProviderConfig";

async function expect401(response: Response): Promise<void> {
  const body = await expectScimError(response, 401);
  expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="scim"/);
  // The body never says whether the tenant or key exists.
  expect(body.detail).toBe("Authentication is required: send a valid bearer token.");
}

describe("bearer tokens", () => {
  it("accepts a valid bearer token", async () => {
    const { token } = await issueKey("acme");
    const res = await call(SPC, { token });
    expect(res.status).toBe(200);
  });

  it("accepts the scheme name in any case", async () => {
    const { token } = await issueKey("acme");
    const res = await call(SPC, { headers: { Authorization: `bearer ${token}` } });
    expect(res.status).toBe(200);
  });

  it("rejects a missing Authorization header", async () => {
    await expect401(await call(SPC));
  });

  it("rejects a malformed token", async () => {
    await expect401(await call(SPC, { token: "not-a-token" }));
  });

  it("rejects a well-formed token whose key does not exist", async () => {
    await expect401(await call(SPC, { token: `scim_abcdefghijklmnop_${"A".repeat(43)}` }));
  });

  it("rejects a known key id with a wrong secret", async () => {
    const { record } = await issueKey("acme");
    await expect401(await call(SPC, { token: `scim_${record.keyId}_${"B".repeat(43)}` }));
  });

  it("rejects an unknown scheme", async () => {
    const { token } = await issueKey("acme");
    await expect401(await call(SPC, { headers: { Authorization: `Token ${token}` } }));
  });
});

describe("HTTP Basic (username = tenant slug, password = token)", () => {
  const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

  it("accepts the tenant slug and token", async () => {
    const { token } = await issueKey("basic-co");
    const res = await call(SPC, { headers: { Authorization: basic("basic-co", token) } });
    expect(res.status).toBe(200);
  });

  it("rejects another tenant's slug as username", async () => {
    const { token } = await issueKey("basic-co");
    await issueKey("other-co");
    await expect401(await call(SPC, { headers: { Authorization: basic("other-co", token) } }));
  });

  it("rejects broken base64", async () => {
    await expect401(await call(SPC, { headers: { Authorization: "Basic ***" } }));
  });
});

describe("tenant base URL /t/<tenant>/scim/v2", () => {
  it("accepts the tenant's own key", async () => {
    const { token } = await issueKey("tenant-a");
    const res = await call(`/t/tenant-a${SPC}`, { token });
    expect(res.status).toBe(200);
  });

  it("rejects another tenant's key with 401", async () => {
    await issueKey("tenant-a");
    const { token } = await issueKey("tenant-b");
    await expect401(await call(`/t/tenant-a${SPC}`, { token }));
  });

  it("rejects a key for a tenant path that does not exist with the same 401", async () => {
    const { token } = await issueKey("tenant-a");
    await expect401(await call(`/t/no-such-tenant${SPC}`, { token }));
  });
});

describe("key lifecycle", () => {
  it("rejects a revoked key, at the latest once a warm isolate's cached record expires", async () => {
    const { token, record } = await issueKey("life");
    expect((await call(SPC, { token })).status).toBe(200);
    await storeKeyRecord({ ...record, revokedAt: new Date(Date.now() - 1000).toISOString() });
    await afterSeconds(KEY_CACHE_SECONDS, async () => expect401(await call(SPC, { token })));
  });

  it("keeps a rotated key working during its grace period", async () => {
    const { token, record } = await issueKey("life");
    await storeKeyRecord({ ...record, revokedAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await call(SPC, { token })).status).toBe(200);
  });

  it("rejects an expired key", async () => {
    const { token, record } = await issueKey("life");
    await storeKeyRecord({ ...record, expiresAt: new Date(Date.now() - 1).toISOString() });
    await expect401(await call(SPC, { token }));
  });

  it("accepts a key before its expiry", async () => {
    const { token } = await issueKey("life", { expiresInDays: 1 });
    expect((await call(SPC, { token })).status).toBe(200);
  });

  it("rejects keys of a suspended tenant", async () => {
    const { token } = await issueKey("suspended-co");
    await env.DB.prepare("UPDATE tenants SET status = 'suspended' WHERE slug = ?").bind("suspended-co").run();
    await expect401(await call(SPC, { token }));
  });

  // The isolate caches key records for KEY_CACHE_SECONDS: the cache must not extend a key's life. Expiry and
  // the end of a rotation's grace are checked against the clock on every request, cached record or not.
  for (const [field, what] of [["expiresAt", "an expiring key stops at its expiry"], ["revokedAt", "a rotated-out key stops when its grace period ends"]] as const) {
    it(`${what}, even while its record is cached`, async () => {
      const { token, record } = await issueKey("life");
      const end = Date.now() + 1500;
      await storeKeyRecord({ ...record, [field]: new Date(end).toISOString() });
      expect((await call(SPC, { token })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, end - Date.now() + 100));
      await expect401(await call(SPC, { token }));
    });
  }

  it("a warm isolate resolves a used key without KV for the cache period", async () => {
    const { token, record } = await issueKey("cache-co");
    expect((await call(SPC, { token })).status).toBe(200);
    // Deleting behind the cache's back (as another location's revocation would) is not seen at once...
    await env.KV.delete(kvKeyName(record.keyId));
    expect((await call(SPC, { token })).status).toBe(200);
    // ...and is seen once the cached entry has expired.
    await afterSeconds(KEY_CACHE_SECONDS, async () => expect401(await call(SPC, { token })));
  });
});

// A warm isolate keeps each tenant for KEY_CACHE_SECONDS; once that lifetime has passed, the cached tenant
// still answers (for up to five more lifetimes) while a fresh read runs after the response, so a steady stream
// of requests never waits on D1 for its tenant. A suspension therefore lands one request later, not never.
describe("a warm isolate's cached tenant", () => {
  const suspend = (slug: string) => env.DB.prepare("UPDATE tenants SET status = 'suspended' WHERE slug = ?").bind(slug).run();

  it("after its lifetime, the stale tenant answers once more and the background read brings the suspension", async () => {
    const slug = `stale-${crypto.randomUUID().slice(0, 8)}`;
    const { token } = await issueKey(slug);
    expect((await call(SPC, { token })).status).toBe(200);
    await suspend(slug);
    // Within the lifetime the cached (active) tenant answers: as before.
    expect((await call(SPC, { token })).status).toBe(200);
    await afterSeconds(KEY_CACHE_SECONDS, async () => {
      expect((await call(SPC, { token })).status).toBe(200);
      // The refresh runs in waitUntil after that response; it lands within moments.
      let refused = false;
      for (let attempt = 0; attempt < 40 && !refused; attempt++) {
        const res = await call(SPC, { token });
        refused = res.status === 401;
        if (!refused) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(refused).toBe(true);
    });
  });

  it("an isolate idle for longer than the stale period reads the tenant first: a suspension is refused at once", async () => {
    const slug = `idle-${crypto.randomUUID().slice(0, 8)}`;
    const { token } = await issueKey(slug);
    expect((await call(SPC, { token })).status).toBe(200);
    await suspend(slug);
    await afterSeconds(KEY_CACHE_SECONDS * 6, async () => expect401(await call(SPC, { token })));
  });
});

describe("KV holds only hashes", () => {
  it("stores SHA-256 of the secret and no part of the token", async () => {
    const { token, record } = await issueKey("hash-co", { label: "okta" });
    const parsed = parseToken(token)!;
    const value = await env.KV.getWithMetadata(kvKeyName(record.keyId), "text");
    expect(value.value).not.toBeNull();
    expect(value.value).not.toContain(parsed.secret);
    expect(value.value).not.toContain(parsed.secret.slice(0, 16));
    expect(JSON.stringify(value.metadata)).not.toContain(parsed.secret.slice(0, 16));
    const stored = JSON.parse(value.value!) as { hash: string; tenant: string; label: string };
    expect(stored.hash).toBe(await hashSecret(parsed.secret));
    expect(stored).toMatchObject({ tenant: "hash-co", label: "okta" });
    expect(value.metadata).not.toHaveProperty("hash");
  });
});
