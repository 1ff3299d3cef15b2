// Bindings, vars and secrets every deployment has (wrangler.toml top level, [env.com], [env.de]; secrets by
// `wrangler secret put`). Read through src/config.ts, which validates them once.
import type { WebhookMessage } from "./webhooks/message.ts";

export interface Env {
  DB: D1Database;
  KV: KVNamespace;
  PUBLIC_BASE_URL: string;
  REGION: string;
  /** How long a warm isolate trusts a key record before re-reading KV; "0" disables the cache. */
  KEY_CACHE_SECONDS?: string;
  /** Tests only: a lower cap on the rows a filter may scan (default and maximum: UNINDEXED_SCAN_CAP). */
  UNINDEXED_SCAN_CAP?: string;
  /** "true": every response carries Server-Timing with the request's D1 rows read/written (local and tests). */
  EXPOSE_D1_COST?: string;
  /** Secret (wrangler secret put; .dev.vars locally): the key that signs and encrypts paging cursors. */
  CURSOR_SECRET: string;
  /** Secret: the pepper mixed into every user password hash (HMAC-SHA-256 before PBKDF2). */
  PASSWORD_PEPPER: string;
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
  /** Connect-code attempts on the OAuth authorization page, per tenant and per client IP (src/routes/oauth.ts). */
  OAUTH_CONNECT_ATTEMPTS: RateLimit;
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
