// /Groups (RFC 7644 §3, RFC 7643 §4.2): thin handlers over the protocol core (src/scim) and storage
// (src/storage/groups.ts, group-members.ts). Members are loaded only when the response will carry them, and
// member changes go to storage as a set-level delta, never as a rewritten member list.
import { Hono, type Context } from "hono";
import { readJsonObject } from "../http/body.ts";
import { eventOrigin } from "../http/event-origin.ts";
import type { AppEnv } from "../http/context.ts";
import { allowOnly } from "../http/methods.ts";
import { checkIfMatch, notModified } from "../http/preconditions.ts";
import { scimJson } from "../http/respond.ts";
import { tenantBaseUrl } from "../http/urls.ts";
import { badRequest, changedDuringWrite, concurrentChange, notFound } from "../scim/errors.ts";
import { parseListQuery } from "../scim/list-query.ts";
import { etag, renderResource } from "../scim/meta.ts";
import { applyPatch, parsePatchRequest } from "../scim/patch/index.ts";
import { includesAttribute, parseAttributeList, projectResource, type ProjectionOptions } from "../scim/projection.ts";
import { GROUP_RESOURCE, USER_RESOURCE } from "../scim/schema/registry.ts";
import { parseSearchRequest } from "../scim/search.ts";
import { normalizeResource } from "../scim/validate/resource.ts";
import { emptyDelta, foldMemberOperations, isMembersOperation, replaceAllDelta, type MemberDelta } from "../scim/patch/group-delta.ts";
import { groupFilterSql } from "../storage/filter/groups.ts";
import { loadMembers, resolveDelta, type MemberRow } from "../storage/repos/group-members.ts";
import { createGroup, deleteGroup, getGroup, GROUP_SORT_COLUMNS, listGroups, updateGroup, type GroupWrite, type StoredGroup } from "../storage/repos/groups.ts";
import type { StoredUser } from "../storage/repos/users.ts";
import { listEndpoint, type ListSource } from "./list-endpoint.ts";

export const groupsRoutes = new Hono<AppEnv>();

type Ctx = Context<AppEnv>;

/** Optimistic-concurrency retries when another request changed the group between our read and write. */
const WRITE_ATTEMPTS = 3;

/**
 * A list page carries at most this many members in total across its groups. One group is always returned
 * whole (as GET /Groups/{id} would), but a page of large groups would be a body no client wants: it is a
 * 400 tooMany naming the way out, never a silently shortened member list.
 */
export const MAX_LISTED_MEMBERS = 100_000;

const baseUrl = (c: Ctx) => tenantBaseUrl(c.env.PUBLIC_BASE_URL, c.var.auth.tenant.slug);

const location = (c: Ctx, id: string) => `${baseUrl(c)}/Groups/${id}`;

/** Reads `attributes`/`excludedAttributes` and says whether members are wanted; unknown names fail here, before any write. */
function projection(c: Ctx): { options: ProjectionOptions; members: boolean } {
  const options = {
    attributes: parseAttributeList(c.req.query("attributes")),
    excludedAttributes: parseAttributeList(c.req.query("excludedAttributes")),
  };
  return { options, members: includesAttribute(GROUP_RESOURCE, options, "members") };
}

function renderMembers(c: Ctx, rows: MemberRow[]): Record<string, unknown>[] {
  const base = baseUrl(c);
  return rows.map((row) => ({
    value: row.memberId,
    $ref: `${base}/${row.memberType === "User" ? "Users" : "Groups"}/${row.memberId}`,
    ...(row.display !== null ? { display: row.display } : {}),
    type: row.memberType,
  }));
}

function render(c: Ctx, group: StoredGroup, members: MemberRow[] | undefined, options: ProjectionOptions): Record<string, unknown> {
  const data = members !== undefined && members.length > 0 ? { ...group.data, members: renderMembers(c, members) } : group.data;
  return projectResource(renderResource({ ...group, data }, "Group", location(c, group.id)), GROUP_RESOURCE, options);
}

