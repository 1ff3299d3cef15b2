// The one place that reads and writes groups. The group row holds the resource WITHOUT members (they live in
// group_members, see group-members.ts), so reading, renaming or versioning a group costs a handful of rows
// whatever its size. Every statement is tenant-scoped; every multi-statement change is one D1 batch.
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { ScimError, conflict } from "../scim/errors.ts";
import { foldKey } from "../scim/fold.ts";
import type { Db } from "./db.ts";
import { isUniqueViolation } from "./errors.ts";
import { memberStatements, removeFromAllGroups, type ResolvedDelta } from "./group-members.ts";
import { GROUP_INDEXED_ATTRIBUTES } from "./group-filter-sql.ts";
import { guardedBatch, requirePreviousChange } from "./guard.ts";
import type { SortColumn } from "./keyset.ts";
import { runList, storedFromRaw, type ListQuery, type ListTable, type RawRow } from "./list-plan.ts";
import { GROUPS_TREE } from "./position-tree.ts";
import { groupMembers, groups, tenants } from "./schema.ts";

export interface StoredGroup {
  seq: number;
  id: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  memberCount: number;
  /** The resource as stored: schemas, displayName, externalId, extensions; never id, meta or members. */
  data: Record<string, unknown>;
}

const storedColumns = {
  seq: groups.seq,
  id: groups.id,
  createdAt: groups.createdAt,
  updatedAt: groups.updatedAt,
  version: groups.version,
  memberCount: groups.memberCount,
  data: groups.data,
};

type StoredRow = Omit<StoredGroup, "data"> & { data: string };

function toStored(row: StoredRow): StoredGroup {
  return { ...row, data: JSON.parse(row.data) as Record<string, unknown> };
}

/** The stored JSON never carries members, whatever the caller passes. */
function withoutMembers(data: Record<string, unknown>): Record<string, unknown> {
  const { members: _members, ...rest } = data;
  return rest;
}

function indexedColumns(data: Record<string, unknown>) {
  const displayName = String(data.displayName);
  return {
    displayName,
    displayNameKey: foldKey(displayName),
    externalId: typeof data.externalId === "string" ? data.externalId : null,
    data: JSON.stringify(data),
  };
}

function displayNameTaken(displayName: string): ScimError {
  return conflict(`displayName "${displayName}" is already taken in this tenant (group names are compared case-insensitively).`);
}

/** Creates a group with `members` (resolved, may be empty) in one batch: the row, the members, the tenant count. */
export async function createGroup(
  db: Db,
  tenantId: number,
  id: string,
  data: Record<string, unknown>,
  members: ResolvedDelta,
): Promise<StoredGroup> {
  const now = new Date().toISOString();
  const stored = withoutMembers(data);
  const columns = indexedColumns(stored);
  const seq = sql`(SELECT ${groups.seq} FROM ${groups} WHERE ${groups.tenantId} = ${tenantId} AND ${groups.id} = ${id})`;
  try {
    await db.batch([
      db.insert(groups).values({
        tenantId,
        id,
        ...columns,
        createdAt: now,
        updatedAt: now,
        version: 1,
        memberCount: 0,
        // As in createUser: set here, not by the groups_assign_ordinal trigger, to save its writes.
        ordinal: sql`(SELECT ${tenants.groupOrdinalNext} FROM ${tenants} WHERE ${tenants.id} = ${tenantId})`,
      }),
      db
        .update(tenants)
        .set({ groupCount: sql`${tenants.groupCount} + 1`, groupOrdinalNext: sql`${tenants.groupOrdinalNext} + 1` })
        .where(eq(tenants.id, tenantId)),
      ...memberStatementsBySeq(db, tenantId, seq, id, members),
    ]);
  } catch (error) {
    if (isUniqueViolation(error, "groups.display_name_key")) throw displayNameTaken(columns.displayName);
    throw error;
  }
  const created = await getGroup(db, tenantId, id);
  if (!created) throw new Error("created group not found");
  return created;
}

/** memberStatements keyed by a seq expression (the row is inserted in the same batch, its seq not yet known). */
function memberStatementsBySeq(db: Db, tenantId: number, seq: SQL, id: string, members: ResolvedDelta): BatchItem<"sqlite">[] {
  if (members.add.size === 0) return [];
  // A new group has no members to clear.
  return memberStatements(db, tenantId, seq, id, { ...members, clear: false });
}

export async function getGroup(db: Db, tenantId: number, id: string): Promise<StoredGroup | null> {
  const row = await db
    .select(storedColumns)
    .from(groups)
    .where(and(eq(groups.tenantId, tenantId), eq(groups.id, id)))
    .get();
  return row ? toStored(row) : null;
}

