// Configuration fails closed (README, "Configuration and Worker secrets"): vars and secrets are parsed once into a typed config,
// and a deployment with an invalid one refuses every request with a 503 and a log line naming the setting,
// rather than serving with a NaN key-cache TTL (a cache that never expires: revocation stops working).
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { app } from "../../src/app.ts";
import { ConfigError, parseConfig } from "../../src/config.ts";
import { hashSecret, keyState, kvKeyName, newToken } from "../../src/keys/token.ts";
import { createTenant } from "../support/worker/tenants.ts";
import { BASE, call, expectScimError } from "./helpers.ts";

const valid = {
  PUBLIC_BASE_URL: "https://scim.example.com",
  REGION: "com",
  KEY_CACHE_SECONDS: "60",
  CURSOR_SECRET: "c".repeat(43),
  PASSWORD_PEPPER: "p".repeat(43),
};

function problem(overrides: Record<string, unknown>): string {
  try {
    parseConfig({ ...valid, ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("gives typed values, with the documented defaults", () => {
    expect(parseConfig(valid)).toEqual({
      publicBaseUrl: "https://scim.example.com",
      region: "com",
      keyCacheSeconds: 60,
      unindexedScanCap: 50_000,
      exposeD1Cost: false,
      cursorSecret: "c".repeat(43),
      passwordPepper: "p".repeat(43),
    });
    expect(parseConfig({ ...valid, KEY_CACHE_SECONDS: undefined, EXPOSE_D1_COST: "true" })).toMatchObject({ keyCacheSeconds: 60, exposeD1Cost: true });
    expect(parseConfig({ ...valid, KEY_CACHE_SECONDS: "0" }).keyCacheSeconds).toBe(0);
  });

  it("refuses a KEY_CACHE_SECONDS that is not a whole number of seconds (it gave a NaN TTL)", () => {
    for (const bad of ["abc", "", "60s", "-1", "1.5", " 60"]) expect(problem({ KEY_CACHE_SECONDS: bad })).toContain("KEY_CACHE_SECONDS");
  });

  it("refuses missing or short secrets, naming each", () => {
    expect(problem({ CURSOR_SECRET: undefined })).toMatch(/CURSOR_SECRET is missing: set it with `wrangler secret put`/);
    expect(problem({ PASSWORD_PEPPER: "short" })).toMatch(/PASSWORD_PEPPER must be at least 32 characters/);
  });

  it("refuses a PUBLIC_BASE_URL that is not an absolute http(s) URL, and an unknown EXPOSE_D1_COST", () => {
    expect(problem({ PUBLIC_BASE_URL: "scim.example.com" })).toContain("PUBLIC_BASE_URL");
    expect(problem({ PUBLIC_BASE_URL: "ftp://scim.example.com" })).toContain("PUBLIC_BASE_URL");
    expect(problem({ EXPOSE_D1_COST: "yes" })).toContain("EXPOSE_D1_COST");
  });
});

describe("a deployment with an invalid configuration refuses to serve", () => {
  it("answers every request 503 (a SCIM error) and logs which setting is wrong", async () => {
    const logged: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
    vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const broken = { ...env, KEY_CACHE_SECONDS: "sixty" };
      const res = await app.fetch(new Request(`${BASE}/scim/v2/ServiceProviderConfig`), broken);
      const body = await expectScimError(res, 503);
      expect(body.detail).not.toContain("KEY_CACHE_SECONDS");
      expect(logged.some((line) => line.includes("refusing to serve") && line.includes("KEY_CACHE_SECONDS"))).toBe(true);
      const noSecret = { ...env, CURSOR_SECRET: undefined };
      await expectScimError(await app.fetch(new Request(`${BASE}/scim/v2/Users`), noSecret), 503);
    } finally {
      spy.mockRestore();
      vi.restoreAllMocks();
    }
    // The deployment's own configuration is valid: the same request is an ordinary 401 there.
    await expectScimError(await call("/scim/v2/ServiceProviderConfig"), 401);
  });
});

describe("key records: revokedAt and expiresAt are ISO datetimes; a malformed one is no active key", () => {
  async function storeKey(fields: Record<string, unknown>): Promise<string> {
    await createTenant("cfg-keys");
    const { keyId, secret, token } = newToken();
    const record = { keyId, tenant: "cfg-keys", label: "t", hash: await hashSecret(secret), organization: null, createdAt: new Date().toISOString(), expiresAt: null, revokedAt: null, ...fields };
    // A fresh key id: no isolate has cached it.
    await env.KV.put(kvKeyName(keyId), JSON.stringify(record));
    return token;
  }

  it("a key revoked with a malformed revokedAt is refused (it used to stay active)", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    for (const revokedAt of ["yesterday", "2026-13-45T00:00:00Z", "not a date"]) {
      await expectScimError(await call("/scim/v2/ServiceProviderConfig", { token: await storeKey({ revokedAt }) }), 401);
    }
    await expectScimError(await call("/scim/v2/ServiceProviderConfig", { token: await storeKey({ expiresAt: "never" }) }), 401);
    // Well-formed records behave as before.
    expect((await call("/scim/v2/ServiceProviderConfig", { token: await storeKey({}) })).status).toBe(200);
    const future = new Date(Date.now() + 86_400_000).toISOString();
    expect((await call("/scim/v2/ServiceProviderConfig", { token: await storeKey({ revokedAt: future }) })).status).toBe(200);
    vi.restoreAllMocks();
  });

  it("keyState takes an unreadable timestamp as already past", () => {
    expect(keyState({ revokedAt: "garbage", expiresAt: null })).toBe("revoked");
    expect(keyState({ revokedAt: null, expiresAt: "garbage" })).toBe("expired");
    expect(keyState({ revokedAt: null, expiresAt: null })).toBe("active");
  });
});
