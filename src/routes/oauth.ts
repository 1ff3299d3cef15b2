// OAuth 2.0 endpoints (RFC 6749, 7636, 7009, 8414): metadata, the authorization page, token, revocation.
// Protocol checks live in src/oauth (pure), KV access in src/storage/oauth-store.ts; this file wires them
// to HTTP. Failures at the token and revocation endpoints are OAuthErrors (RFC 6749 §5.2 JSON); the
// authorization page answers people with HTML and answers the client only through its redirect URI.
import { Hono, type Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { mediaTypeOf, readBodyText, type BodyErrors } from "../http/body.ts";
import type { AppEnv } from "../http/context.ts";
import { allowOnly } from "../http/methods.ts";
import { clientAddress } from "../http/rate-limit.ts";
import { constantTimeEqual, hashSecret } from "../keys/token.ts";
import { bytesToBase64url } from "../util/base64.ts";
import { checkAuthorizationRequest, requestedClientId, type AuthorizationRequest } from "../oauth/authorize-request.ts";
import { readClientCredentials } from "../oauth/client-auth.ts";
import { invalidClient, invalidGrant, invalidRequest, NO_STORE, OAuthError } from "../oauth/errors.ts";
import { readParams, redirectWith, type ParsedParams } from "../oauth/form.ts";
import { authorizationServerMetadata, OAUTH_SCOPE } from "../oauth/metadata.ts";
import { verifierMatches } from "../oauth/pkce.ts";
import type { ClientRecord } from "../oauth/records.ts";
import {
  ACCESS_TOKEN_PREFIX,
  ACCESS_TOKEN_SECONDS,
  AUTHORIZATION_CODE_SECONDS,
  hasTokenShape,
  newAuthorizationCode,
  newGrantId,
  normalizeConnectCode,
  REFRESH_TOKEN_PREFIX,
  tokenHash,
} from "../oauth/tokens.ts";
import {
  deleteAccessToken,
  deleteConnectCode,
  issueClientToken,
  issueGrant,
  readAccessTokenUncached,
  readAuthorizationCode,
  readClient,
  readConnectCode,
  readGrant,
  readRefreshToken,
  revokeGrant,
  rotateGrant,
  writeAuthorizationCode,
  type IssuedTokens,
} from "../storage/repos/oauth.ts";
import { findTenant } from "../storage/repos/tenants.ts";
import { consentPage, PAGE_HEADERS, problemPage } from "./oauth-page.ts";

export const oauthRoutes = new Hono<AppEnv>();

// ---------------------------------------------------------------------------------------------------
// RFC 8414 metadata

oauthRoutes.get("/.well-known/oauth-authorization-server", (c) =>
  c.json(authorizationServerMetadata(c.env.PUBLIC_BASE_URL), 200, { "Cache-Control": "public, max-age=3600" }),
);
allowOnly(oauthRoutes, "/.well-known/oauth-authorization-server", ["GET"]);

// ---------------------------------------------------------------------------------------------------
// Reading forms

/** OAuth forms are a few hundred bytes; this bound keeps a hostile body from costing more. */
const MAX_FORM_BYTES = 16 * 1024;

/** Errors in OAuth's format (RFC 6749 §5.2), not SCIM's. */
const FORM_BODY_ERRORS: BodyErrors = {
  tooLarge: () => invalidRequest(`The request body exceeds ${MAX_FORM_BYTES} bytes.`),
  notUtf8: () => invalidRequest("The request body is not valid UTF-8."),
};

async function readForm(request: Request): Promise<ParsedParams> {
  if (mediaTypeOf(request) !== "application/x-www-form-urlencoded") {
    throw invalidRequest("Send the parameters as application/x-www-form-urlencoded (RFC 6749 §4.1.3).");
  }
  return readParams(new URLSearchParams(await readBodyText(request, MAX_FORM_BYTES, FORM_BODY_ERRORS)));
}

// ---------------------------------------------------------------------------------------------------
// The authorization page

const CSRF_COOKIE = "oauth_csrf";
const CSRF_MAX_AGE = 30 * 60;

async function page(body: Promise<string> | string, status: 200 | 400 | 403 | 429, extra: Record<string, string> = {}) {
  return new Response(String(await body), { status, headers: { ...PAGE_HEADERS, ...extra } });
}

const redirectTo = (location: string) => new Response(null, { status: 303, headers: { Location: location, "Cache-Control": "no-store" } });

interface CheckedRequest {
  request: AuthorizationRequest;
  client: ClientRecord;
  region: string;
}

/** Validates client and redirect URI (errors on our page) before anything else (errors via redirect). */
async function checkRequest(c: Context<AppEnv>, parsed: ParsedParams): Promise<CheckedRequest | Response> {
  const named = requestedClientId(parsed);
  if ("message" in named) return page(problemPage("Invalid authorization request", named.message), 400);
  const client = await readClient(c.env.KV, named.clientId);
  const check = checkAuthorizationRequest(parsed, client);
  if (check.kind === "page") return page(problemPage("Invalid authorization request", check.message), 400);
  if (check.kind === "redirect") {
    return redirectTo(redirectWith(check.redirectUri, { error: check.error, error_description: check.description, state: check.state }));
  }
  const tenant = client === null ? null : await findTenant(c.var.db, client.tenant, 0);
  if (client === null || tenant === null || tenant.status !== "active") {
    return page(problemPage("Tenant unavailable", "The tenant this client belongs to is not active."), 400);
  }
  return { request: check.request, client, region: tenant.region };
}

function newCsrfToken(): string {
  return bytesToBase64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Double-submit cookie: a cross-site form cannot read or set our SameSite=Strict cookie. */
function issueCsrf(c: Context<AppEnv>): string {
  const token = newCsrfToken();
  setCookie(c, CSRF_COOKIE, token, {
    path: "/oauth/authorize",
    httpOnly: true,
    sameSite: "Strict",
    secure: c.env.PUBLIC_BASE_URL.startsWith("https:"),
    maxAge: CSRF_MAX_AGE,
  });
  return token;
}

function consent(c: Context<AppEnv>, checked: CheckedRequest, problem: string | null, status: 200 | 400) {
  const csrf = issueCsrf(c);
  const body = consentPage({
    request: checked.request,
    clientName: checked.client.name,
    tenant: checked.client.tenant,
    region: checked.region,
    csrf,
    problem,
  });
  // c.body keeps the Set-Cookie that setCookie wrote on the context.
  return Promise.resolve(body).then((text) => c.body(String(text), status, PAGE_HEADERS));
}

oauthRoutes.get("/oauth/authorize", async (c) => {
  const checked = await checkRequest(c, readParams(new URL(c.req.url).searchParams));
  if (checked instanceof Response) return checked;
  return consent(c, checked, null, 200);
});

/** Every approve attempt counts, per tenant and per client address, before the code is looked at. */
async function attemptAllowed(c: Context<AppEnv>, tenant: string): Promise<boolean> {
  const ip = clientAddress(c.req.raw);
  const keys = [`tenant:${tenant}`, ...(ip === null ? [] : [`ip:${ip}`])];
  try {
    const verdicts = await Promise.all(keys.map((key) => c.env.OAUTH_CONNECT_ATTEMPTS.limit({ key })));
    return verdicts.every((verdict) => verdict.success);
  } catch (error) {
    // Unlike the SCIM limits this one guards a guessable code, so a broken limiter refuses attempts.
    console.error(JSON.stringify({ requestId: c.get("requestId"), error: `connect-code limiter unavailable: ${String(error)}` }));
    return false;
  }
}

/** Fields of our own form, not of the OAuth request. */
const FORM_FIELDS = ["csrf", "connect_code", "decision"];

oauthRoutes.post("/oauth/authorize", async (c) => {
  let parsed: ParsedParams;
  try {
    parsed = await readForm(c.req.raw);
  } catch (error) {
    if (error instanceof OAuthError) return page(problemPage("Invalid form", error.message), 400);
    throw error;
  }
  const { params } = parsed;
  const cookie = getCookie(c, CSRF_COOKIE) ?? "";
  const sent = params.get("csrf") ?? "";
  if (cookie === "" || !constantTimeEqual(cookie, sent)) {
    return page(problemPage("Form expired", "This form could not be verified (it is too old, or was not sent from this page). Start again from your identity provider."), 403);
  }
  // The form's own fields are not trusted: the request is checked again exactly as on GET.
  const requestParams = new Map([...params].filter(([name]) => !FORM_FIELDS.includes(name)));
  const checked = await checkRequest(c, { params: requestParams, repeated: parsed.repeated.filter((name) => !FORM_FIELDS.includes(name)) });
  if (checked instanceof Response) return checked;
  const { request, client } = checked;

  const decision = params.get("decision");
  if (decision === "decline") {
    return redirectTo(redirectWith(request.redirectUri, { error: "access_denied", error_description: "The administrator declined the request.", state: request.state }));
  }
  if (decision !== "approve") return consent(c, checked, "Choose Approve or Decline.", 400);

  if (!(await attemptAllowed(c, client.tenant))) {
    return page(problemPage("Too many attempts", "Too many connect codes were tried for this tenant or from this address. Wait a minute, then try again."), 429, { "Retry-After": "60" });
  }
  const typed = normalizeConnectCode(params.get("connect_code") ?? "");
  if (typed === "") return consent(c, checked, "Enter the connect code you received from the operator.", 400);
  const codeHash = await hashSecret(typed);
  const connect = await readConnectCode(c.env.KV, client.tenant, codeHash);
  if (connect === null) return consent(c, checked, "That connect code is not valid for this tenant, or it was already used. Check it, or ask the operator for a new one.", 400);
  if (Date.parse(connect.expiresAt) <= Date.now()) {
    await deleteConnectCode(c.env.KV, client.tenant, codeHash);
    return consent(c, checked, "That connect code has expired (codes are valid for 15 minutes). Ask the operator for a new one.", 400);
  }
  // One-time: gone before the authorization code exists.
  await deleteConnectCode(c.env.KV, client.tenant, codeHash);

  const code = newAuthorizationCode();
  await writeAuthorizationCode(c.env.KV, await tokenHash(code), {
    clientId: client.clientId,
    tenant: client.tenant,
    redirectUri: request.redirectUri,
    redirectUriGiven: request.redirectUriGiven,
    codeChallenge: request.codeChallenge,
    expiresAt: new Date(Date.now() + AUTHORIZATION_CODE_SECONDS * 1000).toISOString(),
    grantId: null,
  });
  return redirectTo(redirectWith(request.redirectUri, { code, state: request.state }));
});
allowOnly(oauthRoutes, "/oauth/authorize", ["GET", "POST"]);

// ---------------------------------------------------------------------------------------------------
// Token endpoint

async function authenticateClient(c: Context<AppEnv>, parsed: ParsedParams): Promise<ClientRecord> {
  if (parsed.repeated.length > 0) throw invalidRequest(`Parameters sent more than once: ${parsed.repeated.join(", ")}.`);
  const credentials = readClientCredentials(c.req.header("Authorization"), parsed.params);
  const client = /^oc_[a-z2-7]{16}$/.test(credentials.clientId) ? await readClient(c.env.KV, credentials.clientId) : null;
  const presented = await hashSecret(credentials.secret);
  // Compared even without a client, so timing does not tell which client ids exist.
  const matches = constantTimeEqual(presented, client?.secretHash ?? "0".repeat(64));
  if (client === null || !matches || client.revokedAt !== null) throw invalidClient();
  return client;
}

function tokenResponse(c: Context<AppEnv>, issued: IssuedTokens) {
  return c.json(
    {
      access_token: issued.accessToken,
      token_type: "Bearer",
      expires_in: ACCESS_TOKEN_SECONDS,
      ...(issued.refreshToken === null ? {} : { refresh_token: issued.refreshToken }),
      scope: OAUTH_SCOPE,
    },
    200,
    NO_STORE,
  );
}

async function exchangeCode(c: Context<AppEnv>, client: ClientRecord, params: ParsedParams["params"]): Promise<IssuedTokens> {
  const code = params.get("code");
  if (code === undefined) throw invalidRequest("code is missing.");
  const codeHash = await tokenHash(code);
  const record = await readAuthorizationCode(c.env.KV, codeHash);
  if (record === null || Date.parse(record.expiresAt) <= Date.now()) throw invalidGrant("The authorization code is invalid or expired.");
  if (record.clientId !== client.clientId) throw invalidGrant("The authorization code was issued to another client.");
  if (record.grantId !== null) {
    // RFC 6749 §4.1.2: a code used twice is refused, and the tokens issued from it are revoked.
    await revokeGrant(c.env.KV, record.grantId);
    throw invalidGrant("The authorization code was already used; the tokens issued from it are revoked.");
  }
  const redirectUri = params.get("redirect_uri");
  if ((record.redirectUriGiven || redirectUri !== undefined) && redirectUri !== record.redirectUri) {
    throw invalidGrant("redirect_uri does not match the authorization request.");
  }
  const verifier = params.get("code_verifier");
  if (record.codeChallenge !== null) {
    if (verifier === undefined) throw invalidGrant("code_verifier is required: the authorization request used PKCE.");
    if (!(await verifierMatches(verifier, record.codeChallenge))) throw invalidGrant("code_verifier does not match the code_challenge.");
  } else if (verifier !== undefined) {
    throw invalidGrant("code_verifier sent, but the authorization request had no code_challenge.");
  }
  // The code is marked used (with the grant it yields) before any token exists, so a replay finds the grant.
  const grantId = newGrantId();
  await writeAuthorizationCode(c.env.KV, codeHash, { ...record, grantId });
  return issueGrant(c.env.KV, client, grantId);
}

async function refresh(c: Context<AppEnv>, client: ClientRecord, params: ParsedParams["params"]): Promise<IssuedTokens> {
  const token = params.get("refresh_token");
  if (token === undefined) throw invalidRequest("refresh_token is missing.");
  const hash = hasTokenShape(token, REFRESH_TOKEN_PREFIX) ? await tokenHash(token) : null;
  const record = hash === null ? null : await readRefreshToken(c.env.KV, hash);
  if (hash === null || record === null || Date.parse(record.expiresAt) <= Date.now()) throw invalidGrant("The refresh token is invalid or expired.");
  if (record.clientId !== client.clientId) throw invalidGrant("The refresh token was issued to another client.");
  const grant = await readGrant(c.env.KV, record.grantId);
  if (grant === null) throw invalidGrant("The refresh token's grant was revoked.");
  if (grant.refreshHash !== hash) {
    // A rotated-out refresh token came back: someone holds a copy. End the whole grant (OAuth 2.1 §4.3.1).
    await revokeGrant(c.env.KV, grant.grantId);
    throw invalidGrant("The refresh token was already used; the grant is revoked. Authorize again.");
  }
  return rotateGrant(c.env.KV, grant);
}

oauthRoutes.post("/oauth/token", async (c) => {
  const parsed = await readForm(c.req.raw);
  const client = await authenticateClient(c, parsed);
  const grantType = parsed.params.get("grant_type");
  switch (grantType) {
    case "authorization_code":
      return tokenResponse(c, await exchangeCode(c, client, parsed.params));
    case "refresh_token":
      return tokenResponse(c, await refresh(c, client, parsed.params));
    case "client_credentials":
      return tokenResponse(c, await issueClientToken(c.env.KV, client));
    case undefined:
      throw invalidRequest("grant_type is missing.");
    default:
      throw new OAuthError("unsupported_grant_type", "grant_type must be authorization_code, refresh_token or client_credentials.");
  }
});
allowOnly(oauthRoutes, "/oauth/token", ["POST"]);

// ---------------------------------------------------------------------------------------------------
// RFC 7009 revocation

oauthRoutes.post("/oauth/revoke", async (c) => {
  const parsed = await readForm(c.req.raw);
  const client = await authenticateClient(c, parsed);
  const token = parsed.params.get("token");
  if (token === undefined) throw invalidRequest("token is missing.");
  // The hint only speeds up a lookup (§2.1); the prefix already says which kind a token is.
  if (hasTokenShape(token, REFRESH_TOKEN_PREFIX)) {
    const record = await readRefreshToken(c.env.KV, await tokenHash(token));
    // §2.1: revoking a refresh token ends its grant, access tokens included.
    if (record !== null && record.clientId === client.clientId) await revokeGrant(c.env.KV, record.grantId);
  } else if (hasTokenShape(token, ACCESS_TOKEN_PREFIX)) {
    const hash = await tokenHash(token);
    const record = await readAccessTokenUncached(c.env.KV, hash);
    if (record !== null && record.clientId === client.clientId) await deleteAccessToken(c.env.KV, hash);
  }
  // §2.2: 200 whether or not the token existed, so the answer reveals nothing about other tokens.
  return c.body(null, 200, NO_STORE);
});
allowOnly(oauthRoutes, "/oauth/revoke", ["POST"]);
