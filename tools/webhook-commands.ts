// The webhook commands as functions that return data; webhooks.ts only parses and prints. Endpoint rows live
// in D1 (webhook_endpoints), their signing secrets only in KV (`webhook-secret:<id>`, no metadata), so D1
// exports never hold a secret and nothing but add / rotate-secret ever returns one.
import { newKeyId } from "../src/keys/token.ts";
import { DELIVERY_SLOTS } from "../src/webhooks/schedule.ts";
import { activeSecrets, parseSecretRecord, webhookSecretKey, type SecretRecord } from "../src/webhooks/secrets.ts";
import { sendWebhook, type Attempt } from "../src/webhooks/send.ts";
import { newSigningSecret } from "../src/webhooks/signing.ts";
import { usageError, wranglerError } from "./errors.ts";
import { queryCurrentSchema } from "./local-schema.ts";
import { sqlNullableString, sqlString } from "./sql.ts";
import { d1Execute, kvDelete, kvGet, kvPutSecret, type Row, type Target } from "./wrangler.ts";

const MINUTE_MS = 60_000;

export interface EndpointView {
  id: string;
  tenant: string;
  url: string;
  /** null: every event type. */
  types: string[] | null;
  enabled: boolean;
  /** When a delivery last exhausted its retries, until the next 2xx; deliveries continue meanwhile. */
  failingSince: string | null;
  createdAt: string;
}

const ENDPOINT_COLUMNS = `e.id AS id, t.slug AS tenant, e.url AS url, e.types AS types, e.enabled AS enabled,
  e.failing_since AS failingSince, e.created_at AS createdAt`;

function text(row: Row, column: string): string {
  const value = row[column];
  if (typeof value !== "string") throw wranglerError(`unexpected D1 result: ${column} is not text`);
  return value;
}

function endpointView(row: Row): EndpointView {
  const types = row.types;
  return {
    id: text(row, "id"),
    tenant: text(row, "tenant"),
    url: text(row, "url"),
    types: typeof types === "string" ? types.split(",") : null,
    enabled: row.enabled === 1,
    failingSince: typeof row.failingSince === "string" ? row.failingSince : null,
    createdAt: text(row, "createdAt"),
  };
}

async function tenantId(target: Target, slug: string): Promise<number> {
  const [rows] = await queryCurrentSchema(target, `SELECT id FROM tenants WHERE slug = ${sqlString(slug)};`);
  const id = rows?.[0]?.id;
  if (typeof id !== "number") throw usageError(`unknown tenant ${slug}`);
  return id;
}

const selectEndpoint = (id: string) =>
  `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints AS e JOIN tenants AS t ON t.id = e.tenant_id WHERE e.id = ${sqlString(id)};`;

function foundEndpoint(rows: Row[] | undefined, id: string): EndpointView {
  const row = rows?.[0];
  if (row === undefined) throw usageError(`unknown endpoint id ${id}`);
  return endpointView(row);
}

async function readEndpoint(target: Target, id: string): Promise<EndpointView> {
  const [rows] = await queryCurrentSchema(target, selectEndpoint(id));
  return foundEndpoint(rows, id);
}

async function readSecrets(target: Target, id: string): Promise<SecretRecord> {
  const textValue = await kvGet(target, webhookSecretKey(id));
  let json: unknown;
  try {
    json = textValue === null ? null : JSON.parse(textValue);
  } catch {
    json = null;
  }
  const record = parseSecretRecord(json);
  if (record === null || record.endpointId !== id) throw wranglerError(`the signing secret of endpoint ${id} is missing or unreadable in KV`);
  return record;
}

async function writeSecrets(target: Target, record: SecretRecord): Promise<void> {
  await kvPutSecret(target, webhookSecretKey(record.endpointId), JSON.stringify(record));
}

export interface AddedEndpoint {
  endpoint: EndpointView;
  /** Shown once. */
  secret: string;
}

export async function addEndpoint(target: Target, input: { tenant: string; url: string; types: string | null }): Promise<AddedEndpoint> {
  const tenant = await tenantId(target, input.tenant);
  const id = `ep_${newKeyId()}`;
  const secret = newSigningSecret();
  const now = new Date().toISOString();
  // The secret first: an endpoint row without its secret could only fail its deliveries, while a secret whose
  // row was never written is inert.
  await writeSecrets(target, { endpointId: id, secrets: [{ secret, createdAt: now, expiresAt: null }] });
  const [, rows] = await d1Execute(
    target,
    `INSERT INTO webhook_endpoints (id, tenant_id, url, types, enabled, created_at) ` +
      `VALUES (${sqlString(id)}, ${tenant}, ${sqlString(input.url)}, ${sqlNullableString(input.types)}, 1, ${sqlString(now)}); ${selectEndpoint(id)}`,
  );
  return { endpoint: foundEndpoint(rows, id), secret };
}

