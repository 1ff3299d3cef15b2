// What must hold of the stored state after ANY sequence of requests, read straight from D1 (no API in between):
// the hostile, isolation and secrets tests run it after every batch of generated requests.
import { env } from "cloudflare:workers";
import { foldKey } from "../../src/scim/fold.ts";
import { foldedDocument } from "../../src/scim/folded-document.ts";
import { GROUP_RESOURCE, USER_RESOURCE, type ResourceSchemas } from "../../src/scim/schema/registry.ts";

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";

interface TenantRow {
  id: number;
  slug: string;
  user_count: number;
  group_count: number;
}
interface UserRow {
  seq: number;
  tenant_id: number;
  id: string;
  user_name: string;
  user_name_key: string;
  external_id: string | null;
  display_name: string | null;
  active: number;
  version: number;
  password_hash: string | null;
  data: string;
  folded_data: string | null;
}
interface EmailRow {
  tenant_id: number;
  user_seq: number;
  value_key: string;
  type: string | null;
  is_primary: number | null;
}
interface GroupRow {
  seq: number;
  tenant_id: number;
  id: string;
  display_name: string;
  display_name_key: string;
  external_id: string | null;
  version: number;
  member_count: number;
  data: string;
  folded_data: string | null;
}
interface MemberRow {
  tenant_id: number;
  group_id: string;
  member_id: string;
  member_type: string;
}

async function rows<T>(table: string, tenantColumn: string, tenantIds: number[] | undefined): Promise<T[]> {
  if (tenantIds === undefined) return (await env.DB.prepare(`SELECT * FROM ${table}`).all<T>()).results;
  return (
    await env.DB.prepare(`SELECT * FROM ${table} WHERE ${tenantColumn} IN (SELECT value FROM json_each(?))`)
      .bind(JSON.stringify(tenantIds))
      .all<T>()
  ).results;
}

function parseData(text: string, where: string, violations: string[]): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    violations.push(`${where}: data is not a JSON object`);
  } catch {
    violations.push(`${where}: data is not JSON`);
  }
  return null;
}

/** folded_data is what filters read in place of data: it must be data folded, or null (not yet backfilled). */
function checkFolded(row: { data: string; folded_data: string | null }, data: Record<string, unknown>, resource: ResourceSchemas, where: string, violations: string[]): void {
  if (row.folded_data === null) return;
  // Members in the order data has them, as every writer writes them.
  if (JSON.stringify(JSON.parse(row.folded_data)) !== JSON.stringify(foldedDocument(data, resource))) {
    violations.push(`${where}: folded_data ${row.folded_data} is not the folded document of ${row.data}`);
  }
}

/** Top-level keys the stored JSON never holds: the server adds id/meta, hashes password, keeps members in rows. */
function forbiddenKeys(data: Record<string, unknown>, core: string, forbidden: string[]): string[] {
  return Object.keys(data).filter((key) => {
    const lower = key.toLowerCase();
    const name = lower.startsWith(`${core.toLowerCase()}:`) ? lower.slice(core.length + 1) : lower;
    return forbidden.includes(name);
  });
}

