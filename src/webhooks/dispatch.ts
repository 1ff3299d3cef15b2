// Handing committed events to the webhook queue: one message per (event, matching enabled endpoint), then the
// events are marked enqueued. In that order: a failure or a dead isolate between the two leaves the events
// unmarked, and the sweep (src/scheduled.ts) enqueues them again. Delivery is at least once, never at most once.
import type { Env } from "../env.ts";
import type { Db } from "../storage/d1/db.ts";
import { enabledEndpoints, markEnqueued, oldestPendingEvents, pendingEventsOfRequest, type PendingEvent } from "../storage/repos/webhooks.ts";
import { endpointWants } from "./event-types.ts";
import type { WebhookMessage } from "./message.ts";

/** Queues.sendBatch takes at most 100 messages (and 256 KB) per call; ours are under 100 bytes each. */
const SEND_BATCH = 100;

/** Sends the events' messages and marks the events enqueued (also those no endpoint wants). */
export async function enqueueEvents(env: Env, db: Db, pending: readonly PendingEvent[], now = new Date()): Promise<number> {
  if (pending.length === 0) return 0;
  const endpoints = await enabledEndpoints(db, [...new Set(pending.map((e) => e.tenantId))]);
  const messages: MessageSendRequest<WebhookMessage>[] = [];
  for (const event of pending) {
    for (const endpoint of endpoints) {
      if (endpoint.tenantId === event.tenantId && endpointWants(endpoint.types, event.type)) {
        messages.push({ body: { tenantId: event.tenantId, eventId: event.eventId, endpointId: endpoint.id }, contentType: "json" });
      }
    }
  }
  for (let i = 0; i < messages.length; i += SEND_BATCH) await env.WEBHOOK_QUEUE.sendBatch(messages.slice(i, i + SEND_BATCH));
  await markEnqueued(db, pending.map((e) => e.pos), now.toISOString());
  return messages.length;
}

/** After a request's batch committed: enqueue the events it wrote (run in waitUntil, after the response). */
export async function enqueueRequestEvents(env: Env, db: Db, tenantId: number, requestId: string): Promise<void> {
  await enqueueEvents(env, db, await pendingEventsOfRequest(db, tenantId, requestId));
}

/** Events younger than this are left to the request that wrote them, whose own enqueue is still in flight. */
export const SWEEP_GRACE_MS = 5_000;
export const SWEEP_BATCH = 500;
export const SWEEP_BATCHES_PER_RUN = 20;

/**
 * The Cron Trigger's sweep: enqueues events committed but never enqueued (the enqueue failed, or the isolate
 * died after the commit), oldest first, at most SWEEP_BATCH x SWEEP_BATCHES_PER_RUN per run.
 */
export async function sweepUnenqueued(env: Env, db: Db, now: number): Promise<{ events: number; messages: number }> {
  const cutoff = new Date(now - SWEEP_GRACE_MS).toISOString();
  let events = 0;
  let messages = 0;
  for (let round = 0; round < SWEEP_BATCHES_PER_RUN; round++) {
    const oldest = await oldestPendingEvents(db, SWEEP_BATCH);
    // Oldest first: the first event still within the grace period ends the run (the rest are younger still).
    const cut = oldest.findIndex((e) => e.createdAt >= cutoff);
    const due = cut === -1 ? oldest : oldest.slice(0, cut);
    messages += await enqueueEvents(env, db, due, new Date(now));
    events += due.length;
    if (due.length < SWEEP_BATCH) break;
  }
  return { events, messages };
}
