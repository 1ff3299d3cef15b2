// POST /v1/passwords/verify: checks a password Okta synced (stored as a PBKDF2 hash) for the application.
// Unknown users cost the same PBKDF2 as known ones (a dummy hash), so timing does not tell them apart.
// Wrong passwords are rate limited per user and per key (PASSWORD_FAIL_BY_USER / _BY_KEY, wrangler.toml).
// The password appears in no response, log line, event or error.
import { Hono } from "hono";
import { readJsonObject } from "../http/body.ts";
import type { AppEnv } from "../http/context.ts";
import { allowOnly } from "../http/methods.ts";
import { RATE_LIMIT_PERIOD_SECONDS } from "../http/rate-limit.ts";
import { ScimError, badRequest, tooManyRequests } from "../scim/errors.ts";
import { foldKey } from "../scim/fold.ts";
import { hashPassword, verifyPassword } from "../scim/password.ts";
import { parsePasswordCheck } from "../scim/password-check.ts";
import { findPasswordRecord } from "../storage/repos/users.ts";
import { TtlCache } from "../util/ttl-cache.ts";

export const passwordRoutes = new Hono<AppEnv>();

/** Hashed once per isolate with the real parameters, so checking against it costs what a real check costs. */
let dummyHash: Promise<string> | undefined;
const dummy = (pepper: string) => (dummyHash ??= hashPassword(crypto.randomUUID(), pepper));

/** Users and keys this isolate saw go over their limit: refused without another PBKDF2 until the window ends. */
const refused = new TtlCache<true>(10_000);

const tooManyFailures = () =>
  tooManyRequests(RATE_LIMIT_PERIOD_SECONDS, `Too many failed password checks for this user or with this key. Retry after ${RATE_LIMIT_PERIOD_SECONDS} seconds.`);

/** A limiter that fails lets the check through, as the authentication limits do (src/http/rate-limit.ts). */
async function overLimit(limiter: RateLimit | undefined, key: string): Promise<boolean> {
  try {
    if (limiter === undefined) throw new Error("rate limit binding missing");
    return !(await limiter.limit({ key })).success;
  } catch (error) {
    console.error(JSON.stringify({ error: `password rate limiter unavailable: ${String(error)}` }));
    return false;
  }
}

passwordRoutes.post("/passwords/verify", async (c) => {
  let body: Record<string, unknown>;
  try {
    body = await readJsonObject(c.req.raw);
  } catch (error) {
    // JSON.parse's message quotes the text around the fault, which may be the password.
    if (error instanceof ScimError && error.scimType === "invalidSyntax") throw badRequest("invalidSyntax", "The request body is not a valid JSON object.");
    throw error;
  }
  const check = parsePasswordCheck(body);
  const { tenant, keyId } = c.var.auth;
  const user = await findPasswordRecord(c.var.db, tenant.id, check.subject);
  // A known user is counted as itself whether named by id or userName; an unknown name is counted as named
  // (folded like userName), so guessing at users that do not exist is limited too.
  const named = check.subject.kind === "userName" ? foldKey(check.subject.value) : check.subject.value;
  const userKey = user !== null ? `pw-user:${tenant.id}:${user.id}` : `pw-unknown:${tenant.id}:${check.subject.kind}:${named}`;
  const keyKey = `pw-key:${keyId}`;
  if (refused.get(userKey) !== undefined || refused.get(keyKey) !== undefined) throw tooManyFailures();

  const pepper = c.var.config.passwordPepper;
  const matches = await verifyPassword(check.password, user?.passwordHash ?? (await dummy(pepper)), pepper);
  const known = user !== null && user.passwordHash !== null;
  if (!(matches && known)) {
    const [userOver, keyOver] = await Promise.all([
      overLimit(c.env.PASSWORD_FAIL_BY_USER, userKey),
      overLimit(c.env.PASSWORD_FAIL_BY_KEY, keyKey),
    ]);
    if (userOver) refused.set(userKey, true, RATE_LIMIT_PERIOD_SECONDS * 1000);
    if (keyOver) refused.set(keyKey, true, RATE_LIMIT_PERIOD_SECONDS * 1000);
    if (userOver || keyOver) throw tooManyFailures();
  }
  // A deactivated user is never valid, even with the right password.
  return c.json({ valid: matches && known && user.active, id: user?.id ?? null, active: user?.active ?? null });
});
allowOnly(passwordRoutes, "/passwords/verify", ["POST"]);
