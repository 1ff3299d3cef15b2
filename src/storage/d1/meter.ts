// Counts what a request costs in D1's billing units. D1 reports rows read/written in each result's `meta`,
// but drizzle drops `meta` on selects, so the count is taken one level down: this wraps the D1 binding and
// adds up `meta` from every statement, whether run alone or in a batch.
//
// drizzle reads selects through `raw()` and `first()`, which return no `meta`; here both are answered from
// `all()` on the same statement and converted. `raw()` rebuilds each row's array from the object's key
// order, exactly as drizzle's own batch path does (d1/session.js `d1ToRawMapping`), so the same rule holds
// for both: a query's result columns need distinct, non-numeric names (alias computed columns).
// A statement or batch that fails (a guard or constraint rolling a batch back) returns no `meta`, so it is
// not counted: the totals are a floor for requests that end in such an error.

export interface D1Cost {
  rowsRead: number;
  rowsWritten: number;
  queries: number;
  /** Sum of D1's reported SQL durations, in milliseconds. */
  durationMs: number;
}

export interface D1Meter {
  db: D1Database;
  totals(): D1Cost;
}

type Counter = (meta: Partial<D1Meta> | undefined) => void;

/** The real statement behind each wrapper, so a batch of wrapped statements runs the real ones. */
const unwrapped = new WeakMap<D1PreparedStatement, D1PreparedStatement>();

function wrapStatement(inner: D1PreparedStatement, count: Counter): D1PreparedStatement {
  const all = async <T>(): Promise<D1Result<T>> => {
    const result = await inner.all<T>();
    count(result.meta);
    return result;
  };
  async function first<T>(colName?: string): Promise<T | null> {
    const row = (await all<Record<string, unknown>>()).results[0];
    if (row === undefined) return null;
    if (colName === undefined) return row as T;
    // As D1 does: naming a column the result does not have is an error, not a null.
    if (!Object.hasOwn(row, colName)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${colName})`);
    return row[colName] as T;
  }
  async function raw(options?: { columnNames?: boolean }): Promise<unknown[]> {
    const rows = (await all<Record<string, unknown>>()).results;
    const arrays = rows.map((row) => Object.values(row));
    if (options?.columnNames !== true) return arrays;
    // Column names of an empty result are not in `all()`: ask D1 for them (not metered; nothing in this
    // codebase asks for column names, this only keeps the wrapper honest to the D1 contract).
    const names = rows[0] !== undefined ? Object.keys(rows[0]) : ((await inner.raw({ columnNames: true }))[0] ?? []);
    return [names, ...arrays];
  }
  // The D1 classes are abstract declarations with overloads; a plain object implementing them needs a cast.
  const statement = {
    bind: (...values: unknown[]) => wrapStatement(inner.bind(...values), count),
    first,
    run: async <T>(): Promise<D1Result<T>> => {
      const result = await inner.run<T>();
      count(result.meta);
      return result;
    },
    all,
    raw,
  } as unknown as D1PreparedStatement;
  unwrapped.set(statement, inner);
  return statement;
}

export function meterD1(d1: D1Database): D1Meter {
  const totals: D1Cost = { rowsRead: 0, rowsWritten: 0, queries: 0, durationMs: 0 };
  const count: Counter = (meta) => {
    totals.queries += 1;
    totals.rowsRead += meta?.rows_read ?? 0;
    totals.rowsWritten += meta?.rows_written ?? 0;
    totals.durationMs += meta?.duration ?? 0;
  };
  const db = {
    prepare: (query: string) => wrapStatement(d1.prepare(query), count),
    batch: async <T>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> => {
      const results = await d1.batch<T>(statements.map((s) => unwrapped.get(s) ?? s));
      for (const result of results) count(result.meta);
      return results;
    },
    // Not metered: exec (migrations, scripts) and sessions (unused here) report no rows per statement.
    exec: (query: string) => d1.exec(query),
    withSession: (constraintOrBookmark?: string) => d1.withSession(constraintOrBookmark),
    dump: () => d1.dump(),
  } as unknown as D1Database;
  return { db, totals: () => ({ ...totals }) };
}
