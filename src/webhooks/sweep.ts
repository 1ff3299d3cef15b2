// The every-minute Cron Trigger (wrangler.toml [triggers]): enqueues events that were committed but never
// enqueued. The other cron (retention prune) is dispatched by src/scheduled.ts.
import type { Env } from "../env.ts";
import { openDb } from "../storage/d1/db.ts";
import { sweepUnenqueued } from "./dispatch.ts";
import { WEBHOOK_SWEEP_CRON } from "./schedule.ts";

export { WEBHOOK_SWEEP_CRON };

export async function sweepWebhookEvents(env: Env, now: number): Promise<void> {
  const { events, messages } = await sweepUnenqueued(env, openDb(env.DB), now);
  if (events > 0) console.log(JSON.stringify({ cron: WEBHOOK_SWEEP_CRON, job: "sweep-webhook-events", events, messages }));
}
