// The one place that reads and writes users. Every statement is scoped by tenant id; every multi-statement
// change is one D1 batch, so a request never leaves half a write behind.
import { and, eq, sql } from "drizzle-orm";
import { ScimError, conflict } from "../scim/errors.ts";
import { foldKey } from "../scim/fold.ts";
import type { Db } from "./db.ts";
import { isUniqueViolation } from "./errors.ts";
import { removeFromAllGroups } from "./group-members.ts";
import { guardedBatch, requirePreviousChange } from "./guard.ts";
import type { SortColumn } from "./keyset.ts";
import { runList, storedFromRaw, type ListQuery, type ListTable } from "./list-plan.ts";
import { USERS_TREE } from "./position-tree.ts";
import { tenants, userEmails, users } from "./schema.ts";
import { USER_INDEXED_ATTRIBUTES } from "./user-filter-sql.ts";

export interface StoredUser {
  seq: number;
  id: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  /** The resource as stored: schemas and attributes, without id, meta or password. */
  data: Record<string, unknown>;
}

export interface UserWrite {
  data: Record<string, unknown>;
  /** A new password hash; null clears the password; undefined keeps the current one. */
  passwordHash?: string | null;
}

const storedColumns = {
  seq: users.seq,
  id: users.id,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
  version: users.version,
  data: users.data,
};

type StoredRow = { seq: number; id: string; createdAt: string; updatedAt: string; version: number; data: string };

function toStored(row: StoredRow): StoredUser {
  return { ...row, data: JSON.parse(row.data) as Record<string, unknown> };
}

function indexedColumns(data: Record<string, unknown>) {
  const userName = String(data.userName);
  return {
    userName,
    userNameKey: foldKey(userName),
    externalId: typeof data.externalId === "string" ? data.externalId : null,
    displayName: typeof data.displayName === "string" ? data.displayName : null,
    displayNameKey: typeof data.displayName === "string" ? foldKey(data.displayName) : null,
    active: data.active !== false,
    data: JSON.stringify(data),
  };
}

interface EmailRow {
  value: string;
  type: string | null;
  primary: boolean | null;
}

function emailRows(data: Record<string, unknown>): EmailRow[] {
  const emails = Array.isArray(data.emails) ? data.emails : [];
  const rows: EmailRow[] = [];
  for (const email of emails) {
    if (typeof email !== "object" || email === null) continue;
    const { value, type, primary } = email as Record<string, unknown>;
    if (typeof value !== "string") continue;
    rows.push({ value: foldKey(value), type: typeof type === "string" ? type : null, primary: typeof primary === "boolean" ? primary : null });
  }
  return rows;
}

function userNameTaken(userName: string): ScimError {
  return conflict(`userName "${userName}" is already taken in this tenant (userNames are compared case-insensitively).`);
}

export async function createUser(db: Db, tenantId: number, write: UserWrite): Promise<StoredUser> {
  const now = new Date().toISOString();
  const id = crypto.randomUUID();
  const columns = indexedColumns(write.data);
  const seqOf = sql`(SELECT ${users.seq} FROM ${users} WHERE ${users.tenantId} = ${tenantId} AND ${users.id} = ${id})`;
  const emails = emailRows(write.data);
  let inserted: { seq: number }[];
  try {
    [inserted] = await db.batch([
      db.insert(users).values({
        tenantId,
        id,
        ...columns,
        createdAt: now,
        updatedAt: now,
        version: 1,
        passwordHash: write.passwordHash ?? null,
        // Set here rather than by the users_assign_ordinal trigger: it saves the trigger's second write of
        // the row and of the tenant (3 rows written per create, measured).
        ordinal: sql`(SELECT ${tenants.userOrdinalNext} FROM ${tenants} WHERE ${tenants.id} = ${tenantId})`,
      }).returning({ seq: users.seq }),
      db
        .update(tenants)
        .set({ userCount: sql`${tenants.userCount} + 1`, userOrdinalNext: sql`${tenants.userOrdinalNext} + 1` })
        .where(eq(tenants.id, tenantId)),
      ...emails.map((e) =>
        db.insert(userEmails).values({ tenantId, userSeq: seqOf, valueKey: e.value, type: e.type, primary: e.primary }),
      ),
    ]);
  } catch (error) {
    if (isUniqueViolation(error, "users.user_name_key")) throw userNameTaken(columns.userName);
    throw error;
  }
  // RETURNING gives the one column the database chose; the rest is what was written, so no read-back.
  const seq = inserted[0]?.seq;
  if (seq === undefined) throw new Error("created user not found");
  return { seq, id, createdAt: now, updatedAt: now, version: 1, data: write.data };
}

