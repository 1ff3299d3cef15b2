// Seeds a bench tenant straight into local D1 with set-based SQL: a recursive CTE generates each chunk of
// users, their emails and their big-group memberships in one batch, so a million users take seconds, not
// a million API calls. The statements run through wrangler's getPlatformProxy (workerd's own D1, bound
// parameters) while no server is running on the same state: measured here, a 100,000-row chunk takes about
// 0.7 s this way, against about 2.5 s through `wrangler d1 execute --file`, of which 2 s are wrangler's own
// start-up, paid again for every chunk that the progress bar needs.
// Columns the schema fills by trigger for writers other than the repositories (list ordinals, folded
// display names) are left to those triggers, so the seeded rows are what any other writer would leave.
// Table and column names come from the drizzle schema through src/storage/names.ts.
// folded_data (migration 0005) has no trigger, only a backfill from the Cron run, which would rewrite the
// seeded rows while the bench measures: it is written here as the repositories write it.
import type { D1Database, D1PreparedStatement } from "@cloudflare/workers-types/index.ts";
import { getPlatformProxy } from "wrangler";
import { join } from "node:path";
import { REPO_ROOT, wranglerEnv } from "../tools/wrangler.ts";
import {
  BIG_GROUP,
  SMALL_GROUPS,
  bigGroupSize,
  groupId,
  groupName,
  smallGroupRange,
  sqlGroupId,
  sqlUserId,
  sqlUserName,
} from "./ids.ts";
import { progressBar } from "./progress.ts";
import { GROUP_MEMBERS as GM, GROUPS as G, sqlNames, TENANTS as T, USERS as U } from "../src/storage/names.ts";
import { userEmails } from "../src/storage/schema.ts";

const E = sqlNames(userEmails);
const list = (...names: string[]) => names.join(", ");

const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const SEEDED_AT = "2026-01-01T00:00:00.000Z";

export interface LocalBindings {
  db: D1Database;
  dispose(): Promise<void>;
}

/** The local D1 of `persistTo` (wrangler's `--persist-to` layout keeps it under v3/). */
export async function openLocalBindings(persistTo: string): Promise<LocalBindings> {
  // The proxy runs inside this process: the same no-telemetry, no Request.cf download defaults as the CLI's children.
  for (const [name, value] of Object.entries(wranglerEnv())) process.env[name] ??= value;
  const proxy = await getPlatformProxy<{ DB: D1Database }>({
    configPath: join(REPO_ROOT, "wrangler.toml"),
    persist: { path: join(persistTo, "v3") },
    remoteBindings: false,
    envFiles: [],
  });
  return { db: proxy.env.DB, dispose: () => proxy.dispose() };
}

/** Users per batch: small enough for a progress bar with ~20 steps, large enough that a batch is cheap. */
function chunkSize(users: number): number {
  return Math.max(5_000, Math.min(50_000, Math.ceil(users / 20)));
}

/**
 * Users from..to (ordinals), Okta-shaped: core + enterprise schema, name, displayName, one work email.
 * userName is already lower-case ASCII, so it is its own fold key. folded_data is `data` with the strings of
 * case-insensitive attributes folded (src/scim/folded-document.ts): every string here but externalId, and for
 * these ASCII values lower() is the fold.
 */
function insertUsers(db: D1Database, tenantId: number, from: number, to: number): D1PreparedStatement {
  const name = sqlUserName("i");
  const values = `?1, ${sqlUserId("i")}, ${name}, ${name}, printf('00u%07d', i), printf('Bench User %07d', i), 1, ?4, ?4, 1,
         json_object(
           'schemas', json_array('${CORE_USER}', '${ENTERPRISE_USER}'),
           'userName', ${name}, 'externalId', printf('00u%07d', i),
           'name', json_object('givenName', 'Bench', 'familyName', printf('User %07d', i)),
           'displayName', printf('Bench User %07d', i),
           'emails', json_array(json_object('value', ${name}, 'type', 'work', 'primary', json('true'))),
           'active', json('true'),
           '${ENTERPRISE_USER}', json_object('department', printf('Dept %02d', i % 40), 'employeeNumber', printf('%07d', i))),
         json_object(
           'schemas', json_array(lower('${CORE_USER}'), lower('${ENTERPRISE_USER}')),
           'userName', ${name}, 'externalId', printf('00u%07d', i),
           'name', json_object('givenName', 'bench', 'familyName', printf('user %07d', i)),
           'displayName', printf('bench user %07d', i),
           'emails', json_array(json_object('value', ${name}, 'type', 'work', 'primary', json('true'))),
           'active', json('true'),
           '${ENTERPRISE_USER}', json_object('department', printf('dept %02d', i % 40), 'employeeNumber', printf('%07d', i)))`;
  const columns = list(U.tenantId, U.id, U.userName, U.userNameKey, U.externalId, U.displayName, U.active, U.createdAt, U.updatedAt, U.version, U.data, U.foldedData);
  return db
    .prepare(
      `WITH RECURSIVE n(i) AS (SELECT ?2 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
       INSERT INTO ${U.$table} (${columns})
       SELECT ${values}
       FROM n`,
    )
    .bind(tenantId, from, to, SEEDED_AT);
}

