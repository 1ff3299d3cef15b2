// Runs a list request (filter, sort, index or cursor paging) at a cost that does not grow with the tenant.
//
// - totalResults: unfiltered, the count kept on the tenant row (1 row); filtered, count(*) over the filter,
//   which reads the index range the filter uses. A filter that can use no index scans the tenant, so it is
//   refused in tenants larger than UNINDEXED_SCAN_CAP.
// - index paging (startIndex) of the unfiltered list in creation order: position -> row through
//   position-tree.ts, inside the page's own statement, about count + a few rows at any depth, forwards or
//   backwards. Ascending (Okta's import walk), that statement runs beside the totals: one round trip.
// - index paging of a sorted or filtered list: read from whichever end is nearer, skipping at most MAX_SKIP
//   rows; deeper pages are refused with a pointer to cursor paging.
// - cursor paging (RFC 9865): keyset from the cursor's row, count + 1 rows whatever the depth.
import { badRequest } from "../../scim/errors.ts";
import type { Db } from "../d1/db.ts";
import { walkSql, type Position, type SortColumn } from "./keyset.ts";
import { FANOUT, ordinalSql, type TreeKind } from "./position-tree.ts";
import { Statement } from "../d1/statement.ts";
import type { SQL } from "drizzle-orm";
import { TENANTS, type SqlNames } from "../names.ts";
import type { groups, users } from "../schema.ts";

/**
 * Largest tenant (in resources of the listed type) where a filter that can use no index is answered: such a
 * filter reads every row of the tenant for totalResults. Above it the request is a 400 tooMany.
 */
export const UNINDEXED_SCAN_CAP = 50_000;
/**
 * Most rows an index-paged request of a sorted or filtered list skips to reach its startIndex, from the
 * nearer end of the list. Beyond it, startIndex paging is refused (400 tooMany) in favour of cursor paging,
 * which reads about `count` rows at any depth.
 */
export const MAX_SKIP = 10_000;

export interface ListTable {
  /** The table's SQL names, from schema.ts (names.ts). */
  names: SqlNames<typeof users> | SqlNames<typeof groups>;
  /** Selected columns, raw SQL; seq among them. */
  columns: string;
  tree: TreeKind;
  /** The tenants columns with the table's row count and next ordinal. */
  countColumn: string;
  nextOrdinalColumn: string;
  /** "users", "groups": how the resources are named in error details. */
  noun: string;
  /** For error details: the attributes a filter can narrow by through an index. */
  indexedAttributes: string;
}

export interface ListFilter {
  where: SQL;
  /** Whether the filter narrows through an index (filter-sql.ts `usesIndex`). */
  indexed: boolean;
  /**
   * When an index narrows the filter only in part (`active eq true and title co "x"`): the narrowed part,
   * whose matches are what answering the filter reads. At most `scanCap` of them are allowed.
   */
  candidates?: SQL[];
  /** The filter as the client wrote it, for error details. */
  text: string;
  /** A lookup by a key (isKeyLookup): it matches a handful of rows at most. */
  lookup?: boolean;
}

export interface ListQuery {
  filter: ListFilter | null;
  sort: SortColumn;
  descending: boolean;
  page: { kind: "index"; startIndex: number; count: number } | { kind: "cursor"; from: Position | null; backward: boolean; count: number };
  /** Columns read with each row of the page, in the page's own statement (see RowColumns). */
  rowColumns?: RowColumns;
  /** Most rows a filter may make the request scan: UNINDEXED_SCAN_CAP, lowered only by configuration (tests). */
  scanCap: number;
}

/**
 * Extra result columns computed for each row the page returns, as SQL text over the row alias `row` (its
 * columns are ListTable.columns), binding values through `statement`. Evaluated in a SELECT around the page,
 * after its LIMIT and OFFSET, so rows a page skips to reach its start are not charged for them. This is how a
 * User page reads each user's group ids without a second round trip after the page.
 */
export type RowColumns = (statement: Statement, row: string) => string;

