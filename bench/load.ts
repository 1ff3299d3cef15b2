// Entry point of `npm run load`: 20 tenants x 25 requests/s of mixed Okta/Entra traffic for two minutes
// against local workerd (Miniflare in this process, loopback only), then every resource read back. Exit status 0 only
// with zero 5xx, zero unexpected answers, zero lost writes, and the rate held. Flags: bench/load/args.ts.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runEntryPoint } from "../tools/errors.ts";
import { REPO_ROOT } from "../tools/wrangler.ts";
import { LOAD_USAGE, parseLoadArgs } from "./load/args.ts";
import { Recorder, ScimClient } from "./load/client.ts";
import { holdLoad } from "./load/driver.ts";
import { Rng, TenantModel } from "./load/model.ts";
import { buildReport } from "./load/report.ts";
import { provision } from "./load/setup.ts";
import { verifyTenant, type Verification } from "./load/verify.ts";
import { bundleWorker, freePort, type RunningServer } from "./server.ts";
import { startWorkerd } from "./workerd.ts";

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

await runEntryPoint(async () => {
  const options = parseLoadArgs(process.argv.slice(2));
  if (options.help) return log(LOAD_USAGE);
  const dir = mkdtempSync(join(tmpdir(), "scim-load-"));
  const persistTo = join(dir, "state");
  mkdirSync(persistTo);
  let server: RunningServer | undefined;
  const onSignal = () => void (server?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    log(`state: ${persistTo}`);
    log("bundling the worker and issuing keys");
    const [bundle, tenants] = await Promise.all([bundleWorker(join(dir, "bundle"), "deployed"), provision(persistTo, options.tenants, log)]);
    // The repository's own wrangler.toml: the production rate limits are part of what is tested.
    server = await startWorkerd({ bundle, config: join(REPO_ROOT, "wrangler.toml"), persistTo, port: await freePort(), logFile: join(dir, "worker.log") });
    log(`serving at ${server.origin}; holding the load for ${options.seconds}s`);

    const models = tenants.map((t, i) => new TenantModel(t.slug, t.token, new Rng(options.seed * 7919 + i)));
    const load = new Recorder();
    const hold = await holdLoad(models, new ScimClient(server.origin, load), options, log);

    log("reading every resource back");
    const verification: Verification = { usersChecked: 0, groupsChecked: 0, deletedChecked: 0, lostWrites: 0, uncertain: 0, samples: [] };
    const readBack = new ScimClient(server.origin, new Recorder());
    await Promise.all(
      models.map((model) =>
        verifyTenant(readBack, model, verification).catch((error: unknown) => {
          verification.lostWrites += 1;
          verification.samples.push(`${model.slug}: read-back failed: ${String(error)}`);
        }),
      ),
    );
    if (readBack.recorder.unexpected > 0) verification.samples.push(...readBack.recorder.failures.map((f) => `read-back ${f.op}: ${f.detail}`));
    verification.lostWrites += readBack.recorder.unexpected;

    const report = buildReport(options, hold, load, verification);
    log(`\n${report.text}`);
    if (!report.passed) process.exitCode = 1;
  } finally {
    await server?.stop();
    if (!options.keepState) rmSync(dir, { recursive: true, force: true });
    else log(`state kept in ${dir}`);
  }
});
