// The one place that reads and writes users. Every statement is scoped by tenant id; every multi-statement
// change is one D1 batch, so a request never leaves half a write behind.
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { userUpdateEvents } from "../../events/changed.ts";
import { eventBody, type EventOrigin } from "../../events/types.ts";
import { ScimError, conflict } from "../../scim/errors.ts";
import { foldKey } from "../../scim/fold.ts";
import { foldedDocument } from "../../scim/folded-document.ts";
import { USER_RESOURCE } from "../../scim/schema/registry.ts";
import { renderResource } from "../../scim/meta.ts";
import type { Db } from "../d1/db.ts";
import { isUniqueViolation } from "../d1/errors.ts";
import { bumpEventCounter, deletedEvent, insertCandidateEvents, insertEvent, renderedRow, rowEtag } from "./events.ts";
import { anyDiffers, applied, assignedColumns, assignedRow, assignmentOf, assignmentUpdate, changedList, eligible } from "./assignments.ts";
import { groupsOf, pageUserGroups, parseUserGroups, removeFromAllGroups, userGroupIdsColumn, userGroupsColumn, userGroupsRowColumn, type UserGroup } from "./group-members.ts";
import { guardedBatch, requirePreviousChange } from "../d1/guard.ts";
import { deleteInOneBatch, type DeleteGuard, type DeleteOutcome } from "./versioned-delete.ts";
import type { SortColumn } from "../listing/keyset.ts";
import { runList, storedFromRaw, type ListQuery, type ListTable } from "../listing/plan.ts";
import { USERS_TREE } from "../listing/position-tree.ts";
import { TENANTS, USERS } from "../names.ts";
import { tenants, userEmails, users } from "../schema.ts";
import { USER_INDEXED_ATTRIBUTES } from "../filter/users.ts";

export interface StoredUser {
  seq: number;
  id: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  /** The resource as stored: schemas and attributes, without id, meta or password. */
  data: Record<string, unknown>;
  /** Direct groups, when the read asked for them (the User `groups` attribute); undefined when not read. */
  groups?: UserGroup[];
}

