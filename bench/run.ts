// Entry point of `npm run bench`: local state, tenants seeded, the worker started, the workload replayed per
// tenant size, the results printed and written. The server is stopped and the throwaway state removed on
// every way out: normal end, error, Ctrl-C.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { runEntryPoint } from "../tools/errors.ts";
import { USAGE, parseBenchArgs, type BenchOptions } from "./args.ts";
import { BENCH_RATE_LIMIT, writeBenchConfig } from "./config.ts";
import { tenantSlug } from "./ids.ts";
import { describeMachine } from "./machine.ts";
import { status } from "./progress.ts";
import { passwordCpu } from "./password-cpu.ts";
import { printReport, readBaseline, sizeReport, writeReport, type BenchReport, type SizeReport } from "./report.ts";
import { mulberry32 } from "./rng.ts";
import { bundleWorker, freePort, startServer, type RunningServer } from "./server.ts";
import { provisionTenants } from "./tenants.ts";
import { runWorkload } from "./workload.ts";

interface Resources {
  server: RunningServer | null;
  /** Removed on exit unless kept. */
  throwawayDir: string | null;
}

const resources: Resources = { server: null, throwawayDir: null };

function removeThrowaway(): void {
  if (resources.throwawayDir === null) return;
  rmSync(resources.throwawayDir, { recursive: true, force: true });
  resources.throwawayDir = null;
}

// Last resort on any exit, also when an error escapes: nothing async runs here, so SIGKILL and a sync rm.
process.on("exit", () => {
  resources.server?.kill();
  removeThrowaway();
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    status(`\n${signal}: stopping the server${resources.throwawayDir !== null ? " and removing the throwaway state" : ""}`);
    void (resources.server?.stop() ?? Promise.resolve()).finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}

const seconds = (since: number) => (Date.now() - since) / 1000;

function stampOf(date: Date, sizes: number[]): string {
  const iso = date.toISOString();
  const sizePart = sizes.map((s) => tenantSlug(s).replace(/^bench-/, "")).join("-");
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}-${sizePart}`;
}

async function bench(options: BenchOptions, command: string): Promise<void> {
  const startedAt = new Date();
  const started = Date.now();
  const steps: Record<string, number> = {};
  const machine = describeMachine();

  let dir = options.persistTo;
  if (dir === null) {
    dir = mkdtempSync(join(tmpdir(), "edge-scim-bench-"));
    if (!options.keep) resources.throwawayDir = dir;
  }
  mkdirSync(dir, { recursive: true });
  status(`state: ${dir}${options.persistTo === null && !options.keep ? " (removed at the end)" : ""}`);

  let t = Date.now();
  const tenants = await provisionTenants(dir, options.sizes);
  steps["keys and seeding"] = seconds(t);

  t = Date.now();
  const bundle = await bundleWorker(join(dir, "bundle"), "bench");
  const config = writeBenchConfig(dir);
  if (config.raised > 0) status(`config: ${config.raised} rate limits raised to ${BENCH_RATE_LIMIT.toLocaleString("en-US")}/min for the bench (${config.path})`);
  const port = options.port ?? (await freePort());
  const server = await startServer({ bundle, config: config.path, persistTo: dir, port, logFile: join(dir, "server.log"), d1RttMs: options.d1RttMs });
  resources.server = server;
  steps["bundle and server start"] = seconds(t);
  status(`server: ${server.origin} (log: ${server.logFile})${options.d1RttMs > 0 ? `, ${options.d1RttMs} ms added to every D1 round trip` : ""}`);

  const runTag = Date.now().toString(36);
  const sizes: SizeReport[] = [];
  t = Date.now();
  for (const tenant of tenants) {
    status(`workload on ${tenant.slug} (${tenant.users.toLocaleString("en-US")} users):`);
    const workloadStarted = Date.now();
    const result = await runWorkload(
      {
        baseUrl: `${server.origin}/t/${tenant.slug}/scim/v2`,
        token: tenant.token,
        users: tenant.users,
        bigGroupMembers: tenant.seed.bigGroupMembers,
        runTag,
        rng: mulberry32(options.seed),
      },
      options,
    );
    sizes.push(
      sizeReport(
        {
          users: tenant.users,
          tenant: tenant.slug,
          bigGroupMembers: tenant.seed.bigGroupMembers,
          seed: { ...tenant.seed, seededNow: tenant.seededNow },
          workloadSeconds: seconds(workloadStarted),
        },
        result,
      ),
    );
  }
  steps.workload = seconds(t);

  await server.stop();
  resources.server = null;
  // After the server stopped, so the hash has the process (and the machine's share of it) to itself.
  const password = await passwordCpu();

  const { outDir, persistTo, baseline, ...rest } = options;
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    totalSeconds: seconds(started),
    command,
    machine,
    options: { ...rest, persisted: persistTo !== null },
    steps,
    loadAverageAtEnd: Number((loadavg()[0] ?? 0).toFixed(2)),
    sizes,
    passwordCpu: password,
    baseline: readBaseline(baseline, options.sizes[0] ?? 0),
  };
  printReport(report);
  for (const file of writeReport(report, outDir, stampOf(startedAt, options.sizes))) status(`wrote ${file}`);
  if (resources.throwawayDir === null) status(`state kept in ${dir}`);
}

await runEntryPoint(async () => {
  const argv = process.argv.slice(2);
  const parsed = parseBenchArgs(argv, process.cwd());
  if (parsed === "help") {
    process.stdout.write(USAGE);
    return;
  }
  try {
    await bench(parsed, ["npm run bench", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" "));
  } finally {
    await resources.server?.stop();
    resources.server = null;
    removeThrowaway();
  }
});
