// The bench's worker: the deployed app plus the floor statements (floor-routes.ts) behind the same auth and
// meter, and D1 at a modelled distance (d1-delay.ts, var D1_RTT_MS from `npm run bench -- --d1-rtt N`).
// `npm run bench` bundles this entry; `wrangler deploy` bundles src/index.ts, which has none of this.
import { createApp } from "../../src/app.ts";
import type { Env } from "../../src/env.ts";
import deployed from "../../src/index.ts";
import { delayD1, parseRttMs } from "./d1-delay.ts";
import { benchFloor } from "./floor-routes.ts";

interface BenchEnv extends Env {
  /** Milliseconds added to every D1 round trip; unset or "0": none. */
  D1_RTT_MS?: string;
}

const app = createApp((scim) => scim.route("/", benchFloor));

export default {
  // The Cron Triggers and the webhook queue run as deployed.
  scheduled: deployed.scheduled,
  queue: deployed.queue,
  fetch(request: Request, env: BenchEnv, ctx: ExecutionContext): Response | Promise<Response> {
    // The app sees the delayed binding only: its meter, its queries and the floor's statement all go through it.
    return app.fetch(request, { ...env, DB: delayD1(env.DB, parseRttMs(env.D1_RTT_MS)) }, ctx);
  },
} satisfies ExportedHandler<BenchEnv>;