/** What a read of users includes beside the rows. */
export interface UserReadOptions {
  /** Each user's direct groups (the readOnly `groups` attribute), read with the user, not after it. */
  groups: boolean;
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

/** The user's direct groups (userGroupsColumn) as a column of a statement over users. */
const groupsColumn = (tenantId: number) => sql<string>`${userGroupsColumn(tenantId, USERS.$table)}`.as("user_groups");

function toStored(row: StoredRow): StoredUser {
  return { ...row, data: JSON.parse(row.data) as Record<string, unknown> };
}

/** The columns that keep an indexed attribute, from its value (undefined when unassigned). */
const COLUMNS_OF = {
  userName: (value: unknown) => ({ userName: String(value), userNameKey: foldKey(String(value)) }),
  externalId: (value: unknown) => ({ externalId: typeof value === "string" ? value : null }),
  displayName: (value: unknown) =>
    typeof value === "string" ? { displayName: value, displayNameKey: foldKey(value) } : { displayName: null, displayNameKey: null },
  active: (value: unknown) => ({ active: value !== false }),
};

function indexedColumns(data: Record<string, unknown>) {
  return {
    ...COLUMNS_OF.userName(data.userName),
    ...COLUMNS_OF.externalId(data.externalId),
    ...COLUMNS_OF.displayName(data.displayName),
    ...COLUMNS_OF.active(data.active),
    data: JSON.stringify(data),
    foldedData: JSON.stringify(foldedDocument(data, USER_RESOURCE)),
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
    // type is folded too (since migration 0005): filters compare it case-insensitively, and only filters read it.
    rows.push({ value: foldKey(value), type: typeof type === "string" ? foldKey(type) : null, primary: typeof primary === "boolean" ? primary : null });
  }
  return rows;
}

/** The user as a SCIM GET renders it, without the readOnly `groups` (membership events carry those). */
export function renderUser(origin: EventOrigin, user: Omit<StoredUser, "seq">): Record<string, unknown> {
  return renderResource(user, "User", `${origin.baseUrl}/Users/${user.id}`);
}

function userNameTaken(userName: string): ScimError {
  return conflict(`userName "${userName}" is already taken in this tenant (userNames are compared case-insensitively).`);
}

export async function createUser(db: Db, tenantId: number, write: UserWrite, origin: EventOrigin): Promise<StoredUser> {
  const now = new Date().toISOString();
  const id = crypto.randomUUID();
  const created = { id, createdAt: now, updatedAt: now, version: 1, data: write.data };
  const event = eventBody(origin, { type: "user.created", occurredAt: now, resourceType: "User", data: renderUser(origin, created) });
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
      insertEvent(db, tenantId, now, 0, event),
      db
        .update(tenants)
        .set({
          userCount: sql`${tenants.userCount} + 1`,
          userOrdinalNext: sql`${tenants.userOrdinalNext} + 1`,
          eventNext: sql`${tenants.eventNext} + 1`,
        })
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
  return { seq, ...created };
}

/** One user by id; with `groups`, its direct groups come in the same statement (one round trip). */
export async function getUser(db: Db, tenantId: number, id: string, options: UserReadOptions = { groups: false }): Promise<StoredUser | null> {
  const where = and(eq(users.tenantId, tenantId), eq(users.id, id));
  if (!options.groups) {
    const row = await db.select(storedColumns).from(users).where(where).get();
    return row ? toStored(row) : null;
  }
  const row = await db.select({ ...storedColumns, groups: groupsColumn(tenantId) }).from(users).where(where).get();
  if (!row) return null;
  const { groups, ...stored } = row;
  return { ...toStored(stored), groups: parseUserGroups(groups) };
}

/**
 * Replaces a user's stored resource if it is still at `current.version`. Returns null when another
 * writer got there first, so the caller can re-read and retry or answer 412.
 */
export async function updateUser(
  db: Db,
  tenantId: number,
  current: StoredUser,
  write: UserWrite,
  origin: EventOrigin,
): Promise<StoredUser | null> {
  const now = new Date().toISOString();
  const columns = indexedColumns(write.data);
  const version = current.version + 1;
  const updated: StoredUser = { seq: current.seq, id: current.id, createdAt: current.createdAt, updatedAt: now, version, data: write.data };
  const data = renderUser(origin, updated);
  const bodies = userUpdateEvents(current.data, write.data, write.passwordHash !== undefined).map(({ type, changed }) =>
    eventBody(origin, { type, occurredAt: now, resourceType: "User", data, ...(changed !== undefined ? { changed } : {}) }),
  );
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
      ...bodies.map((body, offset) => insertEvent(db, tenantId, now, offset, body)),
      ...(bodies.length > 0 ? [bumpEventCounter(db, tenantId, bodies.length)] : []),
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
  return updated;
}

/**
 * Sets top-level single-valued simple attributes (userAssignments: Okta's and Entra's activation changes,
 * Entra's attribute replaces) in ONE round trip: nothing is read first. The batch computes what updateUser's
 * caller computes from the resource it read: the new JSON (a merge patch of the stored JSON, so key order and every
 * other attribute stay as stored), the events (user.updated naming the attributes whose value changed,
 * user.deactivated / user.reactivated when active flips), and a write only when something changed; it then
 * reads the user, with its groups, for the response.
 *
 * It answers null, having written nothing, when the user is not there, when an assigned attribute is not yet
 * in the stored JSON (the merge patch would append it out of the order the normaliser writes), or when the row has no
 * folded_data yet (written before migration 0005): the caller then reads and writes as for any PATCH.
 */
export async function assignUserAttributes(
  db: Db,
  tenantId: number,
  id: string,
  values: Map<string, unknown>,
  origin: EventOrigin,
): Promise<StoredUser | null> {
  const now = new Date().toISOString();
  const a = assignmentOf(values, USER_RESOURCE);
  const current = sql`u.data`;
  const assigned = sql`v.j`;
  const newData = applied(current, assigned);
  const attributes = a.names.filter((name) => name !== "active");
  const updated = anyDiffers(a, current, assigned, attributes);
  const byId = and(eq(users.tenantId, tenantId), eq(users.id, id));
  const version = rowEtag("u", 1);
  const rendered = renderedRow("u", { resourceType: "User", location: `${origin.baseUrl}/Users/${id}`, lastModified: sql`${now}`, version, data: newData });
  const body = (type: "user.updated" | "user.deactivated" | "user.reactivated", changed: SQL | null) => {
    const template = JSON.stringify(eventBody(origin, { type, occurredAt: now, resourceType: "User", data: { id }, ...(changed !== null ? { changed: [] } : {}) }));
    return sql`json_set(${template}, '$.externalId', json_extract(${newData}, '$.externalId'), '$.version', ${version}, '$.data', ${rendered}${changed === null ? sql`` : sql`, '$.changed', ${changed}`})`;
  };
  const theUser = sql`FROM ${users} AS u, ${assignedRow(a)} WHERE u.tenant_id = ${tenantId} AND u.id = ${id} AND ${eligible(a, current, sql`u.folded_data`)}`;
  const candidates: SQL[] = [];
  if (attributes.length > 0) {
    candidates.push(sql`SELECT 0 AS n, 'user.updated' AS type, ${body("user.updated", changedList(a, current, assigned, attributes))} AS body ${theUser} AND ${updated}`);
  }
  if (values.has("active")) {
    const active = values.get("active") !== false;
    const type = active ? "user.reactivated" : "user.deactivated";
    candidates.push(sql`SELECT CASE WHEN ${updated} THEN 1 ELSE 0 END AS n, ${type} AS type, ${body(type, null)} AS body ${theUser} AND u.active IS NOT ${active ? 1 : 0}`);
  }
  const update = assignmentUpdate(a, users, assignedColumns(a, COLUMNS_OF), now);
  const statements: BatchItem<"sqlite">[] = [
    ...insertCandidateEvents(db, tenantId, now, candidates),
    db.update(users).set(update.set).where(and(byId, update.where)),
    db.select({ ...storedColumns, groups: groupsColumn(tenantId), eligible: update.eligible }).from(users).where(byId),
  ];
  let results: unknown[];
  try {
    results = await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  } catch (error) {
    if (isUniqueViolation(error, "users.user_name_key")) throw userNameTaken(String(values.get("userName")));
    throw error;
  }
  const row = (results.at(-1) as (StoredRow & { groups: string; eligible: number })[])[0];
  if (!row || !row.eligible) return null;
  const { groups, eligible: _eligible, ...user } = row;
  return { ...toStored(user), groups: parseUserGroups(groups) };
}

/**
 * Deletes a user, its group memberships and (by the users_delete_emails trigger, migration 0006) its emails,
 * with its `user.deleted` event (the user as the batch finds it, and the groups it left), in one batch
 * (deleteInOneBatch).
 */
export function deleteUser(db: Db, tenantId: number, id: string, origin: EventOrigin, guard: DeleteGuard = {}): Promise<DeleteOutcome> {
  return deleteInOneBatch(db, () => getUser(db, tenantId, id), (pinnedVersion) => {
    const now = new Date().toISOString();
    const body = eventBody(origin, { type: "user.deleted", occurredAt: now, resourceType: "User", data: { id } }, { groups: [] });
    const byId = and(eq(users.tenantId, tenantId), eq(users.id, id));
    return [
      deletedEvent(db, tenantId, now, body, { table: sql`${users}`, resourceType: "User", id, location: `${origin.baseUrl}/Users/${id}`, pinnedVersion, groups: groupsOf(tenantId, id) }),
      ...removeFromAllGroups(db, tenantId, id, now),
      db.delete(users).where(pinnedVersion === null ? byId : and(byId, eq(users.version, pinnedVersion))),
      requirePreviousChange(db),
      db
        .update(tenants)
        .set({ userCount: sql`${tenants.userCount} - 1`, eventNext: sql`${tenants.eventNext} + 1` })
        .where(eq(tenants.id, tenantId)),
    ];
  }, guard);
}

/** sortBy attribute (canonical) → indexed column; nullable columns sort their missing values last. */
export const USER_SORT_COLUMNS: Record<string, SortColumn> = {
  id: { column: USERS.id, nullable: false },
  userName: { column: USERS.userNameKey, nullable: false },
  externalId: { column: USERS.externalId, nullable: true },
  displayName: { column: USERS.displayNameKey, nullable: true },
  "meta.created": { column: USERS.createdAt, nullable: false },
  "meta.lastModified": { column: USERS.updatedAt, nullable: false },
};

const USERS_TABLE: ListTable = {
  names: USERS,
  columns: [USERS.seq, USERS.id, USERS.createdAt, USERS.updatedAt, USERS.version, USERS.data].join(", "),
  tree: USERS_TREE,
  countColumn: TENANTS.userCount,
  nextOrdinalColumn: TENANTS.userOrdinalNext,
  noun: "users",
  indexedAttributes: USER_INDEXED_ATTRIBUTES,
};

/**
 * One page of users; `rows` keep each user's place in the order (for cursors). With `groups`, each user's
 * group ids are read by the page's own statement and the names of the distinct groups after it: two round
 * trips in all (the page and the tenant's count travel together), or one when no user is in a group.
 */
export async function listUsers(db: Db, tenantId: number, query: ListQuery, options: UserReadOptions = { groups: false }) {
  if (options.groups && query.filter?.lookup === true) {
    // A key lookup finds a user or two, each in distinct groups: each one's groups with names in the page's own
    // statement read what the ids and then the distinct names would, in one round trip instead of two.
    const result = await runList(db, USERS_TABLE, tenantId, { ...query, rowColumns: userGroupsRowColumn(tenantId) });
    return { ...result, users: result.rows.map((row): StoredUser => ({ ...storedFromRaw(row), groups: parseUserGroups(String(row.user_groups)) })) };
  }
  const result = await runList(db, USERS_TABLE, tenantId, options.groups ? { ...query, rowColumns: userGroupIdsColumn(tenantId) } : query);
  const stored = result.rows.map((row): StoredUser => storedFromRaw(row));
  if (!options.groups) return { ...result, users: stored };
  const memberships = await pageUserGroups(
    db,
    tenantId,
    result.rows.map((row) => ({ id: String(row.id), groupIds: row.group_ids === null || row.group_ids === undefined ? null : String(row.group_ids) })),
  );
  return { ...result, users: stored.map((user) => ({ ...user, groups: memberships.get(user.id) ?? [] })) };
}

/** What a password check needs of a user, found by id or by userName (case-insensitively); null when none. */
export async function findPasswordRecord(
  db: Db,
  tenantId: number,
  subject: { kind: "userName" | "id"; value: string },
): Promise<{ id: string; active: boolean; passwordHash: string | null } | null> {
  const match = subject.kind === "id" ? eq(users.id, subject.value) : eq(users.userNameKey, foldKey(subject.value));
  const row = await db
    .select({ id: users.id, active: users.active, passwordHash: users.passwordHash })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), match))
    .get();
  return row ?? null;
}
