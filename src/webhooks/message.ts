// What travels on the webhook queue: which event goes to which endpoint. Not the body: the consumer reads the
// event from D1 (one indexed row) so a message stays small, whatever the event's size, and the body sent is
// exactly what the events API returns. One message per (event, endpoint), so each endpoint retries alone.
import { ENDPOINT_ID_PATTERN } from "./secrets.ts";

export interface WebhookMessage {
  tenantId: number;
  eventId: number;
  endpointId: string;
}

/**
 * A message the consumer can act on. The endpoint id must have the CLI's shape: an id the consumer cannot use
 * as a KV key (over 512 bytes) would otherwise fail the secret lookup of the whole batch, and with it every
 * other message in the batch, on every retry.
 */
export function isWebhookMessage(value: unknown): value is WebhookMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  return Number.isSafeInteger(m.tenantId) && Number.isSafeInteger(m.eventId) && typeof m.endpointId === "string" && ENDPOINT_ID_PATTERN.test(m.endpointId);
}
