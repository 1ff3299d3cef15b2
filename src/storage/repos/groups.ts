// The one place that reads and writes groups. The group row holds the resource WITHOUT members (they live in
// group_members, see group-members.ts), so reading, renaming or versioning a group costs a handful of rows
// whatever its size. Every statement is tenant-scoped; every multi-statement change is one D1 batch.
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { changedAttributes, jsonEqual } from "../../events/changed.ts";
import { eventBody, type EventOrigin } from "../../events/types.ts";
import { ScimError, conflict } from "../../scim/errors.ts";
import { foldKey } from "../../scim/fold.ts";
import { foldedDocument } from "../../scim/folded-document.ts";
import { GROUP_RESOURCE } from "../../scim/schema/registry.ts";
import { renderResource } from "../../scim/meta.ts";
import type { Db } from "../d1/db.ts";
import { isUniqueViolation } from "../d1/errors.ts";
import { bumpEventCounter, deletedEvent, insertCandidateEvents, insertEvent, renderedRow, rowEtag } from "./events.ts";
import { anyDiffers, applied, assignedColumns, assignedRow, assignmentOf, assignmentUpdate, changedList, eligible } from "./assignments.ts";
import { groupMembersStatement, groupsOf, membersExistGuard, memberStatements, removeFromAllGroups, type MemberRow, type ResolvedDelta } from "./group-members.ts";
import type { MemberDelta } from "../../scim/patch/group-delta.ts";
import { GROUP_INDEXED_ATTRIBUTES } from "../filter/groups.ts";
import { guardedBatch, requirePreviousChange } from "../d1/guard.ts";
import { deleteInOneBatch, type DeleteGuard, type DeleteOutcome } from "./versioned-delete.ts";
import type { SortColumn } from "../listing/keyset.ts";
import { runList, storedFromRaw, type ListQuery, type ListTable, type RawRow } from "../listing/plan.ts";
import { GROUPS_TREE } from "../listing/position-tree.ts";
import { GROUPS, TENANTS } from "../names.ts";
import { events, groupMembers, groups, tenants, writeGuard } from "../schema.ts";

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

/** The columns that keep an indexed attribute, from its value (undefined when unassigned). */
const COLUMNS_OF = {
  displayName: (value: unknown) => ({ displayName: String(value), displayNameKey: foldKey(String(value)) }),
  externalId: (value: unknown) => ({ externalId: typeof value === "string" ? value : null }),
};

function indexedColumns(data: Record<string, unknown>) {
  return {
    ...COLUMNS_OF.displayName(data.displayName),
    ...COLUMNS_OF.externalId(data.externalId),
    data: JSON.stringify(data),
    foldedData: JSON.stringify(foldedDocument(data, GROUP_RESOURCE)),
  };
}

const groupLocation = (origin: EventOrigin, id: string) => `${origin.baseUrl}/Groups/${id}`;

/** The group as a SCIM GET renders it, without members (membership events carry those). */
function renderGroup(origin: EventOrigin, group: Omit<StoredGroup, "seq" | "memberCount">): Record<string, unknown> {
  return renderResource(group, "Group", groupLocation(origin, group.id));
}

function displayNameTaken(displayName: string): ScimError {
  return conflict(`displayName "${displayName}" is already taken in this tenant (group names are compared case-insensitively).`);
}

/**
 * Creates a group with `members` (may be empty) in one batch: the row, the members, the tenant count. The
 * members need not be resolved first: the batch checks that each is in the tenant (typed as resolveDelta
 * types it) and aborts, writing nothing, when one is not; then the answer is null and the caller resolves
 * them to say which.
 */
export async function createGroup(
  db: Db,
  tenantId: number,
  id: string,
  data: Record<string, unknown>,
  members: MemberDelta,
  origin: EventOrigin,
  options: { withMembers?: boolean } = {},
): Promise<WrittenGroup | null> {
  const now = new Date().toISOString();
  const stored = withoutMembers(data);
  const columns = indexedColumns(stored);
  const data0 = renderGroup(origin, { id, createdAt: now, updatedAt: now, version: 1, data: stored });
  const createdEvent = eventBody(origin, { type: "group.created", occurredAt: now, resourceType: "Group", data: data0 });
  const seq = sql`(SELECT ${groups.seq} FROM ${groups} WHERE ${groups.tenantId} = ${tenantId} AND ${groups.id} = ${id})`;
  // A group created without members has none to read.
  const withMembers = options.withMembers === true && members.add.size > 0;
  let results: unknown[] | null;
  try {
    results = await guardedBatch(db, [
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
      insertEvent(db, tenantId, now, 0, createdEvent),
      db
        .update(tenants)
        .set({
          groupCount: sql`${tenants.groupCount} + 1`,
          groupOrdinalNext: sql`${tenants.groupOrdinalNext} + 1`,
          eventNext: sql`${tenants.eventNext} + 1`,
        })
        .where(eq(tenants.id, tenantId)),
      ...(members.add.size > 0 ? [membersExistGuard(db, tenantId, members.add)] : []),
      ...memberStatementsBySeq(db, tenantId, seq, id, members, { origin, now, location: groupLocation(origin, id), versionBump: 0 }),
      // Read in the same batch (seq and member_count are the database's), not in another round trip.
      ...readBack(db, tenantId, id, db.select(storedColumns).from(groups).where(and(eq(groups.tenantId, tenantId), eq(groups.id, id))), withMembers),
    ]);
  } catch (error) {
    if (isUniqueViolation(error, "groups.display_name_key")) throw displayNameTaken(columns.displayName);
    throw error;
  }
  if (results === null) return null;
  const { row: created, ...read } = readBackOf<StoredRow>(results, withMembers);
  if (!created) throw new Error("created group not found");
  return { ...toStored(created), ...read };
}