async function respondWithGroup(c: Ctx, group: StoredGroup, status: number, extraHeaders: Record<string, string> = {}): Promise<Response> {
  const { options, members } = projection(c);
  // member_count says when there is nothing to load; a group read without members reads no member rows.
  const rows = members && group.memberCount > 0 ? (await loadMembers(c.var.db, c.var.auth.tenant.id, [group.id])).get(group.id) : undefined;
  return scimJson(render(c, group, rows, options), status, { ETag: etag(group.version), ...extraHeaders });
}

async function requireGroup(c: Ctx, id: string): Promise<StoredGroup> {
  const group = await getGroup(c.var.db, c.var.auth.tenant.id, id);
  if (!group) throw notFound(`Group "${id}" not found.`);
  return group;
}

/** A page of groups, with members when the projection includes them (within MAX_LISTED_MEMBERS). */
async function renderPage(c: Ctx, groups: StoredGroup[], options: ProjectionOptions): Promise<Record<string, unknown>[]> {
  const tenantId = c.var.auth.tenant.id;
  let rows = new Map<string, MemberRow[]>();
  if (groups.length > 0 && includesAttribute(GROUP_RESOURCE, options, "members")) {
    const withMembers = groups.filter((g) => g.memberCount > 0);
    const listed = withMembers.reduce((sum, g) => sum + g.memberCount, 0);
    if (withMembers.length > 1 && listed > MAX_LISTED_MEMBERS) {
      throw badRequest(
        "tooMany",
        `The ${withMembers.length} groups on this page have ${listed} members in total, more than the ${MAX_LISTED_MEMBERS} one list response carries. ` +
          `Add excludedAttributes=members, or a smaller count, and read members with GET /Groups/{id}.`,
      );
    }
    rows = await loadMembers(c.var.db, tenantId, withMembers.map((g) => g.id));
  }
  return groups.map((g) => render(c, g, rows.get(g.id), options));
}

export const GROUPS_LIST: ListSource<StoredGroup> = {
  resource: GROUP_RESOURCE,
  endpoint: "/Groups",
  sortColumns: GROUP_SORT_COLUMNS,
  compile: (c, filter) => groupFilterSql(filter, c.var.auth.tenant.id, baseUrl(c)),
  run: async (c, query) => {
    const result = await listGroups(c.var.db, c.var.auth.tenant.id, query);
    return { ...result, items: result.groups };
  },
  render: renderPage,
};

groupsRoutes.get("/Groups", (c) => listEndpoint(GROUPS_LIST, c, parseListQuery((name) => c.req.query(name))));

// RFC 7644 §3.4.3. Registered before /Groups/:id, which would otherwise take ".search" for an id.
groupsRoutes.post("/Groups/.search", async (c) => listEndpoint(GROUPS_LIST, c, parseSearchRequest(await readJsonObject(c.req.raw))));
allowOnly(groupsRoutes, "/Groups/.search", ["POST"]);

groupsRoutes.post("/Groups", async (c) => {
  projection(c);
  const { resource } = normalizeResource(await readJsonObject(c.req.raw), GROUP_RESOURCE);
  const id = crypto.randomUUID();
  const members = await resolveDelta(c.var.db, c.var.auth.tenant.id, id, replaceAllDelta(memberList(resource)));
  const group = await createGroup(c.var.db, c.var.auth.tenant.id, id, resource, members, eventOrigin(c));
  return respondWithGroup(c, group, 201, { Location: location(c, group.id) });
});
allowOnly(groupsRoutes, "/Groups", ["GET", "POST"]);

/** `members` of a normalised POST body; a group created without them has none. */
function memberList(resource: Record<string, unknown>): unknown[] {
  return Array.isArray(resource.members) ? resource.members : [];
}

groupsRoutes.get("/Groups/:id", async (c) => {
  projection(c);
  const group = await requireGroup(c, c.req.param("id"));
  if (notModified(c.req.raw, group.version)) return new Response(null, { status: 304, headers: { ETag: etag(group.version) } });
  return respondWithGroup(c, group, 200);
});

