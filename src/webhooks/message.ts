// What travels on the webhook queue: which event goes to which endpoint. Not the body: the consumer reads the
// event from D1 (one indexed row) so a message stays small, whatever the event's size, and the body sent is
// exactly what the events API returns. One message per (event, endpoint), so each endpoint retries alone.
export interface WebhookMessage {
  tenantId: number;
  eventId: number;
  endpointId: string;
}

export function isWebhookMessage(value: unknown): value is WebhookMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  return Number.isSafeInteger(m.tenantId) && Number.isSafeInteger(m.eventId) && typeof m.endpointId === "string";
}
