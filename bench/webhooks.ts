// npm run bench:webhooks -- [--members N]: webhook throughput against a local receiver. The worker runs in
// workerd through Miniflare in this process (queue producer and consumer included, as wrangler.toml binds
// them); a burst of SCIM writes (N user creates, then one group pushed with the N users in PATCHes of 100
// members, as Okta pushes a group) is sent at concurrency 4, and a real HTTP receiver records each delivery.
// Reports events delivered per second and the time from each SCIM write's start to its webhook's arrival
// (p50/p95). Default N = 1000 (light on a shared machine); the burst is --members 10000.
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createKey } from "../tools/key-commands.ts";
import { addEndpoint } from "../tools/webhook-commands.ts";
import { applyLocalMigrations, REPO_ROOT, type Target } from "../tools/wrangler.ts";
import { startReceiver } from "../test/node/receiver.ts";
import { bundleWorker, freePort } from "./server.ts";
import { percentile } from "./stats.ts";
import { startWorkerd } from "./workerd.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const CONCURRENCY = 4;
const MEMBERS_PER_PATCH = 100;

const { values } = parseArgs({ options: { members: { type: "string" } } });
const members = Number(values.members ?? 1000);
if (!Number.isInteger(members) || members < 1 || members > 100_000) throw new Error("--members must be an integer from 1 to 100000");

const dir = await mkdtemp(join(tmpdir(), "bench-webhooks-"));
const persistTo = join(dir, "state");
const target: Target = { env: null, remote: false, persistTo };
const receiver = await startReceiver();
const arrivals = new Map<string, number>(); // requestId -> first webhook arrival
let delivered = 0;
let lastArrival = 0;
receiver.onRequest = (hook) => {
  delivered++;
  lastArrival = hook.receivedAt;
  const requestId = (JSON.parse(hook.body) as { requestId?: string }).requestId;
  if (requestId !== undefined && !arrivals.has(requestId)) arrivals.set(requestId, hook.receivedAt);
};

try {
  await applyLocalMigrations(target);
  const [bundle, key] = await Promise.all([
    bundleWorker(join(dir, "bundle"), "deployed"),
    createKey(target, { tenant: "bench", label: "bench", organization: null, expiresInDays: null, scope: "app" }),
  ]);
  await addEndpoint(target, { tenant: "bench", url: receiver.url("/hooks"), types: null });
  const server = await startWorkerd({ bundle, config: join(REPO_ROOT, "wrangler.toml"), persistTo, port: await freePort(), logFile: join(dir, "worker.log") });
  const started = new Map<string, number>(); // requestId -> write start
  const call = async (path: string, method: string, body: unknown): Promise<Record<string, unknown>> => {
    const at = Date.now();
    const res = await fetch(`${server.origin}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key.token}`, "Content-Type": "application/scim+json" },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    started.set(res.headers.get("X-Request-Id") ?? "", at);
    return res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>);
  };
  const pool = async <T>(items: T[], work: (item: T) => Promise<void>) => {
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await work(items[next++] as T);
    }));
  };

  const burstStart = Date.now();
  const ids: string[] = [];
  await pool([...Array(members).keys()], async (i) => {
    const user = await call("/scim/v2/Users", "POST", { schemas: [USER], userName: `bench.${i}@example.com`, active: true });
    ids.push(String(user.id));
  });
  const group = await call("/scim/v2/Groups", "POST", { schemas: [GROUP], displayName: "Bench group" });
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += MEMBERS_PER_PATCH) chunks.push(ids.slice(i, i + MEMBERS_PER_PATCH));
  await pool(chunks, async (chunk) => {
    await call(`/scim/v2/Groups/${group.id}`, "PATCH", { schemas: [PATCH], Operations: [{ op: "add", path: "members", value: chunk.map((value) => ({ value })) }] });
  });
  const writesDone = Date.now();
  const expected = started.size;
  const deadline = Date.now() + 300_000;
  while (arrivals.size < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  await server.stop();

  const latencies = [...started].flatMap(([requestId, at]) => {
    const arrived = arrivals.get(requestId);
    return arrived === undefined ? [] : [arrived - at];
  }).sort((a, b) => a - b);
  const seconds = (lastArrival - burstStart) / 1000;
  console.log(`writes: ${expected} (${members} user creates, 1 group create, ${chunks.length} member PATCHes of ${MEMBERS_PER_PATCH}) in ${((writesDone - burstStart) / 1000).toFixed(1)} s`);
  console.log(`webhooks delivered: ${delivered} (${arrivals.size}/${expected} writes reached the receiver) in ${seconds.toFixed(1)} s: ${(delivered / seconds).toFixed(1)} events/s`);
  console.log(`SCIM write to webhook: p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, max ${latencies.at(-1)} ms`);
  // Whether delivery kept pace (the queue drained within a batch wait of the last write) or fell behind; and the
  // machine's load, since on a shared machine the write rate, hence events/s, follows it.
  console.log(`last webhook ${((lastArrival - writesDone) / 1000).toFixed(1)} s after the last write; load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
} finally {
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
}
