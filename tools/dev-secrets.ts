// The Worker secrets (src/config.ts) for local runs. Deployed environments get theirs from
// `wrangler secret put NAME --env com|de` (README); locally, wrangler dev reads them from .dev.vars (gitignored),
// which `npm run dev` fills with random values when they are missing. Servers the bench and tests start on
// throwaway state get fresh random values instead.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Every secret the worker refuses to serve without. */
export const WORKER_SECRETS = ["CURSOR_SECRET", "PASSWORD_PEPPER"] as const;

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

/** A random value for every secret. */
export function throwawaySecrets(): Record<string, string> {
  return Object.fromEntries(WORKER_SECRETS.map((name) => [name, randomSecret()]));
}

/** `--var NAME:value` arguments for wrangler dev, one pair per secret. */
export function throwawaySecretArgs(): string[] {
  return Object.entries(throwawaySecrets()).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
}

/**
 * Adds each secret missing from `<root>/.dev.vars` with a random value, keeping what is there (changing
 * PASSWORD_PEPPER would make every stored password fail to verify). Returns the names added.
 */
export function ensureDevVars(root: string): string[] {
  const path = join(root, ".dev.vars");
  const current = existsSync(path) ? readFileSync(path, "utf8") : "";
  const defined = new Set(current.split(/\r?\n/).map((line) => /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line)?.[1]).filter((n) => n !== undefined));
  const missing = WORKER_SECRETS.filter((name) => !defined.has(name));
  if (missing.length === 0) return [];
  const lines = missing.map((name) => `${name}="${randomSecret()}"`);
  const prefix = current === "" ? "# Local Worker secrets (gitignored). Created by npm run dev; see README, \"Secrets\".\n" : current.endsWith("\n") ? "" : "\n";
  writeFileSync(path, `${current}${prefix}${lines.join("\n")}\n`, { mode: 0o600 });
  return missing;
}