export async function listEndpoints(target: Target, tenant: string): Promise<EndpointView[]> {
  const id = await tenantId(target, tenant);
  const [rows = []] = await d1Execute(
    target,
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints AS e JOIN tenants AS t ON t.id = e.tenant_id ` +
      `WHERE e.tenant_id = ${id} ORDER BY e.created_at, e.id;`,
  );
  return rows.map(endpointView);
}

export async function removeEndpoint(target: Target, id: string): Promise<EndpointView> {
  // The row goes first: messages still queued for it are then dropped by the consumer, whatever KV says.
  const endpoint = await readEndpoint(target, id);
  await d1Execute(target, `DELETE FROM webhook_endpoints WHERE id = ${sqlString(id)}; DELETE FROM webhook_deliveries WHERE endpoint_id = ${sqlString(id)};`);
  await kvDelete(target, webhookSecretKey(id));
  return endpoint;
}

export async function setEnabled(target: Target, id: string, enabled: boolean): Promise<EndpointView> {
  // Idempotent, so queryCurrentSchema may run it twice (when it first applies pending migrations).
  const [, rows] = await queryCurrentSchema(target, `UPDATE webhook_endpoints SET enabled = ${enabled ? 1 : 0} WHERE id = ${sqlString(id)}; ${selectEndpoint(id)}`);
  return foundEndpoint(rows, id);
}

export interface RotatedSecret {
  endpoint: EndpointView;
  /** Shown once. */
  secret: string;
  /** When the previous secret(s) stop signing; null when they stopped now (no grace). */
  previousExpireAt: string | null;
}

export async function rotateSecret(target: Target, id: string, graceMinutes: number): Promise<RotatedSecret> {
  const endpoint = await readEndpoint(target, id);
  const record = await readSecrets(target, id);
  const now = Date.now();
  const previousExpireAt = graceMinutes > 0 ? new Date(now + graceMinutes * MINUTE_MS).toISOString() : null;
  const secret = newSigningSecret();
  // Secrets still signing keep signing until the grace ends (never longer than they already would); expired
  // ones are dropped, so the record never grows.
  const kept =
    previousExpireAt === null
      ? []
      : record.secrets
          .filter((s) => s.expiresAt === null || Date.parse(s.expiresAt) > now)
          .map((s) => ({ ...s, expiresAt: s.expiresAt !== null && s.expiresAt < previousExpireAt ? s.expiresAt : previousExpireAt }));
  await writeSecrets(target, { endpointId: id, secrets: [{ secret, createdAt: new Date(now).toISOString(), expiresAt: null }, ...kept] });
  return { endpoint, secret, previousExpireAt };
}

export interface PingResult extends Attempt {
  webhookId: string;
}

export async function testEndpoint(target: Target, id: string): Promise<PingResult> {
  const endpoint = await readEndpoint(target, id);
  const secrets = activeSecrets(await readSecrets(target, id));
  const webhookId = `ping_${newKeyId()}`;
  const attemptedAt = new Date().toISOString();
  const body = JSON.stringify({ id: webhookId, type: "ping", occurredAt: attemptedAt, tenant: endpoint.tenant, endpointId: id });
  const attempt = await sendWebhook({ url: endpoint.url, webhookId, body, secrets });
  // The same ring-buffer slot logic as the consumer (src/storage/webhooks.ts), in SQL literals for wrangler.
  const slotOf = `(SELECT delivery_seq FROM webhook_endpoints WHERE id = ${sqlString(id)})`;
  await d1Execute(
    target,
    `INSERT INTO webhook_deliveries (endpoint_id, slot, seq, attempted_at, webhook_id, event_type, attempt, status, latency_ms, outcome, error) ` +
      `VALUES (${sqlString(id)}, ${slotOf} % ${DELIVERY_SLOTS}, ${slotOf}, ${sqlString(attemptedAt)}, ${sqlString(webhookId)}, 'ping', 1, ` +
      `${attempt.status ?? "NULL"}, ${Math.round(attempt.latencyMs)}, ${sqlString(attempt.ok ? "delivered" : "failed")}, ${sqlNullableString(attempt.error)}) ` +
      `ON CONFLICT (endpoint_id, slot) DO UPDATE SET seq = excluded.seq, attempted_at = excluded.attempted_at, webhook_id = excluded.webhook_id, ` +
      `event_type = excluded.event_type, attempt = excluded.attempt, status = excluded.status, latency_ms = excluded.latency_ms, ` +
      `outcome = excluded.outcome, error = excluded.error, retry_delay_seconds = NULL; ` +
      `UPDATE webhook_endpoints SET delivery_seq = delivery_seq + 1 WHERE id = ${sqlString(id)};`,
  );
  return { ...attempt, webhookId };
}

export interface DeliveryView {
  attemptedAt: string;
  webhookId: string;
  eventType: string;
  attempt: number;
  status: number | null;
  latencyMs: number;
  outcome: string;
  error: string | null;
  retryDelaySeconds: number | null;
}

export async function listDeliveries(target: Target, id: string): Promise<{ endpoint: EndpointView; deliveries: DeliveryView[] }> {
  const endpoint = await readEndpoint(target, id);
  const [rows = []] = await d1Execute(
    target,
    `SELECT attempted_at AS attemptedAt, webhook_id AS webhookId, event_type AS eventType, attempt, status, latency_ms AS latencyMs, ` +
      `outcome, error, retry_delay_seconds AS retryDelaySeconds FROM webhook_deliveries WHERE endpoint_id = ${sqlString(id)} ORDER BY seq DESC;`,
  );
  const deliveries = rows.map((row) => ({
    attemptedAt: text(row, "attemptedAt"),
    webhookId: text(row, "webhookId"),
    eventType: text(row, "eventType"),
    attempt: Number(row.attempt),
    status: typeof row.status === "number" ? row.status : null,
    latencyMs: Number(row.latencyMs),
    outcome: text(row, "outcome"),
    error: typeof row.error === "string" ? row.error : null,
    retryDelaySeconds: typeof row.retryDelaySeconds === "number" ? row.retryDelaySeconds : null,
  }));
  return { endpoint, deliveries };
}