/** A group as a write left it; `members` when the write was asked to read them in its batch. */
export type WrittenGroup = StoredGroup & { members?: MemberRow[] };

/**
 * The end of a write's batch: `row`, a read of the group's row, then its members when the response carries
 * them, so the response needs no round trip of its own. readBackOf takes both out of the batch's results.
 */
function readBack(db: Db, tenantId: number, id: string, row: BatchItem<"sqlite">, withMembers: boolean): BatchItem<"sqlite">[] {
  return withMembers ? [row, groupMembersStatement(db, tenantId, id)] : [row];
}

function readBackOf<R>(results: unknown[], withMembers: boolean): { row: R | undefined; members?: MemberRow[] } {
  const rows = results.at(withMembers ? -2 : -1) as R[] | undefined;
  return { row: rows?.[0], ...(withMembers ? { members: results.at(-1) as MemberRow[] } : {}) };
}

/** memberStatements keyed by a seq expression (the row is inserted in the same batch, its seq not yet known). */
function memberStatementsBySeq(
  db: Db,
  tenantId: number,
  seq: SQL,
  id: string,
  members: MemberDelta,
  context: Parameters<typeof memberStatements>[5],
): BatchItem<"sqlite">[] {
  if (members.add.size === 0) return [];
  // A new group has no members to clear.
  return memberStatements(db, tenantId, seq, id, { ...members, clear: false }, context);
}

export async function getGroup(db: Db, tenantId: number, id: string): Promise<StoredGroup | null> {
  const row = await db
    .select(storedColumns)
    .from(groups)
    .where(and(eq(groups.tenantId, tenantId), eq(groups.id, id)))
    .get();
  return row ? toStored(row) : null;
}

/** A group with its members, read in one batch (one round trip): for a GET whose response carries them. */
export async function getGroupWithMembers(db: Db, tenantId: number, id: string): Promise<WrittenGroup | null> {
  const [rows, members] = await db.batch([
    db.select(storedColumns).from(groups).where(and(eq(groups.tenantId, tenantId), eq(groups.id, id))),
    groupMembersStatement(db, tenantId, id),
  ]);
  const row = rows[0];
  return row ? { ...toStored(row), members } : null;
}

export interface GroupWrite {
  /** The new stored resource; undefined keeps the current one (a members-only PATCH). */
  data?: Record<string, unknown>;
  members: ResolvedDelta;
  /** The client pinned the version it read (If-Match): even a members-only change must find it unchanged. */
  pinned?: boolean;
  /** Read the group's members at the end of the batch, for a response that carries them. */
  withMembers?: boolean;
}

/**
 * Writes a group's resource and member changes if it is still at `current.version`, in one batch, with their
 * events. Returns null when another writer got there first (or nested the groups into a cycle meanwhile), so
 * the caller re-reads and retries or answers 412. `memberCount` and `version` in the result are read back.
 *
 * A members-only change (no `data`, not `pinned`) applies at whatever version it finds: its statements are
 * set-based and commute with concurrent ones, so twenty PATCHes adding members at once all land, instead
 * of all but one losing the version race and running out of retries. Its version bump comes last and only
 * if the batch wrote a membership event, so a change that changes nothing (members already there, or
 * already gone) writes nothing and emits nothing.
 */
