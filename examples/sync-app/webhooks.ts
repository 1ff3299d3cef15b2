// Webhook mode: edge-scim pushes each event; this receiver verifies it, stores it and applies it in feed order.
//   - Verified with the `standardwebhooks` package, the Standard Webhooks reference library: signature scheme,
//     constant-time comparison, several signatures during a secret rotation and the timestamp tolerance that
//     stops replays are its job, not something to re-implement in every application.
//   - Deduplicated by `webhook-id` (the event id): an id at or below the last applied one, or already in the
//     inbox, changes nothing. Delivery is at least once.
//   - Applied in id order: ids are gapless per tenant, so event n + 1 is applied right after n. One that arrives
//     early (delivery is unordered; an earlier one may be waiting for a retry) is stored in the inbox, and is
//     applied when the gap closes. The answer is 2xx only once the event is stored (applied, or in the inbox),
//     in a committed SQLite transaction: a crash after it loses nothing.
//   - A gap that stays open longer than --gap-ms (the earlier delivery went to the dead-letter queue, the
//     endpoint was disabled for a while) is filled from the events API, which is the source of truth; so is
//     everything after an idle --interval (a last event whose delivery never came leaves no gap behind it).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { applyEvent, describeEvent, type Directory, type FeedEvent } from "./directory.ts";
import { pull, type Client } from "./feed.ts";

export interface WebhookOptions {
  host: string;
  port: number;
  path: string;
  /** The endpoint's signing secret, whsec_... */
  secret: string;
  /** How long an event may wait in the inbox for an earlier one before the events API fills the gap. */
  gapMs: number;
  /** Reads the events API at least this often, in case the last deliveries never came. */
  reconcileMs: number;
}

const MAX_BODY_BYTES = 1024 * 1024;

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge());
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return typeof value === "string" ? value : "";
};

export class WebhookSync {
  private readonly directory: Directory;
  private readonly client: Client;
  private readonly options: WebhookOptions;
  private readonly verifier: Webhook;
  /** One events API catch-up at a time; webhooks keep being stored meanwhile. */
  private catchingUp: Promise<void> | null = null;
  private gapSince: number | null = null;
  private lastPull = 0;
  readonly counts = { received: 0, duplicates: 0, kept: 0, rejected: 0, catchUps: 0 };

  constructor(directory: Directory, client: Client, options: WebhookOptions) {
    this.directory = directory;
    this.client = client;
    this.options = options;
    this.verifier = new Webhook(options.secret);
  }

  /** Applies the inbox from the next id on, one transaction per event, for as long as there is no gap. */
  private drain(): void {
    for (;;) {
      const applied = this.directory.applied();
      const next = applied === null ? null : this.directory.kept(applied + 1);
      if (applied === null || next === null) break;
      this.directory.transaction({ applied: applied + 1 }, () => {
        applyEvent(this.directory, next);
        this.directory.forgetThrough(applied + 1);
      });
      console.log(`${describeEvent(next)} via webhook`);
    }
    const first = this.directory.firstKept();
    this.gapSince = first === null ? null : (this.gapSince ?? Date.now());
  }

  /** Stores a verified event and applies what it makes applicable. Synchronous: done before the answer. */
  private store(event: FeedEvent, body: string): void {
    const id = Number(event.id);
    const applied = this.directory.applied();
    if (applied !== null && id <= applied) {
      this.counts.duplicates++;
      return;
    }
    this.directory.keep(id, body);
    this.drain();
    if (this.directory.kept(id) !== null) this.counts.kept++;
  }

  /** Reads the events API from the cursor to the end, then applies what the inbox holds beyond it. */
  catchUp(reason: string): Promise<void> {
    this.catchingUp ??= (async () => {
      try {
        this.counts.catchUps++;
        console.log(`catching up from the events API: ${reason}`);
        await pull(this.client, this.directory, " via events API");
        this.lastPull = Date.now();
        const applied = this.directory.applied();
        if (applied !== null) this.directory.forgetThrough(applied);
        this.gapSince = null;
        this.drain();
      } finally {
        this.catchingUp = null;
      }
    })();
    return this.catchingUp;
  }

  /** Every 250 ms: a gap older than gapMs, an unknown position with events waiting, or a quiet interval -> catch up. */
  async tick(): Promise<void> {
    if (this.catchingUp !== null) return;
    const now = Date.now();
    if (this.gapSince !== null && (this.directory.applied() === null || now - this.gapSince >= this.options.gapMs)) {
      await this.catchUp(this.directory.applied() === null ? "position unknown since the snapshot" : `event ${this.directory.applied()! + 1} missing for ${now - this.gapSince} ms`);
    } else if (now - this.lastPull >= this.options.reconcileMs) {
      await this.catchUp("periodic reconciliation");
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = (status: number, text = ""): void => void res.writeHead(status, { "Content-Type": "text/plain" }).end(text);
    if (new URL(req.url ?? "/", "http://receiver").pathname !== this.options.path) return answer(404);
    if (req.method !== "POST") return answer(405);
    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      return answer(error instanceof BodyTooLarge ? 413 : 400);
    }
    this.counts.received++;
    let event: FeedEvent;
    try {
      const headers = { "webhook-id": header(req, "webhook-id"), "webhook-timestamp": header(req, "webhook-timestamp"), "webhook-signature": header(req, "webhook-signature") };
      event = this.verifier.verify(body, headers) as FeedEvent;
      if (String(event.id) !== headers["webhook-id"]) throw new WebhookVerificationError("webhook-id is not the event's id");
    } catch (error) {
      this.counts.rejected++;
      console.log(`refused a delivery: ${error instanceof Error ? error.message : String(error)}`);
      return answer(401, "invalid signature");
    }
    if (event.type === "ping") return answer(204);
    // Signed by edge-scim, so this does not happen; if it did, storing it under a made-up id would be worse.
    if (!/^[1-9]\d{0,14}$/.test(event.id)) return answer(422, "not an event id");
    try {
      this.store(event, body);
    } catch (error) {
      // Not stored (the database is busy or failing): a non-2xx, so edge-scim retries it.
      console.error(`could not store event ${event.id}: ${error instanceof Error ? error.message : String(error)}`);
      return answer(500, "not stored");
    }
    answer(204);
  }

  /** Starts the receiver; resolves with its URL once it listens. */
  async listen(): Promise<{ url: string; close: () => Promise<void> }> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        console.error(error);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.options.port, this.options.host, resolve));
    const { port } = server.address() as AddressInfo;
    const url = `http://${this.options.host}:${port}${this.options.path}`;
    return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }
}
