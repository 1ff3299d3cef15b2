// OAuth access tokens on the SCIM routes: bound to one tenant in both URL forms, expiring, revocable
// (RFC 7009), and as cheap as API keys. Plus the metadata document (RFC 8414) and ServiceProviderConfig.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { kvName } from "../../src/oauth/records.ts";
import { tokenHash } from "../../src/oauth/tokens.ts";
import { afterSeconds } from "../support/clock.ts";
import { costOf, expectScimError, issueKey } from "./helpers.ts";
import { basicAuth, codeTokens, createClient, expectOAuthError, fetchWorker, scimWith, tokenFor, type TokenSet } from "./oauth-helpers.ts";

async function expect401(response: Response): Promise<void> {
  await expectScimError(response, 401);
  expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="scim"/);
}

function revoke(client: { clientId: string; secret: string }, tokenValue: string, hint?: string): Promise<Response> {
  return fetchWorker("/oauth/revoke", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...basicAuth(client.clientId, client.secret) },
    body: new URLSearchParams({ token: tokenValue, ...(hint === undefined ? {} : { token_type_hint: hint }) }).toString(),
  });
}

describe("tenant binding", () => {
  it("a token for tenant A works on A in both URL forms and is refused on B in both", async () => {
    const a = await createClient("bind-a");
    await createClient("bind-b");
    const { access_token } = await codeTokens(a);
    expect((await scimWith("/scim/v2/Users", access_token)).status).toBe(200);
    expect((await scimWith("/t/bind-a/scim/v2/Users", access_token)).status).toBe(200);
    await expect401(await scimWith("/t/bind-b/scim/v2/Users", access_token));
    await expect401(await scimWith("/t/bind-b/SCIM/v2//Users", access_token));
    // HTTP Basic naming tenant B with A's token is refused too.
    const basic = await fetchWorker("/scim/v2/Users", { headers: { Authorization: `Basic ${btoa(`bind-b:${access_token}`)}` } });
    await expect401(basic);
  });

  it("the shared URL form scopes data to the token's tenant", async () => {
    const a = await createClient("data-a");
    const b = await createClient("data-b");
    const ta = (await tokenFor(a, { grant_type: "client_credentials" }).then((r) => r.json())) as TokenSet;
    const tb = (await tokenFor(b, { grant_type: "client_credentials" }).then((r) => r.json())) as TokenSet;
    const created = await fetchWorker("/scim/v2/Users", {
      method: "POST",
      headers: { Authorization: `Bearer ${ta.access_token}`, "Content-Type": "application/scim+json" },
      body: JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "only-in-a@example.com" }),
    });
    expect(created.status).toBe(201);
    const inB = (await (await scimWith('/scim/v2/Users?filter=userName eq "only-in-a@example.com"', tb.access_token)).json()) as { totalResults: number };
    expect(inB.totalResults).toBe(0);
    const inA = (await (await scimWith('/scim/v2/Users?filter=userName eq "only-in-a@example.com"', ta.access_token)).json()) as { totalResults: number };
    expect(inA.totalResults).toBe(1);
  });
});

describe("scope", () => {
  it("an identity provider's access token is refused on the application API (/v1) with a 403", async () => {
    const client = await createClient("scope-acme");
    const { access_token } = await codeTokens(client);
    await expectScimError(await scimWith("/v1/events", access_token), 403);
    await expectScimError(await scimWith("/t/scope-acme/v1/events", access_token), 403);
    expect((await scimWith("/t/scope-acme/scim/v2/Users", access_token)).status).toBe(200);
  });
});

describe("expiry", () => {
  it("an access token past its expiry is refused even while KV still holds it", async () => {
    const client = await createClient("expiry-acme");
    const { access_token } = await codeTokens(client);
    const name = kvName.access(await tokenHash(access_token));
    const record = JSON.parse((await env.KV.get(name))!) as Record<string, unknown>;
    // The token has not been used yet, so no isolate has cached it: the next request reads this record.
    await env.KV.put(name, JSON.stringify({ ...record, expiresAt: new Date(Date.now() - 1000).toISOString() }));
    await expect401(await scimWith("/scim/v2/Users", access_token));
  });

  it("access tokens carry a one-hour KV TTL", async () => {
    const client = await createClient("expiry-ttl");
    const { access_token, refresh_token } = await codeTokens(client);
    const access = await env.KV.list({ prefix: kvName.access(await tokenHash(access_token)) });
    const ttl = (access.keys[0]?.expiration ?? 0) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3601);
    const refresh = await env.KV.list({ prefix: kvName.refresh(await tokenHash(refresh_token!)) });
    expect(refresh.keys[0]?.expiration).toBeGreaterThan(Date.now() / 1000 + 80 * 86_400);
  });
});