/** `text` (a page's SELECT) with `rowColumns` added to each of its rows. */
function withRowColumns(statement: Statement, text: string, rowColumns: RowColumns | undefined): string {
  if (rowColumns === undefined) return text;
  return `SELECT page.*, ${rowColumns(statement, "page")} FROM (${text}) AS page`;
}

export type RawRow = Record<string, unknown> & { seq: number; sort_key: string | number | null };

export interface ListResult {
  total: number;
  rows: RawRow[];
  /** Whether rows exist after the page's last row and before its first (cursor paging). */
  after: boolean;
  before: boolean;
}

export const positionOf = (row: RawRow): Position => ({ key: row.sort_key, seq: row.seq });

/** The columns every listed resource has (see ListTable.columns), as storage hands them to routes. */
export function storedFromRaw(row: RawRow) {
  return {
    seq: row.seq,
    id: String(row.id),
    createdAt: String(row.created_at),
    updatedAt: String(row.updated_at),
    version: Number(row.version),
    data: JSON.parse(String(row.data)) as Record<string, unknown>,
  };
}

export async function runList(db: Db, table: ListTable, tenantId: number, query: ListQuery): Promise<ListResult> {
  const filter = query.filter;
  if (filter?.candidates !== undefined) await checkCandidates(db, table, tenantId, filter, filter.candidates, query.scanCap);
  const scope = new Scope(table, tenantId, filter, query.scanCap);
  const totals = scope.totals(db);
  const page = query.page;
  if (page.kind === "cursor") {
    const [known, rows] = await Promise.all([totals, cursorPage(db, scope, query, page)]);
    return { total: known.total, ...rows };
  }
  const { startIndex, count } = page;
  if (count === 0) return { total: (await totals).total, rows: [], after: false, before: false };
  // A page near the start needs neither the total nor the position tree: it is read while the totals are.
  // In creation order the tree costs about as much as skipping one block, so "near" is that block. A deeper
  // page in ascending creation order (Okta's import walk) needs no total either: it starts at position
  // startIndex, found by the tree walk inside the page's own statement, so it too is read beside the totals.
  const creationOrder = filter === null && query.sort.column === table.names.seq;
  const near = startIndex - 1 <= (creationOrder ? FANOUT : MAX_SKIP);
  const early = near
    ? scope.walk(db, query.sort, query.descending, null, count, startIndex - 1, query.rowColumns)
    : creationOrder && !query.descending
      ? treePage(db, scope, startIndex, count, query.rowColumns)
      : Promise.resolve(null);
  const [known, earlyRows] = await Promise.all([totals, early]);
  const last = Math.min(known.total, startIndex + count - 1);
  let rows: RawRow[];
  if (earlyRows !== null) rows = earlyRows;
  else if (last < startIndex) rows = [];
  else if (creationOrder) {
    // Descending position p is ascending position total - p + 1.
    const from = known.total - last + 1;
    rows = (await treePage(db, scope, from, last - startIndex + 1, query.rowColumns)).reverse();
  } else rows = await endPage(db, scope, query, known.total, startIndex, last);
  return { total: known.total, rows, after: last < known.total, before: startIndex > 1 };
}

function unindexed(table: ListTable, filter: ListFilter, size: number, cap: number) {
  return badRequest(
    "tooMany",
    `The filter ${JSON.stringify(filter.text)} can use no index, so answering it reads all ${size} ${table.noun} of this tenant; ` +
      `such filters are answered up to ${cap} ${table.noun}. Combine it with "and" and a condition on an indexed ` +
      `attribute (${table.indexedAttributes}).`,
  );
}

/**
 * A filter an index narrows only in part reads every row of the narrowed part. Refused when that part holds
 * more than `cap` rows. Costs 1 row read in a tenant no larger than the cap; otherwise counting stops at
 * cap + 1 index entries.
 */
