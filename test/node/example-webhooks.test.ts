// Issue 14, proven with a real client: `npm run dev` serves the worker with its queue, an endpoint is registered
// with `npm run webhooks -- add`, and the example application (examples/sync-app) runs in webhook mode behind a
// flaky link that answers 500 to the first attempt of every third event, so edge-scim's retries have to heal
// the gaps. While an Okta-like client provisions, the example verifies each delivery with standardwebhooks,
// deduplicates it, applies it in event-id order, and ends with a database equal to the directory.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createUser, directoryOf, provisionBefore, provisionWhileFollowing, readExample, startDevWithAppKey, type Scim } from "./example-directory.ts";
import { freePort, runWebhooks, startSyncExample, stopGroup, waitFor, type Background } from "./helpers.ts";

/** Every third event's first attempt fails. */
const FAIL_EVERY = 3;

/**
 * Between edge-scim and the example: forwards each delivery as it came (headers and body untouched, so the
 * signature still verifies), except those `fails` picks (by event id and attempt), answered 500 unseen.
 */
interface FlakyLink {
  url: string;
  attempts: Map<string, number>;
  failed: Set<string>;
  close: () => Promise<void>;
}

async function startFlakyLink(target: () => string, fails: (id: string, attempt: number) => boolean): Promise<FlakyLink> {
  const attempts = new Map<string, number>();
  const failed = new Set<string>();
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const id = String(req.headers["webhook-id"] ?? "");
    const attempt = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, attempt);
    if (fails(id, attempt)) {
      failed.add(id);
      return void res.writeHead(500).end("flaky link");
    }
    const headers: Record<string, string> = {};
    for (const name of ["content-type", "webhook-id", "webhook-timestamp", "webhook-signature"]) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    try {
      const answer = await fetch(target(), { method: "POST", headers, body: Buffer.concat(chunks) });
      res.writeHead(answer.status).end(await answer.text());
    } catch {
      res.writeHead(502).end("example unreachable");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, attempts, failed, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let persistTo: string;
let dev: Background | undefined;
let example: Background | undefined;
let link: FlakyLink | undefined;
let gapExample: Background | undefined;
let gapLink: FlakyLink | undefined;
let baseUrl = "";
let scim: Scim;
let endpointId = "";
let exampleUrl = "";
let dbFile = "";
let appToken = "";
let provisioned: { ids: string[]; engineering: string };

/** Waits until the example at `file` has learnt its feed position (the last event id it applied). */
function feedPosition(file: string, app: Background): Promise<number> {
  return waitFor(
    "the feed position",
    async () => {
      try {
        const { applied } = readExample(file);
        return applied === null ? null : Number(applied);
      } catch {
        return null; // busy while it writes
      }
    },
    app,
    60_000,
  );
}

/** Waits until the example at `file` equals the directory, with nothing left in its inbox. */
async function equalsDirectory(file: string, app: Background) {
  const expected = await directoryOf(scim);
  const synced = await waitFor(
    "the example to equal the directory",
    async () => {
      try {
        const { cursor: _c, applied: _a, inbox, ...mirrored } = readExample(file);
        return inbox === 0 && JSON.stringify(mirrored) === JSON.stringify(expected) ? mirrored : null;
      } catch {
        return null; // busy while it writes
      }
    },
    app,
    90_000,
  );
  return { synced, expected };
}

beforeAll(async () => {
  ({ persistTo, baseUrl, dev, scim, appToken } = await startDevWithAppKey("example-webhooks-"));

  link = await startFlakyLink(() => exampleUrl, (id, attempt) => attempt === 1 && Number(id) % FAIL_EVERY === 0);
  const added = await runWebhooks(["add", "demo", link.url, "--json", "--persist-to", persistTo]);
  expect(added.stderr).toBe("");
  const endpoint = JSON.parse(added.stdout) as { id: string; secret: string };
  endpointId = endpoint.id;

  // Before the application starts: what its snapshot will find.
  provisioned = await provisionBefore(scim);
  dbFile = join(persistTo, "sync.db");
  const examplePort = await freePort();
  // Secrets through the environment, as a deployment would (not visible in `ps`). Gaps are left to the
  // retries (5 s) here: --gap-ms and --interval far above them keep the events API out of the way.
  example = startSyncExample(
    ["--base", baseUrl, "--db", dbFile, "--webhook-port", String(examplePort), "--gap-ms", "120000", "--interval", "600000"],
    { EDGE_SCIM_TOKEN: appToken, EDGE_SCIM_WEBHOOK_SECRET: endpoint.secret },
  );
  const app = example;
  exampleUrl = await waitFor("the receiver", async () => /listening for webhooks on (\S+)/.exec(app.output())?.[1] ?? null, app, 60_000);
}, 300_000);

afterAll(async () => {
  await stopGroup(example);
  await stopGroup(gapExample);
  await link?.close();
  await gapLink?.close();
  await stopGroup(dev);
  await rm(persistTo, { recursive: true, force: true });
});

describe("the example application in webhook mode against npm run dev", () => {
  test("a delivery whose signature does not verify is refused with 401 and stores nothing", async () => {
    const body = JSON.stringify({ id: "999", type: "user.created", resourceType: "User", resourceId: "x", version: 'W/"1"', data: { id: "x", userName: "forged" } });
    const forged = await fetch(exampleUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": "999", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,AAAA" },
      body,
    });
    expect(forged.status).toBe(401);
    const state = readExample(dbFile);
    expect(state.inbox).toBe(0);
    expect(state.users.map((u) => u.userName)).not.toContain("forged");
  });

  test("deliveries failed on purpose are retried; its database equals the directory, applied in event order", async () => {
    const app = example!;
    // One write first, so that the example learns its feed position (the events API tells it, once).
    await createUser(scim, 100);
    const position = await feedPosition(dbFile, app);

    await provisionWhileFollowing(scim, provisioned.ids, provisioned.engineering);

    const { synced, expected } = await equalsDirectory(dbFile, app);
    expect(synced).toEqual(expected);
    const output = app.output();
    console.info(`example output:\n${output}`);

    // Retries happened: the link failed the first attempt of some events, and edge-scim tried each again.
    const failed = [...link!.failed].filter((id) => Number(id) > position);
    expect(failed.length).toBeGreaterThanOrEqual(3);
    for (const id of failed) expect(link!.attempts.get(id)).toBeGreaterThanOrEqual(2);
    const log = await runWebhooks(["deliveries", endpointId, "--json", "--persist-to", persistTo]);
    expect(log.status).toBe(0);
    const attempts = (JSON.parse(log.stdout) as { deliveries: { webhookId: string; attempt: number; status: number | null; outcome: string }[] }).deliveries;
    for (const id of failed) {
      expect(attempts.filter((a) => a.webhookId === id).map((a) => [a.attempt, a.status, a.outcome])).toEqual(
        expect.arrayContaining([
          [1, 500, "retrying"],
          [2, 204, "delivered"],
        ]),
      );
    }

    // Every event after the position was applied from its webhook, once, in id order (none from the events
    // API): the retried ones closed their gaps, and the events behind them waited in the inbox.
    const applied = [...output.matchAll(/^#(\d+) \S+ .* via (webhook|events API)$/gm)].map((m) => ({ id: Number(m[1]), via: m[2] }));
    const after = applied.filter((a) => a.id > position);
    expect(after.length).toBeGreaterThanOrEqual(15);
    expect(after.every((a) => a.via === "webhook")).toBe(true);
    expect(after.map((a) => a.id)).toEqual(after.map((_, i) => position + 1 + i));
    expect(output).not.toMatch(/missing for/);
    expect(output).toMatch(/user\.updated user2@example\.com v2 \(name\.givenName, title\) by scim via webhook/);
    expect(output).toMatch(/user\.deleted user7@example\.com .* via webhook/);
    expect(output).not.toMatch(/Password|whsec_/);

    // `npm run webhooks -- test` reaches it too: a verified ping is answered 2xx and changes nothing.
    const ping = await runWebhooks(["test", endpointId, "--json", "--persist-to", persistTo]);
    expect(JSON.parse(ping.stdout)).toMatchObject({ ok: true, status: 204 });
    expect(readExample(dbFile).inbox).toBe(0);
  }, 300_000);

  test("an event whose every delivery fails is filled from the events API after --gap-ms; the events behind it wait for it", async () => {
    const lost = new Set<string>();
    let gapUrl = "";
    gapLink = await startFlakyLink(() => gapUrl, (id) => lost.has(id));
    const added = await runWebhooks(["add", "demo", gapLink.url, "--json", "--persist-to", persistTo]);
    expect(added.stderr).toBe("");
    const endpoint = JSON.parse(added.stdout) as { id: string; secret: string };
    const file = join(persistTo, "gap.db");
    gapExample = startSyncExample(["--base", baseUrl, "--db", file, "--webhook-port", String(await freePort()), "--gap-ms", "2000", "--interval", "600000"], {
      EDGE_SCIM_TOKEN: appToken,
      EDGE_SCIM_WEBHOOK_SECRET: endpoint.secret,
    });
    const app = gapExample;
    gapUrl = await waitFor("the receiver", async () => /listening for webhooks on (\S+)/.exec(app.output())?.[1] ?? null, app, 60_000);
    await createUser(scim, 200);
    const position = await feedPosition(file, app);

    // The next event never gets through (until its retries would run out, a day later); two more follow it.
    lost.add(String(position + 1));
    await createUser(scim, 201);
    const user202 = await createUser(scim, 202);
    await scim("PATCH", `/Users/${user202}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: false } }] });

    const { synced, expected } = await equalsDirectory(file, app);
    expect(synced).toEqual(expected);
    const output = app.output();
    expect(gapLink.attempts.get(String(position + 1))).toBeGreaterThanOrEqual(1);
    expect(output).toMatch(new RegExp(`catching up from the events API: event ${position + 1} missing for \\d+ ms`));
    const applied = [...output.matchAll(/^#(\d+) (\S+) .* via (webhook|events API)$/gm)].map((m) => ({ id: Number(m[1]), type: m[2], via: m[3] }));
    const after = applied.filter((a) => a.id > position);
    expect(after.map((a) => a.id)).toEqual([position + 1, position + 2, position + 3]);
    expect(after[0]).toEqual({ id: position + 1, type: "user.created", via: "events API" });
    expect(after.map((a) => a.type)).toEqual(["user.created", "user.created", "user.deactivated"]);
  }, 120_000);
});
