// `npm run webhooks` end to end: the CLI drives wrangler against a throwaway --persist-to state; `test` pings a
// real HTTP receiver, whose requests are verified with the standardwebhooks package.
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runKeys, runWebhooks, tempDir, wrangler, type RunResult } from "./helpers.ts";
import { startReceiver, type Receiver } from "./receiver.ts";

const SECRET = /whsec_[A-Za-z0-9+/]{43}=/g;

let dir: string;
let receiver: Receiver;

beforeAll(async () => {
  dir = await tempDir("webhooks-cli-");
  receiver = await startReceiver();
  const created = await runKeys(["create", "acme", "--persist-to", dir]);
  expect(created.status).toBe(0);
});

afterAll(async () => {
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

const hooks = (args: string[]) => runWebhooks([...args, "--persist-to", dir]);

function jsonOf<T>(result: RunResult): T {
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as T;
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe("webhooks CLI: bad input exits 2 with one line and touches nothing", () => {
  test.each([
    [["frobnicate"], /unknown command "frobnicate"/],
    [["add", "acme"], /add needs a tenant and a url; missing the url/],
    [["add", "acme", "ftp://example.com/x"], /invalid endpoint URL: the URL must be http or https/],
    [["add", "acme", "https://user:pw@example.com/x"], /must not contain credentials/],
    [["add", "acme", "http://example.com/x", "--env", "com"], /must be https/],
    [["add", "acme", "https://example.com/x", "--types", "user.nope"], /--types: unknown event type "user.nope"/],
    [["add", "Not_A_Tenant", "https://example.com/x"], /invalid tenant/],
    [["remove", "ep_nope"], /invalid endpoint id "ep_nope"/],
    [["rotate-secret", "ep_aaaaaaaaaaaaaaaa", "--grace", "soon"], /--grace must be a number/],
    [["test", "ep_aaaaaaaaaaaaaaaa", "--types", "user.*"], /unknown flag --types for test/],
    [["list", "acme", "--remote"], /--remote needs --env com\|de/],
  ])("%j", async (args, message) => {
    const result = await runWebhooks(args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  test("an unknown tenant or endpoint id is bad input too", async () => {
    const tenant = await hooks(["add", "nobody", receiver.url("/x")]);
    expect([tenant.status, tenant.stderr.trim()]).toEqual([2, "error: unknown tenant nobody"]);
    const endpoint = await hooks(["deliveries", "ep_aaaaaaaaaaaaaaaa"]);
    expect([endpoint.status, endpoint.stderr.trim()]).toEqual([2, "error: unknown endpoint id ep_aaaaaaaaaaaaaaaa"]);
  });
});

describe("webhooks CLI lifecycle", () => {
  test("add, test, deliveries, rotate-secret with grace, disable/enable, remove; the secret is printed once and never stored in D1", async () => {
    const added = jsonOf<{ id: string; secret: string; url: string; types: string[] | null; enabled: boolean }>(
      await hooks(["add", "acme", receiver.url("/cli"), "--types", "user.*", "--json"]),
    );
    expect(added.id).toMatch(/^ep_[a-z2-7]{16}$/);
    expect(added.secret).toMatch(SECRET);
    expect(added.types).toEqual(["user.created", "user.updated", "user.deactivated", "user.reactivated", "user.deleted", "user.password_changed"]);

    const listed = await hooks(["list", "acme"]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(added.id);
    expect(listed.stdout).not.toMatch(SECRET);

    const ping = jsonOf<{ ok: boolean; status: number; webhookId: string }>(await hooks(["test", added.id, "--json"]));
    expect(ping).toMatchObject({ ok: true, status: 200 });
    const [received] = receiver.received("/cli");
    const payload = new Webhook(added.secret).verify(received!.body, received!.headers) as Record<string, unknown>;
    expect(payload).toMatchObject({ id: ping.webhookId, type: "ping", tenant: "acme", endpointId: added.id });

    const rotated = jsonOf<{ secret: string; previousExpireAt: string }>(await hooks(["rotate-secret", added.id, "--grace", "10", "--json"]));
    expect(rotated.secret).not.toBe(added.secret);
    expect(Date.parse(rotated.previousExpireAt) - Date.now()).toBeGreaterThan(9 * 60_000);
    expect((await hooks(["test", added.id])).status).toBe(0);
    const second = receiver.received("/cli")[1]!;
    expect(second.headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
    new Webhook(rotated.secret).verify(second.body, second.headers);
    new Webhook(added.secret).verify(second.body, second.headers);

    receiver.script("/cli", [503]);
    const failed = await hooks(["test", added.id]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/^error: ping ping_[a-z2-7]{16} not delivered: HTTP 503/);

    const log = await hooks(["deliveries", added.id]);
    expect(log.status).toBe(0);
    const lines = log.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^TIME +WEBHOOK-ID +TYPE +ATTEMPT +STATUS +LATENCY +OUTCOME +ERROR$/);
    expect(lines.slice(1).map((line) => line.split(/ {2,}/)[4])).toEqual(["503", "200", "200"]);

    const disabled = jsonOf<{ enabled: boolean }>(await hooks(["disable", added.id, "--json"]));
    expect(disabled.enabled).toBe(false);
    expect((await hooks(["list", "acme"])).stdout).toMatch(/disabled/);
    expect(jsonOf<{ enabled: boolean }>(await hooks(["enable", added.id, "--json"])).enabled).toBe(true);

    // Neither secret is anywhere in D1's files (what a D1 export reads), nor in the printed listings.
    const d1Files = await filesUnder(join(dir, "v3", "d1"));
    expect(d1Files.length).toBeGreaterThan(0);
    for (const file of d1Files) {
      const bytes = await readFile(file, "latin1");
      expect(bytes.includes(added.secret) || bytes.includes(rotated.secret)).toBe(false);
    }

    expect((await hooks(["remove", added.id])).status).toBe(0);
    expect(jsonOf<{ endpoints: unknown[] }>(await hooks(["list", "acme", "--json"])).endpoints).toEqual([]);
    const secretLeft = await wrangler(["kv", "key", "get", "--binding", "KV", `webhook-secret:${added.id}`, "--text", "--local", "--persist-to", dir]);
    expect(secretLeft.trim()).toBe("Value not found");
  }, 400_000);
});