export async function updateGroup(
  db: Db,
  tenantId: number,
  current: StoredGroup,
  write: GroupWrite,
  origin: EventOrigin,
): Promise<WrittenGroup | null> {
  const now = new Date().toISOString();
  const version = current.version + 1;
  const proposed = write.data !== undefined ? withoutMembers(write.data) : undefined;
  // Attributes equal to what is stored are no change: Okta's "Push Now" re-sends them with the member list.
  const stored = proposed !== undefined && !jsonEqual(proposed, current.data) ? proposed : undefined;
  const columns = stored !== undefined ? indexedColumns(stored) : undefined;
  const here = and(eq(groups.tenantId, tenantId), eq(groups.seq, current.seq));
  const location = groupLocation(origin, current.id);
  const statements: BatchItem<"sqlite">[] = [];
  if (stored !== undefined) {
    const data = renderGroup(origin, { id: current.id, createdAt: current.createdAt, updatedAt: now, version, data: stored });
    const changed = changedAttributes(current.data, stored);
    statements.push(
      db
        .update(groups)
        .set({ ...columns, updatedAt: now, version })
        .where(and(here, eq(groups.version, current.version))),
      requirePreviousChange(db),
      insertEvent(db, tenantId, now, 0, eventBody(origin, { type: "group.updated", occurredAt: now, resourceType: "Group", data, changed })),
      bumpEventCounter(db, tenantId, 1),
      ...memberStatements(db, tenantId, sql`${current.seq}`, current.id, write.members, { origin, now, location, versionBump: 0 }),
    );
  } else {
    const pinned = write.pinned === true ? sql` AND version = ${current.version}` : sql``;
    statements.push(
      // The group must still exist (and be at the pinned version): else the batch aborts and nothing is written.
      db
        .insert(writeGuard)
        .select(sql`SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM ${groups} WHERE tenant_id = ${tenantId} AND seq = ${current.seq}${pinned})`),
      ...memberStatements(db, tenantId, sql`${current.seq}`, current.id, write.members, { origin, now, location, versionBump: 1 }),
    );
  }
  const withMembers = write.withMembers === true;
  statements.push(
    ...readBack(db, tenantId, current.id, db.select({ memberCount: groups.memberCount, version: groups.version, updatedAt: groups.updatedAt }).from(groups).where(here), withMembers),
  );
  let results: unknown[] | null;
  try {
    results = await guardedBatch(db, statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  } catch (error) {
    if (columns !== undefined && isUniqueViolation(error, "groups.display_name_key")) throw displayNameTaken(columns.displayName);
    throw error;
  }
  if (!results) return null;
  const { row: counted, ...read } = readBackOf<{ memberCount: number; version: number; updatedAt: string }>(results, withMembers);
  return {
    ...read,
    seq: current.seq,
    id: current.id,
    createdAt: current.createdAt,
    updatedAt: counted?.updatedAt ?? now,
    version: counted?.version ?? version,
    memberCount: counted?.memberCount ?? current.memberCount,
    data: stored ?? current.data,
  };
}

/**
 * A members-only change by the group's id, in ONE round trip: nothing is read first. The batch checks what the
 * read would have (the group exists; every member to add is in the tenant, typed as resolveDelta types it;
 * no cycle) and aborts when any check fails, writing nothing; then it answers null and the caller takes the
 * read-then-write path, whose read says precisely what is wrong. The member statements are set-based and
 * commute (see updateGroup), so there is no version to pin; the group's row is read at the end of the batch.
 */
export async function updateGroupMembers(
  db: Db,
  tenantId: number,
  id: string,
  delta: MemberDelta,
  origin: EventOrigin,
  options: { withMembers: boolean },
): Promise<WrittenGroup | null> {
  const now = new Date().toISOString();
  const byId = and(eq(groups.tenantId, tenantId), eq(groups.id, id));
  const seq = sql`(SELECT ${groups.seq} FROM ${groups} WHERE ${groups.tenantId} = ${tenantId} AND ${groups.id} = ${id})`;
  const statements: [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]] = [
    db.insert(writeGuard).select(sql`SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM ${groups} WHERE ${groups.tenantId} = ${tenantId} AND ${groups.id} = ${id})`),
    ...(delta.add.size > 0 ? [membersExistGuard(db, tenantId, delta.add)] : []),
    ...memberStatements(db, tenantId, seq, id, delta, { origin, now, location: groupLocation(origin, id), versionBump: 1 }),
    ...readBack(db, tenantId, id, db.select(storedColumns).from(groups).where(byId), options.withMembers),
  ];
  const results = await guardedBatch(db, statements);
  if (!results) return null;
  const { row, ...read } = readBackOf<StoredRow>(results, options.withMembers);
  if (!row) throw new Error("group row not read back");
  return { ...toStored(row), ...read };
}

/**
 * Sets top-level single-valued simple attributes (groupAssignments: Okta's rename, Entra's displayName or
 * externalId replace) in ONE round trip, as assignUserAttributes does for users: a merge patch of the stored and
 * folded JSON, the key columns, group.updated naming the attributes whose value changed, all decided from the
 * row inside the batch, and the group (with its members when asked) read at its end. null, having written
 * nothing, when the group is not there, an assigned attribute is not yet stored, or the row has no folded_data.
 */
