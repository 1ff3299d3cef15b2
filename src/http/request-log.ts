// A request id on every response and one structured log line per request. The line names the key id,
// never the token, and never the body.
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import type { AppEnv } from "./context.ts";

// An API key or OAuth token (scim_, scimoa_, scimor_, scimcs_) also fits the id alphabet; a client that sent
// one as X-Request-Id must not get it logged.
const VALID_REQUEST_ID = /^(?!scim)[A-Za-z0-9._:-]{1,128}$/i;

export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  const incoming = c.req.header("X-Request-Id");
  const requestId = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", requestId);
  try {
    await next();
  } finally {
    c.res.headers.set("X-Request-Id", requestId);
    const auth = c.get("auth");
    // Set here, after onError has produced the response, so error responses carry it too.
    const cost = c.get("d1")?.totals();
    const d1 = cost ? { roundTrips: cost.roundTrips, rowsRead: cost.rowsRead, rowsWritten: cost.rowsWritten, queries: cost.queries } : null;
    if (cost && c.get("config")?.exposeD1Cost === true) {
      // round_trips first: readers that match "rows_read=.. rows_written=.. queries=..\"" keep matching.
      c.res.headers.set(
        "Server-Timing",
        `d1;dur=${cost.durationMs};desc="round_trips=${cost.roundTrips} rows_read=${cost.rowsRead} rows_written=${cost.rowsWritten} queries=${cost.queries}"`,
      );
    }
    console.log(
      JSON.stringify({
        requestId,
        method: c.req.method,
        route: routePath(c, -1),
        tenant: auth?.tenant.slug ?? null,
        keyId: auth?.keyId ?? null,
        status: c.res.status,
        durationMs: Date.now() - started,
        d1,
      }),
    );
  }
});
