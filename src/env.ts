// Bindings and vars every deployment has (wrangler.toml top level, [env.com], [env.de]).
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
  /** Connect-code attempts on the OAuth authorization page, per tenant and per client IP (src/routes/oauth.ts). */
  OAUTH_CONNECT_ATTEMPTS: RateLimit;
}

// Tests read bindings through `cloudflare:workers`, typed by Cloudflare.Env: the same shape.
type WorkerBindings = Env;
declare global {
  namespace Cloudflare {
    interface Env extends WorkerBindings {}
  }
}
