// Bench only (`npm run bench`): the "floor" a SCIM request is compared with. Each operation here is the same
// lookup or write a SCIM route performs, done as ONE bare prepared D1 statement in the same runtime, behind
// the same auth and metered the same way (Server-Timing), so the bench can print what a request costs beside
// the least a request of that kind could cost.
//
// These statements skip validation and bookkeeping, so they live only in the bench's own worker entry
// (bench/worker/index.ts), never in the deployed bundle. They are fixed and tenant-scoped (?1 is always the
// caller's tenant id); the caller supplies only the values they bind. Table and column names come from the
// drizzle schema (bench/sql-text.ts).
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { readJsonObject } from "../../src/http/body.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { scimJson } from "../../src/http/respond.ts";
import { badRequest, notFound } from "../../src/scim/errors.ts";
import { groupMembers, groups, tenants, users } from "../../src/storage/schema.ts";
import { col, cols, sqlText } from "../sql-text.ts";

const USER_COLUMNS = cols(users.seq, users.id, users.createdAt, users.updatedAt, users.version, users.data);
const GROUP_COLUMNS = cols(groups.seq, groups.id, groups.createdAt, groups.updatedAt, groups.version, groups.memberCount, groups.data);

function pageWithGroups(order: "ASC" | "DESC"): string {
  return sqlText(sql`WITH page AS (SELECT ${USER_COLUMNS} FROM ${users} WHERE ${col(users.tenantId)} = ?1 ORDER BY ${col(users.seq)} ${sql.raw(order)} LIMIT ?2)
    SELECT page.*, (SELECT json_group_array(gm.${col(groupMembers.groupId)}) FROM ${groupMembers} AS gm WHERE gm.${col(groupMembers.tenantId)} = ?1 AND gm.${col(groupMembers.memberId)} = page.${col(users.id)}) AS group_ids
    FROM page`);
}

/** Each floor: one statement; `?1` = tenant id, `?2`.. = the request's `params` in order. */
const FLOORS: Record<string, { sql: string; params: number }> = {
  "user-by-username": { sql: sqlText(sql`SELECT ${USER_COLUMNS} FROM ${users} WHERE ${col(users.tenantId)} = ?1 AND ${col(users.userNameKey)} = ?2`), params: 1 },
  "user-by-id": { sql: sqlText(sql`SELECT ${USER_COLUMNS} FROM ${users} WHERE ${col(users.tenantId)} = ?1 AND ${col(users.id)} = ?2`), params: 1 },
  "users-first-page": { sql: sqlText(sql`SELECT ${USER_COLUMNS} FROM ${users} WHERE ${col(users.tenantId)} = ?1 ORDER BY ${col(users.seq)} LIMIT ?2`), params: 1 },
  // The last page of a walk reads the last `count` rows: the same rows, reached from the other end.
  "users-last-page": { sql: sqlText(sql`SELECT ${USER_COLUMNS} FROM ${users} WHERE ${col(users.tenantId)} = ?1 ORDER BY ${col(users.seq)} DESC LIMIT ?2`), params: 1 },
  // The same pages with what a User response carries besides its row: each user's group ids, from one seek
  // of the member index per user. (Group names come on top, once per distinct group.)
  "users-first-page-groups": { sql: pageWithGroups("ASC"), params: 1 },
  "users-last-page-groups": { sql: pageWithGroups("DESC"), params: 1 },
  "users-count": { sql: sqlText(sql`SELECT ${col(tenants.userCount)} FROM ${tenants} WHERE ${col(tenants.id)} = ?1`), params: 0 },
  // folded_data set as the repositories set it: left null, the row would also enter users_folded_pending.
  "user-insert": {
    sql: sqlText(
      sql`INSERT INTO ${users} (${cols(users.tenantId, users.id, users.userName, users.userNameKey, users.createdAt, users.updatedAt, users.data, users.foldedData)}) VALUES (?1, ?2, ?3, ?3, ?4, ?4, '{}', '{}')`,
    ),
    params: 3,
  },
  "user-update": { sql: sqlText(sql`UPDATE ${users} SET ${col(users.updatedAt)} = ?3 WHERE ${col(users.tenantId)} = ?1 AND ${col(users.id)} = ?2`), params: 2 },
  "user-delete": { sql: sqlText(sql`DELETE FROM ${users} WHERE ${col(users.tenantId)} = ?1 AND ${col(users.id)} = ?2`), params: 1 },
  "group-by-name": { sql: sqlText(sql`SELECT ${GROUP_COLUMNS} FROM ${groups} WHERE ${col(groups.tenantId)} = ?1 AND ${col(groups.displayNameKey)} = ?2`), params: 1 },
  "group-by-id": { sql: sqlText(sql`SELECT ${GROUP_COLUMNS} FROM ${groups} WHERE ${col(groups.tenantId)} = ?1 AND ${col(groups.id)} = ?2`), params: 1 },
  "group-insert": {
    sql: sqlText(
      sql`INSERT INTO ${groups} (${cols(groups.tenantId, groups.id, groups.displayName, groups.displayNameKey, groups.createdAt, groups.updatedAt, groups.data, groups.foldedData)}) VALUES (?1, ?2, ?3, ?3, ?4, ?4, '{}', '{}')`,
    ),
    params: 3,
  },
  "group-update": { sql: sqlText(sql`UPDATE ${groups} SET ${col(groups.updatedAt)} = ?3 WHERE ${col(groups.tenantId)} = ?1 AND ${col(groups.id)} = ?2`), params: 2 },
  "group-delete": { sql: sqlText(sql`DELETE FROM ${groups} WHERE ${col(groups.tenantId)} = ?1 AND ${col(groups.id)} = ?2`), params: 1 },
  "member-insert": {
    sql: sqlText(
      sql`INSERT INTO ${groupMembers} (${cols(groupMembers.tenantId, groupMembers.groupId, groupMembers.memberId, groupMembers.memberType)}) VALUES (?1, ?2, ?3, 'User') ON CONFLICT DO NOTHING`,
    ),
    params: 2,
  },
  "member-delete": {
    sql: sqlText(sql`DELETE FROM ${groupMembers} WHERE ${col(groupMembers.tenantId)} = ?1 AND ${col(groupMembers.groupId)} = ?2 AND ${col(groupMembers.memberId)} = ?3`),
    params: 2,
  },
};

export const benchFloor = new Hono<AppEnv>();

benchFloor.post("/_bench/floor/:op", async (c) => {
  const name = c.req.param("op");
  const floor = Object.hasOwn(FLOORS, name) ? FLOORS[name] : undefined;
  if (floor === undefined) throw notFound(`No floor operation "${name}".`);
  const { params } = await readJsonObject(c.req.raw);
  const values: unknown[] = Array.isArray(params) ? params : [];
  if (values.length !== floor.params || !values.every((v) => typeof v === "string" || typeof v === "number")) {
    throw badRequest("invalidValue", `"params" must be ${floor.params} strings or numbers.`);
  }
  // Through the request's metered binding, so Server-Timing reports this statement like any SCIM request's.
  const result = await c.var.d1.db.prepare(floor.sql).bind(c.var.auth.tenant.id, ...values).all();
  return scimJson({ rows: result.results.length, changes: result.meta.changes ?? 0 });
});
