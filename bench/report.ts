// The results: a table per tenant size on stdout, and bench/results/<stamp>.json, .md (and .svg with two or
// more sizes). Each operation's D1 rows sit beside its floor's, with the issue's check where it applies.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchOptions } from "./args.ts";
import { renderChart } from "./chart.ts";
import { machineLine, type Machine } from "./machine.ts";
import { passwordCpuLine, type PasswordCpu } from "./password-cpu.ts";
import { OP_LIST, WITHIN_FLOOR_RULE, withinFloor, type FloorName } from "./ops.ts";
import type { SeedResult } from "./seed.ts";
import { summarize, type OpSummary } from "./stats.ts";
import type { WalkResult } from "./walk.ts";
import type { WorkloadResult } from "./workload.ts";

export interface OpRow {
  op: string;
  concurrency: number;
  server: OpSummary;
  floor: string | null;
  floorSummary: OpSummary | null;
  /** The two-statement floor of an operation that needs two dependent steps (OpInfo.twoStepFloor). */
  twoStepFloorSummary?: OpSummary | null;
  /** null where the issue sets no target for the operation. */
  withinFloor: boolean | null;
}

export interface SizeReport {
  users: number;
  tenant: string;
  /** totalResults when the measurement started. */
  totalUsers: number;
  bigGroupMembers: number;
  seed: SeedResult & { seededNow: boolean };
  walk: WalkResult;
  workloadSeconds: number;
  ops: OpRow[];
  floors: Record<string, OpSummary & { concurrency: number }>;
}

export interface BenchReport {
  startedAt: string;
  totalSeconds: number;
  command: string;
  machine: Machine;
  options: Omit<BenchOptions, "outDir" | "persistTo" | "baseline"> & { persisted: boolean };
  steps: Record<string, number>;
  /** 1-minute load average at the end (the start's is in machine). */
  loadAverageAtEnd: number;
  sizes: SizeReport[];
  /** CPU time of the password hash itself (measured in the bench's process; workerd has no local CPU figure). */
  passwordCpu: PasswordCpu;
  /** Rows written per operation in an earlier run (--baseline), by operation name; null without one. */
  baseline: { file: string; startedAt: string; users: number; rowsWritten: Record<string, number> } | null;
}

/** Rows written per operation of the baseline run's size nearest to `users` (rows written do not grow with size). */
export function readBaseline(file: string | null, users: number): BenchReport["baseline"] {
  if (file === null || !existsSync(file)) return null;
  const earlier = JSON.parse(readFileSync(file, "utf8")) as Pick<BenchReport, "startedAt" | "sizes">;
  const nearest = [...earlier.sizes].sort((a, b) => Math.abs(a.users - users) - Math.abs(b.users - users))[0];
  if (nearest === undefined) return null;
  const rowsWritten = Object.fromEntries(nearest.ops.map((row) => [row.op, row.server.rowsWritten]));
  return { file, startedAt: earlier.startedAt, users: nearest.users, rowsWritten };
}

const EVENTS_HEADER = ["operation", "rows written", "without events", "events add"];

/** This run's rows written per write operation beside the baseline's: what the outbox costs. */
function eventsRows(report: BenchReport): string[][] {
  const baseline = report.baseline;
  const size = report.sizes[0];
  if (baseline === null || size === undefined) return [];
  return size.ops
    .filter((row) => row.server.rowsWritten > 0 || (baseline.rowsWritten[row.op] ?? 0) > 0)
    .map((row) => {
      const before = baseline.rowsWritten[row.op];
      return [row.op, rows(row.server.rowsWritten), before === undefined ? "-" : rows(before), before === undefined ? "-" : rows(row.server.rowsWritten - before)];
    });
}

function baselineTitle(report: BenchReport): string {
  const b = report.baseline!;
  return `Rows written per operation (${count(report.sizes[0]?.totalUsers ?? 0)} users) beside ${b.file.replace(/^.*\/bench\//, "bench/")} (${b.startedAt}, ${count(b.users)} users, before the change feed): what the events add.`;
}

export function sizeReport(
  base: Omit<SizeReport, "ops" | "floors" | "walk" | "totalUsers">,
  result: WorkloadResult,
): SizeReport {
  const floors: SizeReport["floors"] = {};
  for (const [name, measured] of result.ops) {
    if (name.startsWith("floor: ")) floors[name] = { ...summarize(measured.samples, measured.wallSeconds), concurrency: measured.concurrency };
  }
  const ops: OpRow[] = [];
  for (const info of OP_LIST) {
    const measured = result.ops.get(info.name);
    if (!measured) continue;
    const server = summarize(measured.samples, measured.wallSeconds);
    const floorSummary = info.floor === null ? null : (floors[info.floor as FloorName] ?? null);
    ops.push({
      op: info.name,
      concurrency: measured.concurrency,
      server,
      floor: info.floor,
      floorSummary,
      twoStepFloorSummary: info.twoStepFloor === undefined ? null : (floors[info.twoStepFloor] ?? null),
      withinFloor: info.check && floorSummary !== null ? withinFloor(server.rowsRead, floorSummary.rowsRead) : null,
    });
  }
  return { ...base, totalUsers: result.totalUsers, walk: result.walk, ops, floors };
}

