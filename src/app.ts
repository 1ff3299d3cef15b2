import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requireAuth } from "./http/auth.ts";
import { checkDeclaredLength } from "./http/body.ts";
import type { AppEnv } from "./http/context.ts";
import { routingPath } from "./http/paths.ts";
import { requestLog } from "./http/request-log.ts";
import { scimErrorResponse } from "./http/respond.ts";
import { discovery } from "./routes/discovery.ts";
import { usersRoutes } from "./routes/users.ts";
import { ScimError } from "./scim/errors.ts";
import { openDb } from "./storage/db.ts";

export const app = new Hono<AppEnv>({ getPath: routingPath });

app.use("*", requestLog);
app.use("*", async (c, next) => {
  checkDeclaredLength(c.req.raw);
  c.set("db", openDb(c.env.DB));
  await next();
});

const scim = new Hono<AppEnv>();
scim.use("*", requireAuth);
scim.route("/", discovery);
scim.route("/", usersRoutes);
app.route("/scim/v2", scim);

app.notFound(() => scimErrorResponse(new ScimError(404, "No SCIM endpoint at this path.")));

app.onError((error, c) => {
  if (error instanceof ScimError) return scimErrorResponse(error);
  if (error instanceof HTTPException) return scimErrorResponse(new ScimError(error.status, error.message || "Request rejected."));
  console.error(JSON.stringify({ requestId: c.get("requestId"), error: String(error) }));
  return scimErrorResponse(new ScimError(500, "An internal error occurred. Quote the X-Request-Id when reporting it."));
});
