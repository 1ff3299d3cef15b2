// Bench only (`npm run bench`): the "floor" a SCIM request is compared with. Each operation here is the same
// lookup or write a SCIM route performs, done as ONE bare prepared D1 statement in the same runtime, behind
// the same auth and metered the same way (Server-Timing), so the bench can print what a request costs beside
// the least a request of that kind could cost. Shapes that need two dependent steps (read, then write; a page,
// then its group names) also get a two-statement floor (TWO_STEP_FLOORS), the least such a request could do.
//
// These statements skip validation and bookkeeping, so they live only in the bench's own worker entry
// (bench/worker/index.ts), never in the deployed bundle. They are fixed and tenant-scoped (?1 is always the
// caller's tenant id); the caller supplies only the values they bind. Table and column names come from the
// drizzle schema through src/storage/names.ts, as in the repositories' hand-written SQL.
import { Hono } from "hono";
import { readJsonObject } from "../../src/http/body.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { scimJson } from "../../src/http/respond.ts";
import { badRequest, notFound } from "../../src/scim/errors.ts";
import { GROUP_MEMBERS as GM, GROUPS as G, TENANTS as T, USERS as U } from "../../src/storage/names.ts";

const list = (...names: string[]) => names.join(", ");
const USER_COLUMNS = list(U.seq, U.id, U.createdAt, U.updatedAt, U.version, U.data);
const GROUP_COLUMNS = list(G.seq, G.id, G.createdAt, G.updatedAt, G.version, G.memberCount, G.data);

function pageWithGroups(order: "ASC" | "DESC"): string {
  return `WITH page AS (SELECT ${USER_COLUMNS} FROM ${U.$table} WHERE ${U.tenantId} = ?1 ORDER BY ${U.seq} ${order} LIMIT ?2)
    SELECT page.*, (SELECT json_group_array(gm.${GM.groupId}) FROM ${GM.$table} AS gm WHERE gm.${GM.tenantId} = ?1 AND gm.${GM.memberId} = page.${U.id}) AS group_ids
    FROM page`;
}

/** One floor statement; `?1` = tenant id, `?2`.. = the request's `params` in order. */
interface FloorStatement {
  sql: string;
  params: number;
}

/**
 * Floors of the shapes that need two dependent steps, as the least such a request could do: two statements,
 * the second sent when the first has answered (two round trips). A PUT or PATCH reads the resource, then
 * writes it; a page of users lists their group ids, then the names of the distinct groups among them.
 */
interface TwoStepFloor {
  /** How many values the request binds (the first statement binds those it names). */
  params: number;
  first: FloorStatement;
  /** The second statement's bound values after the tenant id, from the request's and the first's answer. */
  second: { sql: string; bind: (params: unknown[], rows: Record<string, unknown>[]) => unknown[] };
}

const GROUP_NAMES = `SELECT g.${G.id}, g.${G.displayName} FROM ${G.$table} AS g WHERE g.${G.tenantId} = ?1 AND g.${G.id} IN (SELECT value FROM json_each(?2))`;
const distinctGroupIds = (rows: Record<string, unknown>[]) =>
  JSON.stringify([...new Set(rows.flatMap((row) => (typeof row.group_ids === "string" ? (JSON.parse(row.group_ids) as string[]) : [])))]);

