// Tenant isolation (DESIGN.md "Storage": every query is tenant-scoped): tenants A and B, each with users and
// groups (B's groups holding B's users, one nested). fast-check generates requests authenticated as A over every
// route and method that name B's ids (in the URL, in filters, in PATCH and PUT member values, in SearchRequest
// bodies), B's tenant path with A's token, and B's group members. After every request B's rows (users,
// user_emails, groups, group_members, its tenant row with the counters) are exactly as before, and no response
// carries anything of B's that A did not send.
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { runs, scaled } from "../support/fast-check.ts";
import { call, issueKey, json } from "./helpers.ts";
import { checkInvariants, checkResponse, storedRows, unchangedByRefusal } from "./invariants.ts";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

interface Tenant {
  slug: string;
  id: number;
  token: string;
  userIds: string[];
  groupIds: string[];
}

let a: Tenant;
let b: Tenant;
/** Ids of A's resources: the only ids a response to A may carry in `id`, `Resources[].id`, `members`, `groups`. */
const aIds = new Set<string>();
/** Everything identifying about B: ids, userNames, displayNames, emails, externalIds, its slug. */
let bSecrets: string[] = [];
/** B's secrets A has itself put in a request: seeing those again (e.g. in A's own resources) reveals nothing. */
const sentByA = new Set<string>();
const figures = { cases: 0, requests: 0, fiveXx: 0, byStatus: new Map<number, number>() };

async function tenant(label: string): Promise<Tenant> {
  const slug = `iso-${label}-${crypto.randomUUID().slice(0, 8)}`;
  const { token } = await issueKey(slug);
  const row = await env.DB.prepare("SELECT id FROM tenants WHERE slug = ?").bind(slug).first<{ id: number }>();
  return { slug, id: row?.id ?? 0, token, userIds: [], groupIds: [] };
}

async function create(t: Tenant, resource: "Users" | "Groups", body: Record<string, unknown>): Promise<string> {
  const res = await call(`/scim/v2/${resource}`, { method: "POST", token: t.token, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
  const id = (await json<{ id: string }>(res)).id;
  (resource === "Users" ? t.userIds : t.groupIds).push(id);
  return id;
}

/** Every row of B, in a stable order: what no request of A's may change. */
async function snapshotB(): Promise<string> {
  const q = (sql: string) => env.DB.prepare(sql).bind(b.id).all().then((r) => r.results);
  return JSON.stringify([
    await q("SELECT * FROM tenants WHERE id = ?"),
    await q("SELECT * FROM users WHERE tenant_id = ? ORDER BY seq"),
    await q("SELECT * FROM user_emails WHERE tenant_id = ? ORDER BY user_seq, value_key"),
    await q("SELECT * FROM groups WHERE tenant_id = ? ORDER BY seq"),
    await q("SELECT * FROM group_members WHERE tenant_id = ? ORDER BY group_id, member_id"),
    await q("SELECT * FROM events WHERE tenant_id = ? ORDER BY event_id"),
  ]);
}

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  a = await tenant("a");
  b = await tenant("b");
  for (const i of [1, 2, 3]) {
    await create(b, "Users", {
      schemas: [USER, ENTERPRISE],
      userName: `bee-user-${i}@b.example`,
      displayName: `Bee Display ${i}`,
      externalId: `bee-ext-${i}`,
      emails: [{ value: `bee-mail-${i}@b.example`, type: "work", primary: true }],
      password: `bee-password-${i}`,
      [ENTERPRISE]: { employeeNumber: `bee-emp-${i}` },
    });
  }
  const inner = await create(b, "Groups", { schemas: [GROUP], displayName: "Bee Group Inner", externalId: "bee-gext-1", members: [{ value: b.userIds[0] }, { value: b.userIds[1] }] });
  await create(b, "Groups", { schemas: [GROUP], displayName: "Bee Group Outer", members: [{ value: inner, type: "Group" }, { value: b.userIds[2] }] });
  for (const i of [1, 2]) await create(a, "Users", { schemas: [USER], userName: `ay-user-${i}`, emails: [{ value: `ay-${i}@a.example` }] });
  await create(a, "Groups", { schemas: [GROUP], displayName: "Ay Group", members: [{ value: a.userIds[0] }] });
  for (const id of [...a.userIds, ...a.groupIds]) aIds.add(id);
  bSecrets = [
    ...b.userIds, ...b.groupIds, b.slug,
    ...[1, 2, 3].flatMap((i) => [`bee-user-${i}@b.example`, `Bee Display ${i}`, `bee-ext-${i}`, `bee-mail-${i}@b.example`, `bee-emp-${i}`]),
    "Bee Group Inner", "Bee Group Outer", "bee-gext-1",
  ];
});

