// The consumer's policy, driven through the worker's queue() handler with batches built by the vitest plugin
// (createMessageBatch / getQueueResult), against the real receiver: the retry schedule, the dead-letter step,
// the failing mark, redirects, timeouts, secret rotation and the https rule.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { openDb } from "../../src/storage/d1/db.ts";
import { createUser } from "../../src/storage/repos/users.ts";
import type { WebhookMessage } from "../../src/webhooks/message.ts";
import { MAX_ATTEMPTS, RETRY_DELAYS_SECONDS } from "../../src/webhooks/schedule.ts";
import { newSigningSecret } from "../../src/webhooks/signing.ts";
import { testOrigin } from "./helpers.ts";
import { addEndpoint, appTenant, deliveryLog, received, scriptReceiver, storeSigningSecrets, uniquePath, verified, receiverUrl, type TestEndpoint } from "./webhook-helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const QUEUE = "edge-scim-webhooks-local";

let tid: number;
let eventId: number;

beforeAll(async () => {
  ({ tid } = await appTenant("retry-hooks"));
  // Committed through storage: no request, so nothing enqueues it; these tests hand it to queue() themselves.
  await createUser(openDb(env.DB), tid, { data: { schemas: [USER], userName: "policy@example.com" } }, testOrigin("retry-hooks"));
  eventId = (await env.DB.prepare("SELECT max(event_id) AS id FROM events WHERE tenant_id = ?1").bind(tid).first<{ id: number }>())!.id;
});

async function runConsumer(endpoint: TestEndpoint, attempts: number[], bindings: Partial<import("../../src/env.ts").Env> = {}) {
  const batch = createMessageBatch<WebhookMessage>(
    QUEUE,
    attempts.map((attempt, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: attempt, body: { tenantId: tid, eventId, endpointId: endpoint.id } })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, { ...env, ...bindings });
  return getQueueResult(batch, ctx);
}

async function failingSince(endpointId: string): Promise<string | null> {
  const row = await env.DB.prepare("SELECT failing_since FROM webhook_endpoints WHERE id = ?1").bind(endpointId).first<{ failing_since: string | null }>();
  return row!.failing_since;
}

describe("retry schedule", () => {
  it("a failed attempt n is retried after RETRY_DELAYS_SECONDS[n-1]: seconds, then minutes, then hours, about a day in all", async () => {
    const endpoint = await addEndpoint(tid, "always-500");
    await scriptReceiver(endpoint.path, Array(MAX_ATTEMPTS).fill(500));
    const attempts = RETRY_DELAYS_SECONDS.map((_, i) => i + 1);
    const result = await runConsumer(endpoint, attempts);
    expect(result.explicitAcks).toEqual([]);
    // getQueueResult reports which messages were retried, not their delays: the delivery log records each.
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(attempts.map((_, i) => `m${i}`));
    const log = await deliveryLog(endpoint.id);
    expect(log.map((row) => [row.attempt, row.retryDelaySeconds]).sort((a, b) => a[0]! - b[0]!)).toEqual(
      attempts.map((attempt, i) => [attempt, RETRY_DELAYS_SECONDS[i]]),
    );
    const total = RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0);
    expect(total / 3600).toBeGreaterThan(20);
    expect(total / 3600).toBeLessThan(26);
    expect(RETRY_DELAYS_SECONDS[0]).toBeLessThan(60);
    expect(await failingSince(endpoint.id)).toBeNull();
  });

  it("dead letter: the last attempt's failure marks the endpoint failing and retries past max_retries; later deliveries still go out and a 2xx clears the mark", async () => {
    const endpoint = await addEndpoint(tid, "dead-letter");
    await scriptReceiver(endpoint.path, [503]);
    const last = await runConsumer(endpoint, [MAX_ATTEMPTS]);
    // A retry without delay on the last allowed attempt: Queues moves the message to the dead-letter queue.
    expect(last.retryMessages).toEqual([{ msgId: "m0" }]);
    expect(await failingSince(endpoint.id)).not.toBeNull();
    expect((await deliveryLog(endpoint.id)).at(-1)).toMatchObject({ attempt: MAX_ATTEMPTS, status: 503, outcome: "failed", retryDelaySeconds: null });

    const next = await runConsumer(endpoint, [1]);
    expect(next.explicitAcks).toEqual(["m0"]);
    expect(await received(endpoint.path)).toHaveLength(2);
    expect(await failingSince(endpoint.id)).toBeNull();
  });
});

