// D1 exports and restores, as the operator runs them with wrangler, plus a row-for-row snapshot used to
// prove that a restored database holds exactly what was exported. KV is not in here: it holds only key
// hashes, which are re-issued rather than restored (README, "Backups and recovery").
import { cpSync, mkdtempSync, mkdirSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { usageError } from "./errors.ts";
import { d1Execute, REPO_ROOT, runWrangler, targetArgs, type Row, type Target } from "./wrangler.ts";

/**
 * Writes the database (schema and rows, with d1_migrations and sqlite_sequence) to `output` as SQL.
 * `wrangler d1 export --local` has no --persist-to: it reads the default state beside the config file.
 * So a local export from a --persist-to directory runs with a throwaway copy of wrangler.toml whose
 * default state directory is a link to that directory.
 */
export async function exportDatabase(target: Target, output: string): Promise<void> {
  const env = target.env === null ? [] : ["--env", target.env];
  if (target.remote || target.persistTo === null) {
    await runWrangler(["d1", "export", "DB", ...env, target.remote ? "--remote" : "--local", "--output", output]);
    return;
  }
  const project = mkdtempSync(join(tmpdir(), "d1-export-"));
  try {
    cpSync(join(REPO_ROOT, "wrangler.toml"), join(project, "wrangler.toml"));
    mkdirSync(join(project, ".wrangler"));
    symlinkSync(target.persistTo, join(project, ".wrangler", "state"), "dir");
    await runWrangler(["d1", "export", "DB", ...env, "--local", "--config", join(project, "wrangler.toml"), "--output", output]);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}

/** Runs an export file against local state. Restoring into a remote database is left to the operator. */
export async function importDump(target: Target, file: string): Promise<void> {
  if (target.remote) throw usageError("importing into a remote database is not automated: use Time Travel, or wrangler d1 execute --remote --file");
  await runWrangler(["d1", "execute", "DB", "--yes", "--file", file, ...targetArgs(target)]);
}

export interface Snapshot {
  /** Every table, index and trigger definition, by type and name. */
  schema: Row[];
  /** Every row of every table (d1_migrations and sqlite_sequence included), in a stable order. */
  tables: Record<string, Row[]>;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const stableOrder = (rows: Row[]) => rows.map((row) => [JSON.stringify(row), row] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);

/** The whole database, for comparing two of them: two wrangler runs however many tables there are. */
export async function snapshot(target: Target): Promise<Snapshot> {
  const [schema = []] = await d1Execute(
    target,
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' AND name NOT LIKE '_cf_%' ORDER BY type, name;",
  );
  const names = schema.filter((row) => row.type === "table").map((row) => String(row.name));
  const results = await d1Execute(target, names.map((name) => `SELECT * FROM ${quoteIdent(name)};`).join(" "));
  const tables: Record<string, Row[]> = {};
  names.forEach((name, i) => (tables[name] = stableOrder(results[i] ?? [])));
  return { schema, tables };
}

/** Row counts per table, for the operator's summary. */
export function rowCounts(snap: Snapshot): Record<string, number> {
  return Object.fromEntries(Object.entries(snap.tables).map(([name, rows]) => [name, rows.length]));
}

export interface Restored {
  snapshot: Snapshot;
  /** Migration files the dump's d1_migrations does not list: the restored schema would be behind the code. */
  missingMigrations: string[];
}

/** Imports `file` into `target` (an empty local state) and reads back everything it now holds. */
export async function restore(target: Target, file: string): Promise<Restored> {
  await importDump(target, file);
  const restored = await snapshot(target);
  const applied = new Set((restored.tables.d1_migrations ?? []).map((row) => row.name));
  const missingMigrations = readdirSync(join(REPO_ROOT, "migrations"))
    .filter((name) => name.endsWith(".sql") && !applied.has(name))
    .sort();
  return { snapshot: restored, missingMigrations };
}

/** Restores `file` into a throwaway local database: proof that the dump restores, and what it holds. */
export async function verifyDump(file: string): Promise<Restored> {
  const persistTo = mkdtempSync(join(tmpdir(), "d1-verify-"));
  try {
    return await restore({ env: null, remote: false, persistTo }, file);
  } finally {
    rmSync(persistTo, { recursive: true, force: true });
  }
}
