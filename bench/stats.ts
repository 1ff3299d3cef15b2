// Summaries of an operation's samples: latency percentiles over the successful requests, throughput over
// the phase's wall time, and D1 cost per request (mean, and the spread, since a walk's pages differ).
import type { Sample } from "./client.ts";

/** Nearest-rank percentile of ascending `sorted` (p in 0..100); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

const mean = (values: readonly number[]) => (values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length);

export interface OpSummary {
  requests: number;
  /** Responses outside 2xx/304. */
  errors: number;
  /** Status codes of the errors, with how often each came. */
  errorStatuses: Record<string, number>;
  requestsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  meanMs: number;
  rowsRead: number;
  rowsReadMin: number;
  rowsReadMax: number;
  rowsWritten: number;
  queries: number;
  /** Mean round trips per request, and the most any request made. */
  roundTrips: number;
  roundTripsMax: number;
  /** Mean D1 SQL time per request, as D1 reports it. */
  d1Ms: number;
}

const round = (value: number, digits: number) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);

export function summarize(samples: readonly Sample[], wallSeconds: number): OpSummary {
  const isOk = (s: Sample) => (s.status >= 200 && s.status < 300) || s.status === 304;
  const ok = samples.filter(isOk);
  const errorStatuses: Record<string, number> = {};
  for (const s of samples) if (!isOk(s)) errorStatuses[s.status] = (errorStatuses[s.status] ?? 0) + 1;
  const latencies = ok.map((s) => s.ms).sort((a, b) => a - b);
  const reads = ok.map((s) => s.rowsRead);
  return {
    requests: samples.length,
    errors: samples.length - ok.length,
    errorStatuses,
    requestsPerSecond: round(wallSeconds > 0 ? samples.length / wallSeconds : Number.NaN, 1),
    p50: round(percentile(latencies, 50), 2),
    p95: round(percentile(latencies, 95), 2),
    p99: round(percentile(latencies, 99), 2),
    meanMs: round(mean(latencies), 2),
    rowsRead: round(mean(reads), 1),
    rowsReadMin: reads.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY),
    rowsReadMax: reads.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY),
    rowsWritten: round(mean(ok.map((s) => s.rowsWritten)), 1),
    queries: round(mean(ok.map((s) => s.queries)), 1),
    roundTrips: round(mean(ok.map((s) => s.roundTrips)), 1),
    roundTripsMax: ok.reduce((a, s) => Math.max(a, s.roundTrips), Number.NEGATIVE_INFINITY),
    d1Ms: round(mean(ok.map((s) => s.d1Ms)), 2),
  };
}
