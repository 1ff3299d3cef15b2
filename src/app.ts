import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requireAuth } from "./http/auth.ts";
import { checkDeclaredLength } from "./http/body.ts";
import type { AppEnv } from "./http/context.ts";
import { routingPath } from "./http/paths.ts";
import { requestLog } from "./http/request-log.ts";
import { scimErrorResponse } from "./http/respond.ts";
import { discovery } from "./routes/discovery.ts";
import { groupsRoutes } from "./routes/groups.ts";
import { usersRoutes } from "./routes/users.ts";
import { ScimError } from "./scim/errors.ts";
import { meterD1 } from "./storage/d1-meter.ts";
import { openDb } from "./storage/db.ts";

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
scim.use("*", requireAuth);
scim.route("/", discovery);
scim.route("/", usersRoutes);
scim.route("/", groupsRoutes);
app.route("/scim/v2", scim);

app.notFound(() => scimErrorResponse(new ScimError(404, "No SCIM endpoint at this path.")));

app.onError((error, c) => {
  if (error instanceof ScimError) return scimErrorResponse(error);
  if (error instanceof HTTPException) return scimErrorResponse(new ScimError(error.status, error.message || "Request rejected."));
  console.error(JSON.stringify({ requestId: c.get("requestId"), error: String(error) }));
  return scimErrorResponse(new ScimError(500, "An internal error occurred. Quote the X-Request-Id when reporting it."));
});
