// The transactional outbox: the statements that write a change's events INTO THE CHANGE'S OWN D1 BATCH, and the
// reads of the events API and the retention prune. Event ids come from tenants.event_next, read by the event
// insert and bumped by a later statement of the same batch: a batch is atomic and D1 runs one at a time, so ids
// are gapless and in commit order, and a batch that rolls back takes its events with it.
//
// Rows written per event: the row and its two index entries; plus the counter, which creates and deletes fold
// into the tenant update they already make. Nothing here depends on the tenant's or a group's size.
import { and, asc, eq, gt, sql, type SQL } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { MEMBERS_PER_EVENT, type EventBody } from "../../events/types.ts";
import type { Db } from "../d1/db.ts";
import { events, tenants } from "../schema.ts";

/**
 * Inserts `body` as the tenant's event number event_next + `offset`. Several events of one batch take offsets
 * 0, 1, ... and ONE counter bump by their number follows them (bumpEventCounter, or folded into a tenant update).
 * `extra` is a json_set path/value list that completes the body from the database (e.g. a deleted user's groups).
 */
export function insertEvent(db: Db, tenantId: number, now: string, offset: number, body: EventBody, extra?: SQL, join?: SQL): BatchItem<"sqlite"> {
  const json = extra ? sql`json_set(${JSON.stringify(body)}, ${extra})` : sql`${JSON.stringify(body)}`;
  return db.insert(events).select(sql`
    SELECT NULL, t.id, t.event_next + ${sql.raw(String(Math.trunc(offset)))}, ${now}, ${body.type}, ${json}, NULL
    FROM ${tenants} AS t ${join ?? sql``} WHERE t.id = ${tenantId}`);
}

/** What renderedRow needs besides the row: where the resource lives, and meta's changing fields. */
export interface RenderedRowSpec {
  resourceType: "User" | "Group";
  location: string;
  lastModified: SQL;
  /** The ETag, e.g. 'W/"' || (g.version + 1) || '"'. */
  version: SQL;
  /** The resource's JSON when not the row's own `data` (a change the batch is about to write). */
  data?: SQL;
}

/**
 * A users or groups row (`row` is its alias) as renderResource renders it: schemas, id, the attributes, meta
 * last. For events about a row the batch reads itself rather than one read before it. json_patch onto
 * {schemas, id} keeps that order; it would drop null members, which stored data never has (the normaliser
 * removes them).
 */
export function renderedRow(row: string, spec: RenderedRowSpec): SQL {
  const r = sql.raw(row);
  const meta = sql`json_object('resourceType', ${spec.resourceType}, 'created', ${r}.created_at, 'lastModified', ${spec.lastModified}, 'location', ${spec.location}, 'version', ${spec.version})`;
  return sql`json_set(json_patch(json_object('schemas', json('[]'), 'id', ${r}.id), ${spec.data ?? sql`${r}.data`}), '$.meta', ${meta})`;
}

/**
 * Events a batch decides on from the rows it reads: each candidate is a SELECT of (n, type, body) yielding a
 * row only when its event happens, n numbering the change's events from 0 in order. Followed by the counter
 * bump by however many were written.
 */
export function insertCandidateEvents(db: Db, tenantId: number, now: string, candidates: SQL[]): BatchItem<"sqlite">[] {
  if (candidates.length === 0) return [];
  // Inserted in event order, so rowid order stays commit order; one candidate needs no sort (which D1 bills as
  // a row read).
  const order = candidates.length > 1 ? sql` ORDER BY e.n` : sql``;
  return [
    db.insert(events).select(sql`
      SELECT NULL, t.id, t.event_next + e.n, ${now}, e.type, e.body, NULL
      FROM ${tenants} AS t JOIN (${sql.join(candidates, sql` UNION ALL `)}) AS e
      WHERE t.id = ${tenantId}${order}`),
    bumpByChanges(db, tenantId),
  ];
}

/** What deletedEvent needs to find and render the row the batch deletes. */
export interface DeletedRow {
  table: SQL;
  resourceType: "User" | "Group";
  id: string;
  location: string;
  /** The version If-Match named: the event is written only if the row is still at it, as the delete is. */
  pinnedVersion: number | null;
  /** The JSON array of the groups the resource is in (groupsOf), read before the batch removes it from them. */
  groups: SQL;
}

/**
 * The `*.deleted` event of a row, rendered from the row by the batch that deletes it (it must come before the
 * delete), so it describes exactly what is deleted, and nothing is read before the batch. Writes no event when
 * the row is not there; the delete's guard then aborts the batch.
 */
export function deletedEvent(db: Db, tenantId: number, now: string, body: EventBody, row: DeletedRow): BatchItem<"sqlite"> {
  const pinned = row.pinnedVersion === null ? sql`` : sql` AND d.version = ${sql.raw(String(Math.trunc(row.pinnedVersion)))}`;
  const version = rowEtag("d", 0);
  const data = renderedRow("d", { resourceType: row.resourceType, location: row.location, lastModified: sql`d.updated_at`, version });
  return insertEvent(
    db,
    tenantId,
    now,
    0,
    body,
    sql`'$.externalId', d.external_id, '$.version', ${version}, '$.data', ${data}, '$.groups', ${row.groups}`,
    sql`JOIN ${row.table} AS d ON d.tenant_id = t.id AND d.id = ${row.id}${pinned}`,
  );
}

/** The ETag of a row's version plus `bump`, in SQL. Literals, not bound: D1 binds JS numbers as REAL, and 'W/"' || (2 + 1.0) || '"' is W/"3.0". */
export function rowEtag(row: string, bump: 0 | 1): SQL {
  return sql`'W/"' || (${sql.raw(row)}.version + ${sql.raw(String(bump))}) || '"'`;
}

