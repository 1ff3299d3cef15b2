// Maps a list position (startIndex) to a row without scanning the rows before it.
//
// Why: D1 counts every index entry an OFFSET skips as a row read (measured: `ORDER BY seq LIMIT 1 OFFSET
// 40000` over the covering (tenant_id, seq) index reads 40,001 rows), so OFFSET paging costs O(depth) and an
// Okta import of a 1,000,000-user tenant would read ~5 * 10^9 rows. Instead every user and group gets a
// per-tenant `ordinal` (0, 1, 2, ... in creation order, never reused), and position_tree counts deletions
// per block of ordinals at six block sizes (32^1 .. 32^6), kept by AFTER DELETE triggers. The live rows in
// ordinals [0, x) are x minus the deletions there, so position N is found by walking down the blocks,
// reading at most 32 small rows per level, and then OFFSETting at most 31 rows inside one 32-ordinal block.
// The walk is SQL (ordinalSql), part of the page's own statement: a page at any depth is one round trip.
//
// Cost, in D1 rows read: a tenant that never deleted costs 1 (an empty range); otherwise at most 32 per
// level below the tenant's top level (3 levels for a million users), typically a handful, since only blocks
// with deletions have rows. A delete writes 6 tree rows (the trigger's upsert, one per level).
import type { Statement } from "../d1/statement.ts";
import { POSITION_TREE as PT, TENANTS, type SqlNames } from "../names.ts";
import type { groups, users } from "../schema.ts";

export const BITS = 5;
/** Children per block. */
export const FANOUT = 1 << BITS;
/** Stored levels (1..LEVELS); a tenant may have FANOUT^(LEVELS+1) = 2^35 ordinals. */
export const LEVELS = 6;

export type TreeKind = 0 | 1;
export const USERS_TREE: TreeKind = 0;
export const GROUPS_TREE: TreeKind = 1;

/** What ordinalSql needs to know about the listed table. */
export interface TreeTable {
  /** The listed table's SQL names (schema.ts). */
  names: SqlNames<typeof users> | SqlNames<typeof groups>;
  tree: TreeKind;
  /** The tenants column with the table's next ordinal. */
  nextOrdinalColumn: string;
}

/**
 * A scalar SQL expression: the ordinal of live position `position` (1-based, in ordinal order) among the
 * tenant's rows, NULL when there is no such position. It goes into the page's own statement (`ordinal >= ...`),
 * so locating a deep page costs no round trip of its own.
 *
 * A tenant that never deleted (of this kind) has no tree rows, and position p is ordinal p - 1 (one empty seek).
 * Otherwise a recursive CTE walks the tree, one CTE row per step, each step one seek and arithmetic. It starts at
 * the smallest block that holds every ordinal handed out so far (from the tenant row) and scans the block's
 * children one tree row at a time: the next child with deletions is one seek of the primary key, packed as
 * bucket << 31 | deleted so that one seek answers both. The live ordinals before that child are skipped by
 * arithmetic; then the walk descends into it or passes it. A region without tree rows has no deletions, so the
 * position is found there by arithmetic. In a 32-ordinal block with deletions the walk ends by skipping the
 * live rows before the position with an OFFSET (at most 31; a correlated value cannot be an OFFSET, so each of
 * the 32 is a literal branch, and only the one taken runs). The final step has lvl -1 and the answer in f.
 *
 * Rows read: the tenant row, one per step (the CTE's own row) plus one per tree row passed, and the rows the
 * OFFSET skips. The level-by-level reads it replaces read every tree row of each visited block (also those after
 * the position), in one round trip per level.
 */
