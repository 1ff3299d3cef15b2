// Group membership: one group_members row per (tenant, group, member), changed by set-based statements that
// take their ids from ONE JSON parameter (`json_each(?)`), so a change of k members is O(k) rows and D1's
// 100-bound-parameter limit never applies. groups.member_count follows in the same batch via changes(),
// which counts the rows the statement just before it changed, so it is kept without reading the group.
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { eventBody, type EventOrigin } from "../../events/types.ts";
import { badRequest } from "../../scim/errors.ts";
import type { Db } from "../d1/db.ts";
import { memberEvents } from "./events.ts";
import type { MemberDelta, MemberType } from "../../scim/patch/group-delta.ts";
import { events, groupMembers, groups, tenants, users, writeGuard } from "../schema.ts";
import { EVENTS, GROUP_MEMBERS, GROUPS, TENANTS, USERS, sqlColumns } from "../names.ts";

// Column names for the SQL written by hand below (names.ts): bare, and under the aliases the statements use.
const m = sqlColumns(GROUP_MEMBERS);
const gm = sqlColumns(GROUP_MEMBERS, "gm");
const g = sqlColumns(GROUPS, "g");
const e = sqlColumns(EVENTS, "e");
const t = sqlColumns(TENANTS);
import { Statement } from "../d1/statement.ts";
import type { RowColumns } from "../listing/plan.ts";

/** A delta whose added members have been checked to exist, each with its type. */
export interface ResolvedDelta {
  clear: boolean;
  add: Map<string, MemberType>;
  remove: Set<string>;
}

export interface MemberRow {
  groupId: string;
  memberId: string;
  memberType: MemberType;
  /** The user's displayName (else userName), or the group's displayName. */
  display: string | null;
}

/** Ids as one JSON parameter, for `SELECT value FROM json_each(?)`. */
function idList(ids: Iterable<string>): string {
  return JSON.stringify([...ids]);
}

/** `[{"v": id, "t": type}]`: members with their types, for `json_each(?)`. */
function memberList(members: Map<string, MemberType | undefined>): string {
  return JSON.stringify([...members].map(([v, t]) => ({ v, t: t ?? null })));
}

/**
 * Checks that every member to add exists in the tenant, with ONE statement over all of them, and fills in
 * missing types (a user with that id, else a group). Throws 400 invalidValue naming what is wrong.
 *
 * The same statement rejects cycles: nested groups must stay a hierarchy, and adding group M to G is a cycle
 * when M is among G's ancestors. The ancestor walk (up from G through the member index, reading G's ancestry,
 * not members) is evaluated only when a member turned out to be a group, so adding users reads nothing more.
 * CROSS JOIN keeps the walk's order (each ancestor, then its seek of the member index): joined the other way
 * round SQLite scanned every membership of the tenant (EXPLAIN QUERY PLAN `SEARCH gm ... (tenant_id=?)`;
 * measured 3,003 rows read in a 3,000-member tenant, 3 this way).
 */
export async function resolveDelta(db: Db, tenantId: number, groupId: string, delta: MemberDelta): Promise<ResolvedDelta> {
  const resolved: ResolvedDelta = { clear: delta.clear, add: new Map(), remove: delta.remove };
  if (delta.add.size === 0) return resolved;
  if (delta.add.has(groupId)) throw badRequest("invalidValue", `A group cannot be a member of itself ("${groupId}").`);
  const rows = await db.all<{ member_id: string; member_type: MemberType | null; cycle: number | null }>(sql`
    WITH RECURSIVE ancestors(id) AS (
      SELECT ${groupId}
      UNION
      SELECT ${gm.groupId} FROM ancestors AS a CROSS JOIN ${groupMembers} AS gm ON ${gm.tenantId} = ${tenantId} AND ${gm.memberId} = a.id
    )
    SELECT member_id, member_type, CASE WHEN member_type = 'Group' THEN member_id IN (SELECT id FROM ancestors) END AS cycle
    FROM (SELECT v AS member_id, ty AS member_type FROM (${typedMembers(tenantId, delta.add)}))`);
  const missing: string[] = [];
  for (const row of rows) {
    if (row.member_type === null) missing.push(row.member_id);
    else resolved.add.set(row.member_id, row.member_type);
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 20).map((id) => {
      const type = delta.add.get(id);
      return type === undefined ? `"${id}"` : `"${id}" (type ${type})`;
    });
    const more = missing.length > shown.length ? ` and ${missing.length - shown.length} more` : "";
    throw badRequest("invalidValue", `No such member in this tenant: ${shown.join(", ")}${more}. Nothing was changed.`);
  }
  const cycle = rows.find((row) => row.cycle === 1);
  if (cycle !== undefined) {
    throw badRequest("invalidValue", `Group "${cycle.member_id}" already contains this group (directly or through nested groups); adding it as a member would make a cycle.`);
  }
  return resolved;
}

