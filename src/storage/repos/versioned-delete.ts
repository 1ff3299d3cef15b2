// DELETE with optimistic concurrency, the same for users and groups: the delete statement requires the version
// it read, so the event it writes describes exactly what was deleted.
import type { BatchItem } from "drizzle-orm/batch";
import { concurrentChange } from "../../scim/errors.ts";
import type { Db } from "../d1/db.ts";
import { guardedBatch } from "../d1/guard.ts";

export type DeleteOutcome = "deleted" | "missing" | "changed";

export interface DeleteGuard {
  /** Sees each version read; If-Match throws from it. */
  check?: (version: number) => void;
  /** The client pinned the version it read (If-Match named one). */
  pinned?: boolean;
}

/** Rounds of read-then-delete before the answer is a 409: each lost round means another writer got there first. */
const DELETE_ATTEMPTS = 3;

/**
 * Reads the resource, lets `guard.check` see its version, and runs `statements(current)`: a batch whose first
 * statement deletes the row only at the version read, followed by requirePreviousChange. A write landing in
 * between makes the batch delete nothing: without `pinned` it reads again and retries, with `pinned` it answers
 * "changed" rather than delete a version nobody checked.
 */
export async function deleteWithVersionGuard<T extends { version: number }>(
  db: Db,
  read: () => Promise<T | null>,
  statements: (current: T) => [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]],
  guard: DeleteGuard,
): Promise<DeleteOutcome> {
  for (let attempt = 1; attempt <= DELETE_ATTEMPTS; attempt++) {
    const current = await read();
    if (!current) return "missing";
    guard.check?.(current.version);
    if ((await guardedBatch(db, statements(current))) !== null) return "deleted";
    if (guard.pinned) return "changed";
  }
  throw concurrentChange();
}
