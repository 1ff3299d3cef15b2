// SQL text for the bench's hand-written statements (the floor route, the seeding), with table and column names
// taken from the drizzle definitions (src/storage/schema.ts) so that the type checker sees them: a renamed or
// removed column fails `npm run typecheck` here instead of the bench at run time. Values are never bound
// through drizzle: the statements keep their positional parameters (?1, ?2, ...) for D1's bind().
import { sql, type Column, type SQL } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";

const dialect = new SQLiteAsyncDialect();

/**
 * A column's name alone (`"tenant_id"`): what INSERT column lists and UPDATE SET take, and what a table alias
 * (`gm."group_id"`) or a CTE (`page."id"`) qualifies.
 */
export const col = (column: Column): SQL => sql`${sql.identifier(column.name)}`;

/** A comma-separated column list. */
export const cols = (...columns: Column[]): SQL => sql.join(columns.map(col), sql`, `);

/** The statement's text. A value interpolated by mistake would become a drizzle parameter: refused. */
export function sqlText(statement: SQL): string {
  const query = dialect.sqlToQuery(statement);
  if (query.params.length > 0) throw new Error(`bench SQL binds its values positionally, not through drizzle: ${query.sql}`);
  return query.sql;
}