/** Read, change, write with a version check; retried when a concurrent write wins, unless If-Match pins a version. */
async function modifyGroup(c: Ctx, id: string, change: (current: StoredGroup) => Promise<GroupWrite>): Promise<StoredGroup> {
  for (let attempt = 1; ; attempt++) {
    const current = await requireGroup(c, id);
    checkIfMatch(c.req.raw, current.version);
    const pinned = c.req.header("If-Match") !== undefined;
    const updated = await updateGroup(c.var.db, c.var.auth.tenant.id, current, { ...(await change(current)), pinned }, eventOrigin(c));
    if (updated) return updated;
    if (pinned) throw changedDuringWrite();
    if (attempt >= WRITE_ATTEMPTS) throw concurrentChange();
  }
}

const resolve = (c: Ctx, group: StoredGroup, delta: MemberDelta) => resolveDelta(c.var.db, c.var.auth.tenant.id, group.id, delta);

groupsRoutes.put("/Groups/:id", async (c) => {
  projection(c);
  const id = c.req.param("id");
  const input = await readJsonObject(c.req.raw);
  if (typeof input.id === "string" && input.id !== id) {
    throw badRequest("mutability", `The body's id "${input.id}" does not match the URL's id "${id}".`);
  }
  const { resource } = normalizeResource(input, GROUP_RESOURCE);
  // A PUT without `members` leaves the memberships alone (a rename must not empty a large group);
  // `members: []` empties the group.
  const delta = Array.isArray(resource.members) ? replaceAllDelta(resource.members) : emptyDelta();
  const group = await modifyGroup(c, id, async (current) => ({ data: resource, members: await resolve(c, current, delta) }));
  return respondWithGroup(c, group, 200);
});

groupsRoutes.patch("/Groups/:id", async (c) => {
  // RFC 7644 §3.5.2: 200 with the resource, or 204. A client asking for attributes gets them.
  const wantsBody = c.req.query("attributes") !== undefined || c.req.query("excludedAttributes") !== undefined;
  projection(c);
  const operations = parsePatchRequest(await readJsonObject(c.req.raw), GROUP_RESOURCE);
  const others = operations.filter((op) => !isMembersOperation(op));
  const delta = foldMemberOperations(operations.filter(isMembersOperation));
  const group = await modifyGroup(c, c.req.param("id"), async (current) => {
    // Everything but members is applied to the stored JSON (which has no members) and validated whole.
    const data = others.length > 0 ? normalizeResource(applyPatch({ ...current.data, id: current.id }, others, GROUP_RESOURCE), GROUP_RESOURCE).resource : undefined;
    return { ...(data !== undefined ? { data } : {}), members: await resolve(c, current, delta) };
  });
  if (wantsBody) return respondWithGroup(c, group, 200);
  return new Response(null, { status: 204, headers: { ETag: etag(group.version) } });
});

groupsRoutes.delete("/Groups/:id", async (c) => {
  const id = c.req.param("id");
  const outcome = await deleteGroup(c.var.db, c.var.auth.tenant.id, id, eventOrigin(c), {
    check: (version) => checkIfMatch(c.req.raw, version),
    pinned: c.req.header("If-Match") !== undefined,
  });
  if (outcome === "missing") throw notFound(`Group "${id}" not found.`);
  if (outcome === "changed") throw changedDuringWrite();
  return new Response(null, { status: 204 });
});
allowOnly(groupsRoutes, "/Groups/:id", ["GET", "PUT", "PATCH", "DELETE"]);

/** Whether a /Users response with this projection carries the readOnly `groups` attribute, so reads include it. */
export const wantsUserGroups = (options: ProjectionOptions) => includesAttribute(USER_RESOURCE, options, "groups");

/**
 * For /Users responses: the readOnly `groups` attribute (direct memberships, RFC 7643 §4.1.2) as storage read
 * it with the user (StoredUser.groups, asked for with wantsUserGroups). Nothing is read here: a user read
 * without its groups, when the projection wants them, is a bug in the caller, not an empty list.
 */
export function renderUserGroups(c: Ctx, user: StoredUser, options: ProjectionOptions): StoredUser {
  if (!wantsUserGroups(options)) return user;
  if (user.groups === undefined) throw new Error(`user ${user.id} was read without the groups its response lists`);
  if (user.groups.length === 0) return user;
  const base = baseUrl(c);
  const rendered = user.groups.map((g) => ({ value: g.groupId, $ref: `${base}/Groups/${g.groupId}`, display: g.displayName, type: "direct" }));
  return { ...user, data: { ...user.data, groups: rendered } };
}
