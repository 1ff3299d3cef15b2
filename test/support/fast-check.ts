// How many cases a fast-check property runs: its full count in CI, a share of it locally (vitest.config.ts,
// FAST_CHECK_SCALE). Thresholds that count what the cases did scale with it through `scaled`.
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** Share of each property's full run count, in (0, 1]: 1 in CI. */
    fastCheckScale: number;
  }
}

/** numRuns for a property whose full count is `full`. */
export function runs(full: number): number {
  return scaled(full);
}

/** A count (runs, or a threshold on what the runs did) at the configured share, never below 1. */
export function scaled(full: number): number {
  return Math.max(1, Math.round(full * inject("fastCheckScale")));
}