export function bumpEventCounter(db: Db, tenantId: number, count: number): BatchItem<"sqlite"> {
  return db.update(tenants).set({ eventNext: sql`${tenants.eventNext} + ${sql.raw(String(Math.trunc(count)))}` }).where(eq(tenants.id, tenantId));
}

/** The counter bump after a statement that inserted a number of events only the database knew (changes()). */
function bumpByChanges(db: Db, tenantId: number): BatchItem<"sqlite"> {
  return db
    .update(tenants)
    .set({ eventNext: sql`${tenants.eventNext} + changes()` })
    .where(and(eq(tenants.id, tenantId), sql`changes() > 0`));
}

export interface MemberEventSpec {
  type: "group.members_added" | "group.members_removed";
  /** The body with placeholders: storage fills externalId, version, data and members from the group row. */
  body: EventBody;
  groupId: string;
  location: string;
  now: string;
  /** 1 when the group's version is bumped later in the batch (members-only change), 0 when already bumped. */
  versionBump: 0 | 1;
  /** Rows (v = member id, ty = member type) this change really adds or removes, evaluated inside the batch. */
  members: SQL;
  /** The most rows `members` can yield (the ids the request names), or null when only the database knows. */
  atMost: number | null;
}

/**
 * The change's members as rows (n = event number within the change, members = their JSON array, by member id).
 * When the request names at most MEMBERS_PER_EVENT members, one event holds them all and a plain aggregate
 * builds it; numbering rows into chunks (a window, then GROUP BY) costs two temporary b-trees, which D1 bills as
 * rows read (measured: 6 more rows for a one-member change, 23 against 17 for the whole PATCH).
 */
function chunked(spec: MemberEventSpec): SQL {
  if (spec.atMost !== null && spec.atMost <= MEMBERS_PER_EVENT) {
    return sql`SELECT 0 AS n, json_group_array(json_object('value', v, 'type', ty)) AS members, count(*) AS k
      FROM (SELECT v, ty FROM (${spec.members}) ORDER BY v) HAVING k > 0`;
  }
  return sql`SELECT n, json_group_array(json_object('value', v, 'type', ty)) AS members
      FROM (SELECT v, ty, (row_number() OVER (ORDER BY v) - 1) / ${sql.raw(String(MEMBERS_PER_EVENT))} AS n FROM (${spec.members}))
      GROUP BY n`;
}

/**
 * The events of one membership change, MEMBERS_PER_EVENT members each, followed by the counter bump. The member
 * set is evaluated in the batch, just before the statement that changes it, so an event names exactly the rows
 * that statement changes (a member already present, or absent, is in no event) whatever ran concurrently.
 * The group's attributes come from its row for the same reason.
 */
export function memberEvents(db: Db, tenantId: number, spec: MemberEventSpec): BatchItem<"sqlite">[] {
  const version = rowEtag("g", spec.versionBump);
  const data = renderedRow("g", { resourceType: "Group", location: spec.location, lastModified: sql`${spec.now}`, version });
  const insert = db.insert(events).select(sql`
    SELECT NULL, t.id, t.event_next + c.n, ${spec.now}, ${spec.type},
      json_set(${JSON.stringify(spec.body)},
        '$.externalId', g.external_id,
        '$.version', ${version},
        '$.data', ${data},
        '$.members', json(c.members)),
      NULL
    FROM ${tenants} AS t
    JOIN groups AS g ON g.tenant_id = t.id AND g.id = ${spec.groupId}
    JOIN (${chunked(spec)}) AS c
    WHERE t.id = ${tenantId}
    ORDER BY c.n`);
  return [insert, bumpByChanges(db, tenantId)];
}

export interface StoredEvent {
  eventId: number;
  type: string;
  body: string;
}

/** The tenant's newest event id (0 before its first) and its oldest retained one (null when none is). */
export async function feedBounds(db: Db, tenantId: number): Promise<{ head: number; oldest: number | null }> {
  const row = await db
    .select({
      head: sql<number>`${tenants.eventNext} - 1`,
      oldest: sql<number | null>`(SELECT min(${events.eventId}) FROM ${events} WHERE ${events.tenantId} = ${tenantId})`,
    })
    .from(tenants)
    .where(eq(tenants.id, tenantId))
    .get();
  return { head: Number(row?.head ?? 0), oldest: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest) };
}

/** Up to `count` events after `after`, oldest first: one seek of (tenant_id, event_id), `count` rows. */
export async function readEvents(db: Db, tenantId: number, after: number, count: number): Promise<StoredEvent[]> {
  if (count === 0) return [];
  return db
    .select({ eventId: events.eventId, type: events.type, body: events.body })
    .from(events)
    .where(and(eq(events.tenantId, tenantId), gt(events.eventId, after)))
    .orderBy(asc(events.eventId))
    .limit(count)
    .all();
}

/**
 * Deletes up to `batchSize` events created before `cutoff`, oldest first across tenants. It looks only at the
 * `batchSize` oldest rows (rowid order is commit order), so a run reads and deletes a bounded number of rows
 * even when nothing is old enough. Returns how many were deleted.
 */
export async function pruneEvents(db: Db, cutoff: string, batchSize: number): Promise<number> {
  const result = await db.run(sql`
    DELETE FROM ${events} WHERE pos IN (
      SELECT pos FROM (SELECT pos, created_at FROM ${events} ORDER BY pos LIMIT ${batchSize}) WHERE created_at < ${cutoff})`);
  return result.meta.changes ?? 0;
}