// ---------------------------------------------------------------------------------------------------------
// What A sends.

interface RequestAsA {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const bUserId = fc.nat().map((i) => b.userIds[i % b.userIds.length] ?? "");
const bGroupId = fc.nat().map((i) => b.groupIds[i % b.groupIds.length] ?? "");
const bId = fc.oneof(bUserId, bGroupId);
/** B's ids as written by a client probing for them: exact, upper-cased, padded, with a wildcard. */
const bIdSpelling = fc.tuple(bId, fc.constantFrom("exact", "exact", "exact", "upper", "space", "star")).map(([id, how]) =>
  how === "upper" ? id.toUpperCase() : how === "space" ? ` ${id} ` : how === "star" ? `${id.slice(0, 8)}%` : id,
);
/** B's names (everything secret but its ids and slug). */
const bName = fc.nat().map((i) => {
  const names = bSecrets.filter((s) => !b.userIds.includes(s) && !b.groupIds.includes(s) && s !== b.slug);
  return names[i % names.length] ?? "Bee Group Inner";
});
const aUserId = fc.nat().map((i) => a.userIds[i % a.userIds.length] ?? "");
const aGroupId = fc.nat().map((i) => a.groupIds[i % a.groupIds.length] ?? "");

const quote = (text: string) => JSON.stringify(text);
const userFilter = fc.oneof(
  bIdSpelling.map((id) => `id eq ${quote(id)}`),
  bName.map((n) => `userName eq ${quote(n)}`),
  bName.map((n) => `emails.value eq ${quote(n)}`),
  bName.map((n) => `emails[value co ${quote(n.slice(0, 6))}]`),
  bName.map((n) => `externalId eq ${quote(n)}`),
  bName.map((n) => `displayName sw ${quote(n.slice(0, 3))}`),
  bName.map((n) => `${ENTERPRISE}:employeeNumber eq ${quote(n)}`),
  bGroupId.map((g) => `groups.value eq ${quote(g)}`),
  fc.constantFrom("userName pr", 'userName sw "bee"', 'userName co "@b.example"', "meta.created pr", 'meta.resourceType eq "User"'),
);
const groupFilter = fc.oneof(
  bIdSpelling.map((id) => `id eq ${quote(id)}`),
  bUserId.map((id) => `members.value eq ${quote(id)}`),
  bUserId.map((id) => `members[value eq ${quote(id)}]`),
  bName.map((n) => `displayName eq ${quote(n)}`),
  bName.map((n) => `members.display eq ${quote(n)}`),
  fc.constantFrom("displayName pr", 'displayName sw "Bee"', "members pr", 'externalId sw "bee"', 'meta.location co "/Groups/"'),
);
const listQuery = (filter: fc.Arbitrary<string>) =>
  fc.record({ filter, attributes: fc.constantFrom(undefined, "members", "groups", "id", "emails"), count: fc.constantFrom(undefined, "5", "1000"), sortBy: fc.constantFrom(undefined, "meta.created") }, { requiredKeys: ["filter"] }).map((q) =>
    Object.entries(q)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
      .join("&"),
  );
const memberList = fc.array(fc.oneof(bId.map((value) => ({ value })), fc.tuple(bId, fc.constantFrom("User", "Group")).map(([value, type]) => ({ value, type })), aUserId.map((value) => ({ value }))), { minLength: 1, maxLength: 3 });

const methodOnB = fc.oneof(
  // B's resources by id, every method.
  fc.tuple(fc.constantFrom("Users", "Groups"), bIdSpelling, fc.constantFrom("GET", "DELETE", "HEAD")).map(([r, id, method]): RequestAsA => ({ method, path: `/scim/v2/${r}/${encodeURIComponent(id)}` })),
  fc.tuple(bGroupId, fc.constantFrom("members", "members.value", "displayName")).map(([id, attrs]): RequestAsA => ({ method: "GET", path: `/scim/v2/Groups/${id}?attributes=${attrs}` })),
  bUserId.map((id): RequestAsA => ({ method: "PUT", path: `/scim/v2/Users/${id}`, body: { schemas: [USER], userName: "hijacked", id } })),
  bGroupId.map((id): RequestAsA => ({ method: "PUT", path: `/scim/v2/Groups/${id}`, body: { schemas: [GROUP], displayName: "hijacked", members: [] } })),
  bUserId.map((id): RequestAsA => ({ method: "PATCH", path: `/scim/v2/Users/${id}`, body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] } })),
  fc.tuple(bGroupId, memberList).map(([id, members]): RequestAsA => ({ method: "PATCH", path: `/scim/v2/Groups/${id}`, body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "members", value: members }] } })),
  bGroupId.map((id): RequestAsA => ({ method: "PATCH", path: `/scim/v2/Groups/${id}`, body: { schemas: [PATCH_OP], Operations: [{ op: "remove", path: "members" }] } })),
  // If-Match with B's current version does not make B's resource A's.
  bUserId.map((id): RequestAsA => ({ method: "DELETE", path: `/scim/v2/Users/${id}`, headers: { "If-Match": 'W/"1"' } })),
  // B's ids inside A's own writes: members, managers, PUT lists, new groups.
  fc.tuple(aGroupId, memberList, fc.constantFrom("add", "replace")).map(([id, members, op]): RequestAsA => ({ method: "PATCH", path: `/scim/v2/Groups/${id}?attributes=members`, body: { schemas: [PATCH_OP], Operations: [{ op, path: "members", value: members }] } })),
  fc.tuple(aGroupId, bId).map(([id, member]): RequestAsA => ({ method: "PATCH", path: `/scim/v2/Groups/${id}`, body: { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `members[value eq ${quote(member)}]` }] } })),
  fc.tuple(aGroupId, memberList).map(([id, members]): RequestAsA => ({ method: "PUT", path: `/scim/v2/Groups/${id}`, body: { schemas: [GROUP], displayName: "Ay Group", members } })),
  fc.tuple(memberList, fc.nat()).map(([members, n]): RequestAsA => ({ method: "POST", path: "/scim/v2/Groups", body: { schemas: [GROUP], displayName: `ay-new-${n}`, members } })),
  fc.tuple(aUserId, bUserId).map(([id, manager]): RequestAsA => ({ method: "PATCH", path: `/scim/v2/Users/${id}`, body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: `${ENTERPRISE}:manager`, value: { value: manager } }] } })),
  // Names of B's, taken by A in A's tenant: allowed (uniqueness is per tenant), and changes nothing of B's.
  fc.tuple(bName, fc.nat()).map(([name, n]): RequestAsA => ({ method: "POST", path: "/scim/v2/Users", body: { schemas: [USER], userName: `${name}${n % 3 === 0 ? "" : `-${n}`}` } })),
  fc.tuple(bName, fc.nat()).map(([name, n]): RequestAsA => ({ method: "POST", path: "/scim/v2/Groups", body: { schemas: [GROUP], displayName: `${name}${n % 3 === 0 ? "" : `-${n}`}` } })),
  // Filters and searches naming B's ids and names.
  listQuery(userFilter).map((q): RequestAsA => ({ method: "GET", path: `/scim/v2/Users?${q}` })),
  listQuery(groupFilter).map((q): RequestAsA => ({ method: "GET", path: `/scim/v2/Groups?${q}` })),
  fc.tuple(fc.constantFrom("/Users/.search", "/.search"), userFilter).map(([p, filter]): RequestAsA => ({ method: "POST", path: `/scim/v2${p}`, body: { schemas: [SEARCH], filter, attributes: ["id", "userName", "groups"] } })),
  fc.tuple(fc.constantFrom("/Groups/.search", "/.search"), groupFilter).map(([p, filter]): RequestAsA => ({ method: "POST", path: `/scim/v2${p}`, body: { schemas: [SEARCH], filter, attributes: ["members"] } })),
  // B's tenant path with A's token, and Basic with B's slug and A's token: every route and method.
  fc.tuple(
    fc.constantFrom("GET /Users", "GET /Groups", "POST /Users", "POST /Groups", "GET /Users/{u}", "PUT /Users/{u}", "PATCH /Groups/{g}", "DELETE /Users/{u}", "DELETE /Groups/{g}", "GET /ServiceProviderConfig", "POST /Users/.search", "GET /Schemas"),
    bUserId,
    bGroupId,
    fc.constantFrom("path", "basic", "both"),
  ).map(([route, u, g, how]): RequestAsA => {
    const [method = "GET", rest = "/Users"] = route.split(" ");
    const path = rest.replace("{u}", u).replace("{g}", g);
    const body =
      method === "GET" || method === "DELETE"
        ? undefined
        : method === "PATCH"
          ? { schemas: [PATCH_OP], Operations: [{ op: "remove", path: "members" }] }
          : path.endsWith(".search")
            ? { schemas: [SEARCH], filter: "userName pr" }
            : path.startsWith("/Groups")
              ? { schemas: [GROUP], displayName: "via-b-path" }
              : { schemas: [USER], userName: "via-b-path" };
    return {
      method,
      path: how === "basic" ? `/scim/v2${path}` : `/t/${b.slug}/scim/v2${path}`,
      ...(body !== undefined ? { body } : {}),
      headers: how === "path" ? {} : { Authorization: `Basic ${btoa(`${b.slug}:${a.token}`)}` },
    };
  }),
);