const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "-");
const count = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "-");
const rows = (value: number) => (Number.isFinite(value) ? (value >= 100 ? count(value) : fmt(value)) : "-");
const mark = (within: boolean | null) => (within === null ? "" : within ? "yes" : "NO");

const HEADER = [
  "operation", "c", "req", "err", "req/s", "p50 ms", "p95 ms", "p99 ms", "d1 ms", "round trips", "rows read", "rows written", "queries",
  "floor trips", "floor read", "floor written", "floor p50 ms", "floor p95 ms", "p50 / floor", "within",
];

/** Mean round trips, with the most any request made when some made more (retries, a cold tenant cache). */
const trips = (summary: OpSummary) => {
  if (!Number.isFinite(summary.roundTrips)) return "-";
  const mean = fmt(summary.roundTrips);
  return summary.roundTripsMax > Math.ceil(summary.roundTrips) ? `${mean} (max ${summary.roundTripsMax})` : mean;
};
const ratio = (server: OpSummary, floor: OpSummary) => (floor.p50 > 0 ? `${fmt(server.p50 / floor.p50, 2)}x` : "-");

function tableRows(size: SizeReport): string[][] {
  return size.ops.map((row) => [
    row.op,
    String(row.concurrency),
    String(row.server.requests),
    String(row.server.errors),
    fmt(row.server.requestsPerSecond),
    fmt(row.server.p50, 2),
    fmt(row.server.p95, 2),
    fmt(row.server.p99, 2),
    fmt(row.server.d1Ms, 2),
    trips(row.server),
    rows(row.server.rowsRead),
    rows(row.server.rowsWritten),
    fmt(row.server.queries),
    row.floorSummary ? trips(row.floorSummary) : "",
    row.floorSummary ? rows(row.floorSummary.rowsRead) : "",
    row.floorSummary ? rows(row.floorSummary.rowsWritten) : "",
    row.floorSummary ? fmt(row.floorSummary.p50, 2) : "",
    row.floorSummary ? fmt(row.floorSummary.p95, 2) : "",
    row.floorSummary ? ratio(row.server, row.floorSummary) : "",
    mark(row.withinFloor),
  ]);
}

