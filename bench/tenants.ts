// One bench tenant per size, each with a key issued by the operator CLI's own code (tools/key-commands.ts)
// and seeded once. What was done is written to bench-state.json in the state directory: tokens cannot be
// shown again (only hashes are stored), and a later run with the same --persist-to skips straight to the
// measurement.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { usageError } from "../tools/errors.ts";
import { createKey } from "../tools/key-commands.ts";
import { applyLocalMigrations, type Target } from "../tools/wrangler.ts";
import { tenantSlug } from "./ids.ts";
import { status } from "./progress.ts";
import { hasUsers, openLocalBindings, seedTenant, type SeedResult } from "./seed.ts";

const seedResultSchema = z.object({
  users: z.number(),
  groups: z.number(),
  bigGroupMembers: z.number(),
  seconds: z.number(),
  rowsWritten: z.number(),
});

const tenantSchema = z.object({
  slug: z.string(),
  users: z.number(),
  token: z.string(),
  seeded: seedResultSchema.nullable(),
});
export type BenchTenantState = z.infer<typeof tenantSchema>;

const stateSchema = z.object({ tenants: z.record(z.string(), tenantSchema) });
type State = z.infer<typeof stateSchema>;

export interface BenchTenant {
  slug: string;
  users: number;
  token: string;
  tenantId: number;
  seed: SeedResult;
  /** False when the seeding was done by an earlier run on the same state. */
  seededNow: boolean;
}

const STATE_FILE = "bench-state.json";

function loadState(dir: string): State {
  const path = join(dir, STATE_FILE);
  if (!existsSync(path)) return { tenants: {} };
  return stateSchema.parse(JSON.parse(readFileSync(path, "utf8")));
}

function saveState(dir: string, state: State): void {
  writeFileSync(join(dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}

/** Keys first (wrangler child processes), then seeding (one workerd through getPlatformProxy): never both on the state at once. */
export async function provisionTenants(persistTo: string, sizes: number[]): Promise<BenchTenant[]> {
  const state = loadState(persistTo);
  const target: Target = { env: null, remote: false, persistTo };
  // Always: state kept from an earlier run may predate a migration added since.
  let started = Date.now();
  await applyLocalMigrations(target);
  status(`migrations applied (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  for (const users of sizes) {
    const slug = tenantSlug(users);
    if (state.tenants[slug] !== undefined) continue;
    started = Date.now();
    const { token } = await createKey(target, { tenant: slug, label: "bench", organization: null, expiresInDays: null });
    state.tenants[slug] = { slug, users, token, seeded: null };
    saveState(persistTo, state);
    status(`tenant ${slug}: key issued with the key CLI's createKey (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  }

  const bindings = await openLocalBindings(persistTo);
  try {
    const tenants: BenchTenant[] = [];
    for (const users of sizes) {
      const entry = state.tenants[tenantSlug(users)];
      if (entry === undefined) throw new Error(`tenant ${tenantSlug(users)} missing from ${STATE_FILE}`);
      const row = await bindings.db.prepare("SELECT id FROM tenants WHERE slug = ?1").bind(entry.slug).first<{ id: number }>();
      if (row === null) throw new Error(`tenant ${entry.slug} is in ${STATE_FILE} but not in D1: delete the state directory`);
      let seed = entry.seeded;
      const seededNow = seed === null;
      if (seed === null) {
        // Undoing half a seeding would mean knowing every table and trigger the schema has: start over instead.
        if (await hasUsers(bindings.db, row.id)) {
          throw usageError(`tenant ${entry.slug} in ${persistTo} was seeded part-way by an interrupted run: remove the directory and run again`);
        }
        seed = await seedTenant(bindings.db, row.id, entry.slug, users);
        entry.seeded = seed;
        saveState(persistTo, state);
      } else {
        status(`tenant ${entry.slug}: already seeded with ${users.toLocaleString("en-US")} users (${STATE_FILE})`);
      }
      tenants.push({ slug: entry.slug, users, token: entry.token, tenantId: row.id, seed, seededNow });
    }
    return tenants;
  } finally {
    await bindings.dispose();
  }
}
