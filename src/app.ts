import { Hono, type Context, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { requireAuth } from "./http/auth.ts";
import { checkDeclaredLength } from "./http/body.ts";
import type { AppEnv } from "./http/context.ts";
import { routingPath } from "./http/paths.ts";
import { limitFailedAuth, limitTenantRequests } from "./http/rate-limit.ts";
import { requestLog } from "./http/request-log.ts";
import { scimErrorResponse } from "./http/respond.ts";
import { requireAppScope } from "./http/scope.ts";
import { enqueueCommittedEvents } from "./http/webhook-enqueue.ts";
import { discovery } from "./routes/discovery.ts";
import { eventsRoutes } from "./routes/events.ts";
import { groupsRoutes } from "./routes/groups.ts";
import { oauthRoutes } from "./routes/oauth.ts";
import { passwordRoutes } from "./routes/passwords.ts";
import { searchRoutes } from "./routes/search.ts";
import { usersRoutes } from "./routes/users.ts";
import { ConfigError, configOf, type Config } from "./config.ts";
import { NO_STORE, OAuthError } from "./oauth/errors.ts";
import { ScimError, serviceUnavailable, notFound, fromHttpStatus, internalError } from "./scim/errors.ts";
import { causeChain } from "./util/cause-chain.ts";
import { meterD1 } from "./storage/d1/meter.ts";
import { openDb } from "./storage/d1/db.ts";
import { isTransientD1Error, storageUnavailable } from "./storage/d1/errors.ts";

/** The parsed configuration; an invalid one refuses the request (503) and logs what is wrong, every time. */
function requireConfig(c: Context<AppEnv>): Config {
  try {
    return configOf(c.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(JSON.stringify({ requestId: c.get("requestId"), error: `refusing to serve: ${error.message}` }));
    throw serviceUnavailable("The service is not configured correctly; the operator can see why in the worker's log.");
  }
}

/**
 * A sub-app behind authentication, the same stack for SCIM and the application's API. Failed-auth limits wrap
 * auth (they count its 401s); `afterAuth` (a scope check) runs once auth has found the key; the tenant limit
 * needs the tenant auth found; committed events go to the webhook queue once the handler is done.
 */
function authenticated(...afterAuth: MiddlewareHandler<AppEnv>[]): Hono<AppEnv> {
  const sub = new Hono<AppEnv>();
  for (const middleware of [limitFailedAuth, requireAuth, ...afterAuth, limitTenantRequests, enqueueCommittedEvents]) sub.use("*", middleware);
  return sub;
}

/**
 * The worker's Hono app. `extendScim` mounts extra routes behind the same auth and limits: the bench's worker
 * entry (bench/worker/) adds its floor statements this way, so the deployed bundle carries none of them.
 */
export function createApp(extendScim?: (scim: Hono<AppEnv>) => void): Hono<AppEnv> {
  const app = new Hono<AppEnv>({ getPath: routingPath });

  app.use("*", requestLog);
  app.use("*", async (c, next) => {
    c.set("config", requireConfig(c));
    // Every query goes through the meter, so the log line (and Server-Timing) can say what the request cost.
    const meter = meterD1(c.env.DB);
    c.set("d1", meter);
    c.set("db", openDb(meter.db));
    checkDeclaredLength(c.req.raw);
    await next();
  });

  const scim = authenticated();
  scim.route("/", discovery);
  scim.route("/", usersRoutes);
  scim.route("/", groupsRoutes);
  scim.route("/", searchRoutes);
  extendScim?.(scim);
  app.route("/scim/v2", scim);

  // The application's API: `app` keys only (a `scim` key is a 403 once authenticated).
  const v1 = authenticated(requireAppScope);
  v1.route("/", eventsRoutes);
  v1.route("/", passwordRoutes);
  app.route("/v1", v1);

  // OAuth 2.0 authorization server: /.well-known/oauth-authorization-server and /oauth/*.
  app.route("/", oauthRoutes);

  app.notFound(() => scimErrorResponse(notFound("No SCIM endpoint at this path.")));
  app.onError(renderError);
  return app;
}

export const app = createApp();

/** An error and its causes for the log line; drizzle's bound parameters (user data) are left out. */
function describeError(error: unknown): string {
  return causeChain(error)
    .map((link) => (link instanceof Error ? `${link.name}: ${link.message.split("\nparams:")[0]}` : String(link)))
    .join(" <- ");
}

/** Every failure as a SCIM error; exported so tests can drive it with errors a healthy local D1 never raises. */
export function renderError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof ScimError) return scimErrorResponse(error);
  // The OAuth endpoints answer in OAuth's format (RFC 6749 §5.2), not SCIM's.
  if (error instanceof OAuthError) return c.json(error.toJSON(), error.status as 400 | 401, { ...NO_STORE, ...error.headers });
  if (error instanceof HTTPException) return scimErrorResponse(fromHttpStatus(error.status, error.message || "Request rejected."));
  console.error(JSON.stringify({ requestId: c.get("requestId"), error: describeError(error) }));
  // D1 restarting or overloaded says nothing about the request: the client should come back, not give up.
  if (isTransientD1Error(error)) return scimErrorResponse(storageUnavailable());
  return scimErrorResponse(internalError());
}
