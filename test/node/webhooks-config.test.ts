// wrangler.toml and the code must agree: the consumer's max_retries is the schedule's attempts minus one (else
// messages reach the dead-letter queue early or the endpoint is never marked failing), every environment has a
// dead-letter queue, and the sweep's cron string is the one scheduled() dispatches on.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { MAX_ATTEMPTS, WEBHOOK_SWEEP_CRON } from "../../src/webhooks/schedule.ts";
import { REPO_ROOT } from "./helpers.ts";

const toml = readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8");

test("every queue consumer retries MAX_ATTEMPTS - 1 times and has a dead-letter queue", () => {
  const consumers = toml.split(/^\[\[(?:env\.\w+\.)?queues\.consumers\]\]$/m).slice(1).map((block) => block.split(/^\[/m)[0] ?? "");
  expect(consumers).toHaveLength(3);
  for (const block of consumers) {
    expect(block).toMatch(new RegExp(`^max_retries = ${MAX_ATTEMPTS - 1}$`, "m"));
    expect(block).toMatch(/^dead_letter_queue = "edge-scim-webhooks-(local|com|de)-dlq"$/m);
  }
});

test("every [triggers] table runs the sweep every minute, first", () => {
  const crons = [...toml.matchAll(/^crons = \[(.*)\]$/gm)].map((m) => m[1]);
  expect(crons).toHaveLength(3);
  for (const list of crons) expect(list?.startsWith(JSON.stringify(WEBHOOK_SWEEP_CRON))).toBe(true);
});

test("plain-http endpoints are allowed only in the local configuration", () => {
  expect(toml.match(/^WEBHOOK_ALLOW_HTTP = "true"$/gm)).toHaveLength(1);
  expect(toml.indexOf('WEBHOOK_ALLOW_HTTP = "true"')).toBeLessThan(toml.indexOf("[env.com]"));
});