/** What the membership events of one change need besides the delta. */
export interface MemberEventContext {
  origin: EventOrigin;
  now: string;
  /** The group's meta.location. */
  location: string;
  /**
   * See MemberEventSpec.versionBump. 1: a members-only change, whose version bump these statements include
   * (only when they changed a member); 0: the caller's batch sets the version.
   */
  versionBump: 0 | 1;
}

/**
 * Batch statements applying `delta` to group `groupId` (row `groupSeq`, an expression so a group inserted in
 * the same batch can be named), each preceded by its events (group.members_removed / _added, naming exactly
 * the rows it changes). Each statement that changes member rows is followed by the member_count update that
 * reads its changes(); a statement that changed nothing leaves the count's row unwritten.
 *
 * Built with query builders only: drizzle's D1 batch cannot bind parameters of a raw `db.run(sql)`.
 */
export function memberStatements(
  db: Db,
  tenantId: number,
  groupSeq: SQL,
  groupId: string,
  delta: MemberDelta,
  context: MemberEventContext,
): BatchItem<"sqlite">[] {
  const ofGroup = and(eq(groupMembers.tenantId, tenantId), eq(groupMembers.groupId, groupId));
  const here = and(eq(groups.tenantId, tenantId), eq(groups.seq, groupSeq));
  // With one member statement (add, or remove), its count update is also the version bump a members-only change
  // needs: it runs exactly when the statement changed rows, i.e. when its events were written.
  const parts = (delta.clear || delta.remove.size > 0 ? 1 : 0) + (delta.add.size > 0 ? 1 : 0);
  const bumpWithCount = context.versionBump === 1 && parts === 1;
  const countBy = (change: SQL) =>
    db
      .update(groups)
      .set({ memberCount: sql`${groups.memberCount} ${change}`, ...(bumpWithCount ? { version: sql`${groups.version} + 1`, updatedAt: context.now } : {}) })
      .where(and(here, sql`changes() > 0`));
  const eventsFor = (type: "group.members_added" | "group.members_removed", members: SQL, atMost: number | null) =>
    memberEvents(db, tenantId, {
      type,
      body: eventBody(context.origin, { type, occurredAt: context.now, resourceType: "Group", data: { id: groupId } }, { members: [] }),
      groupId,
      location: context.location,
      now: context.now,
      versionBump: context.versionBump,
      members,
      atMost,
    });
  const current = (condition: SQL) =>
    sql`SELECT ${m.memberId} AS v, ${m.memberType} AS ty FROM ${groupMembers} WHERE ${m.tenantId} = ${tenantId} AND ${m.groupId} = ${groupId} AND ${condition}`;
  const statements: BatchItem<"sqlite">[] = [];
  if (delta.clear) {
    // Only members not in the new list go, so a "Push Now" that re-sends the same list writes nothing.
    const keep = sql`${groupMembers.memberId} NOT IN (SELECT value FROM json_each(${idList(delta.add.keys())}))`;
    statements.push(
      ...eventsFor("group.members_removed", current(sql`${m.memberId} NOT IN (SELECT value FROM json_each(${idList(delta.add.keys())}))`), null),
      db.delete(groupMembers).where(and(ofGroup, keep)),
      countBy(sql`- changes()`),
    );
  } else if (delta.remove.size > 0) {
    const listed = sql`${groupMembers.memberId} IN (SELECT value FROM json_each(${idList(delta.remove)}))`;
    statements.push(
      ...eventsFor("group.members_removed", current(sql`${m.memberId} IN (SELECT value FROM json_each(${idList(delta.remove)}))`), delta.remove.size),
      db.delete(groupMembers).where(and(ofGroup, listed)),
      countBy(sql`- changes()`),
    );
  }
  if (delta.add.size > 0) {
    // The existence check is repeated here, inside the batch: a member deleted since resolveDelta read it is
    // skipped rather than left dangling. A member without a type (not resolved first) gets it here, as
    // resolveDelta would give it. The columns follow the table's order (tenant, group, member, type).
    const candidates = sql`FROM (${typedMembers(tenantId, delta.add)}) AS r WHERE r.ty IS NOT NULL`;
    const added = sql`SELECT r.v AS v, r.ty AS ty ${candidates}
      AND NOT EXISTS (SELECT 1 FROM ${groupMembers} AS gm WHERE ${gm.tenantId} = ${tenantId} AND ${gm.groupId} = ${groupId} AND ${gm.memberId} = r.v)`;
    statements.push(
      ...eventsFor("group.members_added", added, delta.add.size),
      db.insert(groupMembers).select(sql`SELECT ${tenantId}, ${groupId}, r.v, r.ty ${candidates}`).onConflictDoNothing(),
      countBy(sql`+ changes()`),
    );
  }
  if (context.versionBump === 1 && parts > 1) {
    // Two member statements: bumped only when this batch wrote a membership event. The tenant's newest event is
    // then about this group, at this group's version + 1, which no earlier event can be (versions only grow, and
    // events carry theirs).
    statements.push(
      db
        .update(groups)
        .set({ version: sql`${groups.version} + 1`, updatedAt: context.now })
        .where(
          and(
            here,
            sql`EXISTS (SELECT 1 FROM ${events} AS e WHERE ${e.tenantId} = ${tenantId}
              AND ${e.eventId} = (SELECT ${t.eventNext} - 1 FROM ${tenants} WHERE ${t.id} = ${tenantId})
              AND json_extract(${e.body}, '$.resourceId') = ${groupId}
              AND json_extract(${e.body}, '$.version') = 'W/"' || (${groups.version} + 1) || '"')`,
          ),
        ),
    );
  }
  // Last, so it sees the batch's own insert (and comes after the changes() the count updates read).
  // A member of unknown type may be a group.
  if ([...delta.add.values()].some((type) => type !== "User")) statements.push(cycleGuard(db, tenantId, groupId));
  return statements;
}

