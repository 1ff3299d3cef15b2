import { Hono, type Context } from "hono";
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
import { benchFloor } from "./routes/bench-floor.ts";
import { discovery } from "./routes/discovery.ts";
import { eventsRoutes } from "./routes/events.ts";
import { groupsRoutes } from "./routes/groups.ts";
import { passwordRoutes } from "./routes/passwords.ts";
import { searchRoutes } from "./routes/search.ts";
import { usersRoutes } from "./routes/users.ts";
import { ScimError } from "./scim/errors.ts";
import { meterD1 } from "./storage/d1-meter.ts";
import { openDb } from "./storage/db.ts";
import { isTransientD1Error, storageUnavailable } from "./storage/errors.ts";

export const app = new Hono<AppEnv>({ getPath: routingPath });

app.use("*", requestLog);
app.use("*", async (c, next) => {
  // Every query goes through the meter, so the log line (and Server-Timing) can say what the request cost.
  const meter = meterD1(c.env.DB);
  c.set("d1", meter);
  c.set("db", openDb(meter.db));
  checkDeclaredLength(c.req.raw);
  await next();
});

const scim = new Hono<AppEnv>();
// Failed-auth limits wrap auth (they count its 401s); the tenant limit needs the tenant auth found.
scim.use("*", limitFailedAuth);
scim.use("*", requireAuth);
scim.use("*", limitTenantRequests);
scim.use("*", enqueueCommittedEvents);
scim.route("/", discovery);
scim.route("/", usersRoutes);
scim.route("/", groupsRoutes);
scim.route("/", searchRoutes);
// Answers only with the var BENCH_FLOOR = "true" (npm run bench); a 404 like any unknown path otherwise.
scim.route("/", benchFloor);
app.route("/scim/v2", scim);

// The application's API: `app` keys only (a `scim` key is a 403 once authenticated).
const v1 = new Hono<AppEnv>();
v1.use("*", limitFailedAuth);
v1.use("*", requireAuth);
v1.use("*", requireAppScope);
v1.use("*", limitTenantRequests);
v1.use("*", enqueueCommittedEvents);
v1.route("/", eventsRoutes);
v1.route("/", passwordRoutes);
app.route("/v1", v1);

app.notFound(() => scimErrorResponse(new ScimError(404, "No SCIM endpoint at this path.")));

/** An error and its causes for the log line; drizzle's bound parameters (user data) are left out. */
function describeError(error: unknown): string {
  const parts: string[] = [];
  let link: unknown = error;
  for (let depth = 0; link && depth < 5; depth++) {
    parts.push(link instanceof Error ? `${link.name}: ${link.message.split("\nparams:")[0]}` : String(link));
    link = link instanceof Error ? link.cause : undefined;
  }
  return parts.join(" <- ");
}

/** Every failure as a SCIM error; exported so tests can drive it with errors a healthy local D1 never raises. */
export function renderError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof ScimError) return scimErrorResponse(error);
  if (error instanceof HTTPException) return scimErrorResponse(new ScimError(error.status, error.message || "Request rejected."));
  console.error(JSON.stringify({ requestId: c.get("requestId"), error: describeError(error) }));
  // D1 restarting or overloaded says nothing about the request: the client should come back, not give up.
  if (isTransientD1Error(error)) return scimErrorResponse(storageUnavailable());
  return scimErrorResponse(new ScimError(500, "An internal error occurred. Quote the X-Request-Id when reporting it."));
}

app.onError(renderError);
