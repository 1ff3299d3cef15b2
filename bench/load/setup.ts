// The load test's tenants: one key each, issued with the key CLI's own createKey (wrangler against the
// throwaway state). One at a time: concurrent wrangler processes on one local state fail ("KV PUT failed: 500").
import { createKey } from "../../tools/key-commands.ts";
import { applyLocalMigrations, type Target } from "../../tools/wrangler.ts";

export interface LoadTenant {
  slug: string;
  token: string;
}

export async function provision(persistTo: string, count: number, log: (line: string) => void): Promise<LoadTenant[]> {
  const target: Target = { env: null, remote: false, persistTo };
  await applyLocalMigrations(target);
  const tenants: LoadTenant[] = [];
  for (let i = 1; i <= count; i++) {
    const slug = `load-${String(i).padStart(2, "0")}`;
    const { token } = await createKey(target, { tenant: slug, label: "load", organization: null, expiresInDays: 1 });
    tenants.push({ slug, token });
    if (i % 5 === 0 || i === count) log(`  keys issued: ${i}/${count}`);
  }
  return tenants;
}