/**
 * The members to add as rows (v = id, ty = type): a member typed User is looked for among users, one typed
 * Group among groups, an untyped one among users and then groups. ty is NULL for a member not in the tenant.
 * `LIMIT -1` (no limit) keeps SQLite from flattening this into the statement around it, which would copy the
 * CASE into each place that names ty and seek each member twice (measured: 30 rows read for 10 members, 20 so).
 */
function typedMembers(tenantId: number, add: Map<string, MemberType | undefined>): SQL {
  return sql`SELECT r.v AS v,
      CASE
        WHEN r.t IS NOT 'Group' AND EXISTS (SELECT 1 FROM ${users} WHERE ${users.tenantId} = ${tenantId} AND ${users.id} = r.v) THEN 'User'
        WHEN r.t IS NOT 'User' AND EXISTS (SELECT 1 FROM ${groups} WHERE ${groups.tenantId} = ${tenantId} AND ${groups.id} = r.v) THEN 'Group'
      END AS ty
    FROM (SELECT json_extract(value, '$.v') AS v, json_extract(value, '$.t') AS t FROM json_each(${memberList(add)})) AS r
    LIMIT -1`;
}

/**
 * Aborts the batch when a member to add is not in the tenant (with the type it was given): a change whose
 * members were not resolved first writes nothing then, and the caller resolves them to say which.
 */
export function membersExistGuard(db: Db, tenantId: number, add: Map<string, MemberType | undefined>) {
  return db.insert(writeGuard).select(sql`SELECT NULL WHERE EXISTS (SELECT 1 FROM (${typedMembers(tenantId, add)}) WHERE ty IS NULL)`);
}

/** The ids of the groups that have `memberId`, as a JSON array (one seek of the member index). */
export function groupsOf(tenantId: number, memberId: string): SQL {
  return sql`(SELECT json_group_array(${m.groupId}) FROM (SELECT ${m.groupId} FROM ${groupMembers} WHERE ${m.tenantId} = ${tenantId} AND ${m.memberId} = ${memberId} ORDER BY ${m.groupId}))`;
}

/**
 * Aborts the batch when, after it, the group is among its own ancestors (walked as in resolveDelta): resolveDelta checked before the batch,
 * and this closes the gap in which another request nested the groups the other way round.
 */
function cycleGuard(db: Db, tenantId: number, groupId: string) {
  return db.insert(writeGuard).select(sql`
    SELECT NULL WHERE EXISTS (
      WITH RECURSIVE ancestors(id) AS (
        SELECT ${gm.groupId} FROM ${groupMembers} AS gm WHERE ${gm.tenantId} = ${tenantId} AND ${gm.memberId} = ${groupId}
        UNION
        SELECT ${gm.groupId} FROM ancestors AS a CROSS JOIN ${groupMembers} AS gm ON ${gm.tenantId} = ${tenantId} AND ${gm.memberId} = a.id
      )
      SELECT 1 FROM ancestors WHERE id = ${groupId})`);
}