describe("RFC 7009 revocation", () => {
  it("revoking an access token ends it at once; the refresh token still works", async () => {
    const client = await createClient("revoke-access");
    const tokens = await codeTokens(client);
    expect((await scimWith("/scim/v2/Users", tokens.access_token)).status).toBe(200);
    const response = await revoke(client, tokens.access_token, "access_token");
    expect(response.status).toBe(200);
    await expect401(await scimWith("/scim/v2/Users", tokens.access_token));
    expect((await tokenFor(client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token! })).status).toBe(200);
  });

  it("revoking a refresh token ends the grant, access token included (§2.1)", async () => {
    const client = await createClient("revoke-refresh");
    const tokens = await codeTokens(client);
    expect((await revoke(client, tokens.refresh_token!)).status).toBe(200);
    await expect401(await scimWith("/scim/v2/Users", tokens.access_token));
    await expectOAuthError(await tokenFor(client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token! }), 400, "invalid_grant");
  });

  it("an unknown token is 200 (§2.2); another client's token is left alone", async () => {
    const client = await createClient("revoke-other");
    const other = await createClient("revoke-other");
    expect((await revoke(client, "scimoa_" + "A".repeat(43))).status).toBe(200);
    const tokens = await codeTokens(client);
    expect((await revoke(other, tokens.access_token)).status).toBe(200);
    expect((await scimWith("/scim/v2/Users", tokens.access_token)).status).toBe(200);
  });

  it("needs client authentication and a token", async () => {
    const client = await createClient("revoke-auth");
    const unauthenticated = await fetchWorker("/oauth/revoke", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "token=x",
    });
    await expectOAuthError(unauthenticated, 401, "invalid_client");
    const noToken = await fetchWorker("/oauth/revoke", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...basicAuth(client.clientId, client.secret) },
      body: "",
    });
    await expectOAuthError(noToken, 400, "invalid_request");
  });
});

describe("cost: an access token costs what an API key costs", () => {
  it("one KV read, then none while cached; D1 rows read the same as with an API key", async () => {
    const client = await createClient("cost-acme");
    const { access_token } = await codeTokens(client);
    const { token: apiKey } = await issueKey("cost-acme");
    // Warm the tenant cache, which both credentials share; then compare like with like.
    await scimWith("/scim/v2/Users?count=1", apiKey);
    const viaKey = await scimWith("/scim/v2/Users?count=1", apiKey);
    const viaToken = await scimWith("/scim/v2/Users?count=1", access_token);
    expect(viaToken.status).toBe(200);
    expect(costOf(viaToken)).toEqual(costOf(viaKey));
    // With the token's KV entry gone, a cached token still answers: the second request read no KV.
    await env.KV.delete(kvName.access(await tokenHash(access_token)));
    expect((await scimWith("/scim/v2/Users?count=1", access_token)).status).toBe(200);
    // Once the cached entry expires (KEY_CACHE_SECONDS), the deletion is seen.
    await afterSeconds(Number(env.KEY_CACHE_SECONDS), async () => expect401(await scimWith("/scim/v2/Users?count=1", access_token)));
  });
});

describe("discovery", () => {
  it("RFC 8414 metadata names this deployment's endpoints, built from PUBLIC_BASE_URL", async () => {
    const response = await fetchWorker("/.well-known/oauth-authorization-server", { headers: { Host: "evil.example" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      issuer: env.PUBLIC_BASE_URL,
      authorization_endpoint: `${env.PUBLIC_BASE_URL}/oauth/authorize`,
      token_endpoint: `${env.PUBLIC_BASE_URL}/oauth/token`,
      revocation_endpoint: `${env.PUBLIC_BASE_URL}/oauth/revoke`,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      revocation_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
      code_challenge_methods_supported: ["S256"],
      scopes_supported: ["scim"],
    });
  });

  it("ServiceProviderConfig lists the OAuth 2.0 scheme", async () => {
    const client = await createClient("spc-acme");
    const { access_token } = await codeTokens(client);
    const body = (await (await scimWith("/scim/v2/ServiceProviderConfig", access_token)).json()) as {
      authenticationSchemes: Array<{ type: string }>;
    };
    expect(body.authenticationSchemes.map((scheme) => scheme.type)).toContain("oauth2");
  });
});
