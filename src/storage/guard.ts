import { sql } from "drizzle-orm";
import type { Db } from "./db.ts";

/** A batch statement that aborts the batch when the statement before it changed no row. */
export function requirePreviousChange(db: Db) {
  return db.run(sql`INSERT INTO write_guard (must_change) SELECT NULL WHERE changes() = 0`);
}
