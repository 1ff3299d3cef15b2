// Entry point of `npm run backup:export` and `npm run backup:verify` (README, "Backups and recovery").
//   backup:export [--env com|de] [--remote] [--persist-to DIR] [--output FILE]
//       wrangler d1 export of the whole database (schema, rows, migration history) to one SQL file.
//   backup:verify FILE
//       Restores FILE into a throwaway local database, prints its row counts, and fails (exit 1) when the
//       restore fails or the dump predates a migration in migrations/. A backup never restored is a hope.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { runEntryPoint, usageError, wranglerError } from "./errors.ts";
import { DEPLOY_ENVS, REPO_ROOT, type DeployEnv, type Target } from "./wrangler.ts";
import { exportDatabase, rowCounts, verifyDump } from "./d1-backup.ts";

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: { env: { type: "string" }, remote: { type: "boolean" }, "persist-to": { type: "string" }, output: { type: "string" } },
    });
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

async function exportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv);
  if (positionals.length > 0) throw usageError(`unexpected argument ${positionals[0]}`);
  const env = values.env ?? null;
  if (env !== null && !DEPLOY_ENVS.includes(env as DeployEnv)) throw usageError(`--env must be one of ${DEPLOY_ENVS.join(", ")}`);
  if (values.remote === true && values["persist-to"] !== undefined) throw usageError("--persist-to is for local state; drop it with --remote");
  const target: Target = { env: env as DeployEnv | null, remote: values.remote === true, persistTo: values["persist-to"] ? resolve(values["persist-to"]) : null };
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const output = resolve(values.output ?? join(REPO_ROOT, "backups", `${env ?? "local"}-${target.remote ? "remote" : "local"}-${stamp}.sql`));
  mkdirSync(dirname(output), { recursive: true });
  await exportDatabase(target, output);
  print(`Exported ${target.remote ? "remote" : "local"} D1 (${env ?? "top-level config"}) to ${output}`);
}

async function verifyCommand(argv: string[]): Promise<void> {
  const { positionals } = parse(argv);
  const [file, extra] = positionals;
  if (file === undefined || extra !== undefined) throw usageError("usage: npm run backup:verify -- FILE");
  const check = await verifyDump(resolve(file));
  for (const [table, count] of Object.entries(rowCounts(check.snapshot))) print(`${table.padEnd(24)} ${count}`);
  if (check.missingMigrations.length > 0) {
    throw wranglerError(`the dump restores, but predates migrations ${check.missingMigrations.join(", ")}: apply them after restoring`);
  }
  print(`${file} restores into an empty database, with every migration applied.`);
}

await runEntryPoint(async () => {
  const [command, ...rest] = process.argv.slice(2);
  if (command === "export") return exportCommand(rest);
  if (command === "verify") return verifyCommand(rest);
  throw usageError("usage: backup.ts export|verify ...");
});