/** The emails of the users just inserted: every user of the tenant past the last one that has its email row. */
function insertEmails(db: D1Database, tenantId: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ${E.$table} (${list(E.tenantId, E.userSeq, E.valueKey, E.type, E.primary)})
       SELECT ${list(U.tenantId, U.seq, U.userNameKey)}, 'work', 1 FROM ${U.$table}
       WHERE ${U.tenantId} = ?1 AND ${U.seq} > (SELECT coalesce(max(${E.userSeq}), 0) FROM ${E.$table} WHERE ${E.tenantId} = ?1)`,
    )
    .bind(tenantId);
}

/** Memberships of users from..to in group g, computed from the ordinals (no read of users). */
function insertMembers(db: D1Database, tenantId: number, g: number, from: number, to: number): D1PreparedStatement {
  return db
    .prepare(
      `WITH RECURSIVE n(i) AS (SELECT ?3 UNION ALL SELECT i + 1 FROM n WHERE i < ?4)
       INSERT INTO ${GM.$table} (${list(GM.tenantId, GM.groupId, GM.memberId, GM.memberType)})
       SELECT ?1, ?2, ${sqlUserId("i")}, 'User' FROM n`,
    )
    .bind(tenantId, groupId(g), from, to);
}

function insertGroups(db: D1Database, tenantId: number, users: number): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  for (let g = BIG_GROUP; g <= SMALL_GROUPS; g++) {
    const [from, to] = g === BIG_GROUP ? [1, bigGroupSize(users)] : smallGroupRange(g, users);
    const data = JSON.stringify({ schemas: [CORE_GROUP], displayName: groupName(g), externalId: `00g${String(g).padStart(7, "0")}` });
    // As users' folded_data: displayName and schemas folded (ASCII: lower-cased), externalId case-exact.
    const folded = JSON.stringify({ schemas: [CORE_GROUP.toLowerCase()], displayName: groupName(g).toLowerCase(), externalId: `00g${String(g).padStart(7, "0")}` });
    statements.push(
      db
        .prepare(
          `INSERT INTO ${G.$table} (${list(G.tenantId, G.id, G.displayName, G.displayNameKey, G.externalId, G.createdAt, G.updatedAt, G.version, G.memberCount, G.data, G.foldedData)})
           VALUES (?1, ?2, ?3, lower(?3), ?4, ?5, ?5, 1, ?6, ?7, ?8)`,
        )
        .bind(tenantId, groupId(g), groupName(g), `00g${String(g).padStart(7, "0")}`, SEEDED_AT, Math.max(0, to - from + 1), data, folded),
    );
  }
  return statements;
}

/** Whether the tenant has any user: an unmarked tenant with users was seeded part-way by an interrupted run. */
export async function hasUsers(db: D1Database, tenantId: number): Promise<boolean> {
  const statement = `SELECT 1 AS found FROM ${U.$table} WHERE ${U.tenantId} = ?1 LIMIT 1`;
  return (await db.prepare(statement).bind(tenantId).first()) !== null;
}

export interface SeedResult {
  users: number;
  groups: number;
  bigGroupMembers: number;
  seconds: number;
  rowsWritten: number;
}

/** Seeds `users` users, the big group and the small groups into an empty tenant, with a progress bar. */
export async function seedTenant(db: D1Database, tenantId: number, slug: string, users: number): Promise<SeedResult> {
  const started = Date.now();
  let rowsWritten = 0;
  const count = (results: { meta: { rows_written?: number } }[]) => {
    for (const result of results) rowsWritten += result.meta.rows_written ?? 0;
  };
  const bar = progressBar(`seeding ${slug}`, users, "users");
  bar.update(0);
  const big = bigGroupSize(users);
  const step = chunkSize(users);
  for (let from = 1; from <= users; from += step) {
    const to = Math.min(users, from + step - 1);
    const batch = [insertUsers(db, tenantId, from, to), insertEmails(db, tenantId)];
    if (from <= big) batch.push(insertMembers(db, tenantId, BIG_GROUP, from, Math.min(to, big)));
    count(await db.batch(batch));
    bar.update(to);
  }
  const small: D1PreparedStatement[] = [];
  for (let g = 1; g <= SMALL_GROUPS; g++) {
    const [from, to] = smallGroupRange(g, users);
    if (from <= to) small.push(insertMembers(db, tenantId, g, from, to));
  }
  count(
    await db.batch([
      ...insertGroups(db, tenantId, users),
      ...small,
      db.prepare(`UPDATE ${T.$table} SET ${T.userCount} = ?2, ${T.groupCount} = ?3 WHERE ${T.id} = ?1`).bind(tenantId, users, SMALL_GROUPS + 1),
    ]),
  );
  const seconds = (Date.now() - started) / 1000;
  bar.finish(`(${SMALL_GROUPS + 1} groups, ${big.toLocaleString("en-US")} in "${groupName(BIG_GROUP)}")`);
  return { users, groups: SMALL_GROUPS + 1, bigGroupMembers: big, seconds, rowsWritten };
}
