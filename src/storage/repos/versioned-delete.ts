// DELETE, the same for users and groups, in one batch whose statements read the row they delete: its event
// renders the row as the batch finds it, so nothing is read before the batch. A guard right after the delete
// aborts the batch when the row was not there (or, with If-Match, not at the version the client named).
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../d1/db.ts";
import { guardedBatch } from "../d1/guard.ts";

export type DeleteOutcome = "deleted" | "missing" | "changed";

export interface DeleteGuard {
  /** Sees the version read; If-Match throws from it. */
  check?: (version: number) => void;
  /** The client pinned the version it read (If-Match named one). */
  pinned?: boolean;
}

/**
 * Without If-Match: one round trip, the batch `statements(null)`; when its guard aborts it, the row was not
 * there ("missing"). With If-Match: the row is read first so `guard.check` can answer 412 before any write,
 * and the batch deletes only that version; a write landing in between makes it "changed".
 */
export async function deleteInOneBatch<T extends { version: number }>(
  db: Db,
  read: () => Promise<T | null>,
  statements: (pinnedVersion: number | null) => [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]],
  guard: DeleteGuard,
): Promise<DeleteOutcome> {
  if (!guard.pinned) return (await guardedBatch(db, statements(null))) !== null ? "deleted" : "missing";
  const current = await read();
  if (!current) return "missing";
  guard.check?.(current.version);
  return (await guardedBatch(db, statements(current.version))) !== null ? "deleted" : "changed";
}
