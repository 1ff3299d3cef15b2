import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

/** Test files running at once in npm test, across its projects (see maxWorkers below). */
const MAX_WORKERS = 3;

/**
 * The operator's commands end to end: every `npm run keys`, `oauth` and `webhooks` command and backup step
 * spawns wrangler (two to four seconds of CPU each, by design of the CLI). The example application's end-to-end
 * run joins them: booted beside the cli project's two dev servers it was once refused its address. They run one
 * file at a time in their own tier,
 * `npm run test:operator`, which CI runs beside `npm test` (README, "Tests").
 */
const OPERATOR_TESTS = ["test/node/keys-cli.test.ts", "test/node/backup-roundtrip.test.ts", "test/node/oauth-cli.test.ts", "test/node/webhooks-cli.test.ts", "test/node/example-sync.test.ts", "test/node/example-webhooks.test.ts"];

/**
 * The share of each property test's full run count to run (test/support/fast-check.ts): all of it in CI
 * (CI=true), a quarter locally so `npm test` stays quick. FAST_CHECK_SCALE (a number in (0, 1]) overrides.
 */
function fastCheckScale(): number {
  const set = process.env.FAST_CHECK_SCALE;
  if (set !== undefined && set !== "") {
    const scale = Number(set);
    if (!(scale > 0 && scale <= 1)) throw new Error(`FAST_CHECK_SCALE must be a number in (0, 1], got ${JSON.stringify(set)}`);
    return scale;
  }
  return process.env.CI === "true" ? 1 : 0.25;
}

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const provide = { fastCheckScale: fastCheckScale() };
  return {
    test: {
      // Request log lines only for failing tests: a passing run would print one per request (thousands).
      silent: "passed-only" as const,
      // Vitest's default is one worker per core minus one: a single worker on a two-core machine, so every
      // file ran after the other. Three at once keeps both cores busy while a file waits (on wrangler, on
      // workerd's start). Vitest runs projects side by side only when they share one maxWorkers (a project
      // with maxWorkers 1 is queued after all others), so the projects of npm test repeat it.
      maxWorkers: MAX_WORKERS,
      projects: [
        {
          // Pure protocol code (src/scim): no bindings, so plain Node, no workerd to start per file.
          test: {
            name: "unit",
            include: ["test/unit/**/*.test.ts"],
            environment: "node",
            maxWorkers: MAX_WORKERS,
            provide,
          },
        },
        {
          // The worker, its routes and its storage: run inside workerd against real D1 and KV bindings.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                // The Worker secrets (src/config.ts), fixed test values: tests that need another value (a
                // cursor signed with a different key) derive it themselves.
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  CURSOR_SECRET: "test-cursor-secret-0123456789abcdefghijklmnop",
                  PASSWORD_PEPPER: "test-password-pepper-0123456789abcdefghijklmn",
                },
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
            maxWorkers: MAX_WORKERS,
            provide,
            // A real HTTP receiver for webhook deliveries (Node side), its port injected into the tests.
            globalSetup: ["./test/node/receiver-setup.ts"],
          },
        },
        {
          // The CLIs' in-process parts and `npm run dev` as the README starts it (with Okta's SPEC test).
          test: {
            name: "cli",
            include: ["test/node/**/*.test.ts"],
            exclude: [...configDefaults.exclude, ...OPERATOR_TESTS],
            environment: "node",
            testTimeout: 120_000,
            hookTimeout: 120_000,
            maxWorkers: MAX_WORKERS,
            provide,
          },
        },
        {
          // The operator's key and backup commands driving real wrangler processes on throwaway local state.
          test: {
            name: "operator",
            include: OPERATOR_TESTS,
            environment: "node",
            testTimeout: 120_000,
            hookTimeout: 120_000,
            // One file at a time: both files are wrangler-bound, and side by side on two cores the backup round
            // trip overran its 120 s timeout. (A project with maxWorkers 1 runs after the others; this tier
            // runs on its own anyway.)
            maxWorkers: 1,
            provide,
          },
        },
      ],
    },
  };
});
