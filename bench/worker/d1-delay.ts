// Bench only: D1 at a distance. Locally D1 runs in the same process, so a round trip costs nothing and the
// bench could not tell a request with one D1 call from one with seven. In production each D1 call that waits
// for another pays the network between the Worker (near Okta's or Microsoft's data centre) and the database's
// one location. This wrapper adds a fixed delay to every D1 call (all/run/first/raw on a statement, or one
// batch) before it runs, so calls in sequence add up and calls in parallel (Promise.all) overlap, as they do
// over a real network. The deployed bundle never contains it (bench/worker/index.ts is the only user).

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The real statement behind each delayed one, so a batch of delayed statements runs the real ones. */
const unwrapped = new WeakMap<D1PreparedStatement, D1PreparedStatement>();

function delayStatement(inner: D1PreparedStatement, ms: number): D1PreparedStatement {
  const later = async <T>(call: () => Promise<T>): Promise<T> => {
    await sleep(ms);
    return call();
  };
  // As in src/storage/d1/meter.ts: the D1 classes are abstract declarations with overloads, so a plain object
  // implementing them needs a cast.
  const statement = {
    bind: (...values: unknown[]) => delayStatement(inner.bind(...values), ms),
    first: (colName?: string) => later(() => (colName === undefined ? inner.first() : inner.first(colName))),
    run: () => later(() => inner.run()),
    all: () => later(() => inner.all()),
    raw: (options?: { columnNames?: boolean }) =>
      later(() => (options?.columnNames === true ? inner.raw({ columnNames: true }) : inner.raw())),
  } as unknown as D1PreparedStatement;
  unwrapped.set(statement, inner);
  return statement;
}

/** `d1` with `ms` added to every round trip; 0 returns `d1` itself. */
export function delayD1(d1: D1Database, ms: number): D1Database {
  if (ms === 0) return d1;
  return {
    prepare: (query: string) => delayStatement(d1.prepare(query), ms),
    batch: async <T>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> => {
      await sleep(ms);
      return d1.batch<T>(statements.map((s) => unwrapped.get(s) ?? s));
    },
    // Not delayed: migrations and scripts, which no request runs.
    exec: (query: string) => d1.exec(query),
    withSession: (constraintOrBookmark?: string) => d1.withSession(constraintOrBookmark),
    dump: () => d1.dump(),
  } as unknown as D1Database;
}

/** D1_RTT_MS as the bench passes it: a whole number of milliseconds, 0 to 10,000; anything else fails closed. */
export function parseRttMs(text: string | undefined): number {
  if (text === undefined || text === "") return 0;
  const ms = Number(text);
  if (!/^\d+$/.test(text) || ms > 10_000) throw new Error(`D1_RTT_MS must be a whole number of milliseconds from 0 to 10000, got ${JSON.stringify(text)}`);
  return ms;
}
