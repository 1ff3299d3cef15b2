// What the events of one request record about it: tenant, request id and actor (key id, scope, user agent).
import type { Context } from "hono";
import type { EventOrigin } from "../events/types.ts";
import type { AppEnv } from "./context.ts";
import { tenantBaseUrl } from "./urls.ts";

/** A User-Agent is client-chosen: events keep a bounded prefix of it. */
const MAX_USER_AGENT = 256;

export function eventOrigin(c: Context<AppEnv>): EventOrigin {
  const { tenant, keyId, scope } = c.var.auth;
  const userAgent = c.req.header("User-Agent");
  return {
    tenant: tenant.slug,
    requestId: c.get("requestId"),
    actor: { keyId, scope, userAgent: userAgent === undefined ? null : userAgent.slice(0, MAX_USER_AGENT) },
    baseUrl: tenantBaseUrl(c.env.PUBLIC_BASE_URL, tenant.slug),
  };
}
