// Bearer or Basic (username = tenant slug, password = token); the token is an API key or an OAuth access
// token. Every failure is the same 401, so the
// response never tells whether a tenant or key exists.
import { createMiddleware } from "hono/factory";
import { constantTimeEqual, hashSecret, keyState, parseToken, type KeyScope } from "../keys/token.ts";
import { unauthorized } from "../scim/errors.ts";
import { isAccessToken, tokenHash } from "../oauth/tokens.ts";
import { readKey } from "../storage/repos/keys.ts";
import { readAccessToken } from "../storage/repos/oauth.ts";
import { findTenant } from "../storage/repos/tenants.ts";
import type { AppEnv } from "./context.ts";
import { pathTenant as tenantInPath } from "./paths.ts";

interface Credential {
  token: string;
  basicUser: string | null;
}

export function readCredential(header: string | undefined): Credential | null {
  if (!header) return null;
  const space = header.indexOf(" ");
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === "bearer") return { token: value, basicUser: null };
  if (scheme === "basic") {
    let decoded: string;
    try {
      decoded = atob(value);
    } catch {
      return null;
    }
    const colon = decoded.indexOf(":");
    if (colon < 0) return null;
    return { token: decoded.slice(colon + 1), basicUser: decoded.slice(0, colon) };
  }
  return null;
}

interface Holder {
  tenant: string;
  keyId: string;
  organization: string | null;
  scope: KeyScope;
}

/** An API key (`scim_<keyId>_<secret>`): one KV read, cached per isolate. */
async function apiKeyHolder(kv: KVNamespace, token: string, cacheSeconds: number): Promise<Holder | null> {
  const parsed = parseToken(token);
  if (!parsed) return null;
  const record = await readKey(kv, parsed.keyId, cacheSeconds);
  const presented = await hashSecret(parsed.secret);
  // Hash comparison runs even without a record, so timing does not reveal which keys exist.
  const matches = constantTimeEqual(presented, record?.hash ?? "0".repeat(64));
  if (!record || !matches || keyState(record) === "revoked" || keyState(record) === "expired") return null;
  return { tenant: record.tenant, keyId: record.keyId, organization: record.organization, scope: record.scope };
}

/** An OAuth access token: one KV read by its hash, cached per isolate like keys. */
async function accessTokenHolder(kv: KVNamespace, token: string, cacheSeconds: number): Promise<Holder | null> {
  const record = await readAccessToken(kv, await tokenHash(token), cacheSeconds);
  if (!record || Date.parse(record.expiresAt) <= Date.now()) return null;
  // An identity provider's token: SCIM only, never the application's /v1.
  return { tenant: record.tenant, keyId: `oauth:${record.clientId}`, organization: null, scope: "scim" };
}

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const credential = readCredential(c.req.header("Authorization"));
  if (!credential) throw unauthorized();

  const cacheSeconds = c.var.config.keyCacheSeconds;
  const record = isAccessToken(credential.token)
    ? await accessTokenHolder(c.env.KV, credential.token, cacheSeconds)
    : await apiKeyHolder(c.env.KV, credential.token, cacheSeconds);
  if (!record) throw unauthorized();

  // The credential's tenant must be the one the URL or the Basic username names (both URL forms).
  if (credential.basicUser !== null && credential.basicUser !== record.tenant) throw unauthorized();
  const pathTenant = tenantInPath(new URL(c.req.url).pathname);
  if (pathTenant !== null && pathTenant !== record.tenant) throw unauthorized();

  // A stale cached tenant answers while the binding refreshes it in the background.
  const background = { d1: c.env.DB, waitUntil: (work: Promise<unknown>) => c.executionCtx.waitUntil(work) };
  const tenant = await findTenant(c.var.db, record.tenant, cacheSeconds, background);
  if (!tenant || tenant.status !== "active") throw unauthorized();

  c.set("auth", { tenant, keyId: record.keyId, organization: record.organization ?? tenant.defaultOrganization, scope: record.scope });
  await next();
});