function textTable(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

function markdownTable(header: string[], body: string[][]): string {
  const align = header.map((_, i) => (i === 0 ? "---" : "---:"));
  return [header, align, ...body].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

function sizeTitle(size: SizeReport): string {
  return `${count(size.totalUsers)} users (tenant ${size.tenant}, big group ${count(size.bigGroupMembers)} members)`;
}

function walkLine(size: SizeReport): string {
  const w = size.walk;
  const pages = w.pagesWalked === w.pages ? `all ${count(w.pages)} pages` : `${count(w.pagesWalked)} of ${count(w.pages)} pages (first and last halves)`;
  return `Import walk: ${pages} in ${fmt(w.seconds)} s, ${count(w.uniqueIds)} distinct users seen${w.complete ? ", every user exactly once" : ""}.`;
}

/** The issue's latency target: p50 within this factor of the floor's p50 at the same D1 distance. */
const LATENCY_TARGET = 1.5;
const PASSWORD_OP = "user: password sync (okta)";

const LATENCY_HEADER = ["operation", "round trips", "p50 ms", "floor p50 ms (1 trip)", "p50 / floor", "two-step floor p50 ms", "p50 / two-step floor", `within ${LATENCY_TARGET}x`];

/**
 * p50 against the floor: the one-statement floor for a request of one round trip; for a request of two whose
 * shape needs two dependent steps (OpInfo.twoStepFloor), also the two-statement floor, which is then the
 * yardstick. Password sync is excepted (PBKDF2 is deliberate CPU; its CPU time is reported).
 */
function latencyRows(size: SizeReport): string[][] {
  return size.ops
    .filter((row) => row.floorSummary !== null)
    .map((row) => {
      const floor = row.floorSummary!;
      const twoStep = row.twoStepFloorSummary ?? null;
      const yardstick = row.server.roundTrips > 1 && twoStep !== null ? twoStep : floor;
      const within = row.op === PASSWORD_OP ? "excepted" : yardstick.p50 > 0 && row.server.p50 <= LATENCY_TARGET * yardstick.p50 ? "yes" : "NO";
      return [row.op, trips(row.server), fmt(row.server.p50, 2), fmt(floor.p50, 2), ratio(row.server, floor), twoStep ? fmt(twoStep.p50, 2) : "", twoStep ? ratio(row.server, twoStep) : "", within];
    });
}

const LATENCY_RULE =
  `within ${LATENCY_TARGET}x: p50 <= ${LATENCY_TARGET} x the floor's p50; for a request of two round trips whose shape needs two dependent steps ` +
  "(PUT/PATCH read then write; a page with groups lists group ids, then their names), the two-step floor's. Password sync excepted (PBKDF2).";

export function printReport(report: BenchReport): void {
  const out: string[] = [];
  for (const size of report.sizes) {
    out.push("", sizeTitle(size), textTable(HEADER, tableRows(size)), walkLine(size));
    out.push("", `Latency against the floor, ${sizeTitle(size)}`, textTable(LATENCY_HEADER, latencyRows(size)));
  }
  out.push("", LATENCY_RULE);
  if (report.baseline !== null) out.push("", baselineTitle(report), textTable(EVENTS_HEADER, eventsRows(report)));
  out.push("", `within = ${WITHIN_FLOOR_RULE}, for the issue's targets (lookups, first/last page, member changes, count).`);
  out.push(distanceLine(report));
  out.push(passwordCpuLine(report.passwordCpu));
  out.push(`Machine: ${machineLine(report.machine)}, ${report.loadAverageAtEnd} at the end`, `Total: ${fmt(report.totalSeconds)} s`);
  process.stdout.write(`${out.join("\n")}\n`);
}

/** What the latency columns include: D1 in the same process, or at the modelled distance. */
function distanceLine(report: BenchReport): string {
  const ms = report.options.d1RttMs;
  return ms > 0
    ? `D1 at a distance: ${ms} ms added to every D1 round trip (--d1-rtt ${ms}), the floor's included; a floor statement is one round trip.`
    : "D1 local (no --d1-rtt): round trips cost almost nothing here; --d1-rtt 40 models a database a continent away.";
}

/** The issue's targets across sizes: server rows read / floor rows read. */
function floorCheckTable(report: BenchReport): string {
  const header = ["operation", ...report.sizes.map((s) => `${count(s.totalUsers)} users: rows read (floor)`), "within at every size"];
  const names = OP_LIST.filter((o) => o.check).map((o) => o.name);
  const body = names.map((name) => {
    const cells = report.sizes.map((s) => {
      const row = s.ops.find((r) => r.op === name);
      return row?.floorSummary ? `${rows(row.server.rowsRead)} (${rows(row.floorSummary.rowsRead)})` : "-";
    });
    const all = report.sizes.map((s) => s.ops.find((r) => r.op === name)?.withinFloor ?? null);
    return [name, ...cells, all.every((w) => w === true) ? "yes" : all.some((w) => w === false) ? "NO" : "-"];
  });
  return markdownTable(header, body);
}

export function markdownReport(report: BenchReport, chartFile: string | null): string {
  const lines = [
    `# Bench ${report.startedAt}`,
    "",
    `Command: \`${report.command}\``,
    "",
    `Machine: ${machineLine(report.machine)}, ${report.loadAverageAtEnd} at the end.`,
    "",
    `Total runtime ${fmt(report.totalSeconds)} s (${Object.entries(report.steps).map(([k, v]) => `${k} ${fmt(v)} s`).join(", ")}).`,
    `Concurrency ${report.options.concurrency} (1 for the big group: Okta pushes one group at a time), ` +
      (report.options.durationSeconds === null ? `${report.options.iterations} iterations per operation` : `${report.options.durationSeconds} s per operation`) +
      ` (pages: at most 100). Latency is measured at the client (Node fetch over loopback to wrangler dev); ` +
      `d1 ms is D1's own SQL time per request (mean), from the same header as the rows.`,
    "",
    distanceLine(report),
    "",
    passwordCpuLine(report.passwordCpu),
    "",
    "## Rows read against the floor",
    "",
    `The floor is the same lookup or write as one bare prepared D1 statement in the same worker (bench/worker/floor-routes.ts). within: ${WITHIN_FLOOR_RULE}.`,
    "",
    floorCheckTable(report),
  ];
  if (report.baseline !== null) lines.push("", "## Rows written with and without events", "", baselineTitle(report), "", markdownTable(EVENTS_HEADER, eventsRows(report)));
  if (chartFile !== null) lines.push("", `![p50 latency and rows read against tenant size](${chartFile})`);
  for (const size of report.sizes) {
    lines.push(
      "",
      `## ${sizeTitle(size)}`,
      "",
      `Seeded ${size.seed.seededNow ? `in ${fmt(size.seed.seconds)} s` : "by an earlier run"}; workload ${fmt(size.workloadSeconds)} s. ${walkLine(size)}`,
      "",
      markdownTable(HEADER, tableRows(size)),
      "",
      `### Latency against the floor`,
      "",
      LATENCY_RULE,
      "",
      markdownTable(LATENCY_HEADER, latencyRows(size)),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Writes <stamp>.json, <stamp>.md and, with two or more sizes, <stamp>.svg; returns the paths. */
export function writeReport(report: BenchReport, outDir: string, stamp: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  let chartFile: string | null = null;
  if (report.sizes.length >= 2) {
    chartFile = `${stamp}.svg`;
    writeFileSync(join(outDir, chartFile), renderChart(report));
    written.push(join(outDir, chartFile));
  }
  writeFileSync(join(outDir, `${stamp}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, `${stamp}.md`), markdownReport(report, chartFile));
  written.unshift(join(outDir, `${stamp}.json`), join(outDir, `${stamp}.md`));
  return written;
}