export interface GroupWrite {
  /** The new stored resource; undefined keeps the current one (a members-only PATCH). */
  data?: Record<string, unknown>;
  members: ResolvedDelta;
  /** The client pinned the version it read (If-Match): even a members-only change must find it unchanged. */
  pinned?: boolean;
}

/**
 * Writes a group's resource and member changes if it is still at `current.version`, in one batch. Returns
 * null when another writer got there first (or nested the groups into a cycle meanwhile), so the caller
 * re-reads and retries or answers 412. `memberCount` and `version` in the result are read back from the row.
 *
 * A members-only change (no `data`, not `pinned`) applies at whatever version it finds: its statements are
 * set-based and commute with concurrent ones, so twenty PATCHes adding members at once all land, instead
 * of all but one losing the version race and running out of retries.
 */
export async function updateGroup(db: Db, tenantId: number, current: StoredGroup, write: GroupWrite): Promise<StoredGroup | null> {
  const now = new Date().toISOString();
  const version = current.version + 1;
  const stored = write.data !== undefined ? withoutMembers(write.data) : undefined;
  const columns = stored !== undefined ? indexedColumns(stored) : undefined;
  const here = and(eq(groups.tenantId, tenantId), eq(groups.seq, current.seq));
  const versionCheck = write.data !== undefined || write.pinned === true;
  let results: unknown[] | null;
  try {
    results = await guardedBatch(db, [
      db
        .update(groups)
        .set({ ...(columns ?? {}), updatedAt: now, version: sql`${groups.version} + 1` })
        .where(versionCheck ? and(here, eq(groups.version, current.version)) : here),
      requirePreviousChange(db),
      ...memberStatements(db, tenantId, sql`${current.seq}`, current.id, write.members),
      db.select({ memberCount: groups.memberCount, version: groups.version }).from(groups).where(here),
    ]);
  } catch (error) {
    if (columns !== undefined && isUniqueViolation(error, "groups.display_name_key")) throw displayNameTaken(columns.displayName);
    throw error;
  }
  if (!results) return null;
  const counted = results.at(-1) as { memberCount: number; version: number }[] | undefined;
  return {
    seq: current.seq,
    id: current.id,
    createdAt: current.createdAt,
    updatedAt: now,
    version: counted?.[0]?.version ?? version,
    memberCount: counted?.[0]?.memberCount ?? current.memberCount,
    data: stored ?? current.data,
  };
}

/** Deletes a group, its member rows, and its membership in other groups. False when there was no such group. */
/** Like deleteUser (storage/users.ts): `check` sees the version, `guardVersion` puts it into the delete. */
export async function deleteGroup(
  db: Db,
  tenantId: number,
  id: string,
  options: { check?: (version: number) => void; guardVersion?: boolean } = {},
): Promise<"deleted" | "missing" | "changed"> {
  const current = await getGroup(db, tenantId, id);
  if (!current) return "missing";
  options.check?.(current.version);
  const row = and(eq(groups.tenantId, tenantId), eq(groups.seq, current.seq), options.guardVersion ? eq(groups.version, current.version) : undefined);
  const deleted = await guardedBatch(db, [
    db.delete(groups).where(row),
    requirePreviousChange(db),
    db.update(tenants).set({ groupCount: sql`${tenants.groupCount} - 1` }).where(eq(tenants.id, tenantId)),
    db.delete(groupMembers).where(and(eq(groupMembers.tenantId, tenantId), eq(groupMembers.groupId, id))),
    ...removeFromAllGroups(db, tenantId, id, new Date().toISOString()),
  ]);
  if (deleted !== null) return "deleted";
  return options.guardVersion ? "changed" : "missing";
}

/** sortBy attribute (canonical) → indexed column; nullable columns sort their missing values last. */
export const GROUP_SORT_COLUMNS: Record<string, SortColumn> = {
  id: { column: "id", nullable: false },
  displayName: { column: "display_name_key", nullable: false },
  externalId: { column: "external_id", nullable: true },
  "meta.created": { column: "created_at", nullable: false },
  "meta.lastModified": { column: "updated_at", nullable: false },
};

const GROUPS_TABLE: ListTable = {
  name: "groups",
  columns: "seq, id, created_at, updated_at, version, member_count, data",
  tree: GROUPS_TREE,
  countColumn: "group_count",
  nextOrdinalColumn: "group_ordinal_next",
  noun: "groups",
  indexedAttributes: GROUP_INDEXED_ATTRIBUTES,
};

function fromRaw(row: RawRow): StoredGroup {
  return { ...storedFromRaw(row), memberCount: Number(row.member_count) };
}

/** One page of groups; `rows` keep each group's place in the order (for cursors). */
export async function listGroups(db: Db, tenantId: number, query: ListQuery) {
  const result = await runList(db, GROUPS_TABLE, tenantId, query);
  return { ...result, groups: result.rows.map(fromRaw) };
}
