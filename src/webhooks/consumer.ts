// The queue consumer: each message is one event for one endpoint. The batch's endpoints, events and secrets are
// read together, the POSTs run side by side, and every attempt is logged in one D1 batch. A 2xx acks the
// message; a failure retries it after the next delay of the schedule; the last failure marks the endpoint
// failing and retries once more, which sends the message to the dead-letter queue (max_retries is exhausted).
import type { Env } from "../env.ts";
import { renderEvent } from "../events/render.ts";
import { openDb } from "../storage/d1/db.ts";
import { endpointsById, eventBodies, eventKey, recordDeliveries, type DeliveryRecord, type Endpoint } from "../storage/repos/webhooks.ts";
import { endpointUrlProblem } from "./endpoint-url.ts";
import { isWebhookMessage, type WebhookMessage } from "./message.ts";
import { retryDelaySeconds } from "./schedule.ts";
import { activeSecrets, parseSecretRecord, webhookSecretKey } from "./secrets.ts";
import { sendWebhook, type Attempt } from "./send.ts";

async function secretsOf(kv: KVNamespace, endpointIds: readonly string[]): Promise<Map<string, string[]>> {
  const entries = await Promise.all(
    endpointIds.map(async (id) => {
      const record = parseSecretRecord(await kv.get(webhookSecretKey(id), "json"));
      return [id, record === null || record.endpointId !== id ? [] : activeSecrets(record)] as const;
    }),
  );
  return new Map(entries);
}

interface Outcome {
  record: DeliveryRecord | null;
  settle: () => void;
}

async function deliver(
  message: Message<unknown>,
  endpoint: Endpoint | undefined,
  body: string | undefined,
  secrets: readonly string[],
  allowHttp: boolean,
): Promise<Outcome> {
  const attemptedAt = new Date().toISOString();
  const ack = () => message.ack();
  if (!isWebhookMessage(message.body)) {
    console.error(JSON.stringify({ queue: "webhooks", error: "malformed message dropped", messageId: message.id }));
    return { record: null, settle: ack };
  }
  const m: WebhookMessage = message.body;
  const base = { endpointId: m.endpointId, attemptedAt, webhookId: String(m.eventId), attempt: message.attempts };
  // Removed since the message was sent: nothing to deliver to, nothing to log.
  if (endpoint === undefined || endpoint.tenantId !== m.tenantId) return { record: null, settle: ack };
  const dropped = (eventType: string, error: string): Outcome => ({
    record: { ...base, eventType, status: null, latencyMs: 0, outcome: "dropped", error },
    settle: ack,
  });
  if (body === undefined) return dropped("unknown", "the event is no longer retained");
  const event = renderEvent(m.eventId, body);
  const eventType = String(event.type);
  if (endpoint.enabled !== 1) return dropped(eventType, "the endpoint is disabled");

  const refused = endpointUrlProblem(endpoint.url, allowHttp);
  const attempt: Attempt =
    refused !== null
      ? { ok: false, status: null, latencyMs: 0, error: `not sent: ${refused}` }
      : secrets.length === 0
        ? { ok: false, status: null, latencyMs: 0, error: "not sent: the endpoint has no signing secret" }
        : await sendWebhook({ url: endpoint.url, webhookId: String(m.eventId), body: JSON.stringify(event), secrets });
  const result = { ...base, eventType, status: attempt.status, latencyMs: attempt.latencyMs, error: attempt.error };
  if (attempt.ok) return { record: { ...result, outcome: "delivered" }, settle: ack };
  const delaySeconds = retryDelaySeconds(message.attempts);
  if (delaySeconds === null) return { record: { ...result, outcome: "failed" }, settle: () => message.retry() };
  return { record: { ...result, outcome: "retrying", retryDelaySeconds: delaySeconds }, settle: () => message.retry({ delaySeconds }) };
}

export async function deliverBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = openDb(env.DB);
  const valid = batch.messages.map((m) => m.body).filter(isWebhookMessage);
  const endpointIds = [...new Set(valid.map((m) => m.endpointId))];
  const [endpoints, bodies, secrets] = await Promise.all([
    endpointsById(db, endpointIds),
    eventBodies(db, valid.map((m) => [m.tenantId, m.eventId] as const)),
    secretsOf(env.KV, endpointIds),
  ]);
  const allowHttp = env.WEBHOOK_ALLOW_HTTP === "true";
  const outcomes = await Promise.all(
    batch.messages.map((message) => {
      const m = isWebhookMessage(message.body) ? message.body : null;
      return deliver(
        message,
        m === null ? undefined : endpoints.get(m.endpointId),
        m === null ? undefined : bodies.get(eventKey(m.tenantId, m.eventId)),
        m === null ? [] : (secrets.get(m.endpointId) ?? []),
        allowHttp,
      );
    }),
  );
  // Logged before the messages are settled: if logging fails, the batch is retried and the attempt repeated,
  // which at-least-once delivery allows; the reverse could lose a failure's retry.
  await recordDeliveries(env.DB, outcomes.flatMap((o) => (o.record === null ? [] : [o.record])));
  for (const outcome of outcomes) outcome.settle();
  const failed = outcomes.filter((o) => o.record !== null && o.record.outcome !== "delivered").length;
  if (failed > 0) console.log(JSON.stringify({ queue: batch.queue, messages: batch.messages.length, notDelivered: failed }));
}
