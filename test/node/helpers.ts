// Running the CLI entry points and wrangler itself as child processes, the way an operator does.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { throwawaySecretArgs } from "../../tools/dev-secrets.ts";
import { freePort } from "../../tools/free-port.ts";
export { freePort };

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WRANGLER_SCRIPT = realpathSync(join(REPO_ROOT, "node_modules", ".bin", "wrangler"));
const STRIP_TYPES = ["--experimental-strip-types", "--no-warnings"];

export const TOKEN_PATTERN = /^scim_[a-z2-7]{16}_[A-Za-z0-9_-]{43}$/;
export const TOKEN_IN_TEXT = /scim_[a-z2-7]{16}_[A-Za-z0-9_-]{43}/g;

// No telemetry and no Request.cf download: the tests must pass without network.
const CHILD_ENV = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" };

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: REPO_ROOT, env: CHILD_ENV, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ status, stdout, stderr });
    });
  });
}

/** `npm run keys -- ...args` without npm in between. */
export function runKeys(args: string[]): Promise<RunResult> {
  return run([...STRIP_TYPES, "tools/keys.ts", ...args]);
}

/** `npm run dev -- ...args` without npm in between, to completion (for arguments it refuses). */
export function runDev(args: string[]): Promise<RunResult> {
  return run([...STRIP_TYPES, "tools/dev.ts", ...args]);
}

/** `npm run oauth -- ...args` without npm in between. */
export function runOAuth(args: string[]): Promise<RunResult> {
  return run([...STRIP_TYPES, "tools/oauth.ts", ...args]);
}

/** `npm run webhooks -- ...args` without npm in between. */
export function runWebhooks(args: string[]): Promise<RunResult> {
  return run([...STRIP_TYPES, "tools/webhooks.ts", ...args]);
}

/** wrangler itself, to inspect state independently of the code under test. */
export async function wrangler(args: string[]): Promise<string> {
  const result = await run([WRANGLER_SCRIPT, ...args]);
  if (result.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function secretOf(token: string): string {
  return token.slice("scim_".length + 16 + 1);
}

export function keyIdOf(token: string): string {
  return token.slice("scim_".length, "scim_".length + 16);
}


/** A process started in its own process group, with its output collected for assertions and debugging. */
export interface Background {
  child: ChildProcess;
  output: () => string;
}

function startInGroup(args: string[], env: Record<string, string> = {}): Background {
  // detached: the child leads a new process group, so one kill reaches wrangler and workerd beneath it.
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...CHILD_ENV, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  return { child, output: () => output };
}

/**
 * wrangler dev on 127.0.0.1 (not "localhost", which may also mean ::1), re-reading KV on every request. Its
 * DevTools port is chosen here: wrangler's own choice (9229 when it looks free) collides when two start at once.
 */
export async function startWranglerDev(port: number, persistTo: string): Promise<Background> {
  return startInGroup([
    WRANGLER_SCRIPT, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), "--persist-to", persistTo,
    "--var", "KEY_CACHE_SECONDS:0", ...throwawaySecretArgs(),
  ]);
}

/** The example application (examples/sync-app/sync.ts) as a user runs it; `env` adds to the environment (its secrets). */
export function startSyncExample(args: string[], env: Record<string, string> = {}): Background {
  return startInGroup([...STRIP_TYPES, "examples/sync-app/sync.ts", ...args], env);
}

/** `npm run dev`, with a DevTools port of its own (see startWranglerDev). */
export async function startDevCommand(port: number, persistTo: string): Promise<Background> {
  return startInGroup([...STRIP_TYPES, "tools/dev.ts", "--port", String(port), "--inspector-port", String(await freePort()), "--persist-to", persistTo]);
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null>, background: Background, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (background.child.exitCode !== null) throw new Error(`process exited while waiting for ${what}:\n${background.output()}`);
    // wrangler dev stays up, waiting for file changes, when the worker does not build or workerd does not
    // start: fail now, with its output, instead of at the timeout.
    if (/Build failed|runtime failed to start/.test(background.output())) {
      throw new Error(`wrangler dev could not serve:\n${background.output()}`);
    }
    const value = await probe();
    if (value !== null) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}:\n${background.output()}`);
}

/** Resolves once the server answers any HTTP request. */
export function waitUntilServing(baseUrl: string, background: Background): Promise<true> {
  return waitFor(
    `${baseUrl} to answer`,
    async () => {
      try {
        // A per-attempt timeout: a server that accepts but never answers must not hang the wait.
        const response = await fetch(`${baseUrl}/scim/v2/ServiceProviderConfig`, { signal: AbortSignal.timeout(5_000) });
        await response.arrayBuffer();
        return true;
      } catch {
        return null;
      }
    },
    background,
  );
}

export async function stopGroup(background: Background | undefined): Promise<void> {
  const child = background?.child;
  const pid = child?.pid;
  if (child === undefined || pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  signalGroup("SIGTERM");
  const timer = setTimeout(() => signalGroup("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function status(url: string, headers: Record<string, string> = {}): Promise<number> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  await response.arrayBuffer();
  return response.status;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
export const basic = (user: string, password: string) => ({
  Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});
