declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** vitest.config.ts: a TENANT_REQUESTS stand-in with a limit of 5 per minute. */
    TEST_TENANT_REQUESTS: RateLimit;
    /** vitest.config.ts: a PASSWORD_FAIL_BY_KEY stand-in with a limit of 3 per minute. */
    TEST_PASSWORD_FAIL_BY_KEY: RateLimit;
  }
}
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("../../src/index.ts");
  }
}