describe("endpoint rules", () => {
  it("redirects are not followed: a 302 is a failed attempt and its Location gets nothing", async () => {
    const elsewhere = uniquePath("redirect-target");
    const endpoint = await addEndpoint(tid, "redirects");
    await scriptReceiver(endpoint.path, [302], receiverUrl(elsewhere));
    const result = await runConsumer(endpoint, [1]);
    expect(result.retryMessages).toEqual([{ msgId: "m0" }]);
    expect(await received(elsewhere)).toEqual([]);
    expect(await deliveryLog(endpoint.id)).toMatchObject([{ status: 302, outcome: "retrying", error: "redirect 302 not followed", retryDelaySeconds: RETRY_DELAYS_SECONDS[0] }]);
  });

  it("timeout: no answer within 15 s is a failed attempt", async () => {
    const endpoint = await addEndpoint(tid, "hangs");
    await scriptReceiver(endpoint.path, [0]);
    const started = Date.now();
    const result = await runConsumer(endpoint, [1]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(14_500);
    expect(result.retryMessages).toHaveLength(1);
    expect(await deliveryLog(endpoint.id)).toMatchObject([{ status: null, outcome: "retrying", error: "no answer within 15 s" }]);
  }, 60_000);

  it("rotation grace: both secrets sign (space-separated v1 signatures) and either verifies with standardwebhooks", async () => {
    const endpoint = await addEndpoint(tid, "rotating");
    const newer = newSigningSecret();
    await storeSigningSecrets(endpoint.id, [
      { secret: newer, expiresAt: null },
      { secret: endpoint.secret, expiresAt: new Date(Date.now() + 600_000).toISOString() },
    ]);
    await runConsumer(endpoint, [1]);
    const [hook] = await received(endpoint.path);
    expect(hook!.headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
    expect(verified(hook!, newer).id).toBe(String(eventId));
    expect(verified(hook!, endpoint.secret).id).toBe(String(eventId));
    expect(() => verified(hook!, newSigningSecret())).toThrow();
  });

  it("an expired secret no longer signs", async () => {
    const endpoint = await addEndpoint(tid, "rotated");
    const newer = newSigningSecret();
    await storeSigningSecrets(endpoint.id, [
      { secret: newer, expiresAt: null },
      { secret: endpoint.secret, expiresAt: new Date(Date.now() - 1000).toISOString() },
    ]);
    await runConsumer(endpoint, [1]);
    const [hook] = await received(endpoint.path);
    expect(hook!.headers["webhook-signature"]).toMatch(/^v1,\S+$/);
    expect(verified(hook!, newer).id).toBe(String(eventId));
    expect(() => verified(hook!, endpoint.secret)).toThrow();
  });

  it("outside local development a plain-http endpoint is never sent to", async () => {
    const endpoint = await addEndpoint(tid, "plain-http");
    const result = await runConsumer(endpoint, [1], { WEBHOOK_ALLOW_HTTP: undefined });
    expect(result.retryMessages).toHaveLength(1);
    expect(await received(endpoint.path)).toEqual([]);
    expect((await deliveryLog(endpoint.id))[0]?.error).toMatch(/^not sent: the URL must be https/);
  });

  it("a removed endpoint: the message is acknowledged and nothing is sent", async () => {
    const endpoint = await addEndpoint(tid, "removed");
    await env.DB.prepare("DELETE FROM webhook_endpoints WHERE id = ?1").bind(endpoint.id).run();
    const result = await runConsumer(endpoint, [1]);
    expect(result.explicitAcks).toEqual(["m0"]);
    expect(await received(endpoint.path)).toEqual([]);
  });

  it("bounded log: an endpoint keeps its latest 100 attempts, never more", async () => {
    const endpoint = await addEndpoint(tid, "many");
    await runConsumer(endpoint, Array(120).fill(1));
    const log = await deliveryLog(endpoint.id);
    expect(log).toHaveLength(100);
    expect(log.every((row) => row.outcome === "delivered")).toBe(true);
    const seq = await env.DB.prepare("SELECT delivery_seq FROM webhook_endpoints WHERE id = ?1").bind(endpoint.id).first<{ delivery_seq: number }>();
    expect(seq!.delivery_seq).toBe(120);
  });
});