/**
 * Batch statements removing `memberId` (a deleted user or group) from every group that has it: those groups
 * lose one member each and get a new version, since their representation changed. Counts first, while the
 * rows that say which groups are affected still exist.
 */
export function removeFromAllGroups(db: Db, tenantId: number, memberId: string, now: string): BatchItem<"sqlite">[] {
  const containing = sql`${groups.id} IN (SELECT ${m.groupId} FROM ${groupMembers} WHERE ${m.tenantId} = ${tenantId} AND ${m.memberId} = ${memberId})`;
  return [
    db
      .update(groups)
      .set({ memberCount: sql`${groups.memberCount} - 1`, version: sql`${groups.version} + 1`, updatedAt: now })
      .where(and(eq(groups.tenantId, tenantId), containing)),
    db.delete(groupMembers).where(and(eq(groupMembers.tenantId, tenantId), eq(groupMembers.memberId, memberId))),
  ];
}

/** The member rows (with display names) of the groups `which` selects, ordered by group, then member id. */
function membersSelect(db: Db, tenantId: number, which: SQL) {
  const memberUser = sql`"member_user"`;
  const memberGroup = sql`"member_group"`;
  const mu = sqlColumns(USERS, '"member_user"');
  const mg = sqlColumns(GROUPS, '"member_group"');
  return db
    .select({
      groupId: groupMembers.groupId,
      memberId: groupMembers.memberId,
      memberType: groupMembers.memberType,
      display: sql<string | null>`coalesce(${mu.displayName}, ${mu.userName}, ${mg.displayName})`.as("display"),
    })
    .from(groupMembers)
    .leftJoin(
      sql`${users} AS ${memberUser}`,
      sql`${groupMembers.memberType} = 'User' AND ${mu.tenantId} = ${groupMembers.tenantId} AND ${mu.id} = ${groupMembers.memberId}`,
    )
    .leftJoin(
      sql`${groups} AS ${memberGroup}`,
      sql`${groupMembers.memberType} = 'Group' AND ${mg.tenantId} = ${groupMembers.tenantId} AND ${mg.id} = ${groupMembers.memberId}`,
    )
    .where(and(eq(groupMembers.tenantId, tenantId), which))
    .orderBy(asc(groupMembers.groupId), asc(groupMembers.memberId));
}

/**
 * One group's members, as a statement for the end of a write's batch: the response to a PUT or POST then needs
 * no further round trip, and reads exactly the rows loadMembers would (none for an empty group).
 */
export function groupMembersStatement(db: Db, tenantId: number, groupId: string) {
  return membersSelect(db, tenantId, eq(groupMembers.groupId, groupId));
}

/** The members of the given groups, with display names, in one joined query; ordered by group, then member id. */
export async function loadMembers(db: Db, tenantId: number, groupIds: string[]): Promise<Map<string, MemberRow[]>> {
  const out = new Map<string, MemberRow[]>();
  if (groupIds.length === 0) return out;
  const rows = await membersSelect(db, tenantId, sql`${groupMembers.groupId} IN (SELECT value FROM json_each(${idList(groupIds)}))`).all();
  for (const row of rows) {
    let list = out.get(row.groupId);
    if (!list) out.set(row.groupId, (list = []));
    list.push(row);
  }
  return out;
}

/** Ids per statement when bound one by one: D1 allows 100 bound parameters, one goes to the tenant. */
const IDS_PER_STATEMENT = 90;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `query` once per IDS_PER_STATEMENT ids, all in one batch. `query` gets the tenant's placeholder and the
 * ids as VALUES rows, which D1 does not bill as reads (an IN list's probe table and json_each rows it does:
 * measured, 4 rows for a user in 2 groups against 3 this way).
 */
async function queryByIds<T>(db: Db, tenantId: number, ids: string[], query: (tenant: string, rows: string) => string): Promise<T[]> {
  const statements = chunks(ids, IDS_PER_STATEMENT).map((chunk) => {
    const statement = new Statement();
    const tenant = statement.bind(tenantId);
    const rows = chunk.map((id) => `(${statement.bind(id)})`).join(", ");
    return db.$client.prepare(query(tenant, rows)).bind(...statement.params);
  });
  if (statements.length === 0) return [];
  return (await db.$client.batch<T>(statements)).flatMap((result) => result.results);
}

/** A group a user is a direct member of, as the User `groups` attribute lists it. */
export interface UserGroup {
  groupId: string;
  displayName: string;
}

/** Groups in the order a User response lists them: by name (case-folded), then id. */
function byName(groups: { groupId: string; displayName: string; key: string }[]): UserGroup[] {
  groups.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  return groups.map(({ groupId, displayName }) => ({ groupId, displayName }));
}