/** Each floor: one statement; `?1` = tenant id, `?2`.. = the request's `params` in order. */
const FLOORS: Record<string, FloorStatement> = {
  "user-by-username": { sql: `SELECT ${USER_COLUMNS} FROM ${U.$table} WHERE ${U.tenantId} = ?1 AND ${U.userNameKey} = ?2`, params: 1 },
  "user-by-id": { sql: `SELECT ${USER_COLUMNS} FROM ${U.$table} WHERE ${U.tenantId} = ?1 AND ${U.id} = ?2`, params: 1 },
  "users-first-page": { sql: `SELECT ${USER_COLUMNS} FROM ${U.$table} WHERE ${U.tenantId} = ?1 ORDER BY ${U.seq} LIMIT ?2`, params: 1 },
  // The last page of a walk reads the last `count` rows: the same rows, reached from the other end.
  "users-last-page": { sql: `SELECT ${USER_COLUMNS} FROM ${U.$table} WHERE ${U.tenantId} = ?1 ORDER BY ${U.seq} DESC LIMIT ?2`, params: 1 },
  // The same pages with what a User response carries besides its row: each user's group ids, from one seek
  // of the member index per user. (Group names come on top, once per distinct group.)
  "users-first-page-groups": { sql: pageWithGroups("ASC"), params: 1 },
  "users-last-page-groups": { sql: pageWithGroups("DESC"), params: 1 },
  "users-count": { sql: `SELECT ${T.userCount} FROM ${T.$table} WHERE ${T.id} = ?1`, params: 0 },
  // folded_data set as the repositories set it: left null, the row would also enter users_folded_pending.
  "user-insert": {
    sql: `INSERT INTO ${U.$table} (${list(U.tenantId, U.id, U.userName, U.userNameKey, U.createdAt, U.updatedAt, U.data, U.foldedData)}) VALUES (?1, ?2, ?3, ?3, ?4, ?4, '{}', '{}')`,
    params: 3,
  },
  "user-update": { sql: `UPDATE ${U.$table} SET ${U.updatedAt} = ?3 WHERE ${U.tenantId} = ?1 AND ${U.id} = ?2`, params: 2 },
  "user-delete": { sql: `DELETE FROM ${U.$table} WHERE ${U.tenantId} = ?1 AND ${U.id} = ?2`, params: 1 },
  "group-by-name": { sql: `SELECT ${GROUP_COLUMNS} FROM ${G.$table} WHERE ${G.tenantId} = ?1 AND ${G.displayNameKey} = ?2`, params: 1 },
  "group-by-id": { sql: `SELECT ${GROUP_COLUMNS} FROM ${G.$table} WHERE ${G.tenantId} = ?1 AND ${G.id} = ?2`, params: 1 },
  "group-insert": {
    sql: `INSERT INTO ${G.$table} (${list(G.tenantId, G.id, G.displayName, G.displayNameKey, G.createdAt, G.updatedAt, G.data, G.foldedData)}) VALUES (?1, ?2, ?3, ?3, ?4, ?4, '{}', '{}')`,
    params: 3,
  },
  "group-update": { sql: `UPDATE ${G.$table} SET ${G.updatedAt} = ?3 WHERE ${G.tenantId} = ?1 AND ${G.id} = ?2`, params: 2 },
  "group-delete": { sql: `DELETE FROM ${G.$table} WHERE ${G.tenantId} = ?1 AND ${G.id} = ?2`, params: 1 },
  "member-insert": {
    sql: `INSERT INTO ${GM.$table} (${list(GM.tenantId, GM.groupId, GM.memberId, GM.memberType)}) VALUES (?1, ?2, ?3, 'User') ON CONFLICT DO NOTHING`,
    params: 2,
  },
  "member-delete": { sql: `DELETE FROM ${GM.$table} WHERE ${GM.tenantId} = ?1 AND ${GM.groupId} = ?2 AND ${GM.memberId} = ?3`, params: 2 },
};

const TWO_STEP_FLOORS: Record<string, TwoStepFloor> = {
  "user-read-update": { params: 2, first: FLOORS["user-by-id"]!, second: { sql: FLOORS["user-update"]!.sql, bind: (params) => params } },
  "group-read-update": { params: 2, first: FLOORS["group-by-id"]!, second: { sql: FLOORS["group-update"]!.sql, bind: (params) => params } },
  "users-first-page-groups-names": { params: 1, first: FLOORS["users-first-page-groups"]!, second: { sql: GROUP_NAMES, bind: (_, rows) => [distinctGroupIds(rows)] } },
  "users-last-page-groups-names": { params: 1, first: FLOORS["users-last-page-groups"]!, second: { sql: GROUP_NAMES, bind: (_, rows) => [distinctGroupIds(rows)] } },
};

export const benchFloor = new Hono<AppEnv>();

benchFloor.post("/_bench/floor/:op", async (c) => {
  const name = c.req.param("op");
  const twoStep = Object.hasOwn(TWO_STEP_FLOORS, name) ? TWO_STEP_FLOORS[name] : undefined;
  const floor = twoStep?.first ?? (Object.hasOwn(FLOORS, name) ? FLOORS[name] : undefined);
  if (floor === undefined) throw notFound(`No floor operation "${name}".`);
  const { params } = await readJsonObject(c.req.raw);
  const values: unknown[] = Array.isArray(params) ? params : [];
  const expected = twoStep?.params ?? floor.params;
  if (values.length !== expected || !values.every((v) => typeof v === "string" || typeof v === "number")) {
    throw badRequest("invalidValue", `"params" must be ${expected} strings or numbers.`);
  }
  // Through the request's metered binding, so Server-Timing reports these statements like any SCIM request's.
  const db = c.var.d1.db;
  const tenant = c.var.auth.tenant.id;
  const first = await db.prepare(floor.sql).bind(tenant, ...values.slice(0, placeholders(floor.sql) - 1)).all<Record<string, unknown>>();
  if (twoStep === undefined) return scimJson({ rows: first.results.length, changes: first.meta.changes ?? 0 });
  const second = await db.prepare(twoStep.second.sql).bind(tenant, ...twoStep.second.bind(values, first.results)).all();
  return scimJson({ rows: first.results.length + second.results.length, changes: second.meta.changes ?? 0 });
});

/** The highest ?N a statement binds (a read that shares a write's params binds fewer of them). */
function placeholders(sql: string): number {
  return Math.max(1, ...[...sql.matchAll(/\?(\d+)/g)].map((m) => Number(m[1])));
}
