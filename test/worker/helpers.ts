// Test helpers: issue real keys into the real KV binding (as `npm run keys -- create` does) and call the worker as a client would.
import { env, exports } from "cloudflare:workers";
import { newKeyRecord, type KeyRecord } from "../../src/keys/token.ts";
import { storeKeyRecord } from "../support/worker/keys.ts";
import { createTenant } from "../support/worker/tenants.ts";

export const BASE = "http://localhost:8787";

export interface IssuedKey {
  token: string;
  record: KeyRecord;
}

export async function issueKey(
  tenant: string,
  options: {
    label?: string;
    organization?: string | null;
    expiresInDays?: number | null;
    tenantOrganization?: string | null;
    scope?: "scim" | "app";
  } = {},
): Promise<IssuedKey> {
  await createTenant(tenant, options.tenantOrganization ?? null);
  const issued = await newKeyRecord({
    tenant,
    label: options.label ?? "test",
    organization: options.organization ?? null,
    expiresInDays: options.expiresInDays ?? null,
    scope: options.scope ?? "scim",
  });
  await storeKeyRecord(issued.record);
  return issued;
}

export function call(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${init.token}`);
  if (init.body !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", "application/scim+json");
  return exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers }));
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export async function expectScimError(response: Response, status: number, scimType?: string): Promise<Record<string, unknown>> {
  const { expect } = await import("vitest");
  expect(response.status).toBe(status);
  expect(response.headers.get("Content-Type")).toBe("application/scim+json; charset=utf-8");
  const body = await json(response);
  expect(body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
  expect(body.status).toBe(String(status));
  if (scimType !== undefined) expect(body.scimType).toBe(scimType);
  expect(typeof body.detail).toBe("string");
  return body;
}

export interface Cost {
  rowsRead: number;
  rowsWritten: number;
  queries: number;
}

export function costOf(res: Response): Cost {
  const header = res.headers.get("Server-Timing") ?? "";
  const match = /rows_read=(\d+) rows_written=(\d+) queries=(\d+)/.exec(header);
  if (!match) throw new Error(`no D1 cost in Server-Timing: "${header}"`);
  return { rowsRead: Number(match[1]), rowsWritten: Number(match[2]), queries: Number(match[3]) };
}

export const bulkId = (i: number) => `bulk-${String(i).padStart(6, "0")}`;

/**
 * Seeds `count` users (bulk-NNNNNN@example.com, one email each) with set-based statements, bypassing the API.
 * Each row gets its list ordinal, folded display name and folded document in the INSERT itself, as the
 * repository writes them; `ordinals: "trigger"` leaves them out so the migration's insert triggers assign the
 * first two, as they do for any other writer (scripts, the bench), at three statements per row instead of one,
 * and folded_data stays null until the scheduled backfill writes it.
 */
export async function seedUsers(tenantId: number, from: number, count: number, options: { ordinals?: "insert" | "trigger" } = {}): Promise<void> {
  const now = new Date().toISOString();
  const byTrigger = options.ordinals === "trigger";
  const ordinalColumns = byTrigger ? "" : ", ordinal, display_name_key, folded_data";
  // Ordinals continue after the tenant's counter; lower() is the full fold for these ASCII values. The folded
  // document is `data` with the case-insensitive strings lowered (src/scim/folded-document.ts): all but
  // externalId (caseExact); the invariants check it is exactly foldedDocument(data).
  const ordinalValues = byTrigger
    ? ""
    : `, (SELECT user_ordinal_next FROM tenants WHERE id = ?3) + i - ?1, lower(printf('Bulk User %06d', i)),
       json_object('schemas', json_array('urn:ietf:params:scim:schemas:core:2.0:user'),
         'userName', printf('bulk-%06d@example.com', i), 'externalId', printf('ext-%06d', i),
         'displayName', lower(printf('Bulk User %06d', i)),
         'emails', json_array(json_object('value', printf('bulk-%06d@example.com', i), 'type', 'work', 'primary', json('true'))),
         'active', json('true'))`;
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 + ?2 - 1)
     INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, display_name, created_at, updated_at, version, data${ordinalColumns})
     SELECT ?3, printf('bulk-%06d', i), printf('bulk-%06d@example.com', i), printf('bulk-%06d@example.com', i),
       printf('ext-%06d', i), printf('Bulk User %06d', i), ?4, ?4, 1,
       json_object('schemas', json_array('urn:ietf:params:scim:schemas:core:2.0:User'),
         'userName', printf('bulk-%06d@example.com', i), 'externalId', printf('ext-%06d', i),
         'displayName', printf('Bulk User %06d', i),
         'emails', json_array(json_object('value', printf('bulk-%06d@example.com', i), 'type', 'work', 'primary', json('true'))),
         'active', json('true'))${ordinalValues}
     FROM n`,
  )
    .bind(from, count, tenantId, now)
    .run();
  await env.DB.prepare(
    `INSERT INTO user_emails (tenant_id, user_seq, value_key, type, is_primary)
     SELECT tenant_id, seq, user_name_key, 'work', 1 FROM users
     WHERE tenant_id = ?1 AND id BETWEEN printf('bulk-%06d', ?2) AND printf('bulk-%06d', ?2 + ?3 - 1)`,
  )
    .bind(tenantId, from, count)
    .run();
  const advanceOrdinals = byTrigger ? "" : ", user_ordinal_next = user_ordinal_next + ?1";
  await env.DB.prepare(`UPDATE tenants SET user_count = user_count + ?1${advanceOrdinals} WHERE id = ?2`).bind(count, tenantId).run();
}


/** The event origin of a storage call made directly by a test (as if by a scim key with this id). */
export function testOrigin(tenant: string, keyId = "testkeytestkeyaa"): import("../../src/events/types.ts").EventOrigin {
  return {
    tenant,
    requestId: crypto.randomUUID(),
    actor: { keyId, scope: "scim", userAgent: "vitest" },
    baseUrl: `${BASE}/t/${tenant}/scim/v2`,
  };
}

export interface FeedEvent {
  id: string;
  type: string;
  occurredAt: string;
  tenant: string;
  resourceType: "User" | "Group";
  resourceId: string;
  externalId: string | null;
  version: string;
  changed?: string[];
  data: Record<string, unknown> & { id: string; meta: { version: string } };
  members?: { value: string; type: "User" | "Group" }[];
  groups?: string[];
  requestId: string;
  actor: { keyId: string; scope: "scim" | "app"; userAgent: string | null };
}

export interface FeedPage {
  data: FeedEvent[];
  nextCursor: string;
  hasMore: boolean;
}

/** One page of GET /v1/events with an app key. */
export async function feedPage(token: string, query = ""): Promise<FeedPage> {
  const res = await call(`/v1/events${query}`, { token });
  if (res.status !== 200) throw new Error(`GET /v1/events${query}: ${res.status} ${await res.text()}`);
  return json<FeedPage>(res);
}

/** Every event after `cursor` (from the oldest retained without one), following nextCursor to the end. */
export async function readFeed(token: string, cursor?: string): Promise<{ events: FeedEvent[]; cursor: string }> {
  const events: FeedEvent[] = [];
  let after = cursor;
  for (;;) {
    const page = await feedPage(token, `?limit=1000${after !== undefined ? `&after=${after}` : ""}`);
    events.push(...page.data);
    after = page.nextCursor;
    if (!page.hasMore) return { events, cursor: after };
  }
}

/** The head cursor (GET /v1/events?limit=0). */
export async function headCursor(token: string): Promise<string> {
  return (await feedPage(token, "?limit=0")).nextCursor;
}
