import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      // Request log lines only for failing tests: a passing run would print one per request (thousands).
      silent: "passed-only" as const,
      projects: [
        {
          // The worker, its routes and its storage: run inside workerd against real D1 and KV bindings.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: { TEST_MIGRATIONS: migrations },
                // Test-only: a tenant limiter small enough to exceed in a test (the real one allows 3000/min).
                ratelimits: {
                  TEST_TENANT_REQUESTS: { namespace_id: "9901", simple: { limit: 5, period: 60 } },
                  // Test-only: a per-key password-failure limiter small enough to exceed (the real one allows 300/min).
                  TEST_PASSWORD_FAIL_BY_KEY: { namespace_id: "9902", simple: { limit: 3, period: 60 } },
                },
              },
            }),
          ],
          test: {
            name: "worker",
            // Generous: CI machines have two cores, and the property tests make hundreds of requests each.
            testTimeout: 60_000,
            hookTimeout: 120_000,
            include: ["test/worker/**/*.test.ts"],
            setupFiles: ["./test/worker/setup/apply-migrations.ts"],
            // A real HTTP receiver for webhook deliveries (Node side), its port injected into the tests.
            globalSetup: ["./test/node/receiver-setup.ts"],
          },
        },
        {
          // The operator's key CLI: Node driving wrangler against a throwaway local state.
          test: {
            name: "cli",
            include: ["test/node/**/*.test.ts"],
            environment: "node",
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
