// Single-valued attribute assignments applied inside a write's batch, in SQL, with nothing read before the
// batch (assignUserAttributes, assignGroupAttributes). The stored JSON and its folded copy change by a merge
// patch of the assigned keys, so every other attribute and the key order stay as the normaliser stored them; what changed is decided by
// comparing the row the batch reads with the assigned values, each side rendered by SQLite's JSON functions.
//
// D1 allows 100 bound parameters per statement, and these expressions name the assigned values once per
// attribute: the values are bound once, as a row `v` a statement joins (assignedRow), and the JSON paths are
// literals (attribute names come from the schema, not from the request).
import { sql, type SQL } from "drizzle-orm";
import { foldedDocument } from "../../scim/folded-document.ts";
import type { ResourceSchemas } from "../../scim/schema/registry.ts";

export interface Assignment {
  /** Attribute names, sorted as changedAttributes sorts an event's `changed`. */
  names: string[];
  values: Map<string, unknown>;
  /** The assigned values, and their folded form (folded-document.ts), as JSON objects. */
  json: string;
  folded: string;
}

export function assignmentOf(values: Map<string, unknown>, resource: ResourceSchemas): Assignment {
  const names = [...values.keys()].sort();
  const assigned = Object.fromEntries(names.map((name) => [name, values.get(name)]));
  return { names, values, json: JSON.stringify(assigned), folded: JSON.stringify(foldedDocument(assigned, resource)) };
}

/** A SQL string literal (quotes doubled). */
const literal = (text: string) => sql.raw(`'${text.replaceAll("'", "''")}'`);
const path = (name: string) => literal(`$.${JSON.stringify(name)}`);

/** The assigned values (v.j) and their folded form (v.f), bound once, to join as `v`. */
export function assignedRow(a: Assignment): SQL {
  return sql`(SELECT ${a.json} AS j, ${a.folded} AS f) AS v`;
}

/**
 * `column` (a row's JSON, or its folded copy) with the values of `source` (v.j, v.f) set: a merge patch of
 * top-level scalars, which replaces each value where its key stands (allStored: every key is already there).
 */
export function applied(column: SQL, source: SQL): SQL {
  return sql`json_patch(${column}, ${source})`;
}

/**
 * True when any of `names` (default: all assigned) has a stored value in `column` other than in `source`. The
 * values are scalars the normaliser typed by the schema, so SQL equality of the extracted values is JSON equality.
 */
export function anyDiffers(a: Assignment, column: SQL, source: SQL, names: string[] = a.names): SQL {
  if (names.length === 0) return sql`0`;
  return sql`(${sql.join(names.map((name) => sql`(json_extract(${column}, ${path(name)}) IS NOT json_extract(${source}, ${path(name)}))`), sql` OR `)})`;
}

/** The JSON array of those of `names` whose value changes, in order: an event's `changed`. */
export function changedList(a: Assignment, column: SQL, source: SQL, names: string[]): SQL {
  const entries = names.map((name) => sql`CASE WHEN ${anyDiffers(a, column, source, [name])} THEN ${literal(`,${JSON.stringify(name)}`)} ELSE '' END`);
  return sql`json('[' || substr(${sql.join(entries, sql` || `)}, 2) || ']')`;
}

/** True when every assigned attribute is already in `column`: the merge patch then replaces in place, never appends. */
export function allStored(a: Assignment, column: SQL): SQL {
  return sql`(${sql.join(a.names.map((name) => sql`json_type(${column}, ${path(name)}) IS NOT NULL`), sql` AND `)})`;
}