export function ordinalSql(statement: Statement, tenantId: number, table: TreeTable, position: number): string {
  const t = table.names;
  const tenant = statement.bind(tenantId);
  const kind = statement.bind(table.tree);
  const seek = (lvl: string, pos: string, bend: string) =>
    `(SELECT (${PT.bucket} << 31) | ${PT.deleted} FROM ${PT.$table} WHERE ${PT.tenantId} = ${tenant} AND ${PT.kind} = ${kind} AND ${PT.level} = ${lvl} ` +
    `AND ${PT.bucket} >= (${pos} >> (${BITS} * ${lvl})) AND ${PT.bucket} < (${bend} >> (${BITS} * ${lvl})) ORDER BY ${PT.bucket} LIMIT 1)`;
  // The ordinal of the live row `skip` rows after ordinal `from`, for skip 0..FANOUT-1 (else NULL).
  const leaf = (from: string, skip: string) => {
    const branches = Array.from(
      { length: FANOUT },
      (_, k) => `WHEN ${k} THEN (SELECT ${t.ordinal} FROM ${t.$table} WHERE ${t.tenantId} = ${tenant} AND ${t.ordinal} >= ${from} ORDER BY ${t.ordinal} LIMIT 1 OFFSET ${k})`,
    );
    return `(CASE ${skip} ${branches.join(" ")} END)`;
  };

  const size = `(1 << (${BITS} * lvl))`;
  const bucket = "(nx >> 31)";
  const deleted = "(nx & 2147483647)";
  const gap = `((${bucket} - (pos >> (${BITS} * lvl))) * ${size})`;
  // The position lies before the next child with deletions (or there is none), or inside that child.
  const before = `(nx IS NULL OR rnk <= ${gap})`;
  const inside = `(rnk - ${gap} <= ${size} - ${deleted})`;
  const lvl2 = `(CASE WHEN ${before} THEN -1 WHEN ${inside} THEN (CASE WHEN lvl = 1 THEN -1 ELSE lvl - 1 END) ELSE lvl END)`;
  const pos2 = `(CASE WHEN ${before} THEN pos WHEN ${inside} THEN ${bucket} * ${size} ELSE (${bucket} + 1) * ${size} END)`;
  const rnk2 = `(CASE WHEN ${before} THEN rnk WHEN ${inside} THEN rnk - ${gap} ELSE rnk - ${gap} - (${size} - ${deleted}) END)`;
  const bend2 = `(CASE WHEN NOT ${before} AND ${inside} THEN (${bucket} + 1) * ${size} ELSE bend END)`;
  const f2 = `(CASE WHEN ${before} THEN pos + rnk - 1 WHEN ${inside} AND lvl = 1 THEN ${leaf(`(${bucket} * ${size})`, `(rnk - ${gap} - 1)`)} END)`;

  const position1 = `CAST(${statement.bind(position)} AS INTEGER)`;
  const levels = Array.from({ length: LEVELS }, (_, i) => `WHEN n <= ${FANOUT ** (i + 1)} THEN ${i + 1}`).join(" ");
  const untouched = `NOT EXISTS (SELECT 1 FROM ${PT.$table} WHERE ${PT.tenantId} = ${tenant} AND ${PT.kind} = ${kind})`;
  const topBlock = `(1 << (${BITS} * top))`;
  return `(CASE WHEN ${untouched} THEN ${position1} - 1 ELSE (WITH RECURSIVE walk(lvl, pos, rnk, bend, nx, f) AS (
    SELECT CASE WHEN top = 1 THEN -1 ELSE top - 1 END, 0, ${position1}, ${topBlock},
      CASE WHEN top > 1 THEN ${seek("(top - 1)", "0", topBlock)} END,
      CASE WHEN top = 1 THEN ${leaf("0", `(${position1} - 1)`)} END
    FROM (SELECT CASE ${levels} ELSE ${LEVELS + 1} END AS top FROM (SELECT ${table.nextOrdinalColumn} AS n FROM ${TENANTS.$table} WHERE ${TENANTS.id} = ${tenant}))
    UNION ALL
    SELECT ${lvl2}, ${pos2}, ${rnk2}, ${bend2}, CASE WHEN ${lvl2} > 0 THEN ${seek(lvl2, pos2, bend2)} END, ${f2}
    FROM walk WHERE lvl > 0
  ) SELECT f FROM walk WHERE lvl = -1) END)`;
}