const sameMultiset = (a: string[], b: string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

/**
 * Every violation of the storage invariants, as readable lines (empty when all hold), for the given tenants
 * (by tenants.id) or for all of them:
 * - userName and group displayName keys are foldKey() of the name and unique per tenant;
 * - users' indexed columns (user_name, external_id, display_name, active) equal their `data` JSON, and
 *   user_emails holds exactly the folded emails of `data`, each row pointing at an existing user;
 * - groups' display_name/external_id equal their `data`; `data` never holds members, id, meta or password;
 * - every group_members row names an existing group and an existing member of its member_type, in the same
 *   tenant; no group contains itself, directly or through nested groups;
 * - tenants.user_count/group_count equal the row counts, groups.member_count equals the membership rows.
 */
export async function checkInvariants(tenantIds?: number[]): Promise<string[]> {
  const violations: string[] = [];
  const tenants = tenantIds === undefined
    ? (await env.DB.prepare("SELECT * FROM tenants").all<TenantRow>()).results
    : await rows<TenantRow>("tenants", "id", tenantIds);
  const users = await rows<UserRow>("users", "tenant_id", tenantIds);
  const emails = await rows<EmailRow>("user_emails", "tenant_id", tenantIds);
  const groups = await rows<GroupRow>("groups", "tenant_id", tenantIds);
  const members = await rows<MemberRow>("group_members", "tenant_id", tenantIds);

  const userKey = (tenant: number, id: string) => `${tenant}\u0000${id}`;
  const usersById = new Map(users.map((u) => [userKey(u.tenant_id, u.id), u]));
  const usersBySeq = new Map(users.map((u) => [u.seq, u]));
  const groupsById = new Map(groups.map((g) => [userKey(g.tenant_id, g.id), g]));

  // --- users ---
  const userNameKeys = new Map<string, string>();
  const emailsBySeq = new Map<number, EmailRow[]>();
  for (const e of emails) {
    const owner = usersBySeq.get(e.user_seq);
    if (!owner || owner.tenant_id !== e.tenant_id) {
      violations.push(`user_emails row "${e.value_key}" (tenant ${e.tenant_id}) points at user seq ${e.user_seq}, which is not a user of that tenant`);
      continue;
    }
    let list = emailsBySeq.get(e.user_seq);
    if (!list) emailsBySeq.set(e.user_seq, (list = []));
    list.push(e);
  }
  for (const u of users) {
    const where = `user ${u.id} (tenant ${u.tenant_id})`;
    if (u.user_name_key !== foldKey(u.user_name)) violations.push(`${where}: user_name_key ${JSON.stringify(u.user_name_key)} is not foldKey(${JSON.stringify(u.user_name)})`);
    const unique = userKey(u.tenant_id, foldKey(u.user_name));
    const clash = userNameKeys.get(unique);
    if (clash !== undefined) violations.push(`${where}: userName ${JSON.stringify(u.user_name)} collides with user ${clash}`);
    userNameKeys.set(unique, u.id);
    const data = parseData(u.data, where, violations);
    if (!data) continue;
    checkFolded(u, data, USER_RESOURCE, where, violations);
    if (data.userName !== u.user_name) violations.push(`${where}: user_name column ${JSON.stringify(u.user_name)} != data.userName ${JSON.stringify(data.userName)}`);
    const externalId = typeof data.externalId === "string" ? data.externalId : null;
    if (externalId !== u.external_id) violations.push(`${where}: external_id column ${JSON.stringify(u.external_id)} != data.externalId ${JSON.stringify(data.externalId)}`);
    const displayName = typeof data.displayName === "string" ? data.displayName : null;
    if (displayName !== u.display_name) violations.push(`${where}: display_name column ${JSON.stringify(u.display_name)} != data.displayName ${JSON.stringify(data.displayName)}`);
    if (Boolean(u.active) !== (data.active !== false)) violations.push(`${where}: active column ${u.active} != data.active ${JSON.stringify(data.active)}`);
    if (!Array.isArray(data.schemas) || !data.schemas.includes(USER_SCHEMA)) violations.push(`${where}: data.schemas lacks the core schema`);
    for (const key of forbiddenKeys(data, USER_SCHEMA, ["id", "meta", "password", "groups"])) violations.push(`${where}: data holds "${key}"`);
    if (u.password_hash !== null && !u.password_hash.startsWith("pbkdf2-sha256-peppered$")) violations.push(`${where}: password_hash is not a peppered pbkdf2-sha256 hash`);
    // Types are folded since migration 0005; a row not yet backfilled (folded_data null) may hold them as sent.
    const expectedEmails = (foldType: boolean) =>
      (Array.isArray(data.emails) ? data.emails : []).flatMap((e: unknown) => {
        if (typeof e !== "object" || e === null) return [];
        const { value, type, primary } = e as Record<string, unknown>;
        if (typeof value !== "string") return [];
        const storedType = typeof type === "string" ? (foldType ? foldKey(type) : type) : null;
        return [JSON.stringify([foldKey(value), storedType, typeof primary === "boolean" ? primary : null])];
      });
    const expected = expectedEmails(true);
    const stored = (emailsBySeq.get(u.seq) ?? []).map((e) => JSON.stringify([e.value_key, e.type, e.is_primary === null ? null : Boolean(e.is_primary)]));
    const legacy = u.folded_data === null && sameMultiset(expectedEmails(false), stored);
    if (!sameMultiset(expected, stored) && !legacy) violations.push(`${where}: user_emails ${JSON.stringify(stored)} != emails in data ${JSON.stringify(expected)}`);
  }

  // --- groups ---
  const displayNameKeys = new Map<string, string>();
  const memberCounts = new Map<string, number>();
  for (const m of members) {
    const where = `group_members (tenant ${m.tenant_id}, group ${m.group_id}, member ${m.member_id})`;
    const group = groupsById.get(userKey(m.tenant_id, m.group_id));
    if (!group) violations.push(`${where}: the group does not exist in that tenant`);
    const key = userKey(m.tenant_id, m.group_id);
    memberCounts.set(key, (memberCounts.get(key) ?? 0) + 1);
    if (m.member_type === "User") {
      if (!usersById.has(userKey(m.tenant_id, m.member_id))) violations.push(`${where}: no such User in that tenant`);
    } else if (m.member_type === "Group") {
      if (!groupsById.has(userKey(m.tenant_id, m.member_id))) violations.push(`${where}: no such Group in that tenant`);
    } else {
      violations.push(`${where}: member_type ${JSON.stringify(m.member_type)} is neither User nor Group`);
    }
  }
  for (const g of groups) {
    const where = `group ${g.id} (tenant ${g.tenant_id})`;
    if (g.display_name_key !== foldKey(g.display_name)) violations.push(`${where}: display_name_key ${JSON.stringify(g.display_name_key)} is not foldKey(${JSON.stringify(g.display_name)})`);
    const unique = userKey(g.tenant_id, foldKey(g.display_name));
    const clash = displayNameKeys.get(unique);
    if (clash !== undefined) violations.push(`${where}: displayName ${JSON.stringify(g.display_name)} collides with group ${clash}`);
    displayNameKeys.set(unique, g.id);
    const counted = memberCounts.get(userKey(g.tenant_id, g.id)) ?? 0;
    if (g.member_count !== counted) violations.push(`${where}: member_count ${g.member_count} != ${counted} membership rows`);
    const data = parseData(g.data, where, violations);
    if (!data) continue;
    checkFolded(g, data, GROUP_RESOURCE, where, violations);
    if (data.displayName !== g.display_name) violations.push(`${where}: display_name column ${JSON.stringify(g.display_name)} != data.displayName ${JSON.stringify(data.displayName)}`);
    const externalId = typeof data.externalId === "string" ? data.externalId : null;
    if (externalId !== g.external_id) violations.push(`${where}: external_id column ${JSON.stringify(g.external_id)} != data.externalId ${JSON.stringify(data.externalId)}`);
    if (!Array.isArray(data.schemas) || !data.schemas.includes(GROUP_SCHEMA)) violations.push(`${where}: data.schemas lacks the core schema`);
    for (const key of forbiddenKeys(data, GROUP_SCHEMA, ["id", "meta", "members", "password"])) violations.push(`${where}: data holds "${key}"`);
  }
  // Nested groups form a hierarchy: walking up from any group never comes back to it.
  const parents = new Map<string, string[]>();
  for (const m of members) {
    if (m.member_type !== "Group") continue;
    const child = userKey(m.tenant_id, m.member_id);
    let list = parents.get(child);
    if (!list) parents.set(child, (list = []));
    list.push(userKey(m.tenant_id, m.group_id));
  }
  for (const start of parents.keys()) {
    const seen = new Set<string>();
    const queue = [...(parents.get(start) ?? [])];
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
      if (next === start) {
        violations.push(`group ${start.split("\u0000")[1]} (tenant ${start.split("\u0000")[0]}) contains itself through nested groups`);
        break;
      }
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(parents.get(next) ?? []));
    }
  }

  // --- tenant counters ---
  for (const t of tenants) {
    const userRows = users.filter((u) => u.tenant_id === t.id).length;
    const groupRows = groups.filter((g) => g.tenant_id === t.id).length;
    if (t.user_count !== userRows) violations.push(`tenant ${t.slug}: user_count ${t.user_count} != ${userRows} user rows`);
    if (t.group_count !== groupRows) violations.push(`tenant ${t.slug}: group_count ${t.group_count} != ${groupRows} group rows`);
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------------------
// What every response must look like, whatever the request was.

export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
/** RFC 7644 §3.12 scimType keywords (and RFC 9865's invalidCursor/expiredCursor/invalidCount) are camelCase words. */
const SCIM_TYPE = /^[a-z][A-Za-z]{2,30}$/;

export interface CheckedResponse {
  status: number;
  /** The parsed JSON body, or undefined when there is none (204, 304, HEAD). */
  body: Record<string, unknown> | undefined;
  /** Everything wrong with the response; empty when it is well-formed. */
  problems: string[];
}

/**
 * Reads `res` and lists what breaks the HTTP contract: a 5xx; an error that is not RFC 7644 §3.12 JSON
 * (schemas [Error], string status equal to the HTTP status, a detail, application/scim+json); a success body
 * that does not parse; a missing X-Request-Id; 401 without WWW-Authenticate; 405 without Allow.
 */
export async function checkResponse(res: Response, method: string): Promise<CheckedResponse> {
  const problems: string[] = [];
  const status = res.status;
  const text = await res.text();
  if (status >= 500) problems.push(`status ${status}: ${text.slice(0, 300)}`);
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(res.headers.get("X-Request-Id") ?? "")) problems.push("no valid X-Request-Id header");
  const noBody = method === "HEAD" || status === 204 || status === 304;
  if (noBody) {
    if (text !== "") problems.push(`status ${status} to ${method} has a body`);
    return { status, body: undefined, problems };
  }
  if (res.headers.get("Content-Type") !== "application/scim+json; charset=utf-8") {
    problems.push(`status ${status}: Content-Type ${JSON.stringify(res.headers.get("Content-Type"))}`);
  }
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    else problems.push(`status ${status}: the body is JSON but not an object`);
  } catch {
    problems.push(`status ${status}: the body is not JSON: ${text.slice(0, 200)}`);
  }
  if (body !== undefined && status >= 400) {
    if (JSON.stringify(body.schemas) !== JSON.stringify([ERROR_SCHEMA])) problems.push(`status ${status}: error schemas ${JSON.stringify(body.schemas)}`);
    if (body.status !== String(status)) problems.push(`status ${status}: error body status ${JSON.stringify(body.status)}`);
    if (typeof body.detail !== "string" || body.detail === "") problems.push(`status ${status}: error without a detail`);
    if (body.scimType !== undefined && !SCIM_TYPE.test(String(body.scimType))) problems.push(`status ${status}: unknown scimType ${JSON.stringify(body.scimType)}`);
    if (status === 401 && !res.headers.get("WWW-Authenticate")) problems.push("401 without WWW-Authenticate");
    if (status === 405 && !res.headers.get("Allow")) problems.push("405 without Allow");
  }
  return { status, body, problems };
}

