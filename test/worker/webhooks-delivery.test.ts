// Webhook delivery end to end inside workerd: a SCIM write commits, its events are enqueued after the commit,
// Miniflare's queue hands them to the worker's queue() handler, and the consumer POSTs them to a real HTTP
// receiver. Every signature is checked with the `standardwebhooks` package.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, json } from "./helpers.ts";
import { addEndpoint, appTenant, deliveryLog, scriptReceiver, verified, waitForWebhooks, received } from "./webhook-helpers.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

let appToken: string;
let tid: number;

beforeAll(async () => {
  ({ token: appToken, tid } = await appTenant("hooks"));
});

const createUser = (userName: string, token = appToken) =>
  call("/scim/v2/Users", { method: "POST", token, body: JSON.stringify({ schemas: [USER], userName, active: true }) });

async function eventsAfter(cursor?: string): Promise<Record<string, unknown>[]> {
  const res = await call(`/v1/events${cursor ? `?after=${cursor}` : ""}`, { token: appToken });
  return (await json<{ data: Record<string, unknown>[] }>(res)).data;
}

describe("delivery", () => {
  it("standard webhooks: a SCIM write is POSTed signed, with webhook-id = event id and the events API's body", async () => {
    const endpoint = await addEndpoint(tid, "signed");
    const res = await createUser("jane.signed@example.com");
    expect(res.status).toBe(201);
    const user = await json(res);

    const [hook] = await waitForWebhooks(endpoint.path, 1);
    if (hook === undefined) throw new Error("no webhook");
    const payload = verified(hook, endpoint.secret);
    expect(hook.headers["content-type"]).toBe("application/json");
    expect(hook.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(Math.abs(Number(hook.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    expect(payload.type).toBe("user.created");
    expect(payload.resourceId).toBe(user.id);
    expect(hook.headers["webhook-id"]).toBe(payload.id);

    const feed = await eventsAfter();
    const same = feed.find((event) => event.id === payload.id);
    expect(hook.body).toBe(JSON.stringify(same));

    // Marked enqueued, so the sweep leaves it alone.
    const row = await env.DB.prepare("SELECT enqueued_at FROM events WHERE tenant_id = ?1 AND event_id = ?2")
      .bind(tid, Number(payload.id))
      .first<{ enqueued_at: string | null }>();
    expect(row?.enqueued_at).not.toBeNull();
    await expect.poll(() => deliveryLog(endpoint.id)).toEqual([
      { webhookId: payload.id, eventType: "user.created", attempt: 1, status: 200, outcome: "delivered", error: null, retryDelaySeconds: null },
    ]);
  });

  it("fan-out: every enabled endpoint of the tenant whose types match gets the event, and no other", async () => {
    const all = await addEndpoint(tid, "all");
    const groupsOnly = await addEndpoint(tid, "groups-only", { types: "group.created,group.updated,group.deleted,group.members_added,group.members_removed" });
    const disabled = await addEndpoint(tid, "disabled", { enabled: false });
    const foreign = await addEndpoint((await appTenant("hooks-other")).tid, "foreign");

    const res = await call("/scim/v2/Groups", { method: "POST", token: appToken, body: JSON.stringify({ schemas: [GROUP], displayName: "Fan-out" }) });
    expect(res.status).toBe(201);
    expect((await createUser("fan.out@example.com")).status).toBe(201);

    const toAll = await waitForWebhooks(all.path, 2);
    const toGroups = await waitForWebhooks(groupsOnly.path, 1);
    // Give a wrongly routed delivery time to arrive before asserting there was none.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(toAll.map((h) => verified(h, all.secret).type).sort()).toEqual(["group.created", "user.created"]);
    expect((await received(groupsOnly.path)).map((h) => verified(h, groupsOnly.secret).type)).toEqual(["group.created"]);
    expect(toGroups).toHaveLength(1);
    expect(await received(disabled.path)).toEqual([]);
    expect(await received(foreign.path)).toEqual([]);
  });

  it("retry: a 500 is tried again after the first delay and then delivered; the log shows both attempts", async () => {
    const endpoint = await addEndpoint(tid, "flaky");
    await scriptReceiver(endpoint.path, [500]);
    expect((await createUser("retry.me@example.com")).status).toBe(201);
    const hooks = await waitForWebhooks(endpoint.path, 2, 40_000);
    const [first, second] = hooks.map((h) => verified(h, endpoint.secret));
    expect(second?.id).toBe(first?.id);
    expect(hooks[1]!.headers["webhook-id"]).toBe(hooks[0]!.headers["webhook-id"]);
    // The first retry waits RETRY_DELAYS_SECONDS[0] = 5 s.
    expect(hooks[1]!.receivedAt - hooks[0]!.receivedAt).toBeGreaterThanOrEqual(4500);
    await expect.poll(() => deliveryLog(endpoint.id)).toMatchObject([
      { attempt: 1, status: 500, outcome: "retrying", error: "HTTP 500" },
      { attempt: 2, status: 200, outcome: "delivered", error: null },
    ]);
  });
});
