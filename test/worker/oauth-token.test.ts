// The token endpoint (RFC 6749 §4.1.3, §4.4, §5, §6; RFC 7636 §4.5-§4.6): every grant, every client
// authentication method and every error a client can provoke, with what is left in KV afterwards.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { tokenHash } from "../../src/oauth/tokens.ts";
import {
  authorize,
  basicAuth,
  codeTokens,
  createClient,
  expectOAuthError,
  pkcePair,
  REDIRECT,
  scimWith,
  token,
  tokenFor,
  type TokenSet,
} from "./oauth-helpers.ts";

const SPC = "/scim/v2/ServiceProviderConfig";

describe("authorization_code (RFC 6749 §4.1.3)", () => {
  it("issues a bearer access token for 1 hour and a refresh token; only hashes are stored", async () => {
    const client = await createClient("code-ok");
    const code = await authorize(client);
    const response = await tokenFor(client, { grant_type: "authorization_code", code, redirect_uri: REDIRECT });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("Pragma")).toBe("no-cache");
    const body = (await response.json()) as TokenSet;
    expect(body).toEqual({
      access_token: expect.stringMatching(/^scimoa_[A-Za-z0-9_-]{43}$/),
      refresh_token: expect.stringMatching(/^scimor_[A-Za-z0-9_-]{43}$/),
      token_type: "Bearer",
      expires_in: 3600,
      scope: "scim",
    });
    const access = await env.KV.getWithMetadata(`oauth:access:${await tokenHash(body.access_token)}`, "text");
    expect(access.value).not.toBeNull();
    expect(access.value).not.toContain(body.access_token);
    expect(await env.KV.get(`oauth:refresh:${await tokenHash(body.refresh_token!)}`)).not.toBeNull();
    // Nothing in KV (names, values, metadata) holds a token, the code or the client secret in plain text.
    const secrets = [body.access_token, body.refresh_token!, code, client.secret].map((s) => s.slice(-20));
    const all = await env.KV.list({ prefix: "oauth:" });
    for (const key of all.keys) {
      const stored = key.name + ((await env.KV.get(key.name)) ?? "") + JSON.stringify(key.metadata ?? null);
      for (const secret of secrets) expect(stored).not.toContain(secret);
    }
    expect((await scimWith(SPC, body.access_token)).status).toBe(200);
  });

  it("a replayed code is refused and the tokens issued from it are revoked (§4.1.2)", async () => {
    const client = await createClient("code-replay");
    const code = await authorize(client);
    const first = (await (await tokenFor(client, { grant_type: "authorization_code", code, redirect_uri: REDIRECT })).json()) as TokenSet;
    expect((await scimWith(SPC, first.access_token)).status).toBe(200);
    await expectOAuthError(await tokenFor(client, { grant_type: "authorization_code", code, redirect_uri: REDIRECT }), 400, "invalid_grant");
    expect((await scimWith(SPC, first.access_token)).status).toBe(401);
    await expectOAuthError(await tokenFor(client, { grant_type: "refresh_token", refresh_token: first.refresh_token! }), 400, "invalid_grant");
  });

  it("a code issued to another client is refused", async () => {
    const client = await createClient("code-client");
    const other = await createClient("code-client");
    const code = await authorize(client);
    await expectOAuthError(await tokenFor(other, { grant_type: "authorization_code", code, redirect_uri: REDIRECT }), 400, "invalid_grant");
  });

  it("redirect_uri must repeat the authorization request's", async () => {
    const client = await createClient("code-redirect");
    const code = await authorize(client);
    await expectOAuthError(await tokenFor(client, { grant_type: "authorization_code", code }), 400, "invalid_grant");
    await expectOAuthError(
      await tokenFor(client, { grant_type: "authorization_code", code, redirect_uri: "https://idp.example.net/other" }),
      400,
      "invalid_grant",
    );
  });

  it("an unknown or expired code is invalid_grant", async () => {
    const client = await createClient("code-unknown");
    await expectOAuthError(await tokenFor(client, { grant_type: "authorization_code", code: "A".repeat(43), redirect_uri: REDIRECT }), 400, "invalid_grant");
    const code = await authorize(client);
    const name = `oauth:code:${await tokenHash(code)}`;
    const record = JSON.parse((await env.KV.get(name))!) as Record<string, unknown>;
    await env.KV.put(name, JSON.stringify({ ...record, expiresAt: new Date(Date.now() - 1000).toISOString() }));
    await expectOAuthError(await tokenFor(client, { grant_type: "authorization_code", code, redirect_uri: REDIRECT }), 400, "invalid_grant");
  });

  it("code is required", async () => {
    const client = await createClient("code-missing");
    await expectOAuthError(await tokenFor(client, { grant_type: "authorization_code", redirect_uri: REDIRECT }), 400, "invalid_request");
  });
});