/** Problems of a body that should be one `resourceType` resource (with `id`, when the URL named one). */
export function resourceProblems(body: Record<string, unknown> | undefined, resourceType: "User" | "Group", id?: string): string[] {
  if (body === undefined) return [`expected a ${resourceType}, got no body`];
  const problems: string[] = [];
  const meta = body.meta as Record<string, unknown> | undefined;
  if (typeof body.id !== "string" || body.id === "") problems.push(`${resourceType} without id`);
  if (id !== undefined && body.id !== id) problems.push(`${resourceType} id ${JSON.stringify(body.id)} != ${JSON.stringify(id)}`);
  if (typeof meta !== "object" || meta === null) problems.push(`${resourceType} without meta`);
  else {
    if (meta.resourceType !== resourceType) problems.push(`meta.resourceType ${JSON.stringify(meta.resourceType)}`);
    if (typeof meta.location !== "string" || !meta.location.endsWith(`/${resourceType}s/${String(body.id)}`)) problems.push(`meta.location ${JSON.stringify(meta.location)}`);
    if (typeof meta.version !== "string" || !/^W\/"\d+"$/.test(meta.version)) problems.push(`meta.version ${JSON.stringify(meta.version)}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// A refused request changed nothing.

/**
 * Every stored row of the given tenants (or of all), as one string: equal before and after a request exactly
 * when it changed no row. A 4xx or 5xx must leave it equal (validate every parameter before any write;
 * never a partial write).
 */
export async function storedRows(tenantIds?: number[]): Promise<string> {
  const tables: Array<[string, string, string]> = [
    ["tenants", "id", "id"],
    ["users", "tenant_id", "seq"],
    ["user_emails", "tenant_id", "user_seq, value_key"],
    ["groups", "tenant_id", "seq"],
    ["group_members", "tenant_id", "group_id, member_id"],
    ["position_tree", "tenant_id", "kind, level, bucket"],
  ];
  // Every column of every row, concatenated inside SQLite in one batch: the property tests take this picture
  // before and after each of thousands of requests, and turning each row into a JS object cost them most of
  // their time. quote() keeps NULL, numbers, text and blobs apart, so any changed value changes the text.
  const statements = await Promise.all(tables.map(async ([table, tenantColumn, order]) => {
    const columns = await tableColumns(table);
    const row = columns.map((column) => `quote("${column}")`).join(" || ',' || ");
    const where = tenantIds === undefined ? "" : ` WHERE ${tenantColumn} IN (SELECT value FROM json_each(?))`;
    const statement = env.DB.prepare(`SELECT ${JSON.stringify(table)} || ':' || count(*) || char(10) || coalesce(group_concat(r, char(10)), '') AS rows FROM (SELECT ${row} AS r FROM ${table}${where} ORDER BY ${order})`);
    return tenantIds === undefined ? statement : statement.bind(JSON.stringify(tenantIds));
  }));
  const results = await env.DB.batch<{ rows: string }>(statements);
  return results.map((result) => result.results[0]?.rows ?? "").join("\n");
}

const columnsByTable = new Map<string, string[]>();

async function tableColumns(table: string): Promise<string[]> {
  let columns = columnsByTable.get(table);
  if (columns === undefined) {
    const info = await env.DB.prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid").bind(table).all<{ name: string }>();
    columns = info.results.map((column) => column.name);
    if (columns.length === 0) throw new Error(`no columns found for table ${table}`);
    columnsByTable.set(table, columns);
  }
  return columns;
}

/** The problem with a refused (4xx/5xx) response whose request changed stored rows, if it did. */
export function unchangedByRefusal(status: number, before: string, after: string): string[] {
  return status >= 400 && before !== after ? [`status ${status}, yet the request changed stored rows`] : [];
}
