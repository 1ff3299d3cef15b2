// Flags of `npm run load`. Every loop the load test runs is bounded by these numbers and by time.
import { parseArgs } from "node:util";
import { usageError } from "../../tools/errors.ts";

export interface LoadOptions {
  /** How long the traffic is held. */
  seconds: number;
  tenants: number;
  /** Requests per second per tenant (Entra asks gallery apps for 25). */
  rps: number;
  /** Requests a tenant may have in flight before the generator counts the rate as not held. */
  maxInFlight: number;
  /** Seed of the traffic's random choices, so a run can be repeated. */
  seed: number;
  /** Keep the throwaway state directory (for inspection) instead of deleting it. */
  keepState: boolean;
  help: boolean;
}

export const LOAD_USAGE = `Usage: npm run load -- [--seconds 120] [--tenants 20] [--rps 25] [--max-in-flight 10] [--seed 1] [--keep-state]

Serves the worker with workerd (Miniflare, loopback only) on a throwaway state with the real wrangler.toml (rate limits included),
issues one key per tenant with the key CLI's createKey, holds mixed Okta/Entra traffic at --rps requests/s
per tenant for --seconds, then reads every user and group back and compares it with every write that was
acknowledged. Exit status 1 on any 5xx, unexpected status, lost write, or a rate it could not hold.`;

function positiveInt(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) throw usageError(`--${name} must be an integer from 1 to ${max}, got ${JSON.stringify(text)}`);
  return value;
}

export function parseLoadArgs(argv: string[]): LoadOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        seconds: { type: "string" },
        tenants: { type: "string" },
        rps: { type: "string" },
        "max-in-flight": { type: "string" },
        seed: { type: "string" },
        "keep-state": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw usageError((error as Error).message);
  }
  const v = parsed.values;
  return {
    seconds: positiveInt("seconds", v.seconds, 120, 3600),
    tenants: positiveInt("tenants", v.tenants, 20, 200),
    rps: positiveInt("rps", v.rps, 25, 1000),
    maxInFlight: positiveInt("max-in-flight", v["max-in-flight"], 10, 10_000),
    seed: positiveInt("seed", v.seed, 1, 2 ** 31),
    keepState: v["keep-state"] === true,
    help: v.help === true,
  };
}
