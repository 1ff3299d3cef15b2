// After a request's change committed, its events go to the webhook queue without delaying the response
// (waitUntil). Only requests that wrote rows are looked at. A failure here loses nothing: the events stay
// marked not-enqueued and the Cron Trigger's sweep enqueues them within about a minute.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { openDb } from "../storage/d1/db.ts";
import { enqueueRequestEvents } from "../webhooks/dispatch.ts";

export const enqueueCommittedEvents: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (c.res.status >= 300 || c.var.d1.totals().rowsWritten === 0) return;
  const tenantId = c.var.auth.tenant.id;
  const requestId = c.var.requestId;
  // The unmetered binding: this work happens after the response, and is not the request's cost.
  const work = enqueueRequestEvents(c.env, openDb(c.env.DB), tenantId, requestId).catch((error: unknown) => {
    console.error(JSON.stringify({ requestId, job: "enqueue-events", error: error instanceof Error ? error.message : String(error) }));
  });
  c.executionCtx.waitUntil(work);
};
