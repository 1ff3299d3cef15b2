// The one place that runs wrangler. Every call gets the same target flags (--env, --local/--remote,
// --persist-to), arguments travel as an argv array (never a shell string), and failures become one line.
import { execFile } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { oneLine, wranglerError } from "./errors.ts";

export const DEPLOY_ENVS = ["com", "de"] as const;
export type DeployEnv = (typeof DEPLOY_ENVS)[number];

/** Which bindings a command works on: a wrangler.toml environment, local or remote, and where local state lives. */
export interface Target {
  /** null = the top-level (local development) config. */
  env: DeployEnv | null;
  remote: boolean;
  /** Absolute directory for local state; null = wrangler's default (.wrangler/state). */
  persistTo: string | null;
}

export const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));

export interface Command {
  file: string;
  args: string[];
}

/**
 * Runs node_modules/.bin/wrangler with the Node that runs this CLI: the script's `#!/usr/bin/env node`
 * could pick an older system Node, and current wrangler needs Node >= 22.
 */
export function wranglerCommand(args: readonly string[]): Command {
  let script: string;
  try {
    script = realpathSync(join(REPO_ROOT, "node_modules", ".bin", "wrangler"));
  } catch {
    throw wranglerError(`wrangler is not installed in ${REPO_ROOT}node_modules: run npm install`);
  }
  return { file: process.execPath, args: [script, ...args] };
}

/**
 * Environment for wrangler child processes. Telemetry and miniflare's Request.cf download are off by
 * default so local commands work with no network; the operator's own settings still win.
 */
export function wranglerEnv(): NodeJS.ProcessEnv {
  return { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...process.env };
}

/** The flags that pick the bindings: every D1/KV command gets exactly these. */
export function targetArgs(target: Target): string[] {
  const args = target.env === null ? [] : ["--env", target.env];
  args.push(target.remote ? "--remote" : "--local");
  if (target.persistTo !== null) args.push("--persist-to", target.persistTo);
  return args;
}

// Two workerd processes on one local state (a key command while `wrangler dev` runs, or list's two
// parallel reads) can collide on its SQLite files; the loser fails with SQLITE_BUSY. Every command this
// CLI sends is idempotent (upserts, reads, whole-record KV puts), so such a failure is simply retried.
const BUSY = /SQLITE_BUSY|database is locked/i;
const BUSY_RETRIES = 5;

/** Runs wrangler to completion and returns its stdout; any failure throws a one-line error (exit 1). */
export async function runWrangler(args: readonly string[]): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const result = await execWrangler(args);
    if (result.ok) return result.stdout;
    if (attempt >= BUSY_RETRIES || !BUSY.test(result.output)) {
      // "wrangler d1 execute", "wrangler kv key put": the subcommand words, never values.
      const name = ["wrangler", ...args.slice(0, 3).filter((arg) => /^[a-z0-9]+$/.test(arg))].join(" ");
      throw wranglerError(`${name} failed: ${result.reason}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt * (0.5 + Math.random())));
  }
}

type ExecResult = { ok: true; stdout: string } | { ok: false; reason: string; output: string };

function execWrangler(args: readonly string[]): Promise<ExecResult> {
  const command = wranglerCommand(args);
  return new Promise((resolve) => {
    execFile(
      command.file,
      command.args,
      {
        cwd: REPO_ROOT,
        env: { ...wranglerEnv(), NO_COLOR: "1", FORCE_COLOR: "0" },
        maxBuffer: 256 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ ok: true, stdout });
        resolve({ ok: false, reason: describeFailure(stdout, stderr) ?? error.message, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** Picks the useful line out of wrangler's output: a --json error object, a `[ERROR]` line, or the last line. */
function describeFailure(stdout: string, stderr: string): string | null {
  const jsonError = z.object({ error: z.object({ text: z.string() }) }).safeParse(tryParseJson(stdout));
  if (jsonError.success) return oneLine(jsonError.data.error.text);
  const lines = `${stderr}\n${stdout}`.replace(ANSI, "").split("\n").map(oneLine).filter(Boolean);
  const errorLine = lines.find((line) => line.includes("[ERROR]"));
  if (errorLine) return errorLine.replace(/^.*\[ERROR\]\s*/, "");
  return lines.at(-1) ?? null;
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// D1

const d1ResultSchema = z.array(z.object({ results: z.array(z.record(z.string(), z.unknown())) }));
export type Row = Record<string, unknown>;

/**
 * Runs SQL (one or more `;`-separated statements) and returns one row list per statement. The caller
 * builds the SQL from validated values quoted with `sqlString`: `d1 execute --command` cannot bind.
 */
export async function d1Execute(target: Target, sql: string): Promise<Row[][]> {
  const stdout = await runWrangler(["d1", "execute", "DB", "--json", "--command", sql, ...targetArgs(target)]);
  const parsed = d1ResultSchema.safeParse(tryParseJson(stdout));
  if (!parsed.success) throw wranglerError("wrangler d1 execute printed output that is not the expected JSON");
  return parsed.data.map((statement) => statement.results);
}

/** Applies pending migrations to local state (non-interactive wrangler answers its prompt with yes). */
export async function applyLocalMigrations(target: Target): Promise<void> {
  if (target.remote) throw new Error("migrations are applied to remote databases at deploy time, not by the CLI");
  await runWrangler(["d1", "migrations", "apply", "DB", ...targetArgs(target)]);
}

// ---------------------------------------------------------------------------------------------------
// KV

export async function kvPut(target: Target, name: string, value: string, metadata: string, ttlSeconds?: number): Promise<void> {
  const ttl = ttlSeconds === undefined ? [] : ["--ttl", String(ttlSeconds)];
  await runWrangler(["kv", "key", "put", "--binding", "KV", name, value, "--metadata", metadata, ...ttl, ...targetArgs(target)]);
}

export async function kvDelete(target: Target, name: string): Promise<void> {
  await runWrangler(["kv", "key", "delete", "--binding", "KV", name, ...targetArgs(target)]);
}

/** The stored text, or null when the key does not exist (wrangler prints "Value not found" and exits 0). */
export async function kvGet(target: Target, name: string): Promise<string | null> {
  const stdout = await runWrangler(["kv", "key", "get", "--binding", "KV", name, "--text", ...targetArgs(target)]);
  const text = stdout.replace(/\n$/, "");
  return text === "Value not found" ? null : text;
}

const kvListSchema = z.array(z.object({ name: z.string(), metadata: z.unknown().optional() }));
export type KvListEntry = z.infer<typeof kvListSchema>[number];

export async function kvList(target: Target, prefix: string): Promise<KvListEntry[]> {
  const stdout = await runWrangler(["kv", "key", "list", "--binding", "KV", "--prefix", prefix, ...targetArgs(target)]);
  const parsed = kvListSchema.safeParse(tryParseJson(stdout));
  if (!parsed.success) throw wranglerError("wrangler kv key list printed output that is not the expected JSON");
  return parsed.data;
}

/**
 * Stores a secret value without metadata. The value goes through a private temporary file (--path), not the
 * command line, where other local users could read it in the process list.
 */
export async function kvPutSecret(target: Target, name: string, value: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "edge-scim-"));
  const file = join(dir, "value");
  try {
    writeFileSync(file, value, { mode: 0o600 });
    await runWrangler(["kv", "key", "put", "--binding", "KV", name, "--path", file, ...targetArgs(target)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
