// D1 side of webhook delivery: finding events not yet handed to the queue (through the partial index
// events_not_enqueued, which holds only those), marking them enqueued, the endpoints an event fans out to,
// and the bounded log of delivery attempts. Every statement is bounded by a LIMIT or by the ids it is given.
import { sql } from "drizzle-orm";
import { DELIVERY_SLOTS } from "../../webhooks/schedule.ts";
import type { Db } from "../d1/db.ts";

export interface PendingEvent {
  pos: number;
  tenantId: number;
  eventId: number;
  type: string;
  createdAt: string;
}

/**
 * How far back from the newest event the post-commit dispatch looks for its request's events. A request's
 * events are among the newest rows when it looks; this bounds the index walk even when a backlog of
 * never-enqueued events has built up (those are the sweep's).
 */
const REQUEST_WINDOW = 5000;
/** At most this many events per request are dispatched after commit; any beyond wait for the sweep. */
const REQUEST_EVENT_LIMIT = 1000;

const pendingColumns = sql`pos, tenant_id AS tenantId, event_id AS eventId, type, created_at AS createdAt`;

/** The events the request `requestId` committed for the tenant and nobody has enqueued yet. */
export async function pendingEventsOfRequest(db: Db, tenantId: number, requestId: string): Promise<PendingEvent[]> {
  return db.all<PendingEvent>(sql`
    SELECT ${pendingColumns} FROM events INDEXED BY events_not_enqueued
    WHERE enqueued_at IS NULL AND pos > (SELECT coalesce(max(pos), 0) FROM events) - ${REQUEST_WINDOW}
      AND tenant_id = ${tenantId} AND json_extract(body, '$.requestId') = ${requestId}
    ORDER BY pos LIMIT ${REQUEST_EVENT_LIMIT}`);
}

/** The oldest `limit` events never enqueued, of every tenant: one walk of the partial index, `limit` rows. */
export async function oldestPendingEvents(db: Db, limit: number): Promise<PendingEvent[]> {
  return db.all<PendingEvent>(sql`
    SELECT ${pendingColumns} FROM events INDEXED BY events_not_enqueued
    WHERE enqueued_at IS NULL ORDER BY pos LIMIT ${limit}`);
}

export async function markEnqueued(db: Db, positions: readonly number[], now: string): Promise<void> {
  if (positions.length === 0) return;
  await db.run(sql`
    UPDATE events SET enqueued_at = ${now}
    WHERE pos IN (SELECT value FROM json_each(${JSON.stringify(positions)})) AND enqueued_at IS NULL`);
}

export interface EndpointTarget {
  id: string;
  tenantId: number;
  types: string | null;
}

/** The enabled endpoints of these tenants (webhook_endpoints_tenant index). */
export async function enabledEndpoints(db: Db, tenantIds: readonly number[]): Promise<EndpointTarget[]> {
  if (tenantIds.length === 0) return [];
  return db.all<EndpointTarget>(sql`
    SELECT id, tenant_id AS tenantId, types FROM webhook_endpoints
    WHERE tenant_id IN (SELECT value FROM json_each(${JSON.stringify(tenantIds)})) AND enabled = 1`);
}

export interface Endpoint extends EndpointTarget {
  url: string;
  enabled: number;
  failingSince: string | null;
}

export async function endpointsById(db: Db, ids: readonly string[]): Promise<Map<string, Endpoint>> {
  if (ids.length === 0) return new Map();
  const rows = await db.all<Endpoint>(sql`
    SELECT id, tenant_id AS tenantId, types, url, enabled, failing_since AS failingSince FROM webhook_endpoints
    WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`);
  return new Map(rows.map((row) => [row.id, row]));
}

export const eventKey = (tenantId: number, eventId: number) => `${tenantId}:${eventId}`;

/** Stored bodies of these (tenant, event) pairs, keyed by eventKey: one events_tenant_event seek each. */
export async function eventBodies(db: Db, pairs: ReadonlyArray<readonly [number, number]>): Promise<Map<string, string>> {
  if (pairs.length === 0) return new Map();
  const rows = await db.all<{ tenantId: number; eventId: number; body: string }>(sql`
    SELECT e.tenant_id AS tenantId, e.event_id AS eventId, e.body AS body
    FROM json_each(${JSON.stringify(pairs)}) AS j
    JOIN events AS e ON e.tenant_id = j.value ->> 0 AND e.event_id = j.value ->> 1`);
  return new Map(rows.map((row) => [eventKey(row.tenantId, row.eventId), row.body]));
}

export type DeliveryOutcome = "delivered" | "retrying" | "failed" | "dropped";

export interface DeliveryRecord {
  endpointId: string;
  attemptedAt: string;
  webhookId: string;
  eventType: string;
  attempt: number;
  status: number | null;
  latencyMs: number;
  outcome: DeliveryOutcome;
  error: string | null;
  /** When outcome = retrying: the delay before the next attempt. */
  retryDelaySeconds?: number;
}

// Raw D1 statements: drizzle's batch cannot bind parameters of `db.run(sql...)` items.
const LOG_ATTEMPT = `
  INSERT INTO webhook_deliveries (endpoint_id, slot, seq, attempted_at, webhook_id, event_type, attempt, status, latency_ms, outcome, error, retry_delay_seconds)
  SELECT id, delivery_seq % ${DELIVERY_SLOTS}, delivery_seq, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM webhook_endpoints WHERE id = ?1
  ON CONFLICT (endpoint_id, slot) DO UPDATE SET seq = excluded.seq, attempted_at = excluded.attempted_at,
    webhook_id = excluded.webhook_id, event_type = excluded.event_type, attempt = excluded.attempt,
    status = excluded.status, latency_ms = excluded.latency_ms, outcome = excluded.outcome, error = excluded.error,
    retry_delay_seconds = excluded.retry_delay_seconds`;
const NEXT_SLOT = "UPDATE webhook_endpoints SET delivery_seq = delivery_seq + 1 WHERE id = ?1";
const CLEAR_FAILING = "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ?1 AND failing_since IS NOT NULL";
const SET_FAILING = "UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, ?2) WHERE id = ?1";

/**
 * Logs attempts and updates each endpoint's failing state in one batch. An attempt overwrites slot
 * delivery_seq % DELIVERY_SLOTS of its endpoint's ring buffer, then the sequence moves on: two rows written per
 * attempt, whatever the history. A delivery clears the failing state; retries exhausted set it (keeping the
 * first time it failed).
 */
export async function recordDeliveries(d1: D1Database, records: readonly DeliveryRecord[]): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  for (const r of records) {
    statements.push(
      d1.prepare(LOG_ATTEMPT).bind(r.endpointId, r.attemptedAt, r.webhookId, r.eventType, r.attempt, r.status, r.latencyMs, r.outcome, r.error, r.retryDelaySeconds ?? null),
      d1.prepare(NEXT_SLOT).bind(r.endpointId),
    );
    if (r.outcome === "delivered") statements.push(d1.prepare(CLEAR_FAILING).bind(r.endpointId));
    if (r.outcome === "failed") statements.push(d1.prepare(SET_FAILING).bind(r.endpointId, r.attemptedAt));
  }
  if (statements.length > 0) await d1.batch(statements);
}
