// The worker under test: `wrangler dev` on the bench's local state, serving the bench's worker entry (the app
// plus the floor route) with the D1 cost header on. It serves a bundle built once at the start (`wrangler deploy --dry-run`) rather than
// src/ itself: wrangler dev reloads on every source change, and other people edit src/ while a bench runs.
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { devPublicUrl, publicBaseUrl } from "../tools/config.ts";
import { REPO_ROOT, runWrangler, wranglerCommand, wranglerEnv } from "../tools/wrangler.ts";
import { throwawaySecretArgs } from "../tools/dev-secrets.ts";
import { freePort } from "../tools/free-port.ts";

export { freePort };

export interface RunningServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  logFile: string;
  stop(): Promise<void>;
  /** Synchronous last resort for process exit: SIGKILL to the server's process group. */
  kill(): void;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

/** The deployed worker (load test), or the bench's worker with the floor statements (bench/worker/index.ts). */
export type WorkerEntry = "deployed" | "bench";

/** Bundles the worker as it is now into `outDir`; returns the entry file. */
export async function bundleWorker(outDir: string, entry: WorkerEntry): Promise<string> {
  const script = entry === "bench" ? ["bench/worker/index.ts"] : [];
  // --env "": the top-level (local) config, said explicitly so wrangler does not warn about it.
  await runWrangler(["deploy", "--dry-run", ...script, "--env", "", "--outdir", outDir]);
  return join(outDir, "index.js");
}


async function waitUntilReady(origin: string, exited: () => string | null, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const exit = exited();
    if (exit !== null) throw new Error(`wrangler dev exited (${exit}) before it was ready:\n${tail(logFile)}`);
    try {
      // Any HTTP answer (401 without a token) means the worker is serving.
      await fetch(`${origin}/scim/v2/ServiceProviderConfig`, { signal: AbortSignal.timeout(2_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`wrangler dev was not ready within ${READY_TIMEOUT_MS / 1000}s:\n${tail(logFile)}`);
}

function tail(logFile: string): string {
  try {
    return readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

/** What a served worker needs: the bundle, its bindings' config, its local state, where to listen and log. */
export interface ServerOptions {
  bundle: string;
  /** The wrangler config to run with (config.ts: the repo's, rate limits raised). */
  config: string;
  /** wrangler's --persist-to directory (state under v3/). */
  persistTo: string;
  port: number;
  logFile: string;
  /** Milliseconds the bench's worker adds to every D1 round trip (bench/worker/d1-delay.ts); 0 = none. */
  d1RttMs?: number;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const origin = `http://127.0.0.1:${options.port}`;
  const inspectorPort = await freePort();
  const command = wranglerCommand([
    "dev",
    options.bundle,
    "--no-bundle",
    // Named explicitly: with a script argument, wrangler looks for its config beside the script.
    "--config",
    options.config,
    "--ip",
    "127.0.0.1",
    "--port",
    String(options.port),
    "--inspector-ip",
    "127.0.0.1",
    "--inspector-port",
    String(inspectorPort),
    "--persist-to",
    options.persistTo,
    "--show-interactive-dev-session=false",
    "--var",
    "EXPOSE_D1_COST:true",
    ...throwawaySecretArgs(),
    "--var",
    `PUBLIC_BASE_URL:${devPublicUrl(publicBaseUrl(null), options.port)}`,
    ...(options.d1RttMs ? ["--var", `D1_RTT_MS:${options.d1RttMs}`] : []),
  ]);
  const log = openSync(options.logFile, "a");
  // detached: wrangler and its workerd children get their own process group, so stop() ends exactly them.
  const child = spawn(command.file, command.args, {
    cwd: REPO_ROOT,
    env: { ...wranglerEnv(), NO_COLOR: "1" },
    stdio: ["ignore", log, log],
    detached: true,
  });
  closeSync(log);
  let exit: string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.on("exit", (code, signal) => {
      exit = signal ?? `status ${code}`;
      resolve();
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  // From the moment it exists, not only once it is ready: a Ctrl-C during start-up must not leave it running.
  const killOnExit = () => signalGroup("SIGKILL");
  process.on("exit", killOnExit);
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      if (exit === null) {
        signalGroup("SIGTERM");
        const timer = setTimeout(() => signalGroup("SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      // workerd children may outlive wrangler by a moment; the group is ours alone.
      signalGroup("SIGKILL");
      process.off("exit", killOnExit);
    })());
  try {
    await waitUntilReady(origin, () => exit, options.logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return { origin, logFile: options.logFile, stop, kill: () => signalGroup("SIGKILL") };
}
