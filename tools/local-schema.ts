// Local state gets its pending migrations before a command uses D1, so every command works on an empty
// --persist-to directory. `wrangler d1 migrations apply` costs a wrangler start (seconds) even when
// nothing is pending, so the common case is detected by a probe that rides along with the first query.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "./errors.ts";
import { applyLocalMigrations, d1Execute, REPO_ROOT, type Row, type Target } from "./wrangler.ts";

// As configured in wrangler.toml (`migrations_dir`, and wrangler's default `migrations_table`).
const MIGRATIONS_DIR = join(REPO_ROOT, "migrations");
const MIGRATIONS_TABLE = "d1_migrations";

const currentTargets = new Set<string>();

function pendingMigrations(applied: readonly Row[]): string[] {
  const names = new Set(applied.map((row) => row.name));
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => file.endsWith(".sql"))
    .filter((file) => !names.has(file));
}

/**
 * Runs read-only SQL (it may run twice) on a schema with every migration applied. Remote databases
 * are migrated at deploy time, never as a side effect of a key command, so they are queried as they are.
 */
export async function queryCurrentSchema(target: Target, readOnlySql: string): Promise<Row[][]> {
  const id = JSON.stringify(target);
  if (target.remote || currentTargets.has(id)) return d1Execute(target, readOnlySql);
  try {
    const [applied = [], ...results] = await d1Execute(target, `SELECT name FROM ${MIGRATIONS_TABLE}; ${readOnlySql}`);
    if (pendingMigrations(applied).length === 0) {
      currentTargets.add(id);
      return results;
    }
  } catch (error) {
    // A fresh state has no tables at all; anything else is a real failure.
    if (!/no such table/i.test(errorMessage(error))) throw error;
  }
  await applyLocalMigrations(target);
  currentTargets.add(id);
  return d1Execute(target, readOnlySql);
}
