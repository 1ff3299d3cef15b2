// Event retention: how long the feed keeps events, and how much one prune run may delete.
// The variable is parsed when the prune runs and fails closed: a typo never deletes more than intended.

export const DEFAULT_RETENTION_DAYS = 30;
const MAX_RETENTION_DAYS = 3650;

/** Rows one prune statement deletes at most, and statements one scheduled run makes at most. */
export const PRUNE_BATCH_SIZE = 1000;
export const PRUNE_BATCHES_PER_RUN = 10;

/** EVENT_RETENTION_DAYS: a whole number of days from 1 to 3650; unset means 30. Anything else throws. */
export function parseRetentionDays(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_RETENTION_DAYS;
  if (!/^[1-9][0-9]{0,3}$/.test(value) || Number(value) > MAX_RETENTION_DAYS) {
    throw new Error(`EVENT_RETENTION_DAYS must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Events created before this instant are past retention. */
export function retentionCutoff(now: number, days: number): string {
  return new Date(now - days * 86_400_000).toISOString();
}
