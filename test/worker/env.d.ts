declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** vitest.config.ts: a TENANT_REQUESTS stand-in with a limit of 5 per minute. */
    TEST_TENANT_REQUESTS: RateLimit;
  }
}
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../../src/index.ts");
  }
}
