// One SQL statement assembled from text and drizzle fragments, with numbered parameters (?1, ?2, ...).
//
// Why not drizzle's builder: a list page is a UNION ALL of up to three ordered parts that each repeat the
// filter, and D1 allows 100 bound parameters per statement. With numbered parameters a fragment used three
// times binds its values once, so the page statement binds no more than the filter alone does.
import type { SQL } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";

const dialect = new SQLiteAsyncDialect();

export class Statement {
  readonly params: unknown[] = [];
  private readonly numbers = new Map<unknown, string>();

  /** A placeholder bound to `value`; an equal string or number already bound reuses its placeholder. */
  bind(value: unknown): string {
    const reusable = typeof value === "string" || typeof value === "number";
    const known = reusable ? this.numbers.get(value) : undefined;
    if (known !== undefined) return known;
    this.params.push(value);
    const placeholder = `?${this.params.length}`;
    if (reusable) this.numbers.set(value, placeholder);
    return placeholder;
  }

  /** A drizzle fragment as text whose `?` placeholders are bound here; reuse the text to reuse the values. */
  fragment(fragment: SQL): string {
    const query = dialect.sqlToQuery(fragment);
    let next = 0;
    return replacePlaceholders(query.sql, () => this.bind(query.params[next++]));
  }
}

/** Replaces each `?` outside quotes ('..', "..", `..`) with `placeholder()`. */
function replacePlaceholders(text: string, placeholder: () => string): string {
  let out = "";
  let quote: string | null = null;
  for (const char of text) {
    if (quote !== null) {
      if (char === quote) quote = null;
      out += char;
    } else if (char === "'" || char === '"' || char === "`") {
      quote = char;
      out += char;
    } else {
      out += char === "?" ? placeholder() : char;
    }
  }
  return out;
}
