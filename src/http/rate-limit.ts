// Rate limits on the Workers Rate Limiting bindings (wrangler.toml `[[ratelimits]]`, one set per environment):
//
// - AUTH_FAIL_BY_IP / AUTH_FAIL_BY_KEY count FAILED authentications per client IP and per presented key id.
//   Over the limit, a failing request is a 429 instead of a 401. Every request is authenticated first, so
//   a valid credential is never refused for someone else's failures: identity providers send from shared
//   egress IPs, and a key id is no secret (anyone who saw a log line has it), so refusing before checking
//   would let a stranger lock a tenant out. Unknown and known key ids get the same 429, so the limit reveals
//   no key's existence. What a flood of bogus tokens costs is bounded elsewhere: a key id KV has no record
//   for is remembered briefly (key-store.ts), so repeating one costs no KV read.
// - TENANT_REQUESTS counts every authenticated request per tenant.
//
// The binding answers only "allowed or not"; it does not say when the window ends. Every binding uses
// `period = 60`, so Retry-After is that period: an integer, the only form Okta honours.
import { createMiddleware } from "hono/factory";
import { parseToken } from "../keys/token.ts";
import { tooManyRequests } from "../scim/errors.ts";
import { TtlCache } from "../util/ttl-cache.ts";
import { readCredential } from "./auth.ts";
import type { AppEnv } from "./context.ts";
import { scimErrorResponse } from "./respond.ts";

/** The `period` of every `[[ratelimits]]` binding in wrangler.toml, in seconds. */
export const RATE_LIMIT_PERIOD_SECONDS = 60;


export const tooManyFailedAuth = () =>
  tooManyRequests(
    RATE_LIMIT_PERIOD_SECONDS,
    `Too many failed authentication attempts from this client or with this key. Retry after ${RATE_LIMIT_PERIOD_SECONDS} seconds with a valid token.`,
  );

export const tooManyTenantRequests = () =>
  tooManyRequests(RATE_LIMIT_PERIOD_SECONDS, `This tenant has exceeded its request rate. Retry after ${RATE_LIMIT_PERIOD_SECONDS} seconds.`);

/** Sources this isolate has seen refused: their later failures are 429s without asking the limiter again. */
const refused = new TtlCache<true>(10_000);

/**
 * Asks a limiter; a limiter that fails (binding missing, service error) lets the request through, since
 * refusing every SCIM request because the counter had a hiccup would be worse than not counting one.
 */
async function allowed(limiter: RateLimit | undefined, key: string, requestId: string): Promise<boolean> {
  try {
    if (limiter === undefined) throw new Error("rate limit binding missing");
    return (await limiter.limit({ key })).success;
  } catch (error) {
    console.error(JSON.stringify({ requestId, error: `rate limiter unavailable: ${String(error)}` }));
    return true;
  }
}

/**
 * The client's address as Cloudflare's edge reports it (it replaces any client-sent value). An IPv6 client
 * controls a whole /64, so that prefix is the unit counted. Null without the header: only a direct local
 * call (tests, scripts) lacks it, and wrangler dev sets it from the socket.
 */
export function clientAddress(request: Request): string | null {
  const ip = request.headers.get("CF-Connecting-IP")?.trim();
  if (!ip) return null;
  // An IPv4 address, or one written IPv4-mapped ("::ffff:192.0.2.1"), counts as itself.
  if (ip.includes(".")) return ip.slice(ip.lastIndexOf(":") + 1);
  return ip.includes(":") ? ipv6Prefix64(ip) : ip;
}

/** The first four groups of an IPv6 address, expanded: "2001:db8::1" -> "2001:db8:0:0::/64". */
export function ipv6Prefix64(ip: string): string {
  const [head = "", tail] = ip.toLowerCase().split("::", 2);
  const headGroups = head === "" ? [] : head.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = Math.max(0, 8 - headGroups.length - tailGroups.length);
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

interface Source {
  limiter: RateLimit | undefined;
  key: string;
}

/** Mounted before requireAuth: counts the 401s it produces and turns them into 429s over the limit. */
export const limitFailedAuth = createMiddleware<AppEnv>(async (c, next) => {
  const ip = clientAddress(c.req.raw);
  const credential = readCredential(c.req.header("Authorization"));
  const keyId = credential ? (parseToken(credential.token)?.keyId ?? null) : null;
  const sources: Source[] = [];
  if (ip !== null) sources.push({ limiter: c.env.AUTH_FAIL_BY_IP, key: `ip:${ip}` });
  if (keyId !== null) sources.push({ limiter: c.env.AUTH_FAIL_BY_KEY, key: `key:${keyId}` });

  await next();
  if (c.res.status !== 401) return;

  const knownRefused = sources.some((source) => refused.get(source.key) !== undefined);
  // A source this isolate already saw refused stays refused without asking the limiter again.
  if (!knownRefused) {
    const requestId = c.get("requestId");
    const verdicts = await Promise.all(sources.map((source) => allowed(source.limiter, source.key, requestId)));
    const over = sources.filter((_, i) => verdicts[i] === false);
    if (over.length === 0) return;
    for (const source of over) refused.set(source.key, true, RATE_LIMIT_PERIOD_SECONDS * 1000);
  }
  // Cleared first: Hono copies the old response's headers (WWW-Authenticate) into a replacement.
  c.res = undefined;
  c.res = scimErrorResponse(tooManyFailedAuth());
});

/** Mounted after requireAuth: every authenticated request counts against its tenant. */
export const limitTenantRequests = createMiddleware<AppEnv>(async (c, next) => {
  const tenant = c.var.auth.tenant.slug;
  if (!(await allowed(c.env.TENANT_REQUESTS, `tenant:${tenant}`, c.get("requestId")))) throw tooManyTenantRequests();
  await next();
});
