// /Groups (RFC 7644 §3, RFC 7643 §4.2): thin handlers over the protocol core (src/scim) and storage
// (src/storage/repos/groups.ts, group-members.ts); what they share with /Users is in resource-routes.ts. Members are loaded only when the response will carry them, and
// member changes go to storage as a set-level delta, never as a rewritten member list.
import { Hono } from "hono";
import { readJsonObject } from "../http/body.ts";
import { eventOrigin } from "../http/event-origin.ts";
import type { AppEnv } from "../http/context.ts";
import { allowOnly } from "../http/methods.ts";
import { scimJson } from "../http/respond.ts";
import { badRequest, concurrentChange } from "../scim/errors.ts";
import { parseListQuery } from "../scim/list-query.ts";
import { etag, renderResource } from "../scim/meta.ts";
import { applyPatch, parsePatchRequest } from "../scim/patch/index.ts";
import { includesAttribute, projectResource, type ProjectionOptions } from "../scim/projection.ts";
import { GROUP_RESOURCE } from "../scim/schema/registry.ts";
import { parseSearchRequest } from "../scim/search.ts";
import { normalizeResource } from "../scim/validate/resource.ts";
import { emptyDelta, foldMemberOperations, isEmptyDelta, isMembersOperation, replaceAllDelta, type MemberDelta } from "../scim/patch/group-delta.ts";
import { groupAssignments } from "../scim/patch/singular-assignments.ts";
import { groupFilterSql } from "../storage/filter/groups.ts";
import { loadMembers, resolveDelta, type MemberRow } from "../storage/repos/group-members.ts";
import { assignGroupAttributes, createGroup, deleteGroup, getGroup, getGroupWithMembers, GROUP_SORT_COLUMNS, listGroups, updateGroup, updateGroupMembers, type GroupWrite, type StoredGroup, type WrittenGroup } from "../storage/repos/groups.ts";
import { listEndpoint, type ListSource } from "./list-endpoint.ts";
import { baseUrl, checkBodyId, deleteEndpoint, found, location, modifyWithRetry, notModifiedResponse, projection as readProjection, type Ctx } from "./resource-routes.ts";

export const groupsRoutes = new Hono<AppEnv>();

/**
 * A list page carries at most this many members in total across its groups. One group is always returned
 * whole (as GET /Groups/{id} would), but a page of large groups would be a body no client wants: it is a
 * 400 tooMany naming the way out, never a silently shortened member list.
 */
export const MAX_LISTED_MEMBERS = 100_000;

/** Reads `attributes`/`excludedAttributes` and says whether members are wanted; unknown names fail here, before any write. */
function projection(c: Ctx): { options: ProjectionOptions; members: boolean } {
  const options = readProjection(c, GROUP_RESOURCE);
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
  return projectResource(renderResource({ ...group, data }, "Group", location(c, "Group", group.id)), GROUP_RESOURCE, options);
}

async function respondWithGroup(c: Ctx, group: WrittenGroup, status: number, extraHeaders: Record<string, string> = {}): Promise<Response> {
  const { options, members } = projection(c);
  // A write that asked for them read its members in its own batch. Otherwise member_count says when there is
  // nothing to load; a group read without members reads no member rows.
  const rows = !members || group.memberCount === 0 ? undefined : (group.members ?? (await loadMembers(c.var.db, c.var.auth.tenant.id, [group.id])).get(group.id));
  return scimJson(render(c, group, rows, options), status, { ETag: etag(group.version), ...extraHeaders });
}

async function requireGroup(c: Ctx, id: string): Promise<StoredGroup> {
  return found(await getGroup(c.var.db, c.var.auth.tenant.id, id), "Group", id);
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
  const tenantId = c.var.auth.tenant.id;
  const members = replaceAllDelta(memberList(resource));
  const options = { withMembers: projection(c).members };
  // One batch that checks the members itself. Only when it refuses them are they resolved, which says which
  // member is wrong (400); a member deleted between that and the second batch is a 409.
  const group =
    (await createGroup(c.var.db, tenantId, id, resource, members, eventOrigin(c), options)) ??
    (await createGroup(c.var.db, tenantId, id, resource, await resolveDelta(c.var.db, tenantId, id, members), eventOrigin(c), options));
  if (group === null) throw concurrentChange();
  return respondWithGroup(c, group, 201, { Location: location(c, "Group", group.id) });
});
allowOnly(groupsRoutes, "/Groups", ["GET", "POST"]);

/** `members` of a normalised POST body; a group created without them has none. */
function memberList(resource: Record<string, unknown>): unknown[] {
  return Array.isArray(resource.members) ? resource.members : [];
}

