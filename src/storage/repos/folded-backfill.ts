// Backfills folded_data (migration 0005) for rows written before it existed or by raw SQL (seeding scripts,
// an operator's INSERT), in bounded batches from the Cron Trigger. Until a row has it, filters compare that
// row with SQLite's ASCII lower() (storage/filter/compile.ts), so the backfill only adds the Unicode matches.
// Global, not per tenant, like the event prune: it walks the *_folded_pending partial indexes, which hold
// exactly the rows still to do, so what one batch reads is a constant few rows per row it handles (measured:
// 500 for 100), however large the tables are.
import { sql } from "drizzle-orm";
import { foldKey } from "../../scim/fold.ts";
import { foldedDocument } from "../../scim/folded-document.ts";
import { GROUP_RESOURCE, USER_RESOURCE, type ResourceSchemas } from "../../scim/schema/registry.ts";
import type { Db } from "../d1/db.ts";

/** Rows one backfill batch handles at most, and batches (per table) one scheduled run makes at most. */
export const BACKFILL_BATCH_SIZE = 100;
export const BACKFILL_BATCHES_PER_RUN = 10;

interface PendingRow {
  seq: number;
  tenantId: number;
  version: number;
  data: string;
  displayName: string | null;
}

/**
 * One batch for one table: reads up to `batchSize` rows without folded_data after seq `after`, writes theirs
 * in one statement (users with email types to fold: two), and returns how many it read and the last seq (the next batch starts after it, so a row
 * whose data cannot be parsed is skipped, not read again by every batch of the run). Users also get their
 * display_name_key re-folded (migration 0001 and the users_fold_display_name trigger wrote it with lower()),
 * and their user_emails.type folded as the repository writes it since 0005.
 * The write requires the version read and folded_data still null, so a concurrent API write (which sets both
 * itself) is never overwritten with a fold of older data.
 */
export async function backfillFoldedBatch(
  db: Db,
  table: "users" | "groups",
  after: number,
  batchSize: number,
): Promise<{ read: number; written: number; last: number }> {
  const resource: ResourceSchemas = table === "users" ? USER_RESOURCE : GROUP_RESOURCE;
  const displayName = table === "users" ? sql`display_name` : sql`NULL`;
  const rows = await db.all<PendingRow>(sql`
    SELECT seq, tenant_id AS tenantId, version, data, ${displayName} AS displayName FROM ${sql.identifier(table)}
    WHERE folded_data IS NULL AND seq > ${after} ORDER BY seq LIMIT ${batchSize}`);
  const entries: [number, number, string, string | null][] = [];
  const owners: [number, number][] = [];
  const typeFolds = new Map<string, string>();
  for (const row of rows) {
    const data = parseObject(row.data);
    if (data === null) {
      console.log(JSON.stringify({ job: "backfill-folded-data", table, seq: row.seq, skipped: "data is not a JSON object" }));
      continue;
    }
    entries.push([row.seq, row.version, JSON.stringify(foldedDocument(data, resource)), row.displayName === null ? null : foldKey(row.displayName)]);
    if (table !== "users") continue;
    const emailTypes = emailTypesToFold(data);
    for (const type of emailTypes) typeFolds.set(type, foldKey(type));
    if (emailTypes.length > 0) owners.push([row.tenantId, row.seq]);
  }
  const last = rows.at(-1)?.seq ?? after;
  if (entries.length === 0) return { read: rows.length, written: 0, last };
  if (owners.length > 0) {
    // First, so that a user is marked done only once its emails are: folding is idempotent, so emails of a user
    // written meanwhile (already folded), or folded here by a run whose user update then did not apply, are fine.
    const types = JSON.stringify([...typeFolds]);
    await db.run(sql`
      UPDATE user_emails SET type = (SELECT json_extract(m.value, '$[1]') FROM json_each(${types}) AS m WHERE json_extract(m.value, '$[0]') = user_emails.type)
      WHERE (tenant_id, user_seq) IN (SELECT json_extract(o.value, '$[0]'), json_extract(o.value, '$[1]') FROM json_each(${JSON.stringify(owners)}) AS o)
        AND type IN (SELECT json_extract(m.value, '$[0]') FROM json_each(${types}) AS m)`);
  }
  // One statement for the batch: the rows' new values travel as one JSON array, looked up by seq (the rowid).
  const displayNameKey = table === "users" ? sql`, display_name_key = coalesce(json_extract(b.value, '$[3]'), display_name_key)` : sql``;
  const result = await db.run(sql`
    UPDATE ${sql.identifier(table)} SET folded_data = json_extract(b.value, '$[2]')${displayNameKey}
    FROM json_each(${JSON.stringify(entries)}) AS b
    WHERE ${sql.identifier(table)}.seq = json_extract(b.value, '$[0]')
      AND ${sql.identifier(table)}.version = json_extract(b.value, '$[1]')
      AND ${sql.identifier(table)}.folded_data IS NULL`);
  return { read: rows.length, written: result.meta.changes ?? 0, last };
}

/** One scheduled run: at most BACKFILL_BATCHES_PER_RUN batches per table; returns the rows written per table. */
export async function backfillFoldedData(db: Db, batchSize = BACKFILL_BATCH_SIZE): Promise<{ users: number; groups: number }> {
  const done = { users: 0, groups: 0 };
  for (const table of ["users", "groups"] as const) {
    let after = 0;
    for (let batch = 0; batch < BACKFILL_BATCHES_PER_RUN; batch++) {
      const { read, written, last } = await backfillFoldedBatch(db, table, after, batchSize);
      done[table] += written;
      after = last;
      // Fewer than a full batch: no row of this table is left to do.
      if (read < batchSize) break;
    }
  }
  return done;
}

/** The email types of a stored user that are not their own fold (what rows written before 0005 hold). */
function emailTypesToFold(data: Record<string, unknown>): string[] {
  if (!Array.isArray(data.emails)) return [];
  const types: string[] = [];
  for (const email of data.emails) {
    const type: unknown = typeof email === "object" && email !== null ? (email as Record<string, unknown>).type : undefined;
    if (typeof type === "string" && foldKey(type) !== type) types.push(type);
  }
  return types;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