export async function getUser(db: Db, tenantId: number, id: string): Promise<StoredUser | null> {
  const row = await db
    .select(storedColumns)
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, id)))
    .get();
  return row ? toStored(row) : null;
}

/**
 * Replaces a user's stored resource if it is still at `current.version`. Returns null when another
 * writer got there first, so the caller can re-read and retry or answer 412.
 */
export async function updateUser(db: Db, tenantId: number, current: StoredUser, write: UserWrite): Promise<StoredUser | null> {
  const now = new Date().toISOString();
  const columns = indexedColumns(write.data);
  const version = current.version + 1;
  try {
    const applied = await guardedBatch(db, [
      db
        .update(users)
        .set({
          ...columns,
          updatedAt: now,
          version,
          ...(write.passwordHash !== undefined ? { passwordHash: write.passwordHash } : {}),
        })
        .where(and(eq(users.tenantId, tenantId), eq(users.seq, current.seq), eq(users.version, current.version))),
      requirePreviousChange(db),
      db.delete(userEmails).where(and(eq(userEmails.tenantId, tenantId), eq(userEmails.userSeq, current.seq))),
      ...emailRows(write.data).map((e) =>
        db.insert(userEmails).values({ tenantId, userSeq: current.seq, valueKey: e.value, type: e.type, primary: e.primary }),
      ),
    ]);
    if (!applied) return null;
  } catch (error) {
    if (isUniqueViolation(error, "users.user_name_key")) throw userNameTaken(columns.userName);
    throw error;
  }
  return { seq: current.seq, id: current.id, createdAt: current.createdAt, updatedAt: now, version, data: write.data };
}

/**
 * Deletes a user, its emails and its group memberships. `check` sees the version found (If-Match throws from
 * it); with `guardVersion` the delete statement itself requires that version, so a write landing between the
 * check and the delete makes the delete change nothing rather than remove a version nobody checked.
 * Returns "missing" when there was no such user, "changed" when the version guard stopped the delete.
 */
export async function deleteUser(
  db: Db,
  tenantId: number,
  id: string,
  options: { check?: (version: number) => void; guardVersion?: boolean } = {},
): Promise<"deleted" | "missing" | "changed"> {
  const current = await getUser(db, tenantId, id);
  if (!current) return "missing";
  options.check?.(current.version);
  const row = and(eq(users.tenantId, tenantId), eq(users.seq, current.seq), options.guardVersion ? eq(users.version, current.version) : undefined);
  const deleted = await guardedBatch(db, [
    db.delete(users).where(row),
    requirePreviousChange(db),
    db.delete(userEmails).where(and(eq(userEmails.tenantId, tenantId), eq(userEmails.userSeq, current.seq))),
    db.update(tenants).set({ userCount: sql`${tenants.userCount} - 1` }).where(eq(tenants.id, tenantId)),
    ...removeFromAllGroups(db, tenantId, id, new Date().toISOString()),
  ]);
  if (deleted !== null) return "deleted";
  return options.guardVersion ? "changed" : "missing";
}

/** sortBy attribute (canonical) → indexed column; nullable columns sort their missing values last. */
export const USER_SORT_COLUMNS: Record<string, SortColumn> = {
  id: { column: "id", nullable: false },
  userName: { column: "user_name_key", nullable: false },
  externalId: { column: "external_id", nullable: true },
  displayName: { column: "display_name_key", nullable: true },
  "meta.created": { column: "created_at", nullable: false },
  "meta.lastModified": { column: "updated_at", nullable: false },
};

const USERS_TABLE: ListTable = {
  name: "users",
  columns: "seq, id, created_at, updated_at, version, data",
  tree: USERS_TREE,
  countColumn: "user_count",
  nextOrdinalColumn: "user_ordinal_next",
  noun: "users",
  indexedAttributes: USER_INDEXED_ATTRIBUTES,
};

/** One page of users; `rows` keep each user's place in the order (for cursors). */
export async function listUsers(db: Db, tenantId: number, query: ListQuery) {
  const result = await runList(db, USERS_TABLE, tenantId, query);
  return { ...result, users: result.rows.map((row): StoredUser => storedFromRaw(row)) };
}