export async function assignGroupAttributes(
  db: Db,
  tenantId: number,
  id: string,
  values: Map<string, unknown>,
  origin: EventOrigin,
  options: { withMembers: boolean },
): Promise<WrittenGroup | null> {
  const now = new Date().toISOString();
  const a = assignmentOf(values, GROUP_RESOURCE);
  const current = sql`g.data`;
  const assigned = sql`v.j`;
  const newData = applied(current, assigned);
  const byId = and(eq(groups.tenantId, tenantId), eq(groups.id, id));
  const version = rowEtag("g", 1);
  const rendered = renderedRow("g", { resourceType: "Group", location: groupLocation(origin, id), lastModified: sql`${now}`, version, data: newData });
  const template = JSON.stringify(eventBody(origin, { type: "group.updated", occurredAt: now, resourceType: "Group", data: { id }, changed: [] }));
  const event = sql`SELECT 0 AS n, 'group.updated' AS type,
      json_set(${template}, '$.externalId', json_extract(${newData}, '$.externalId'), '$.version', ${version}, '$.data', ${rendered}, '$.changed', ${changedList(a, current, assigned, a.names)}) AS body
    FROM ${groups} AS g, ${assignedRow(a)}
    WHERE g.tenant_id = ${tenantId} AND g.id = ${id} AND ${eligible(a, current, sql`g.folded_data`)} AND ${anyDiffers(a, current, assigned)}`;
  const update = assignmentUpdate(a, groups, assignedColumns(a, COLUMNS_OF), now);
  const statements: BatchItem<"sqlite">[] = [
    ...insertCandidateEvents(db, tenantId, now, [event]),
    db.update(groups).set(update.set).where(and(byId, update.where)),
    ...readBack(db, tenantId, id, db.select({ ...storedColumns, eligible: update.eligible }).from(groups).where(byId), options.withMembers),
  ];
  let results: unknown[];
  try {
    results = await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  } catch (error) {
    if (isUniqueViolation(error, "groups.display_name_key")) throw displayNameTaken(String(values.get("displayName")));
    throw error;
  }
  const { row: found, ...read } = readBackOf<StoredRow & { eligible: number }>(results, options.withMembers);
  if (!found || !found.eligible) return null;
  const { eligible: _eligible, ...row } = found;
  return { ...toStored(row), ...read };
}

/**
 * Deletes a group, its member rows, and its membership in other groups, with its `group.deleted` event (the
 * group as the batch finds it), in one batch (deleteInOneBatch).
 */
export function deleteGroup(db: Db, tenantId: number, id: string, origin: EventOrigin, guard: DeleteGuard = {}): Promise<DeleteOutcome> {
  return deleteInOneBatch(db, () => getGroup(db, tenantId, id), (pinnedVersion) => {
    const now = new Date().toISOString();
    const body = eventBody(origin, { type: "group.deleted", occurredAt: now, resourceType: "Group", data: { id } }, { groups: [] });
    const byId = and(eq(groups.tenantId, tenantId), eq(groups.id, id));
    return [
      deletedEvent(db, tenantId, now, body, { table: sql`${groups}`, resourceType: "Group", id, location: groupLocation(origin, id), pinnedVersion, groups: groupsOf(tenantId, id) }),
      db.delete(groupMembers).where(and(eq(groupMembers.tenantId, tenantId), eq(groupMembers.groupId, id))),
      ...removeFromAllGroups(db, tenantId, id, now),
      db.delete(groups).where(pinnedVersion === null ? byId : and(byId, eq(groups.version, pinnedVersion))),
      requirePreviousChange(db),
      db
        .update(tenants)
        .set({ groupCount: sql`${tenants.groupCount} - 1`, eventNext: sql`${tenants.eventNext} + 1` })
        .where(eq(tenants.id, tenantId)),
    ];
  }, guard);
}

/** sortBy attribute (canonical) → indexed column; nullable columns sort their missing values last. */
export const GROUP_SORT_COLUMNS: Record<string, SortColumn> = {
  id: { column: GROUPS.id, nullable: false },
  displayName: { column: GROUPS.displayNameKey, nullable: false },
  externalId: { column: GROUPS.externalId, nullable: true },
  "meta.created": { column: GROUPS.createdAt, nullable: false },
  "meta.lastModified": { column: GROUPS.updatedAt, nullable: false },
};

const GROUPS_TABLE: ListTable = {
  names: GROUPS,
  columns: [GROUPS.seq, GROUPS.id, GROUPS.createdAt, GROUPS.updatedAt, GROUPS.version, GROUPS.memberCount, GROUPS.data].join(", "),
  tree: GROUPS_TREE,
  countColumn: TENANTS.groupCount,
  nextOrdinalColumn: TENANTS.groupOrdinalNext,
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
