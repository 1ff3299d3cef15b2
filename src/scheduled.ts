// Cron Trigger handler (wrangler.toml [triggers]): prunes events past retention in bounded batches, so one
// run reads and deletes at most PRUNE_BATCH_SIZE x PRUNE_BATCHES_PER_RUN rows however large the backlog; then
// backfills folded_data (migration 0005) for at most BACKFILL_BATCH_SIZE x BACKFILL_BATCHES_PER_RUN users and
// as many groups, until none is left (storage/repos/folded-backfill.ts).
import type { Env } from "./env.ts";
import { PRUNE_BATCHES_PER_RUN, PRUNE_BATCH_SIZE, parseRetentionDays, retentionCutoff } from "./events/retention.ts";
import { openDb } from "./storage/d1/db.ts";
import { pruneEvents } from "./storage/repos/events.ts";
import { backfillFoldedData } from "./storage/repos/folded-backfill.ts";
import { WEBHOOK_SWEEP_CRON, sweepWebhookEvents } from "./webhooks/sweep.ts";

/** One prune run; returns how many events it deleted. */
export async function pruneExpiredEvents(env: Env, now: number): Promise<number> {
  const cutoff = retentionCutoff(now, parseRetentionDays(env.EVENT_RETENTION_DAYS));
  const db = openDb(env.DB);
  let deleted = 0;
  for (let batch = 0; batch < PRUNE_BATCHES_PER_RUN; batch++) {
    const count = await pruneEvents(db, cutoff, PRUNE_BATCH_SIZE);
    deleted += count;
    // Fewer than a full batch: the oldest events left are within retention (or there are none).
    if (count < PRUNE_BATCH_SIZE) break;
  }
  return deleted;
}

export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  if (controller.cron === WEBHOOK_SWEEP_CRON) return sweepWebhookEvents(env, controller.scheduledTime);
  const deleted = await pruneExpiredEvents(env, controller.scheduledTime);
  console.log(JSON.stringify({ cron: controller.cron, job: "prune-events", deleted }));
  const folded = await backfillFoldedData(openDb(env.DB));
  if (folded.users + folded.groups > 0) console.log(JSON.stringify({ cron: controller.cron, job: "backfill-folded-data", ...folded }));
}
