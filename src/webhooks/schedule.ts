// The delivery policy: how long an endpoint has to answer, and when a failed delivery is tried again.
// Keep MAX_ATTEMPTS in step with `max_retries` of the queue consumers in wrangler.toml (MAX_ATTEMPTS - 1):
// the attempt after the last delay is the last one, and its failure sends the message to the dead-letter queue.

/** A 2xx answer within this time is a delivery; anything slower is a failed attempt. */
export const DELIVERY_TIMEOUT_MS = 15_000;

/** Delay before attempt n + 2 (index n): seconds, then minutes, then hours. Sums to 85,355 s, about 23.7 h. */
export const RETRY_DELAYS_SECONDS = [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 28_800, 28_800] as const;

export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;

/** The delay before the next attempt after attempt `attempt` (1-based) failed, or null when it was the last. */
export function retryDelaySeconds(attempt: number): number | null {
  if (attempt >= MAX_ATTEMPTS) return null;
  return RETRY_DELAYS_SECONDS[Math.max(0, attempt - 1)] ?? null;
}

/** Recent attempts kept per endpoint (webhook_deliveries is a ring buffer of this many slots each). */
export const DELIVERY_SLOTS = 100;

/** The sweep's Cron Trigger: must equal the first entry of `crons` in every [triggers] table of wrangler.toml. */
export const WEBHOOK_SWEEP_CRON = "* * * * *";