/**
 * A result column with one user's direct groups, names included, for a statement that reads that user's row:
 * `user` is the SQL name of its users row. One seek of the covering member index, then one group row per
 * membership; for one user every membership is a distinct group, so this reads what reading the ids and then
 * the distinct names would, in the same statement as the user instead of two more round trips.
 * Read it with parseUserGroups.
 */
export function userGroupsColumn(tenantId: number, user: string): SQL {
  // Its one value is the tenant id, an integer from the tenants row, so it can stand as a literal.
  return sql.raw(userGroupsSql(String(Math.trunc(tenantId)), user));
}

/** userGroupsColumn as a column of a page's statement (RowColumns), named `user_groups`: for a page of key lookups. */
export function userGroupsRowColumn(tenantId: number): RowColumns {
  return (statement, row) => `${userGroupsSql(statement.bind(tenantId), row)} AS user_groups`;
}

/** The text of userGroupsColumn: `tenant` is the tenant id's placeholder or literal, `user` the users row's name. */
function userGroupsSql(tenant: string, user: string): string {
  return `(SELECT json_group_array(json_array(g.${GROUPS.id}, g.${GROUPS.displayName}, g.${GROUPS.displayNameKey}))
    FROM ${GROUP_MEMBERS.$table} AS gm JOIN ${GROUPS.$table} AS g ON g.${GROUPS.tenantId} = gm.${GROUP_MEMBERS.tenantId} AND g.${GROUPS.id} = gm.${GROUP_MEMBERS.groupId}
    WHERE gm.${GROUP_MEMBERS.tenantId} = ${tenant} AND gm.${GROUP_MEMBERS.memberId} = ${user}.${USERS.id})`;
}

export function parseUserGroups(text: string): UserGroup[] {
  const rows = JSON.parse(text) as [string, string, string][];
  return byName(rows.map(([groupId, displayName, key]) => ({ groupId, displayName, key })));
}

/**
 * The group ids of each user on a page, as a column of the page's own statement (RowColumns): one seek of
 * the covering member index per user. The tenant's group count is read once per statement, so a tenant
 * without groups skips the seeks. NULL when there is no group; names come from loadGroupNames, once per
 * distinct group on the page rather than once per member.
 */
export function userGroupIdsColumn(tenantId: number): RowColumns {
  return (statement, row) => {
    const tenant = statement.bind(tenantId);
    const gmt = GROUP_MEMBERS;
    return `CASE WHEN (SELECT ${TENANTS.groupCount} FROM ${TENANTS.$table} WHERE ${TENANTS.id} = ${tenant}) > 0 THEN
        (SELECT json_group_array(gm.${gmt.groupId}) FROM ${gmt.$table} AS gm WHERE gm.${gmt.tenantId} = ${tenant} AND gm.${gmt.memberId} = ${row}.${USERS.id})
      END AS group_ids`;
  };
}

/**
 * Direct groups of the users on a page from their `group_ids` column (userGroupIdsColumn), by user id:
 * each distinct group's name read once, in one round trip, none when no user is in a group.
 */
export async function pageUserGroups(
  db: Db,
  tenantId: number,
  rows: { id: string; groupIds: string | null }[],
): Promise<Map<string, UserGroup[]>> {
  const memberships = rows.map((row) => ({ userId: row.id, groupIds: row.groupIds === null ? [] : (JSON.parse(row.groupIds) as string[]) }));
  const groupIds = [...new Set(memberships.flatMap((m) => m.groupIds))];
  const out = new Map<string, UserGroup[]>();
  for (const { userId } of memberships) out.set(userId, []);
  if (groupIds.length === 0) return out;
  const found = await queryByIds<{ id: string; display_name: string; display_name_key: string }>(db, tenantId, groupIds, (tenant, ids) =>
    `SELECT g.${GROUPS.id} AS id, g.${GROUPS.displayName} AS display_name, g.${GROUPS.displayNameKey} AS display_name_key ` +
      `FROM (VALUES ${ids}) AS v JOIN ${GROUPS.$table} AS g ON g.${GROUPS.tenantId} = ${tenant} AND g.${GROUPS.id} = v.column1`,
  );
  const names = new Map(found.map((g) => [g.id, { displayName: g.display_name, key: g.display_name_key }]));
  for (const { userId, groupIds: ids } of memberships) {
    // A group deleted between the page and this read is left out, as it would be had it gone before.
    const listed = ids.flatMap((groupId) => {
      const name = names.get(groupId);
      return name === undefined ? [] : [{ groupId, ...name }];
    });
    out.set(userId, byName(listed));
  }
  return out;
}
