// The worker under load: the bundle served by workerd through Miniflare in this process, with the bindings
// wrangler.toml declares (its rate limits included) and the same local state layout as `wrangler dev
// --persist-to`. No `wrangler dev` in front: its proxy worker, second workerd process and inspector log
// stream took about as much CPU per request as the worker itself (measured with the load test), and on a
// two-core machine that CPU is the load generator's.
import { createWriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { devPublicUrl, publicBaseUrl } from "../tools/config.ts";
import { wranglerEnv } from "../tools/wrangler.ts";
import { throwawaySecrets } from "../tools/dev-secrets.ts";
import type { RunningServer, ServerOptions } from "./server.ts";

/** Serves `options.bundle` with the top-level bindings and vars of `options.config`. */
export async function startWorkerd(options: ServerOptions): Promise<RunningServer> {
  for (const [name, value] of Object.entries(wranglerEnv())) process.env[name] ??= value;
  // modulesRules describe how to bundle src/; the bundle is one ES module already.
  const { modulesRules: _rules, ...workerOptions } = unstable_getMiniflareWorkerOptions(options.config, "").workerOptions;
  const vars = (workerOptions.bindings ?? {}) as Record<string, unknown>;
  const log = createWriteStream(options.logFile, { flags: "a" });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...workerOptions,
      bindings: { ...vars, ...throwawaySecrets(), PUBLIC_BASE_URL: devPublicUrl(publicBaseUrl(null), options.port) },
      scriptPath: options.bundle,
      modules: true,
      modulesRoot: dirname(options.bundle),
      host: "127.0.0.1",
      port: options.port,
      cf: false,
      resourcePersistencePath: join(options.persistTo, "v3"),
      log: new Log(LogLevel.WARN),
      // The worker's one JSON line per request goes to the log file, as wrangler dev's log would.
      handleStructuredLogs: (entry) => log.write(`${entry.message}\n`),
    }),
  );
  let url: URL;
  try {
    url = await mf.ready;
  } catch (error) {
    log.destroy();
    await mf.dispose().catch(() => undefined);
    throw error;
  }
  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      await mf.dispose();
      await new Promise<void>((resolve) => log.end(resolve));
    })());
  return {
    origin: url.origin,
    logFile: options.logFile,
    stop,
    // Miniflare's workerd child dies with this process; nothing to kill synchronously.
    kill: () => undefined,
  };
}
