// Bearer or Basic (username = tenant slug, password = token). Every failure is the same 401, so the
// response never tells whether a tenant or key exists.
import { createMiddleware } from "hono/factory";
import { constantTimeEqual, hashSecret, keyState, parseToken } from "../keys/token.ts";
import { unauthorized } from "../scim/errors.ts";
import { readKey } from "../storage/repos/keys.ts";
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

export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const credential = readCredential(c.req.header("Authorization"));
  const parsed = credential ? parseToken(credential.token) : null;
  if (!credential || !parsed) throw unauthorized();

  const cacheSeconds = c.var.config.keyCacheSeconds;
  const record = await readKey(c.env.KV, parsed.keyId, cacheSeconds);
  const presented = await hashSecret(parsed.secret);
  // Hash comparison runs even without a record, so timing does not reveal which keys exist.
  const matches = constantTimeEqual(presented, record?.hash ?? "0".repeat(64));
  if (!record || !matches || keyState(record) === "revoked" || keyState(record) === "expired") throw unauthorized();

  if (credential.basicUser !== null && credential.basicUser !== record.tenant) throw unauthorized();
  const pathTenant = tenantInPath(new URL(c.req.url).pathname);
  if (pathTenant !== null && pathTenant !== record.tenant) throw unauthorized();

  const tenant = await findTenant(c.var.db, record.tenant, cacheSeconds);
  if (!tenant || tenant.status !== "active") throw unauthorized();

  c.set("auth", { tenant, keyId: record.keyId, organization: record.organization ?? tenant.defaultOrganization, scope: record.scope });
  await next();
});