async function checkCandidates(db: Db, table: ListTable, tenantId: number, filter: ListFilter, candidates: SQL[], cap: number): Promise<void> {
  const sizeStatement = new Statement();
  const sizeText = `SELECT ${table.countColumn} AS size FROM ${TENANTS.$table} WHERE ${TENANTS.id} = ${sizeStatement.bind(tenantId)}`;
  const size = (await db.$client.prepare(sizeText).bind(...sizeStatement.params).first<{ size: number }>())?.size ?? 0;
  if (size <= cap) return;
  let n = 0;
  for (const condition of candidates) {
    if (n > cap) break;
    const statement = new Statement();
    const text =
      `SELECT count(*) AS n FROM (SELECT 1 FROM ${table.names.$table} WHERE ${table.names.tenantId} = ${statement.bind(tenantId)} ` +
      `AND (${statement.fragment(condition)}) LIMIT ${statement.bind(cap + 1 - n)})`;
    n += (await db.$client.prepare(text).bind(...statement.params).first<{ n: number }>())?.n ?? 0;
  }
  if (n > cap) {
    throw badRequest(
      "tooMany",
      `The filter ${JSON.stringify(filter.text)} is narrowed by an index to more than ${cap} ${table.noun}, and the rest of it ` +
        `is tested on each of them; such filters are answered up to ${cap} ${table.noun}. Add an "and" condition that selects ` +
        `fewer through an index (${table.indexedAttributes}).`,
    );
  }
}

interface Totals {
  total: number;
}

/** The rows of one tenant (and filter) of one table. */
class Scope {
  readonly table: ListTable;
  readonly tenantId: number;
  readonly filter: ListFilter | null;
  /** A filter without an index is capped: its statements check the tenant's size before they scan. */
  readonly capped: boolean;
  readonly cap: number;

  constructor(table: ListTable, tenantId: number, filter: ListFilter | null, cap: number) {
    this.table = table;
    this.tenantId = tenantId;
    this.filter = filter;
    this.capped = filter !== null && !filter.indexed;
    this.cap = cap;
  }

  where(statement: Statement): string {
    const tenant = `${this.table.names.tenantId} = ${statement.bind(this.tenantId)}`;
    return this.filter ? `${tenant} AND (${statement.fragment(this.filter.where)})` : tenant;
  }

  /** Whether the tenant is small enough for a capped filter, evaluated once per statement by SQLite. */
  private withinCap(statement: Statement): string {
    return `(SELECT ${this.table.countColumn} FROM ${TENANTS.$table} WHERE ${TENANTS.id} = ${statement.bind(this.tenantId)}) <= ${statement.bind(this.cap)}`;
  }

  /**
   * totalResults. For a capped filter the same statement reads the
   * tenant's size and counts only within the cap: the count's LIMIT is 0 past it (measured: 1 row read), so
   * the check costs no extra round trip. The filter sits in a FROM subquery, never in a scalar one: D1 caps
   * expression depth at 100, and a scalar or IN subquery counts its filter's depth twice (measured).
   */
  async totals(db: Db): Promise<Totals> {
    const statement = new Statement();
    const { countColumn } = this.table;
    const name = this.table.names.$table;
    if (this.filter === null) {
      const text = `SELECT ${countColumn} AS total FROM ${TENANTS.$table} WHERE ${TENANTS.id} = ${statement.bind(this.tenantId)}`;
      return (await db.$client.prepare(text).bind(...statement.params).first<Totals>()) ?? { total: 0 };
    }
    const where = this.where(statement);
    if (!this.capped) {
      const text = `SELECT count(*) AS n FROM ${name} WHERE ${where}`;
      return { total: (await db.$client.prepare(text).bind(...statement.params).first<{ n: number }>())?.n ?? 0 };
    }
    const size = `(SELECT ${countColumn} FROM ${TENANTS.$table} WHERE ${TENANTS.id} = ${statement.bind(this.tenantId)})`;
    const text =
      `SELECT ${size} AS size, count(*) AS n FROM ` +
      `(SELECT 1 FROM ${name} WHERE ${where} LIMIT (CASE WHEN ${this.withinCap(statement)} THEN -1 ELSE 0 END))`;
    const row = await db.$client.prepare(text).bind(...statement.params).first<{ size: number | null; n: number }>();
    if (this.filter && (row?.size ?? 0) > this.cap) throw unindexed(this.table, this.filter, row?.size ?? 0, this.cap);
    return { total: row?.n ?? 0 };
  }

