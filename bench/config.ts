// The wrangler config the bench server runs with: wrangler.toml as it is, except that the top-level
// `[[ratelimits]]` limits are raised. The per-tenant request limit (50/s) exists to protect production
// from one tenant; a benchmark has to exceed it, or it would measure 429s. The rate-limit middleware still
// runs and asks its binding on every request, so its cost stays in the figures.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../tools/wrangler.ts";

const TABLE_HEADER = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/;
const LIMIT = /(\blimit\s*=\s*)\d[\d_]*/;
export const BENCH_RATE_LIMIT = 1_000_000_000;

/** wrangler.toml text with every top-level [[ratelimits]] limit set to BENCH_RATE_LIMIT; environments untouched. */
export function raiseRateLimits(toml: string): { text: string; raised: number } {
  let table = "";
  let raised = 0;
  const lines = toml.split("\n").map((line) => {
    const header = TABLE_HEADER.exec(line);
    if (header?.[1] !== undefined) {
      table = header[1].replace(/\s+/g, "");
      return line;
    }
    if (table !== "ratelimits" || !LIMIT.test(line)) return line;
    raised += 1;
    return line.replace(LIMIT, `$1${BENCH_RATE_LIMIT}`);
  });
  return { text: lines.join("\n"), raised };
}

/**
 * Writes the bench config into `dir` and returns its path. It lives outside the repo, so paths in it that
 * are relative (main, migrations_dir) do not resolve: the server is given the bundle and --persist-to
 * explicitly, and migrations run against the repo's own wrangler.toml.
 */
export function writeBenchConfig(dir: string): { path: string; raised: number } {
  const { text, raised } = raiseRateLimits(readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8"));
  const path = join(dir, "wrangler.bench.toml");
  writeFileSync(path, text);
  return { path, raised };
}
