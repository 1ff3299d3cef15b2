// Nothing is lost: an event committed in D1 reaches its endpoints even when the enqueue after the commit
// fails or never runs. The Cron Trigger's sweep ("* * * * *") finds events never enqueued through the partial
// index and enqueues them; the real queue and consumer then deliver them to the real receiver.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { openDb } from "../../src/storage/d1/db.ts";
import { createUser } from "../../src/storage/repos/users.ts";
import { SWEEP_GRACE_MS } from "../../src/webhooks/dispatch.ts";
import { WEBHOOK_SWEEP_CRON } from "../../src/webhooks/sweep.ts";
import { BASE, testOrigin } from "./helpers.ts";
import { addEndpoint, appTenant, received, verified, waitForWebhooks, type TestEndpoint } from "./webhook-helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";

let token: string;
let tid: number;
let endpoint: TestEndpoint;

beforeAll(async () => {
  ({ token, tid } = await appTenant("faults-hooks"));
  endpoint = await addEndpoint(tid, "faults");
});

/**
 * Makes the real queue binding refuse the enqueue: an endpoint row whose id is longer than a queue message may
 * be (Queues' limit, which Miniflare enforces, is 128 KB per message), so the batch that carries its message is
 * rejected whole by sendBatch. No stand-in for the binding: the send fails in the queue itself. Returns a
 * function that removes the row again, as an outage that ends.
 */
async function breakTheQueueSend(tenant: number): Promise<() => Promise<void>> {
  const id = `ep_${"x".repeat(130_000)}`;
  await env.DB.prepare("INSERT INTO webhook_endpoints (id, tenant_id, url, types, enabled, created_at) VALUES (?1, ?2, ?3, NULL, 1, ?4)")
    .bind(id, tenant, "http://127.0.0.1:9/unused", new Date().toISOString())
    .run();
  return async () => void (await env.DB.prepare("DELETE FROM webhook_endpoints WHERE id = ?1").bind(id).run());
}

async function enqueuedAt(resourceId: string): Promise<string | null | undefined> {
  const row = await env.DB.prepare("SELECT enqueued_at FROM events WHERE tenant_id = ?1 AND json_extract(body, '$.resourceId') = ?2")
    .bind(tid, resourceId)
    .first<{ enqueued_at: string | null }>();
  return row === null ? undefined : row.enqueued_at;
}

async function sweep(at: number): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: WEBHOOK_SWEEP_CRON, scheduledTime: at }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("nothing is lost", () => {
  it("fault: the enqueue throws: the write succeeds, the event stays not enqueued, and the next sweep delivers it", async () => {
    // The real binding rejects a message over the limit, and takes the same message when it fits (its unknown
    // endpoint makes the consumer drop it unlogged).
    await expect(env.WEBHOOK_QUEUE.send({ tenantId: tid, eventId: 0, endpointId: `ep_${"x".repeat(130_000)}` })).rejects.toThrow();
    await env.WEBHOOK_QUEUE.send({ tenantId: tid, eventId: 0, endpointId: `ep_${"x".repeat(100_000)}` });
    const repair = await breakTheQueueSend(tid);
    const ctx = createExecutionContext();
    const request = new Request(`${BASE}/scim/v2/Users`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/scim+json" },
      body: JSON.stringify({ schemas: [USER], userName: "enqueue.fails@example.com" }),
    });
    const res = await worker.fetch(request, env, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(201);
    const user = (await res.json()) as { id: string };
    expect(await enqueuedAt(user.id)).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await received(endpoint.path)).toEqual([]);

    // While the send keeps failing, the sweep fails too and still marks nothing: the event waits.
    await expect(sweep(Date.now() + SWEEP_GRACE_MS + 1000)).rejects.toThrow();
    expect(await enqueuedAt(user.id)).toBeNull();
    await repair();

    await sweep(Date.now() + SWEEP_GRACE_MS + 1000);
    const [hook] = await waitForWebhooks(endpoint.path, 1);
    expect(verified(hook!, endpoint.secret)).toMatchObject({ type: "user.created", resourceId: user.id });
    expect(await enqueuedAt(user.id)).not.toBeNull();
  });

  it("fault: the worker dies after the commit: events committed but never enqueued are delivered by the sweep", async () => {
    // The route's own storage call commits the user and its event in one batch; nothing after it runs, as when
    // the isolate is killed between the commit and the enqueue.
    const user = await createUser(openDb(env.DB), tid, { data: { schemas: [USER], userName: "dies.after.commit@example.com" } }, testOrigin("faults-hooks"));
    expect(await enqueuedAt(user.id)).toBeNull();
    const before = (await received(endpoint.path)).length;

    // Within the grace period the sweep leaves it to the request that wrote it (still enqueueing, normally).
    await sweep(Date.now());
    expect(await enqueuedAt(user.id)).toBeNull();

    // The next minute's run: past the grace period, so it is enqueued and delivered.
    await sweep(Date.now() + SWEEP_GRACE_MS + 1000);
    expect(await enqueuedAt(user.id)).not.toBeNull();
    const hooks = await waitForWebhooks(endpoint.path, before + 1);
    const payloads = hooks.map((hook) => verified(hook, endpoint.secret));
    expect(payloads.filter((p) => p.resourceId === user.id).map((p) => p.type)).toEqual(["user.created"]);

    // Once enqueued, later sweeps do not send it again.
    await sweep(Date.now() + SWEEP_GRACE_MS + 2000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const again = (await received(endpoint.path)).map((hook) => verified(hook, endpoint.secret));
    expect(again.filter((p) => p.resourceId === user.id)).toHaveLength(1);
  });
});
