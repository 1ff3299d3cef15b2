// Recognising D1/SQLite failures that mean something to a client. Drizzle wraps the D1 error, so the
// whole cause chain is searched.
import { ScimError, serviceUnavailable } from "../../scim/errors.ts";
import { causeChain } from "../../util/cause-chain.ts";

function messages(error: unknown): string {
  return causeChain(error)
    .map((link) => (link instanceof Error ? link.message : String(link)))
    .join(" | ");
}

export function isUniqueViolation(error: unknown, index: string): boolean {
  const text = messages(error);
  return text.includes("UNIQUE constraint failed") && text.includes(index);
}

export function isGuardFailure(error: unknown): boolean {
  return messages(error).includes("NOT NULL constraint failed: write_guard.must_change");
}

/**
 * The D1_ERROR texts whose recommended action is to retry (https://developers.cloudflare.com/d1/observability/debug-d1/#error-list):
 * the database restarting, unreachable or overloaded. None says anything about the request itself, so the
 * client is told to come back rather than shown a 500. Matched as substrings: D1 prefixes them with
 * "D1_ERROR: " and drizzle wraps them in "Failed query: ...".
 */
export const TRANSIENT_D1_MESSAGES = [
  "D1 DB reset because its code was updated",
  "Internal error while starting up D1 DB storage caused object to be reset",
  "Network connection lost",
  "Internal error in D1 DB storage caused object to be reset",
  "Cannot resolve D1 DB due to transient issue on remote node",
  "Can't read from request stream because client disconnected",
  "D1 DB storage operation exceeded timeout which caused object to be reset",
  "D1 DB is overloaded",
  "D1 DB's isolate exceeded its memory limit and was reset",
  "D1 DB exceeded its CPU time limit and was reset",
] as const;

/** Seconds a client should wait after a 503: long enough for D1 to restart an object or drain its queue. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 10;

/**
 * True for an error D1 (or the Durable Object beneath it) raises when it is restarting or overloaded.
 * workerd marks such errors with `retryable` / `overloaded`; D1's own texts are matched as well, since a
 * wrapper (drizzle) may keep only the message.
 */
export function isTransientD1Error(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (typeof link === "object" && link !== null) {
      const flags = link as { retryable?: unknown; overloaded?: unknown };
      if (flags.retryable === true || flags.overloaded === true) return true;
    }
  }
  const text = messages(error);
  return TRANSIENT_D1_MESSAGES.some((message) => text.includes(message));
}

/** The 503 a transient D1 failure becomes: Retry-After is an integer, the only form Okta honours. */
export function storageUnavailable(): ScimError {
  return serviceUnavailable(
    `The directory database is temporarily unavailable or overloaded. Retry after ${UNAVAILABLE_RETRY_AFTER_SECONDS} seconds.`,
    UNAVAILABLE_RETRY_AFTER_SECONDS,
  );
}
