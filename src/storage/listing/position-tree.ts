// Maps a list position (startIndex) to a row without scanning the rows before it.
//
// Why: D1 counts every index entry an OFFSET skips as a row read (measured: `ORDER BY seq LIMIT 1 OFFSET
// 40000` over the covering (tenant_id, seq) index reads 40,001 rows), so OFFSET paging costs O(depth) and an
// Okta import of a 1,000,000-user tenant would read ~5 * 10^9 rows. Instead every user and group gets a
// per-tenant `ordinal` (0, 1, 2, ... in creation order, never reused), and position_tree counts deletions
// per block of ordinals at six block sizes (32^1 .. 32^6), kept by AFTER DELETE triggers. The live rows in
// ordinals [0, x) are x minus the deletions there, so position N is found by walking down the blocks,
// reading at most 32 small rows per level, and then OFFSETting at most 31 rows inside one 32-ordinal block.
//
// Cost, in D1 rows read: a tenant that never deleted costs 1 (an empty range); otherwise at most 32 per
// level below the tenant's top level (3 levels for a million users), typically a handful, since only blocks
// with deletions have rows. A delete writes 6 tree rows (the trigger's upsert, one per level).
import { sql } from "drizzle-orm";
import type { Db } from "../d1/db.ts";

export const BITS = 5;
/** Children per block. */
export const FANOUT = 1 << BITS;
/** Stored levels (1..LEVELS); a tenant may have FANOUT^(LEVELS+1) = 2^35 ordinals. */
export const LEVELS = 6;

export type TreeKind = 0 | 1;
export const USERS_TREE: TreeKind = 0;
export const GROUPS_TREE: TreeKind = 1;

/** Where position N (1-based, in ordinal order) is: skip `skip` live rows from ordinal `from` on. */
export interface Located {
  from: number;
  skip: number;
}

const blockSize = (level: number) => 2 ** (BITS * level);

/**
 * Locates live position `position` (1-based) among the tenant's rows of `kind` whose ordinals are below
 * `nextOrdinal`. The caller guarantees 1 <= position <= the live count.
 */
export async function locatePosition(db: Db, tenantId: number, kind: TreeKind, position: number, nextOrdinal: number): Promise<Located> {
  // The smallest block that holds every ordinal handed out so far.
  let level = 1;
  while (level <= LEVELS && blockSize(level) < nextOrdinal) level++;
  let start = 0;
  let rank = position;
  while (level > 1) {
    const child = level - 1;
    const size = blockSize(child);
    const first = start / size;
    const rows = await db.all<{ bucket: number; deleted: number }>(
      sql`SELECT bucket, deleted FROM position_tree
          WHERE tenant_id = ${tenantId} AND kind = ${kind} AND level = ${child} AND bucket BETWEEN ${first} AND ${first + FANOUT - 1}
          ORDER BY bucket`,
    );
    // No deletion anywhere in this block: its live rows are exactly its ordinals.
    if (rows.length === 0) return { from: start + rank - 1, skip: 0 };
    const deleted = new Map(rows.map((r) => [r.bucket, r.deleted]));
    let j = 0;
    for (; j < FANOUT; j++) {
      const gone = deleted.get(first + j) ?? 0;
      const live = size - gone;
      if (rank <= live) {
        start += j * size;
        if (gone === 0) return { from: start + rank - 1, skip: 0 };
        break;
      }
      rank -= live;
    }
    // Past the last child only if the caller's position exceeds the live count (a concurrent delete): the
    // block's end is then the answer, and the page read from there comes back short or empty.
    if (j === FANOUT) return { from: start + FANOUT * size, skip: 0 };
    level = child;
  }
  return { from: start, skip: rank - 1 };
}
