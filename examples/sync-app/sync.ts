// An application that keeps its own copy of a tenant's directory from edge-scim's change feed, with nothing but
// Node 22 (fetch, node:sqlite) and, in webhook mode, the standardwebhooks library. The sync protocol (README,
// "Consuming changes in your application"):
//   1. head:     GET /v1/events?limit=0                 -> the cursor of the newest event
//   2. snapshot: GET /scim/v2/Users and /scim/v2/Groups -> every user and group as they are now
//   3. follow:   GET /v1/events?after=<cursor>          -> every change since the head, oldest first
//      or, in webhook mode, receive each event as a signed POST (webhooks.ts), with the events API filling gaps.
// Events already reflected in the snapshot replay harmlessly: a user event older than the stored version is
// skipped, and membership changes are applied in feed order, so the last one wins. A 410 (the cursor is
// older than retention) means: start again at 1.
//
//   node --experimental-strip-types examples/sync-app/sync.ts --base http://localhost:8787 --token <app key> --db sync.db
//   EDGE_SCIM_WEBHOOK_SECRET=whsec_... node --experimental-strip-types examples/sync-app/sync.ts ... --webhook-port 9000
import { parseArgs } from "node:util";
import { Directory } from "./directory.ts";
import { Client, CursorExpired, pull, snapshot } from "./feed.ts";
import type { WebhookOptions } from "./webhooks.ts";

interface Options {
  base: string;
  token: string;
  db: string;
  /** Milliseconds between polls once caught up (webhook mode: between reconciliations with the events API). */
  interval: number;
  /** Stop once caught up instead of polling on (polling mode only). */
  once: boolean;
  webhook: WebhookOptions | null;
}

const USAGE =
  "usage: sync.ts --base <url> --token <app key> [--db FILE] [--interval MS] [--once]\n" +
  "       [--webhook-port N [--webhook-host 127.0.0.1] [--webhook-path /webhooks] [--gap-ms MS]] " +
  "(token also from EDGE_SCIM_TOKEN; the webhook secret only from EDGE_SCIM_WEBHOOK_SECRET)";

function integer(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}\n${USAGE}`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: "string" },
      token: { type: "string" },
      db: { type: "string", default: "sync.db" },
      interval: { type: "string" },
      once: { type: "boolean", default: false },
      "webhook-port": { type: "string" },
      "webhook-host": { type: "string", default: "127.0.0.1" },
      "webhook-path": { type: "string", default: "/webhooks" },
      "gap-ms": { type: "string", default: "15000" },
    },
    strict: true,
  });
  const token = values.token ?? process.env.EDGE_SCIM_TOKEN;
  if (values.base === undefined || token === undefined) throw new Error(USAGE);
  const webhookMode = values["webhook-port"] !== undefined;
  // The secret is read from the environment only: a command-line argument is visible to every user in `ps`.
  const secret = process.env.EDGE_SCIM_WEBHOOK_SECRET;
  if (webhookMode && (secret === undefined || !secret.startsWith("whsec_"))) {
    throw new Error(`webhook mode needs the endpoint's signing secret (whsec_...) in EDGE_SCIM_WEBHOOK_SECRET\n${USAGE}`);
  }
  if (webhookMode && values.once) throw new Error(`--once is for polling mode\n${USAGE}`);
  // Polling: every second. Webhook mode: the events API is only a safety net, read once a minute when quiet.
  const interval = integer("interval", values.interval ?? (webhookMode ? "60000" : "1000"), 10, 86_400_000);
  return {
    base: values.base.replace(/\/+$/, ""),
    token,
    db: values.db,
    interval,
    once: values.once,
    webhook: webhookMode
      ? {
          host: values["webhook-host"],
          port: integer("webhook-port", values["webhook-port"]!, 0, 65_535),
          path: values["webhook-path"],
          secret: secret!,
          gapMs: integer("gap-ms", values["gap-ms"], 0, 86_400_000),
          reconcileMs: interval,
        }
      : null,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function poll(client: Client, directory: Directory, options: Options): Promise<void> {
  for (;;) {
    await pull(client, directory, "");
    if (options.once) return;
    await sleep(options.interval);
  }
}

/** Webhook mode: the receiver stores and applies deliveries; this loop fills gaps from the events API. */
async function receive(client: Client, directory: Directory, webhook: WebhookOptions): Promise<never> {
  // Loaded here: polling mode needs nothing beyond Node; webhook mode needs the standardwebhooks package.
  const { WebhookSync } = await import("./webhooks.ts");
  const sync = new WebhookSync(directory, client, webhook);
  const { url } = await sync.listen();
  console.log(`listening for webhooks on ${url}`);
  process.on("SIGTERM", () => {
    const c = sync.counts;
    console.log(`webhooks: ${c.received} received, ${c.duplicates} duplicates, ${c.kept} kept for later, ${c.rejected} refused; ${c.catchUps} events API catch-ups`);
  });
  for (;;) {
    try {
      await sync.tick();
    } catch (error) {
      if (error instanceof CursorExpired) {
        // Resynchronise without closing the receiver: deliveries meanwhile wait in the inbox.
        console.log(`resynchronising: ${error.message}`);
        await snapshot(client, directory);
      } else {
        // edge-scim unreachable for a moment: deliveries keep being stored; the next tick tries again.
        console.error(`events API: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    await sleep(250);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const client = new Client(options.base, options.token);
  const directory = new Directory(options.db);
  process.on("SIGTERM", () => setImmediate(() => process.exit(0)));
  for (;;) {
    try {
      if (directory.cursor() === null) await snapshot(client, directory);
      if (options.webhook !== null) await receive(client, directory, options.webhook);
      else await poll(client, directory, options);
      return;
    } catch (error) {
      if (!(error instanceof CursorExpired)) throw error;
      console.log(`resynchronising: ${error.message}`);
      directory.clear();
    }
  }
}

await main();
