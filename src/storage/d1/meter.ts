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
//
// Round trips: in production D1 sits in one location and the Worker near the caller, so each D1 call that
// waits for another to finish adds a network round trip to the request. What counts is the critical path,
// not the number of calls: calls that overlap in time (started while another is in flight, e.g. under
// Promise.all) travel together. So every call (all/run/first/raw on a statement, or one batch) gets a depth,
// one more than the deepest call that had already FINISHED when it started, and the request's round trips
// are the greatest depth: the longest chain of D1 calls each started after the one before it ended.
// Sequential calls count 1, 2, 3; two under Promise.all both count 1. Failed calls count too: the trip was made.

export interface D1Cost {
  rowsRead: number;
  rowsWritten: number;
  queries: number;
  /** Sequential D1 calls on the request's critical path (see the top of this file). */
  roundTrips: number;
  /** Sum of D1's reported SQL durations, in milliseconds. */
  durationMs: number;
}

export interface D1Meter {
  db: D1Database;
  totals(): D1Cost;
}

type Counter = (meta: Partial<D1Meta> | undefined) => void;

/** Runs one D1 call, recording its place on the request's chain of sequential calls. */
type Trip = <T>(call: () => Promise<T>) => Promise<T>;

function tripCounter(): { trip: Trip; roundTrips: () => number } {
  // The depth of the deepest call that has finished; a call starting now is one deeper.
  let finished = 0;
  let deepest = 0;
  const trip: Trip = async (call) => {
    const depth = finished + 1;
    deepest = Math.max(deepest, depth);
    try {
      return await call();
    } finally {
      finished = Math.max(finished, depth);
    }
  };
  return { trip, roundTrips: () => deepest };
}

/** The real statement behind each wrapper, so a batch of wrapped statements runs the real ones. */
const unwrapped = new WeakMap<D1PreparedStatement, D1PreparedStatement>();

function wrapStatement(inner: D1PreparedStatement, count: Counter, trip: Trip): D1PreparedStatement {
  const all = <T>(): Promise<D1Result<T>> =>
    trip(async () => {
      const result = await inner.all<T>();
      count(result.meta);
      return result;
    });
  async function first<T>(colName?: string): Promise<T | null> {
    const row = (await all<Record<string, unknown>>()).results[0];
    if (row === undefined) return null;
    if (colName === undefined) return row as T;
    // As D1 does: naming a column the result does not have is an error, not a null.
    if (!Object.hasOwn(row, colName)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${colName})`);
    return row[colName] as T;
  }
  // One trip for the whole call, also when it asks D1 a second time for column names.
  const raw = (options?: { columnNames?: boolean }) => trip(() => rawRows(options));
  async function rawRows(options?: { columnNames?: boolean }): Promise<unknown[]> {
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
    bind: (...values: unknown[]) => wrapStatement(inner.bind(...values), count, trip),
    first,
    run: <T>(): Promise<D1Result<T>> =>
      trip(async () => {
        const result = await inner.run<T>();
        count(result.meta);
        return result;
      }),
    all,
    raw,
  } as unknown as D1PreparedStatement;
  unwrapped.set(statement, inner);
  return statement;
}

export function meterD1(d1: D1Database): D1Meter {
  const totals: Omit<D1Cost, "roundTrips"> = { rowsRead: 0, rowsWritten: 0, queries: 0, durationMs: 0 };
  const { trip, roundTrips } = tripCounter();
  const count: Counter = (meta) => {
    totals.queries += 1;
    totals.rowsRead += meta?.rows_read ?? 0;
    totals.rowsWritten += meta?.rows_written ?? 0;
    totals.durationMs += meta?.duration ?? 0;
  };
  const db = {
    prepare: (query: string) => wrapStatement(d1.prepare(query), count, trip),
    batch: <T>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> =>
      trip(async () => {
        const results = await d1.batch<T>(statements.map((s) => unwrapped.get(s) ?? s));
        for (const result of results) count(result.meta);
        return results;
      }),
    // Not metered: exec (migrations, scripts) and sessions (unused here) report no rows per statement.
    exec: (query: string) => d1.exec(query),
    withSession: (constraintOrBookmark?: string) => d1.withSession(constraintOrBookmark),
    dump: () => d1.dump(),
  } as unknown as D1Database;
  return { db, totals: () => ({ ...totals, roundTrips: roundTrips() }) };
}
