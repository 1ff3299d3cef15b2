// A real HTTP webhook receiver for tests and the bench: it records every POST (headers, body, arrival time) and
// answers each path by a script the test sets (a list of statuses, then 200), so a test can make an endpoint
// fail a number of times, redirect or hang. Signatures are verified by the tests with the `standardwebhooks`
// package, never with this project's signing code.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ReceivedWebhook } from "../support/received-webhook.ts";

interface Script {
  /** Answers for the next requests, in order; then 200. A status of 0 means: never answer (hold the socket). */
  statuses: number[];
  location?: string;
}

export interface Receiver {
  port: number;
  url: (path: string) => string;
  received: (path?: string) => ReceivedWebhook[];
  script: (path: string, statuses: number[], location?: string) => void;
  /** Called for each request after it is recorded (the bench counts arrivals). */
  onRequest: ((hook: ReceivedWebhook) => void) | null;
  close: () => Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(value));
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const log: ReceivedWebhook[] = [];
  const scripts = new Map<string, Script>();
  const held = new Set<ServerResponse>();
  const receiver: Receiver = {
    port: 0,
    url: (path) => `http://127.0.0.1:${receiver.port}${path}`,
    received: (path) => (path === undefined ? [...log] : log.filter((hook) => hook.path === path)),
    script: (path, statuses, location) => void scripts.set(path, { statuses: [...statuses], ...(location ? { location } : {}) }),
    onRequest: null,
    close: () => {
      for (const res of held) res.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer(async (req, res) => {
    // No connection reuse: workerd pools connections, and one the server closed as idle at the moment workerd
    // reused it failed a test's fetch with "Network connection lost".
    res.setHeader("Connection", "close");
    const url = new URL(req.url ?? "/", "http://receiver");
    const body = await readBody(req);
    // Control routes, used by tests running inside workerd (which cannot call this object directly).
    if (url.pathname === "/__received") return sendJson(res, 200, receiver.received(url.searchParams.get("path") ?? undefined));
    if (url.pathname === "/__script") {
      const { path, statuses, location } = JSON.parse(body) as { path: string; statuses: number[]; location?: string };
      receiver.script(path, statuses, location);
      return sendJson(res, 204, null);
    }
    const script = scripts.get(url.pathname);
    const status = script?.statuses.shift() ?? 200;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers[name] = value;
    const hook: ReceivedWebhook = { path: url.pathname, headers, body, receivedAt: Date.now(), status };
    log.push(hook);
    receiver.onRequest?.(hook);
    if (status === 0) return void held.add(res);
    res.writeHead(status, status >= 300 && status < 400 && script?.location ? { Location: script.location } : {});
    res.end(status >= 200 && status < 300 ? "ok" : "no");
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  receiver.port = (server.address() as AddressInfo).port;
  return receiver;
}
