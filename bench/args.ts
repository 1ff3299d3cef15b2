// Flags of `npm run bench`. Mistakes are usage errors (exit status 2) naming the flag, as in the key CLI.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { usageError } from "../src/cli/errors.ts";
import { REPO_ROOT } from "../src/cli/wrangler.ts";

export interface BenchOptions {
  /** Tenant sizes to measure, one tenant each, in one server run (ascending). */
  sizes: number[];
  concurrency: number;
  /** Requests per measured operation (ignored when durationSeconds is set). */
  iterations: number;
  /** Seconds per measured operation instead of a fixed count; null = use iterations. */
  durationSeconds: number | null;
  /** Most pages one import walk requests; 0 = every page. Above it: the first and last halves. */
  walkPages: number;
  /** Local state directory; null = a throwaway directory under the OS temp dir. */
  persistTo: string | null;
  /** null = any free port. */
  port: number | null;
  /** Keep the throwaway state directory (a --persist-to directory is always kept). */
  keep: boolean;
  /** Where results (json, md, svg) go. */
  outDir: string;
  /** Seed of the workload's random choices, so two runs pick the same users. */
  seed: number;
  /** An earlier results JSON whose rows written are shown beside this run's; null = none. */
  baseline: string | null;
}

/**
 * The last results committed before the change feed: every write there is without its events, so the
 * report shows what the events add per operation.
 */
export const DEFAULT_BASELINE = "bench/results/2026-12-01-2203-10k-100k-1m.json";

export const USAGE = `Usage: npm run bench -- [flags]

Starts the worker (wrangler dev) on throwaway local state, seeds one tenant per size, replays an
Okta/Entra-shaped workload and prints per-operation latency and D1 rows beside the floor.

  --users N           Tenant size (default 100000). Ignored when --sizes is given.
  --sizes A,B,C       Several tenant sizes in one run, e.g. 10000,100000,1000000 (for the chart).
  --concurrency C     Concurrent clients per operation (default 8).
  --iterations K      Requests per operation (default 200).
  --duration S        Seconds per operation instead of --iterations.
  --walk-pages P      Most pages one import walk requests (default 0 = every page).
  --persist-to DIR    Keep local state here; a later run with the same DIR reuses the seeded tenants.
  --port P            Port for wrangler dev (default: a free one).
  --keep              Keep the throwaway state directory.
  --out DIR           Results directory (default bench/results).
  --seed N            Seed of the random choices (default 1).
  --baseline FILE     Earlier results JSON whose rows written per operation are shown beside this run's
                      (default ${DEFAULT_BASELINE}, the last run without the change feed's events;
                      "none" to leave it out).
`;

const OPTIONS = {
  users: { type: "string" },
  sizes: { type: "string" },
  concurrency: { type: "string" },
  iterations: { type: "string" },
  duration: { type: "string" },
  "walk-pages": { type: "string" },
  "persist-to": { type: "string" },
  port: { type: "string" },
  keep: { type: "boolean" },
  out: { type: "string" },
  seed: { type: "string" },
  baseline: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function integer(flag: string, text: string, min: number, max: number): number {
  // 1e6 and 1_000_000 are convenient for sizes; anything else must be a plain integer.
  const value = Number(text.replaceAll("_", ""));
  if (!/^\d[\d_]*$|^\d+e\d+$/i.test(text) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw usageError(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

export function parseBenchArgs(argv: readonly string[], cwd: string): BenchOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: false, strict: true });
  } catch (error) {
    throw usageError(error instanceof Error ? (error.message.split("\n")[0] ?? error.message) : String(error));
  }
  const { values } = parsed;
  if (values.help) return "help";
  const users = values.users === undefined ? 100_000 : integer("--users", values.users, 1_000, 10_000_000);
  const sizes =
    values.sizes === undefined
      ? [users]
      : [...new Set(values.sizes.split(",").map((part) => integer("--sizes", part.trim(), 1_000, 10_000_000)))].sort((a, b) => a - b);
  const port = values.port === undefined ? null : integer("--port", values.port, 1, 65_535);
  return {
    sizes,
    concurrency: values.concurrency === undefined ? 8 : integer("--concurrency", values.concurrency, 1, 256),
    iterations: values.iterations === undefined ? 200 : integer("--iterations", values.iterations, 1, 1_000_000),
    durationSeconds: values.duration === undefined ? null : integer("--duration", values.duration, 1, 3_600),
    walkPages: values["walk-pages"] === undefined ? 0 : integer("--walk-pages", values["walk-pages"], 0, 1_000_000),
    persistTo: values["persist-to"] === undefined ? null : resolve(cwd, values["persist-to"]),
    port,
    keep: values.keep ?? false,
    outDir: values.out === undefined ? resolve(REPO_ROOT, "bench/results") : resolve(cwd, values.out),
    seed: values.seed === undefined ? 1 : integer("--seed", values.seed, 0, 2 ** 31),
    baseline: values.baseline === "none" ? null : resolve(values.baseline === undefined ? REPO_ROOT : cwd, values.baseline ?? DEFAULT_BASELINE),
  };
}