  async walk(
    db: Db,
    sort: SortColumn,
    descending: boolean,
    after: Position | null,
    limit: number,
    offset = 0,
    rowColumns?: RowColumns,
  ): Promise<RawRow[]> {
    const statement = new Statement();
    const where = this.where(statement);
    // Past the cap the LIMIT is 0 and SQLite reads nothing (measured: 1 row); the totals then refuse the request.
    const guard = this.capped ? this.withinCap(statement) : null;
    const walk = walkSql(statement, { table: this.table.names.$table, seq: this.table.names.seq, columns: this.table.columns, where, sort, descending, after, limit, offset, guard });
    const text = withRowColumns(statement, walk, rowColumns);
    const result = await db.$client.prepare(text).bind(...statement.params).all<RawRow>();
    return result.results;
  }
}

/** `count` rows of the unfiltered list in creation order from live position `position` on, in one statement. */
async function treePage(db: Db, scope: Scope, position: number, count: number, rowColumns: RowColumns | undefined): Promise<RawRow[]> {
  const statement = new Statement();
  const t = scope.table.names;
  const page =
    `SELECT ${scope.table.columns}, ${t.seq} AS sort_key FROM ${t.$table} ` +
    `WHERE ${t.tenantId} = ${statement.bind(scope.tenantId)} AND ${t.ordinal} >= ${ordinalSql(statement, scope.tenantId, scope.table, position)} ` +
    `ORDER BY ${t.ordinal} LIMIT ${statement.bind(count)}`;
  const text = withRowColumns(statement, page, rowColumns);
  return (await db.$client.prepare(text).bind(...statement.params).all<RawRow>()).results;
}

/** Positions first..last of a sorted or filtered list, read from the nearer end. */
async function endPage(db: Db, scope: Scope, query: ListQuery, total: number, first: number, last: number): Promise<RawRow[]> {
  const fromStart = first - 1;
  const fromEnd = total - last;
  if (Math.min(fromStart, fromEnd) > MAX_SKIP) {
    throw badRequest(
      "tooMany",
      `startIndex ${first} is ${fromStart} results from the start and ${fromEnd} from the end of this ${query.filter ? "filtered" : "sorted"} list; ` +
        `index paging reaches at most ${MAX_SKIP} results from either end. Page with cursor=, which costs the same at any depth (RFC 9865).`,
    );
  }
  if (fromStart <= fromEnd) return scope.walk(db, query.sort, query.descending, null, last - first + 1, fromStart, query.rowColumns);
  return (await scope.walk(db, query.sort, !query.descending, null, last - first + 1, fromEnd, query.rowColumns)).reverse();
}

/** A keyset page from `from` (exclusive) forwards or backwards, and whether rows lie beyond either edge. */
async function cursorPage(
  db: Db,
  scope: Scope,
  query: ListQuery,
  page: { from: Position | null; backward: boolean; count: number },
): Promise<Omit<ListResult, "total">> {
  // The walk's own direction: backwards through an ascending list is a descending walk.
  const descending = page.backward !== query.descending;
  // The row beyond the page (count + 1) is read only to tell whether more follow; it gets the row columns
  // too (one index seek for a user's groups), which costs less than a second statement would.
  const rows = scope.walk(db, query.sort, descending, page.from, page.count + 1, 0, query.rowColumns);
  // Rows on the other side of the cursor's position, its own row included (a probe of one row).
  const behind = page.from === null ? Promise.resolve([]) : scope.walk(db, query.sort, !descending, inclusive(page.from, descending), 1);
  const [found, other] = await Promise.all([rows, behind]);
  const more = found.length > page.count;
  if (more) found.pop();
  if (page.backward) return { rows: found.reverse(), after: other.length > 0, before: more };
  return { rows: found, after: more, before: other.length > 0 };
}

/** The position just past `at` in a walk (descending or not), so that walking back from it includes `at`. */
function inclusive(at: Position, descending: boolean): Position {
  return { key: at.key, seq: descending ? at.seq - 1 : at.seq + 1 };
}
