// Bindings and vars every deployment has (wrangler.toml top level, [env.com], [env.de]).
import type { WebhookMessage } from "./webhooks/message.ts";

export interface Env {
  DB: D1Database;
  KV: KVNamespace;
  PUBLIC_BASE_URL: string;
  REGION: string;
  /** How long a warm isolate trusts a key record before re-reading KV; "0" disables the cache. */
  KEY_CACHE_SECONDS?: string;
  /** "true": every response carries Server-Timing with the request's D1 rows read/written (local and tests). */
  EXPOSE_D1_COST?: string;
  /** Failed authentications per client IP (IPv6: per /64). See src/http/rate-limit.ts. */
  AUTH_FAIL_BY_IP: RateLimit;
  /** Failed authentications per presented key id. */
  AUTH_FAIL_BY_KEY: RateLimit;
  /** Authenticated requests per tenant. */
  TENANT_REQUESTS: RateLimit;
  /** Failed password checks (POST /v1/passwords/verify) per user of a tenant. */
  PASSWORD_FAIL_BY_USER: RateLimit;
  /** Failed password checks per application key. */
  PASSWORD_FAIL_BY_KEY: RateLimit;
  /** Days the change feed keeps events (default 30); the Cron Trigger prunes older ones. */
  EVENT_RETENTION_DAYS?: string;
  /** Webhook deliveries: produced after each commit and by the sweep, consumed by queue() (src/webhooks/). */
  WEBHOOK_QUEUE: Queue<WebhookMessage>;
  /** "true" in local development only: endpoints may be plain http (a receiver on localhost). */
  WEBHOOK_ALLOW_HTTP?: string;
}

// Tests read bindings through `cloudflare:workers`, typed by Cloudflare.Env: the same shape.
type WorkerBindings = Env;
declare global {
  namespace Cloudflare {
    interface Env extends WorkerBindings {}
  }
}
