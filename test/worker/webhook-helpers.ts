// Webhook test helpers: endpoints stored as the CLI stores them (row in D1, secret in KV), and the shared
// Node receiver (test/node/receiver.ts), reached over real HTTP on the port vitest's globalSetup provides.
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { inject } from "vitest";
import { newKeyId } from "../../src/keys/token.ts";
import { newSigningSecret } from "../../src/webhooks/signing.ts";
import { webhookSecretKey } from "../../src/webhooks/secrets.ts";
import { tenantId } from "../support/worker/tenants.ts";
import { issueKey } from "./helpers.ts";
import type { ReceivedWebhook } from "../support/received-webhook.ts";

export const receiverUrl = (path: string) => `http://127.0.0.1:${inject("receiverPort")}${path}`;

/** A path of the shared receiver no other test uses. */
export const uniquePath = (name: string) => `/${name}/${crypto.randomUUID()}`;

export interface TestEndpoint {
  id: string;
  secret: string;
  path: string;
  url: string;
}

export async function addEndpoint(
  tenantId: number,
  name: string,
  options: { types?: string | null; enabled?: boolean; url?: string } = {},
): Promise<TestEndpoint> {
  const id = `ep_${newKeyId()}`;
  const secret = newSigningSecret();
  const path = uniquePath(name);
  const url = options.url ?? receiverUrl(path);
  const now = new Date().toISOString();
  await storeSigningSecrets(id, [{ secret, expiresAt: null }], now);
  await env.DB.prepare("INSERT INTO webhook_endpoints (id, tenant_id, url, types, enabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
    .bind(id, tenantId, url, options.types ?? null, options.enabled === false ? 0 : 1, now)
    .run();
  return { id, secret, path, url };
}

/**
 * Replaces an endpoint's signing secrets in KV, as the CLI's rotation does: each secret with its expiry (null
 * = current). During a rotation's grace both sign; an expired one no longer does.
 */
export async function storeSigningSecrets(endpointId: string, secrets: { secret: string; expiresAt: string | null }[], createdAt = new Date().toISOString()): Promise<void> {
  await env.KV.put(webhookSecretKey(endpointId), JSON.stringify({ endpointId, secrets: secrets.map((s) => ({ secret: s.secret, createdAt, expiresAt: s.expiresAt })) }));
}

/** A tenant with an `app` key, as a webhook test starts: the key's token and the tenant's row id. */
export async function appTenant(slug: string): Promise<{ token: string; tid: number }> {
  const { token } = await issueKey(slug, { scope: "app" });
  return { token, tid: await tenantId(slug) };
}

/** Scripts the receiver's answers for `path`: these statuses in turn, then 200 (0 = never answer). */
export async function scriptReceiver(path: string, statuses: number[], location?: string): Promise<void> {
  const res = await fetch(receiverUrl("/__script"), { method: "POST", body: JSON.stringify({ path, statuses, location }) });
  await res.body?.cancel();
}

export async function received(path: string): Promise<ReceivedWebhook[]> {
  const res = await fetch(receiverUrl(`/__received?path=${encodeURIComponent(path)}`));
  return (await res.json()) as ReceivedWebhook[];
}

/** Waits until the receiver got at least `count` requests on `path`. */
export async function waitForWebhooks(path: string, count: number, timeoutMs = 30_000): Promise<ReceivedWebhook[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hooks = await received(path);
    if (hooks.length >= count) return hooks;
    if (Date.now() > deadline) throw new Error(`${hooks.length} of ${count} webhooks arrived at ${path} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Verifies a delivery with the standardwebhooks package (not this project's signing code); returns the payload. */
export function verified(hook: ReceivedWebhook, secret: string): Record<string, unknown> {
  return new Webhook(secret).verify(hook.body, hook.headers) as Record<string, unknown>;
}

export interface DeliveryRow {
  webhookId: string;
  eventType: string;
  attempt: number;
  status: number | null;
  outcome: string;
  error: string | null;
  retryDelaySeconds: number | null;
}

export async function deliveryLog(endpointId: string): Promise<DeliveryRow[]> {
  const { results } = await env.DB.prepare(
    `SELECT webhook_id AS webhookId, event_type AS eventType, attempt, status, outcome, error,
       retry_delay_seconds AS retryDelaySeconds FROM webhook_deliveries WHERE endpoint_id = ?1 ORDER BY seq`,
  )
    .bind(endpointId)
    .all<DeliveryRow>();
  return results;
}