/** Ids a response carries as resource ids or references. */
function referencedIds(body: Record<string, unknown> | undefined): string[] {
  if (body === undefined) return [];
  const resources = Array.isArray(body.Resources) ? (body.Resources as Record<string, unknown>[]) : [body];
  return resources.flatMap((r) => {
    const ids = typeof r.id === "string" ? [r.id] : [];
    for (const key of ["members", "groups"]) {
      const list = r[key];
      if (Array.isArray(list)) for (const m of list) if (typeof m === "object" && m !== null && typeof (m as { value?: unknown }).value === "string") ids.push((m as { value: string }).value);
    }
    const manager = (r[ENTERPRISE] as { manager?: { value?: unknown } } | undefined)?.manager?.value;
    // A manager is a reference A itself wrote (it is not checked against the tenant), so it is A's to see.
    return ids.filter((id) => id !== manager);
  });
}

/**
 * A's and B's stored rows after A's last request, which are the rows before the next one (only sendAsA writes
 * once the tenants are seeded). A stale picture could only make a refusal look like a change, never hide one.
 */
let picture: string | null = null;

async function sendAsA(request: RequestAsA): Promise<string[]> {
  const headers = new Headers(request.headers);
  if (!headers.has("Authorization")) headers.set("Authorization", `Bearer ${a.token}`);
  const text = request.body === undefined ? undefined : JSON.stringify(request.body);
  const requestText = `${request.path} ${text ?? ""} ${JSON.stringify(request.headers ?? {})}`;
  let decodedPath = request.path;
  try {
    decodedPath = decodeURIComponent(request.path);
  } catch {
    // Left as sent.
  }
  for (const secret of bSecrets) if (requestText.includes(secret) || decodedPath.includes(secret)) sentByA.add(secret);
  const before = picture ?? (await storedRows([a.id, b.id]));
  picture = null;
  const res = await call(request.path, { method: request.method, headers, ...(text !== undefined ? { body: text } : {}) });
  const raw = await res.clone().text();
  const checked = await checkResponse(res, request.method);
  figures.requests++;
  figures.byStatus.set(checked.status, (figures.byStatus.get(checked.status) ?? 0) + 1);
  if (checked.status >= 500) figures.fiveXx++;
  const after = await storedRows([a.id, b.id]);
  picture = after;
  const problems = [...checked.problems, ...unchangedByRefusal(checked.status, before, after)];
  if (checked.status === 201 && typeof checked.body?.id === "string") aIds.add(checked.body.id);
  for (const id of referencedIds(checked.body)) if (!aIds.has(id)) problems.push(`the response references ${id}, which is not A's`);
  for (const secret of bSecrets) if (!sentByA.has(secret) && raw.includes(secret)) problems.push(`the response contains B's ${JSON.stringify(secret)}, which A never sent`);
  return problems.map((p) => `${request.method} ${request.path} ${text ?? ""}\n  -> ${p}`);
}