groupsRoutes.get("/Groups/:id", async (c) => {
  const id = c.req.param("id");
  // Members come in the group's own batch, unless a 304 (If-None-Match) may make reading them a waste.
  const withMembers = projection(c).members && c.req.header("If-None-Match") === undefined;
  const group = found(await (withMembers ? getGroupWithMembers : getGroup)(c.var.db, c.var.auth.tenant.id, id), "Group", id);
  return notModifiedResponse(c, group.version) ?? respondWithGroup(c, group, 200);
});

/**
 * Read, change, write with a version check (resource-routes.ts: retries, 409, 412). The member delta is
 * resolved (existence, types, cycles) while the group is read, not after: it depends only on the URL's id and
 * the body, so the two share one round trip and the write's batch is the second. The batch re-checks
 * existence and cycles itself, so a retry reuses the resolution.
 */
function modifyGroup(
  c: Ctx,
  id: string,
  delta: MemberDelta,
  change: (current: StoredGroup) => Omit<GroupWrite, "members">,
  withMembers: boolean,
): Promise<WrittenGroup> {
  const resolving = resolveDelta(c.var.db, c.var.auth.tenant.id, id, delta);
  // Awaited after the read: a missing group is a 404 whatever the members, and its rejection is not unhandled.
  resolving.catch(() => undefined);
  return modifyWithRetry(c, () => requireGroup(c, id), async (current, pinned) =>
    updateGroup(c.var.db, c.var.auth.tenant.id, current, { ...change(current), members: await resolving, pinned, withMembers }, eventOrigin(c)),
  );
}

groupsRoutes.put("/Groups/:id", async (c) => {
  projection(c);
  const id = c.req.param("id");
  const input = await readJsonObject(c.req.raw);
  checkBodyId(input, id);
  const { resource } = normalizeResource(input, GROUP_RESOURCE);
  // A PUT without `members` leaves the memberships alone (a rename must not empty a large group);
  // `members: []` empties the group.
  const delta = Array.isArray(resource.members) ? replaceAllDelta(resource.members) : emptyDelta();
  const group = await modifyGroup(c, id, delta, () => ({ data: resource }), projection(c).members);
  return respondWithGroup(c, group, 200);
});

groupsRoutes.patch("/Groups/:id", async (c) => {
  // RFC 7644 §3.5.2: 200 with the resource, or 204. A client asking for attributes gets them.
  const wantsBody = c.req.query("attributes") !== undefined || c.req.query("excludedAttributes") !== undefined;
  projection(c);
  const operations = parsePatchRequest(await readJsonObject(c.req.raw), GROUP_RESOURCE);
  const others = operations.filter((op) => !isMembersOperation(op));
  const delta = foldMemberOperations(operations.filter(isMembersOperation));
  const withMembers = wantsBody && projection(c).members;
  const id = c.req.param("id");
  // Okta's and Entra's member pushes and renames pin no version: one batch, nothing read first. When the batch
  // cannot apply the change it writes nothing, and the read-then-write path below applies it or says what is wrong.
  const tenantId = c.var.auth.tenant.id;
  let direct: WrittenGroup | null = null;
  if (c.req.header("If-Match") === undefined) {
    if (others.length === 0) {
      direct = await updateGroupMembers(c.var.db, tenantId, id, delta, eventOrigin(c), { withMembers });
    } else if (isEmptyDelta(delta)) {
      const assignments = groupAssignments(others, id);
      if (assignments !== null) direct = await assignGroupAttributes(c.var.db, tenantId, id, assignments, eventOrigin(c), { withMembers });
    }
  }
  const group = direct ?? (await modifyGroup(c, id, delta, (current) => {
    // Everything but members is applied to the stored JSON (which has no members) and validated whole.
    const data = others.length > 0 ? normalizeResource(applyPatch({ ...current.data, id: current.id }, others, GROUP_RESOURCE), GROUP_RESOURCE).resource : undefined;
    return data !== undefined ? { data } : {};
  }, withMembers));
  if (wantsBody) return respondWithGroup(c, group, 200);
  return new Response(null, { status: 204, headers: { ETag: etag(group.version) } });
});

groupsRoutes.delete("/Groups/:id", (c) =>
  deleteEndpoint(c, "Group", (id, guard) => deleteGroup(c.var.db, c.var.auth.tenant.id, id, eventOrigin(c), guard)),
);
allowOnly(groupsRoutes, "/Groups/:id", ["GET", "PUT", "PATCH", "DELETE"]);
