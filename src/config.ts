// The deployment's configuration (wrangler.toml vars and Worker secrets), parsed once per isolate into typed
// values. An invalid configuration fails closed: the worker refuses every request with a 503 and logs which
// setting is wrong, rather than serving with, say, a NaN key-cache TTL (a cache that never expires, so
// revoking a key would stop working). To add a setting: a field here, its var or secret in wrangler.toml /
// .dev.vars / README, and its binding in src/env.ts.
import { z } from "zod";
import type { Env } from "./env.ts";
import { UNINDEXED_SCAN_CAP } from "./storage/listing/plan.ts";

/** Secrets are random strings of at least this many characters (`openssl rand -base64 32` gives 44). */
export const MIN_SECRET_LENGTH = 32;

const seconds = z
  .string()
  .regex(/^\d{1,6}$/, "must be a whole number of seconds (0 to 999999)")
  .transform(Number);

const secret = (use: string) =>
  z
    .string({ error: `is missing: set it with \`wrangler secret put\` (locally in .dev.vars); it ${use}` })
    .min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters of random data; it ${use}`);

const configSchema = z.object({
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" }),
  REGION: z.string().min(1),
  KEY_CACHE_SECONDS: seconds.default(60),
  // Tests lower it to exercise the cap with a few rows; it can never be raised above the product limit.
  UNINDEXED_SCAN_CAP: z
    .string()
    .regex(/^\d{1,6}$/, "must be a whole number")
    .transform(Number)
    .refine((n) => n >= 1 && n <= UNINDEXED_SCAN_CAP, `must be between 1 and ${UNINDEXED_SCAN_CAP}`)
    .default(UNINDEXED_SCAN_CAP),
  EXPOSE_D1_COST: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  CURSOR_SECRET: secret("keys and encrypts paging cursors"),
  PASSWORD_PEPPER: secret("peppers user password hashes"),
});

export interface Config {
  publicBaseUrl: string;
  region: string;
  /** How long a warm isolate trusts a key record or tenant before re-reading it; 0 disables the cache. */
  keyCacheSeconds: number;
  /** Most rows a filter may make one list request scan (src/storage/list-plan.ts). */
  unindexedScanCap: number;
  /** Responses carry Server-Timing with the request's D1 rows read/written (local and tests only). */
  exposeD1Cost: boolean;
  cursorSecret: string;
  passwordPepper: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function parseConfig(env: Partial<Record<keyof Env, unknown>>): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(env)"} ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  const v = parsed.data;
  return {
    publicBaseUrl: v.PUBLIC_BASE_URL,
    region: v.REGION,
    keyCacheSeconds: v.KEY_CACHE_SECONDS,
    unindexedScanCap: v.UNINDEXED_SCAN_CAP,
    exposeD1Cost: v.EXPOSE_D1_COST,
    cursorSecret: v.CURSOR_SECRET,
    passwordPepper: v.PASSWORD_PEPPER,
  };
}

// The env object is the same for every request of an isolate, so it is parsed once per isolate.
const parsedByEnv = new WeakMap<object, Config | ConfigError>();

/** The configuration of `env`, parsed on first use; throws the same ConfigError on every call if invalid. */
export function configOf(env: Env): Config {
  let result = parsedByEnv.get(env);
  if (result === undefined) {
    try {
      result = parseConfig(env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      result = error;
    }
    parsedByEnv.set(env, result);
  }
  if (result instanceof ConfigError) throw result;
  return result;
}