describe("tenant isolation: nothing A sends reads or changes anything of B's", () => {
  it("B's rows are unchanged after every generated request from A, and no response shows A anything of B's", async () => {
    const before = await snapshotB();
    await fc.assert(
      fc.asyncProperty(fc.array(methodOnB, { minLength: 1, maxLength: 3 }), async (requests) => {
        figures.cases++;
        for (const request of requests) {
          const problems = await sendAsA(request);
          expect(problems).toEqual([]);
          expect(await snapshotB(), `${request.method} ${request.path} changed B's rows`).toBe(before);
        }
      }),
      { numRuns: runs(500), endOnFailure: true },
    );
    console.info(
      `isolation-property: ${figures.cases} cases, ${figures.requests} requests as A naming B, ${figures.fiveXx} 5xx, statuses ${[...figures.byStatus].sort(([x], [y]) => x - y).map(([s, n]) => `${s}:${n}`).join(" ")}`,
    );
    expect(figures.fiveXx).toBe(0);
    expect(figures.cases).toBe(runs(500));
    // The property exercised A's successes (its own writes) as well as refusals.
    expect((figures.byStatus.get(200) ?? 0) + (figures.byStatus.get(201) ?? 0)).toBeGreaterThan(scaled(200));
    expect(await checkInvariants([a.id, b.id])).toEqual([]);
  }, 120_000);

  it("B, asking for its own resources, still sees all of them intact", async () => {
    for (const id of b.userIds) expect((await call(`/scim/v2/Users/${id}`, { token: b.token })).status).toBe(200);
    const outer = await json<{ members: { value: string }[] }>(await call(`/scim/v2/Groups/${b.groupIds[1]}`, { token: b.token }));
    expect(outer.members.map((m) => m.value).sort()).toEqual([b.groupIds[0], b.userIds[2]].sort());
    const list = await json<{ totalResults: number }>(await call("/scim/v2/Users", { token: b.token }));
    expect(list.totalResults).toBe(3);
  });
});
