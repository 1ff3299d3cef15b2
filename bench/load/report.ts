// The load test's verdict and figures: totals, status counts, latency percentiles overall and per
// operation, and the read-back check. Pure: it formats what the run measured.
import type { LoadOptions } from "./args.ts";
import type { Recorder } from "./client.ts";
import type { HoldResult } from "./driver.ts";
import type { Verification } from "./verify.ts";

export interface LoadReport {
  passed: boolean;
  reasons: string[];
  requests: number;
  achievedRps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  status5xx: number;
  status429: number;
  unexpected: number;
  networkErrors: number;
  skipped: number;
  lostWrites: number;
  text: string;
}

/** Nearest-rank percentile of an ascending list. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? Number.NaN;
}

const ms = (value: number) => (Number.isNaN(value) ? "-" : value < 10 ? value.toFixed(1) : Math.round(value).toString());
const n = (value: number) => value.toLocaleString("en-US");

export function buildReport(options: LoadOptions, hold: HoldResult, load: Recorder, verification: Verification): LoadReport {
  const all = [...load.latencies.values()].flat().sort((a, b) => a - b);
  const status5xx = load.count((s) => s >= 500);
  const status429 = load.count((s) => s === 429);
  const reasons: string[] = [];
  if (status5xx > 0) reasons.push(`${status5xx} responses were 5xx`);
  if (load.unexpected > 0) reasons.push(`${load.unexpected} requests got an unexpected answer`);
  if (hold.skipped > 0) reasons.push(`${hold.skipped} due requests could not be sent (rate not held at --max-in-flight ${options.maxInFlight})`);
  if (verification.lostWrites > 0) reasons.push(`${verification.lostWrites} lost writes`);
  if (verification.uncertain > 0) reasons.push(`${verification.uncertain} resources left uncertain by unanswered writes`);

  const lines = [
    `Load: ${options.tenants} tenants x ${options.rps} requests/s for ${options.seconds}s (seed ${options.seed})`,
    `requests        ${n(load.requests)} sent of ${n(hold.due)} due, ${(load.requests / hold.seconds).toFixed(1)}/s achieved`,
    `statuses        ${[...load.statuses].sort(([a], [b]) => a - b).map(([s, c]) => `${s}: ${n(c)}`).join(", ")}`,
    `5xx             ${status5xx}    429: ${status429}    unexpected: ${load.unexpected}    no answer: ${load.networkErrors}`,
    `latency (ms)    p50 ${ms(percentile(all, 50))}   p95 ${ms(percentile(all, 95))}   p99 ${ms(percentile(all, 99))}   max ${ms(all.at(-1) ?? Number.NaN)}`,
    "",
    `${"operation".padEnd(30)} ${"requests".padStart(9)} ${"p50".padStart(7)} ${"p95".padStart(7)} ${"p99".padStart(7)}`,
    ...[...load.latencies]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([op, list]) => {
        const sorted = [...list].sort((a, b) => a - b);
        return `${op.padEnd(30)} ${n(list.length).padStart(9)} ${ms(percentile(sorted, 50)).padStart(7)} ${ms(percentile(sorted, 95)).padStart(7)} ${ms(percentile(sorted, 99)).padStart(7)}`;
      }),
    "",
    `read back       ${n(verification.usersChecked)} users, ${n(verification.groupsChecked)} groups, ${n(verification.deletedChecked)} deleted users: ${verification.lostWrites} lost writes`,
    ...load.failures.map((f) => `  failure  ${f.op}: ${f.detail}`),
    ...verification.samples.map((s) => `  lost     ${s}`),
    "",
    reasons.length === 0 ? "PASS" : `FAIL: ${reasons.join("; ")}`,
  ];
  return {
    passed: reasons.length === 0,
    reasons,
    requests: load.requests,
    achievedRps: load.requests / hold.seconds,
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    p99: percentile(all, 99),
    max: all.at(-1) ?? Number.NaN,
    status5xx,
    status429,
    unexpected: load.unexpected,
    networkErrors: load.networkErrors,
    skipped: hold.skipped,
    lostWrites: verification.lostWrites,
    text: lines.join("\n"),
  };
}
