// Bench only (`npm run bench`): the "floor" a SCIM request is compared with. Each operation here is the same
// lookup or write a SCIM route performs, done as ONE bare prepared D1 statement in the same runtime, behind
// the same auth and metered the same way (Server-Timing), so the bench can print what a request costs beside
// the least a request of that kind could cost.
//
// These statements skip validation and bookkeeping, so they live only in the bench's own worker entry
// (bench/worker/index.ts), never in the deployed bundle. They are fixed and tenant-scoped (?1 is always the
// caller's tenant id); the caller supplies only the values they bind.
import { Hono } from "hono";
import { readJsonObject } from "../../src/http/body.ts";
import type { AppEnv } from "../../src/http/context.ts";
import { scimJson } from "../../src/http/respond.ts";
import { badRequest, notFound } from "../../src/scim/errors.ts";

const USER_COLUMNS = "seq, id, created_at, updated_at, version, data";
const GROUP_COLUMNS = "seq, id, created_at, updated_at, version, member_count, data";

function pageWithGroups(order: "ASC" | "DESC"): string {
  return `WITH page AS (SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ?1 ORDER BY seq ${order} LIMIT ?2)
    SELECT page.*, (SELECT json_group_array(gm.group_id) FROM group_members AS gm WHERE gm.tenant_id = ?1 AND gm.member_id = page.id) AS group_ids
    FROM page`;
}

/** Each floor: one statement; `?1` = tenant id, `?2`.. = the request's `params` in order. */
const FLOORS: Record<string, { sql: string; params: number }> = {
  "user-by-username": { sql: `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ?1 AND user_name_key = ?2`, params: 1 },
  "user-by-id": { sql: `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ?1 AND id = ?2`, params: 1 },
  "users-first-page": { sql: `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ?1 ORDER BY seq LIMIT ?2`, params: 1 },
  // The last page of a walk reads the last `count` rows: the same rows, reached from the other end.
  "users-last-page": { sql: `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = ?1 ORDER BY seq DESC LIMIT ?2`, params: 1 },
  // The same pages with what a User response carries besides its row: each user's group ids, from one seek
  // of the member index per user. (Group names come on top, once per distinct group.)
  "users-first-page-groups": { sql: pageWithGroups("ASC"), params: 1 },
  "users-last-page-groups": { sql: pageWithGroups("DESC"), params: 1 },
  "users-count": { sql: "SELECT user_count FROM tenants WHERE id = ?1", params: 0 },
  // folded_data set as the repositories set it: left null, the row would also enter users_folded_pending.
  "user-insert": {
    sql: "INSERT INTO users (tenant_id, id, user_name, user_name_key, created_at, updated_at, data, folded_data) VALUES (?1, ?2, ?3, ?3, ?4, ?4, '{}', '{}')",
    params: 3,
  },
  "user-update": { sql: "UPDATE users SET updated_at = ?3 WHERE tenant_id = ?1 AND id = ?2", params: 2 },
  "user-delete": { sql: "DELETE FROM users WHERE tenant_id = ?1 AND id = ?2", params: 1 },
  "group-by-name": { sql: `SELECT ${GROUP_COLUMNS} FROM groups WHERE tenant_id = ?1 AND display_name_key = ?2`, params: 1 },
  "group-by-id": { sql: `SELECT ${GROUP_COLUMNS} FROM groups WHERE tenant_id = ?1 AND id = ?2`, params: 1 },
  "group-insert": {
    sql: "INSERT INTO groups (tenant_id, id, display_name, display_name_key, created_at, updated_at, data, folded_data) VALUES (?1, ?2, ?3, ?3, ?4, ?4, '{}', '{}')",
    params: 3,
  },
  "group-update": { sql: "UPDATE groups SET updated_at = ?3 WHERE tenant_id = ?1 AND id = ?2", params: 2 },
  "group-delete": { sql: "DELETE FROM groups WHERE tenant_id = ?1 AND id = ?2", params: 1 },
  "member-insert": {
    sql: "INSERT INTO group_members (tenant_id, group_id, member_id, member_type) VALUES (?1, ?2, ?3, 'User') ON CONFLICT DO NOTHING",
    params: 2,
  },
  "member-delete": { sql: "DELETE FROM group_members WHERE tenant_id = ?1 AND group_id = ?2 AND member_id = ?3", params: 2 },
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
