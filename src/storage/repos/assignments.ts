// Single-valued attribute assignments applied inside a write's batch, in SQL, with nothing read before the
// batch (assignUserAttributes, assignGroupAttributes). The stored JSON and its folded copy change by a merge
// patch of the assigned keys, so every other attribute and the key order stay as the normaliser stored them; what changed is decided by
// comparing the row the batch reads with the assigned values, each side rendered by SQLite's JSON functions.
//
// D1 allows 100 bound parameters per statement, and these expressions name the assigned values once per
// attribute: the values are bound once, as a row `v` a statement joins (assignedRow), and the JSON paths are
// literals (attribute names come from the schema, not from the request).
import { sql, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
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

/**
 * True when the batch can change the row in place: it has its folded copy (written since migration 0005), and
 * every assigned attribute is already in `data`, so the merge patch replaces, never appends. A row that is not
 * is left alone by every statement, and the read at the end of the batch says so.
 */
export function eligible(a: Assignment, data: SQL, folded: SQL): SQL {
  return sql`(${folded} IS NOT NULL AND ${sql.join(a.names.map((name) => sql`json_type(${data}, ${path(name)}) IS NOT NULL`), sql` AND `)})`;
}

/** The key columns of the assigned attributes that have them, from `columnsOf` (attribute -> its columns). */
export function assignedColumns(a: Assignment, columnsOf: Record<string, (value: unknown) => Record<string, unknown>>): Record<string, unknown> {
  return Object.assign({}, ...a.names.filter((name) => Object.hasOwn(columnsOf, name)).map((name) => columnsOf[name]!(a.values.get(name))));
}

/** The users or groups columns an assignment writes. */
interface AssignedTable {
  data: SQLiteColumn;
  foldedData: SQLiteColumn;
  version: SQLiteColumn;
}

/**
 * The UPDATE of an assignment on `table`: the merged JSON and folded copy, the key columns, a new version; its
 * condition, that the row is eligible and some value differs (nothing is written when nothing changes); and the
 * eligibility as a column for the read at the end of the batch.
 */
export function assignmentUpdate(a: Assignment, table: AssignedTable, columns: Record<string, unknown>, now: string) {
  const data = sql`${table.data}`;
  return {
    set: {
      ...columns,
      data: applied(data, sql`${a.json}`),
      foldedData: applied(sql`${table.foldedData}`, sql`${a.folded}`),
      updatedAt: now,
      version: sql`${table.version} + 1`,
    },
    where: sql`(${eligible(a, data, sql`${table.foldedData}`)} AND ${anyDiffers(a, data, sql`${a.json}`)})`,
    /** Whether the row is eligible, for the read at the end of the batch. */
    eligible: sql<number>`${eligible(a, data, sql`${table.foldedData}`)}`.as("eligible"),
  };
}
