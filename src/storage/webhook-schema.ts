// D1 tables of webhook delivery (issue 14). Endpoint secrets are NOT here: they live in KV
// (`webhook-secret:<endpointId>`, src/webhooks/secrets.ts) so no D1 export or backup ever holds one.
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    tenantId: integer("tenant_id").notNull(),
    url: text("url").notNull(),
    // Comma-separated event types the endpoint receives (families already expanded); null = every type.
    types: text("types"),
    enabled: integer("enabled").notNull().default(1),
    // Set when a delivery exhausted its retries (the message went to the dead-letter queue); cleared by the
    // next 2xx. Deliveries to a failing endpoint continue.
    failingSince: text("failing_since"),
    createdAt: text("created_at").notNull(),
    // Attempts recorded so far; attempt n lands in webhook_deliveries slot n % DELIVERY_SLOTS (a ring buffer).
    deliverySeq: integer("delivery_seq").notNull().default(0),
  },
  (t) => [index("webhook_endpoints_tenant").on(t.tenantId)],
);

// The recent delivery attempts of each endpoint: a fixed number of slots per endpoint, overwritten in turn,
// so the table never grows past endpoints x DELIVERY_SLOTS rows however many events are delivered.
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    endpointId: text("endpoint_id").notNull(),
    slot: integer("slot").notNull(),
    seq: integer("seq").notNull(),
    attemptedAt: text("attempted_at").notNull(),
    // The webhook-id: the event id, or `ping_...` for `webhooks test`.
    webhookId: text("webhook_id").notNull(),
    eventType: text("event_type").notNull(),
    attempt: integer("attempt").notNull(),
    // HTTP status of the answer; null when there was none (timeout, connection error, refused URL).
    status: integer("status"),
    latencyMs: integer("latency_ms").notNull(),
    // delivered | retrying | failed (retries exhausted: dead-letter queue) | dropped (endpoint gone or event pruned)
    outcome: text("outcome").notNull(),
    error: text("error"),
    // Seconds until the next attempt when outcome = retrying (the schedule's delay for this attempt).
    retryDelaySeconds: integer("retry_delay_seconds"),
  },
  (t) => [primaryKey({ columns: [t.endpointId, t.slot] })],
);