describe("PKCE (RFC 7636 §4.5-§4.6)", () => {
  it("the right verifier gets tokens", async () => {
    const client = await createClient("pkce-ok", { requirePkce: true });
    const { verifier, challenge } = await pkcePair();
    const code = await authorize(client, { code_challenge: challenge, code_challenge_method: "S256" });
    const response = await tokenFor(client, { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(response.status).toBe(200);
  });

  it("a missing or wrong verifier is invalid_grant", async () => {
    const client = await createClient("pkce-bad");
    const { challenge } = await pkcePair();
    const code = await authorize(client, { code_challenge: challenge, code_challenge_method: "S256" });
    await expectOAuthError(await tokenFor(client, { grant_type: "authorization_code", code, redirect_uri: REDIRECT }), 400, "invalid_grant");
    const other = await pkcePair();
    await expectOAuthError(
      await tokenFor(client, { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: other.verifier }),
      400,
      "invalid_grant",
    );
  });

  it("a verifier for a request without a challenge is refused (downgrade protection)", async () => {
    const client = await createClient("pkce-none");
    const code = await authorize(client);
    const { verifier } = await pkcePair();
    await expectOAuthError(await tokenFor(client, { grant_type: "authorization_code", code, redirect_uri: REDIRECT, code_verifier: verifier }), 400, "invalid_grant");
  });
});

describe("refresh_token (RFC 6749 §6): rotation and reuse detection", () => {
  it("rotates both tokens; the old access token stops working", async () => {
    const client = await createClient("refresh-rotate");
    const first = await codeTokens(client);
    const response = await tokenFor(client, { grant_type: "refresh_token", refresh_token: first.refresh_token! });
    expect(response.status).toBe(200);
    const second = (await response.json()) as TokenSet;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    expect((await scimWith(SPC, second.access_token)).status).toBe(200);
    expect((await scimWith(SPC, first.access_token)).status).toBe(401);
  });

  it("reusing a rotated-out refresh token revokes the whole grant", async () => {
    const client = await createClient("refresh-reuse");
    const first = await codeTokens(client);
    const second = (await (await tokenFor(client, { grant_type: "refresh_token", refresh_token: first.refresh_token! })).json()) as TokenSet;
    const body = await expectOAuthError(await tokenFor(client, { grant_type: "refresh_token", refresh_token: first.refresh_token! }), 400, "invalid_grant");
    expect(body.error_description).toContain("revoked");
    // The current tokens of the grant died with it.
    expect((await scimWith(SPC, second.access_token)).status).toBe(401);
    await expectOAuthError(await tokenFor(client, { grant_type: "refresh_token", refresh_token: second.refresh_token! }), 400, "invalid_grant");
  });

  it("a refresh token of another client is refused and does not revoke the grant", async () => {
    const client = await createClient("refresh-client");
    const other = await createClient("refresh-client");
    const tokens = await codeTokens(client);
    await expectOAuthError(await tokenFor(other, { grant_type: "refresh_token", refresh_token: tokens.refresh_token! }), 400, "invalid_grant");
    expect((await tokenFor(client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token! })).status).toBe(200);
  });

  it("an unknown or malformed refresh token is invalid_grant; a missing one invalid_request", async () => {
    const client = await createClient("refresh-unknown");
    await expectOAuthError(await tokenFor(client, { grant_type: "refresh_token", refresh_token: `scimor_${"A".repeat(43)}` }), 400, "invalid_grant");
    await expectOAuthError(await tokenFor(client, { grant_type: "refresh_token", refresh_token: "nope" }), 400, "invalid_grant");
    await expectOAuthError(await tokenFor(client, { grant_type: "refresh_token" }), 400, "invalid_request");
  });
});

describe("client_credentials (RFC 6749 §4.4)", () => {
  it("issues an access token for the client's tenant and no refresh token", async () => {
    const client = await createClient("cc-acme");
    const response = await tokenFor(client, { grant_type: "client_credentials" });
    expect(response.status).toBe(200);
    const body = (await response.json()) as TokenSet;
    expect(body.refresh_token).toBeUndefined();
    expect(body.expires_in).toBe(3600);
    expect((await scimWith("/t/cc-acme/scim/v2/ServiceProviderConfig", body.access_token)).status).toBe(200);
  });
});

describe("client authentication (RFC 6749 §2.3.1)", () => {
  it("client_secret_post works like client_secret_basic", async () => {
    const client = await createClient("auth-post");
    const response = await token({ grant_type: "client_credentials", client_id: client.clientId, client_secret: client.secret });
    expect(response.status).toBe(200);
  });

  it("a wrong secret, unknown client or no credentials is 401 invalid_client with a challenge", async () => {
    const client = await createClient("auth-bad");
    for (const response of [
      await token({ grant_type: "client_credentials" }, basicAuth(client.clientId, `${client.secret}x`)),
      await token({ grant_type: "client_credentials", client_id: client.clientId, client_secret: "wrong" }),
      await token({ grant_type: "client_credentials" }, basicAuth("oc_aaaaaaaaaaaaaaaa", client.secret)),
      await token({ grant_type: "client_credentials" }),
      await token({ grant_type: "client_credentials", client_id: client.clientId }),
      await token({ grant_type: "client_credentials" }, { Authorization: "Basic !!!" }),
    ]) {
      await expectOAuthError(response, 401, "invalid_client");
      expect(response.headers.get("WWW-Authenticate")).toBe('Basic realm="oauth"');
    }
  });

  it("a revoked client cannot get tokens", async () => {
    const client = await createClient("auth-revoked");
    await env.KV.put(`oauth:client:${client.clientId}`, JSON.stringify({ ...client.record, revokedAt: new Date().toISOString() }));
    await expectOAuthError(await tokenFor(client, { grant_type: "client_credentials" }), 401, "invalid_client");
  });

  it("two methods at once are refused (§2.3)", async () => {
    const client = await createClient("auth-both");
    await expectOAuthError(
      await token({ grant_type: "client_credentials", client_secret: client.secret }, basicAuth(client.clientId, client.secret)),
      400,
      "invalid_request",
    );
  });
});

describe("request errors (RFC 6749 §5.2)", () => {
  it("unsupported_grant_type, missing grant_type, repeated parameters, wrong media type", async () => {
    const client = await createClient("errors-acme");
    await expectOAuthError(await tokenFor(client, { grant_type: "password" }), 400, "unsupported_grant_type");
    await expectOAuthError(await tokenFor(client, {}), 400, "invalid_request");
    const twice = await fetchRaw("/oauth/token", "grant_type=client_credentials&grant_type=client_credentials", client);
    await expectOAuthError(twice, 400, "invalid_request");
    const json = await fetchRaw("/oauth/token", '{"grant_type":"client_credentials"}', client, "application/json");
    await expectOAuthError(json, 400, "invalid_request");
  });

  it("a form body over 16 KiB is invalid_request, even without a declared length", async () => {
    const client = await createClient("errors-size");
    const big = `grant_type=client_credentials&pad=${"x".repeat(17 * 1024)}`;
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const { fetchWorker } = await import("./oauth-helpers.ts");
    const response = await fetchWorker("/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...basicAuth(client.clientId, client.secret) },
      body: chunked,
    });
    await expectOAuthError(response, 400, "invalid_request");
  });

  it("a form body that is not UTF-8 is invalid_request naming why", async () => {
    const client = await createClient("errors-utf8");
    const { fetchWorker } = await import("./oauth-helpers.ts");
    const body = new Uint8Array([...new TextEncoder().encode("grant_type=client_credentials&x="), 0xff, 0xfe]);
    const response = await fetchWorker("/oauth/token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...basicAuth(client.clientId, client.secret) },
      body,
    });
    expect((await expectOAuthError(response, 400, "invalid_request")).error_description).toBe("The request body is not valid UTF-8.");
  });

  it("GET on the token endpoint is 405", async () => {
    const { fetchWorker } = await import("./oauth-helpers.ts");
    expect((await fetchWorker("/oauth/token")).status).toBe(405);
  });
});

async function fetchRaw(path: string, body: string, client: { clientId: string; secret: string }, type = "application/x-www-form-urlencoded") {
  const { fetchWorker } = await import("./oauth-helpers.ts");
  return fetchWorker(path, { method: "POST", headers: { "Content-Type": type, ...basicAuth(client.clientId, client.secret) }, body });
}
