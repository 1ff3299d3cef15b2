// OAuth test helpers: clients and connect codes written into the real KV binding (as the CLI does), and
// the authorization page driven the way a browser submits it (cookie + form).
import { env, exports } from "cloudflare:workers";
import { hashSecret } from "../../src/keys/token.ts";
import { s256 } from "../../src/oauth/pkce.ts";
import { clientMetadata, kvName, type ClientRecord } from "../../src/oauth/records.ts";
import { CONNECT_CODE_SECONDS, newClientId, newClientSecret, newConnectCode, normalizeConnectCode } from "../../src/oauth/tokens.ts";
import { createTenant } from "../support/worker/tenants.ts";
import { BASE } from "./helpers.ts";

export const REDIRECT = "https://idp.example.net/oauth/callback";

export interface TestClient {
  clientId: string;
  secret: string;
  record: ClientRecord;
}

export async function createClient(
  tenant: string,
  options: { redirectUris?: string[]; requirePkce?: boolean; name?: string } = {},
): Promise<TestClient> {
  await createTenant(tenant);
  const clientId = newClientId();
  const secret = newClientSecret();
  const record: ClientRecord = {
    clientId,
    tenant,
    name: options.name ?? "Okta",
    secretHash: await hashSecret(secret),
    redirectUris: options.redirectUris ?? [REDIRECT],
    requirePkce: options.requirePkce ?? false,
    createdAt: new Date().toISOString(),
    revokedAt: null,
  };
  await env.KV.put(kvName.client(clientId), JSON.stringify(record), { metadata: clientMetadata(record) });
  return { clientId, secret, record };
}

export async function connectCode(tenant: string, expiresInSeconds = CONNECT_CODE_SECONDS): Promise<string> {
  const code = newConnectCode();
  const record = { tenant, expiresAt: new Date(Date.now() + expiresInSeconds * 1000).toISOString() };
  await env.KV.put(kvName.connect(tenant, await hashSecret(normalizeConnectCode(code))), JSON.stringify(record));
  return code;
}

export function fetchWorker(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, { redirect: "manual", ...init }));
}

export function authorizeQuery(client: TestClient, extra: Record<string, string> = {}): string {
  return new URLSearchParams({ response_type: "code", client_id: client.clientId, redirect_uri: REDIRECT, state: "xyz", ...extra }).toString();
}

export interface PageForm {
  cookie: string;
  fields: Record<string, string>;
  html: string;
}

/** GETs the authorization page and reads its form the way a browser would. */
export async function openPage(query: string): Promise<PageForm & { response: Response }> {
  const response = await fetchWorker(`/oauth/authorize?${query}`);
  const html = await response.text();
  const cookie = (response.headers.get("Set-Cookie") ?? "").split(";")[0] ?? "";
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1]!] = match[2]!.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#39;/g, "'");
  }
  return { response, cookie, fields, html };
}

export function submit(form: PageForm, values: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetchWorker("/oauth/authorize", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: form.cookie, ...headers },
    body: new URLSearchParams({ ...form.fields, ...values }).toString(),
  });
}

/** The whole browser part: page, code, approve. Returns the authorization code from the redirect. */
export async function authorize(client: TestClient, extra: Record<string, string> = {}): Promise<string> {
  const form = await openPage(authorizeQuery(client, extra));
  const response = await submit(form, { connect_code: await connectCode(client.record.tenant), decision: "approve" });
  const location = new URL(response.headers.get("Location") ?? "");
  const code = location.searchParams.get("code");
  if (response.status !== 303 || code === null) throw new Error(`no code: ${response.status} ${location}`);
  return code;
}

export const basicAuth = (id: string, secret: string) => ({
  Authorization: `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`,
});

export function token(body: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetchWorker("/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(body).toString(),
  });
}

export function tokenFor(client: TestClient, body: Record<string, string>): Promise<Response> {
  return token(body, basicAuth(client.clientId, client.secret));
}

export interface TokenSet {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

export async function codeTokens(client: TestClient, extra: Record<string, string> = {}): Promise<TokenSet> {
  const code = await authorize(client, extra);
  const response = await tokenFor(client, { grant_type: "authorization_code", code, redirect_uri: REDIRECT });
  if (response.status !== 200) throw new Error(`token exchange failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as TokenSet;
}

export async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = "v".repeat(20) + crypto.randomUUID().replace(/-/g, "");
  return { verifier, challenge: await s256(verifier) };
}

export async function expectOAuthError(response: Response, status: number, error: string): Promise<Record<string, unknown>> {
  const { expect } = await import("vitest");
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  const body = (await response.json()) as Record<string, unknown>;
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe("string");
  return body;
}

export const scimWith = (path: string, accessToken: string) =>
  fetchWorker(path, { headers: { Authorization: `Bearer ${accessToken}` } });
