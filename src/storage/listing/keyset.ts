// Keyset SQL for a list in a stable total order: the sort column, then seq as tie-breaker.
//
// RFC 7644 §3.4.2.3: resources without a value sort last ascending and first descending, i.e. a missing
// value is greater than any other. SQLite orders NULL first, and NULLS LAST would defeat the index, so a
// nullable column is walked as two index ranges, the non-null one and the NULL one, in a UNION ALL whose
// parts are read in order (SQLite stops at the outer LIMIT: measured, a part after a full first part reads
// no rows). A tie on the sort value is a separate `col = v AND seq > s` part: a row value
// `(col, seq) > (v, s)` does not use seq (the index's implicit rowid) as a range, so it would read every
// tie before s (measured: 25,100 rows for a page inside 50,000 equal created_at values; 100 this way).
import type { Statement } from "../d1/statement.ts";
import { USERS } from "../names.ts";

export interface SortColumn {
  /** Column name; seq is the default order (creation order). */
  column: string;
  nullable: boolean;
}

/** Creation order: seq, which users and groups both have under that name (schema.ts). */
export const DEFAULT_ORDER: SortColumn = { column: USERS.seq, nullable: false };

/** A row's place in the order: its sort value (null in the NULL range) and seq. */
export interface Position {
  key: string | number | null;
  seq: number;
}

export interface Walk {
  table: string;
  /** The table's seq column: the tie-breaker of every order, and creation order itself. */
  seq: string;
  /** Selected columns; `sort_key` is appended. */
  columns: string;
  /** Conditions every row meets (tenant, filter), as SQL text. */
  where: string;
  sort: SortColumn;
  /** Walk direction: ascending or descending in (sort value, seq). */
  descending: boolean;
  /** Rows strictly after this position in the walk direction; from the first row when null. */
  after: Position | null;
  limit: number;
  offset: number;
  /** A condition (SQL text) that must hold for any row to be read: when false every LIMIT is 0. */
  guard: string | null;
}

interface Part {
  condition: string | null;
  order: string;
}

/** The SELECT that returns the walk's rows, in walk order. */
export function walkSql(statement: Statement, walk: Walk): string {
  const parts = walkParts(statement, walk);
  if (parts.length === 0) return `SELECT ${walk.columns}, NULL AS sort_key FROM ${walk.table} WHERE 0`;
  // SQLite evaluates a LIMIT before reading anything, and reads nothing for LIMIT 0.
  const limit = (n: number) => (walk.guard === null ? statement.bind(n) : `(CASE WHEN ${walk.guard} THEN ${statement.bind(n)} ELSE 0 END)`);
  const fetch = limit(walk.limit + walk.offset);
  const selects = parts.map((part) => {
    const where = part.condition === null ? walk.where : `${walk.where} AND ${part.condition}`;
    return `SELECT * FROM (SELECT ${walk.columns}, ${walk.sort.column} AS sort_key FROM ${walk.table} WHERE ${where} ORDER BY ${part.order} LIMIT ${fetch})`;
  });
  return `${selects.join(" UNION ALL ")} LIMIT ${limit(walk.limit)} OFFSET ${statement.bind(walk.offset)}`;
}

function walkParts(statement: Statement, walk: Walk): Part[] {
  const { column, nullable } = walk.sort;
  const dir = walk.descending ? "DESC" : "ASC";
  const bySeq = `${walk.seq} ${dir}`;
  const byValue = column === walk.seq ? bySeq : `${column} ${dir}, ${walk.seq} ${dir}`;
  const seqAfter = (seq: number) => `${walk.seq} ${walk.descending ? "<" : ">"} ${statement.bind(seq)}`;
  const after = walk.after;
  if (column === walk.seq) return [{ condition: after === null ? null : seqAfter(after.seq), order: bySeq }];

  const values = (condition: string | null): Part => ({ condition, order: byValue });
  const nulls = (condition: string): Part => ({ condition, order: bySeq });
  const notNull = nullable ? `${column} IS NOT NULL` : null;
  if (after === null) {
    if (!nullable) return [values(null)];
    const all = [values(notNull), nulls(`${column} IS NULL`)];
    return walk.descending ? all.reverse() : all;
  }
  if (after.key === null) {
    // In the NULL range: ascending it is the end; descending, the non-null values follow it.
    if (!nullable) return [];
    const rest = nulls(`${column} IS NULL AND ${seqAfter(after.seq)}`);
    return walk.descending ? [rest, values(notNull)] : [rest];
  }
  const key = statement.bind(after.key);
  const ties: Part = { condition: `${column} = ${key} AND ${seqAfter(after.seq)}`, order: bySeq };
  const beyond = values(`${column} ${walk.descending ? "<" : ">"} ${key}`);
  return nullable && !walk.descending ? [ties, beyond, nulls(`${column} IS NULL`)] : [ties, beyond];
}
