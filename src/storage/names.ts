// SQL names of the drizzle tables and their columns (schema.ts), for the statements written as text (listing/,
// repos/group-members.ts; README "Where SQL is written by hand"). Taken from the definitions, so a column that
// is renamed or dropped in schema.ts is a type error where the text uses it, not a runtime SQL error. The
// values are the plain names ("tenant_id"), so the SQL these build is the same text it was when written out.
import { getTableColumns, getTableName, sql, type SQL, type Table } from "drizzle-orm";
import { events, groupMembers, groups, positionTree, tenants, users } from "./schema.ts";

/** A table's SQL name ($table) and each column's SQL name under its drizzle property. */
export type SqlNames<T extends Table> = { readonly [K in keyof T["_"]["columns"]]: string } & { readonly $table: string };

export function sqlNames<T extends Table>(table: T): SqlNames<T> {
  const out: Record<string, string> = { $table: getTableName(table) };
  for (const [key, column] of Object.entries(getTableColumns(table))) out[key] = column.name;
  return out as SqlNames<T>;
}

export const TENANTS = sqlNames(tenants);
export const USERS = sqlNames(users);
export const GROUPS = sqlNames(groups);
export const GROUP_MEMBERS = sqlNames(groupMembers);
export const POSITION_TREE = sqlNames(positionTree);
export const EVENTS = sqlNames(events);

type Columns<T extends Table> = { readonly [K in keyof T["_"]["columns"]]: SQL };

/** The columns as SQL fragments for drizzle `sql` templates: qualified by `alias` ("gm.member_id"), or bare. */
export function sqlColumns<T extends Table>(names: SqlNames<T>, alias?: string): Columns<T> {
  const out: Record<string, SQL> = {};
  for (const [key, name] of Object.entries(names)) {
    if (key !== "$table") out[key] = sql.raw(alias === undefined ? name : `${alias}.${name}`);
  }
  return out as Columns<T>;
}
