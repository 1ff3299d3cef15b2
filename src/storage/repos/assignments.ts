// Single-valued attribute assignments applied inside a write's batch, in SQL, with nothing read before the
// batch (assignUserAttributes, assignGroupAttributes). The stored JSON and its folded copy change by json_set,
// so every other attribute and the key order stay as the normaliser stored them; what changed is decided by
// comparing the row the batch reads with the assigned values, each side rendered by SQLite's JSON functions.
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

const path = (name: string) => `$.${JSON.stringify(name)}`;

/** `column` (a row's JSON, or with `folded` its folded copy) with the assigned values set. */
export function applied(a: Assignment, column: SQL, folded = false): SQL {
  const source = folded ? a.folded : a.json;
  return sql`json_set(${column}, ${sql.join(a.names.map((name) => sql`${path(name)}, (${source} -> ${path(name)})`), sql`, `)})`;
}

/** True when any of `names` (default: all assigned) has a stored value in `column` other than the assigned one. */
export function anyDiffers(a: Assignment, column: SQL, names: string[] = a.names): SQL {
  if (names.length === 0) return sql`0`;
  return sql`(${sql.join(names.map((name) => sql`((${column} -> ${path(name)}) IS NOT (${a.json} -> ${path(name)}))`), sql` OR `)})`;
}

/** The JSON array of those of `names` whose value changes, in order: an event's `changed`. */
export function changedList(a: Assignment, column: SQL, names: string[]): SQL {
  const entries = names.map((name) => sql`CASE WHEN ${anyDiffers(a, column, [name])} THEN ${`,${JSON.stringify(name)}`} ELSE '' END`);
  return sql`json('[' || substr(${sql.join(entries, sql` || `)}, 2) || ']')`;
}

/** True when every assigned attribute is already in `column`: json_set then replaces in place, never appends. */
export function allStored(a: Assignment, column: SQL): SQL {
  return sql`(${sql.join(a.names.map((name) => sql`json_type(${column}, ${path(name)}) IS NOT NULL`), sql` AND `)})`;
}
