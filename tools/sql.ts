// SQL literals for `wrangler d1 execute --command`, which takes no bound parameters. Values that end up
// in SQL are validated first (slugs by regex) and every string is still quoted here, so a quote inside a
// label or organization name can never end the literal.

/** A SQL string literal: single quotes doubled, NUL rejected (SQLite would truncate at it). */
export function sqlString(value: string): string {
  if (value.includes("\0")) throw new Error("SQL string literals cannot contain NUL");
  return `'${value.replaceAll("'", "''")}'`;
}

export function sqlNullableString(value: string | null): string {
  return value === null ? "NULL" : sqlString(value);
}
