import { sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./db.ts";
import { isGuardFailure } from "./errors.ts";

/** A batch statement that aborts the batch when the statement before it changed no row. */
export function requirePreviousChange(db: Db) {
  return db.run(sql`INSERT INTO write_guard (must_change) SELECT NULL WHERE changes() = 0`);
}

/**
 * Runs a batch that contains a requirePreviousChange guard. Returns the statements' results, or null when
 * the guard aborted it (the guarded row was gone or at another version, and nothing was written). Any
 * other failure is thrown for the caller to map.
 */
export async function guardedBatch(db: Db, statements: [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]): Promise<unknown[] | null> {
  try {
    return await db.batch(statements);
  } catch (error) {
    if (isGuardFailure(error)) return null;
    throw error;
  }
}
