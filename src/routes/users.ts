// /Users (RFC 7644 §3): thin handlers over the protocol core (src/scim) and storage (src/storage/repos/users.ts);
// what they share with /Groups is in resource-routes.ts.
import { Hono } from "hono";
import { readJsonObject } from "../http/body.ts";
import { eventOrigin } from "../http/event-origin.ts";
import type { AppEnv } from "../http/context.ts";
import { allowOnly } from "../http/methods.ts";
import { scimJson } from "../http/respond.ts";
import { parseListQuery } from "../scim/list-query.ts";
import { etag, renderResource } from "../scim/meta.ts";
import { hashPassword } from "../scim/password.ts";
import { applyPatch, parsePatchRequest, type PatchOperation } from "../scim/patch/index.ts";
import { includesAttribute, projectResource, type ProjectionOptions } from "../scim/projection.ts";
import { parseSearchRequest } from "../scim/search.ts";
import { ENTERPRISE_USER_SCHEMA } from "../scim/schema/core.ts";
import { USER_RESOURCE } from "../scim/schema/registry.ts";
import { normalizeResource } from "../scim/validate/resource.ts";
import { isKeyLookup } from "../scim/filter/lookup.ts";
import { USER_LOOKUP_KEYS, userFilterSql } from "../storage/filter/users.ts";
import { assignUserAttributes, createUser, deleteUser, getUser, listUsers, updateUser, USER_SORT_COLUMNS, type StoredUser } from "../storage/repos/users.ts";
import { userAssignments } from "../scim/patch/singular-assignments.ts";
import { listEndpoint, type ListSource } from "./list-endpoint.ts";
import { baseUrl, checkBodyId, deleteEndpoint, found, location, modifyWithRetry, notModifiedResponse, projection, type Ctx } from "./resource-routes.ts";

export const usersRoutes = new Hono<AppEnv>();

/** Whether a /Users response with this projection carries the readOnly `groups` attribute, so reads include it. */
const wantsUserGroups = (options: ProjectionOptions) => includesAttribute(USER_RESOURCE, options, "groups");

/**
 * The readOnly `groups` attribute (direct memberships, RFC 7643 §4.1.2) as storage read it with the user
 * (StoredUser.groups, asked for with wantsUserGroups). Nothing is read here: a user read without its groups,
 * when the projection wants them, is a bug in the caller, not an empty list.
 */
function withGroups(c: Ctx, user: StoredUser, options: ProjectionOptions): StoredUser {
  if (!wantsUserGroups(options)) return user;
  if (user.groups === undefined) throw new Error(`user ${user.id} was read without the groups its response lists`);
  if (user.groups.length === 0) return user;
  const base = baseUrl(c);
  const rendered = user.groups.map((g) => ({ value: g.groupId, $ref: `${base}/Groups/${g.groupId}`, display: g.displayName, type: "direct" }));
  return { ...user, data: { ...user.data, groups: rendered } };
}

function render(c: Ctx, user: StoredUser, options: ProjectionOptions): Record<string, unknown> {
  return projectResource(renderResource(withGroups(c, user, options), "User", location(c, "User", user.id)), USER_RESOURCE, options);
}

/** `user` as a response; its groups were read with it (requireUser, listUsers), nothing is read here. */
function respondWithUser(c: Ctx, user: StoredUser, status: number, extraHeaders: Record<string, string> = {}): Response {
  return scimJson(render(c, user, projection(c, USER_RESOURCE)), status, { ETag: etag(user.version), ...extraHeaders });
}

/** The user, with its groups when the response will list them (one round trip either way). */
async function requireUser(c: Ctx, id: string): Promise<StoredUser> {
  const groups = wantsUserGroups(projection(c, USER_RESOURCE));
  return found(await getUser(c.var.db, c.var.auth.tenant.id, id, { groups }), "User", id);
}

/** Validates a full resource and fills the default organization the tenant or key provisions into. */
async function prepareWrite(c: Ctx, input: Record<string, unknown>) {
  const { resource, password } = normalizeResource(input, USER_RESOURCE);
  const organization = c.var.auth.organization;
  if (organization) {
    const enterprise = (resource[ENTERPRISE_USER_SCHEMA] ?? {}) as Record<string, unknown>;
    if (typeof enterprise.organization !== "string" || enterprise.organization === "") {
      resource[ENTERPRISE_USER_SCHEMA] = { ...enterprise, organization };
      const schemas = resource.schemas as string[];
      if (!schemas.includes(ENTERPRISE_USER_SCHEMA)) schemas.push(ENTERPRISE_USER_SCHEMA);
    }
  }
  return { data: resource, ...(password !== undefined ? { passwordHash: await hashPassword(password, c.var.config.passwordPepper) } : {}) };
}

/**
 * hashPassword for one request, remembering its last result: PBKDF2 is the costliest step of a write, and an
 * optimistic-concurrency retry re-applies the same PATCH to a newer version, with the same password.
 */
function passwordHasher(c: Ctx): (password: string) => Promise<string> {
  let last: { password: string; hash: Promise<string> } | undefined;
  return (password) => {
    if (last?.password !== password) last = { password, hash: hashPassword(password, c.var.config.passwordPepper) };
    return last.hash;
  };
}

/**
 * Whether the operations unassign the password: RFC 7644 §3.5.2.2 `remove` of the write-only attribute clears
 * the stored hash (the user then has no password), unless a later operation of the request sets a new one.
 */
function removesPassword(operations: PatchOperation[]): boolean {
  return operations.some((op) => op.op === "remove" && !op.target.extension && op.target.attribute === "password");
}

export const USERS_LIST: ListSource<StoredUser> = {
  resource: USER_RESOURCE,
  endpoint: "/Users",
  sortColumns: USER_SORT_COLUMNS,
  compile: (c, filter) => ({ ...userFilterSql(filter, c.var.auth.tenant.id), lookup: isKeyLookup(filter, USER_LOOKUP_KEYS) }),
  run: async (c, query, options) => {
    const result = await listUsers(c.var.db, c.var.auth.tenant.id, query, { groups: wantsUserGroups(options) });
    return { ...result, items: result.users };
  },
  render: async (c, users: StoredUser[], options: ProjectionOptions) => users.map((u) => render(c, u, options)),
};

usersRoutes.get("/Users", (c) => listEndpoint(USERS_LIST, c, parseListQuery((name) => c.req.query(name))));

// RFC 7644 §3.4.3. Registered before /Users/:id, which would otherwise take ".search" for an id.
usersRoutes.post("/Users/.search", async (c) => listEndpoint(USERS_LIST, c, parseSearchRequest(await readJsonObject(c.req.raw))));
allowOnly(usersRoutes, "/Users/.search", ["POST"]);

usersRoutes.post("/Users", async (c) => {
  projection(c, USER_RESOURCE);
  const write = await prepareWrite(c, await readJsonObject(c.req.raw));
  if (write.data.active === undefined) write.data.active = true;
  // A user this request created is in no group yet (its id was unknown until now), so there is nothing to read.
  const user = await createUser(c.var.db, c.var.auth.tenant.id, write, eventOrigin(c));
  return respondWithUser(c, { ...user, groups: [] }, 201, { Location: location(c, "User", user.id) });
});
allowOnly(usersRoutes, "/Users", ["GET", "POST"]);

usersRoutes.get("/Users/:id", async (c) => {
  const user = await requireUser(c, c.req.param("id"));
  return notModifiedResponse(c, user.version) ?? respondWithUser(c, user, 200);
});

/** Read, change, write with a version check (resource-routes.ts: retries, 409, 412). */
function modifyUser(
  c: Ctx,
  id: string,
  change: (current: StoredUser) => Promise<{ data: Record<string, unknown>; passwordHash?: string | null }>,
): Promise<StoredUser> {
  return modifyWithRetry(c, () => requireUser(c, id), async (current) => {
    const write = await change(current);
    // Entra re-sends unchanged attributes on every sync cycle, and clients retry: a write that changes
    // nothing keeps the stored version and costs no D1 write. (Stored data is normalizer output, so equal
    // resources serialise equally.)
    if (write.passwordHash === undefined && JSON.stringify(write.data) === JSON.stringify(current.data)) return current;
    const updated = await updateUser(c.var.db, c.var.auth.tenant.id, current, write, eventOrigin(c));
    // A change of attributes leaves memberships alone: the groups read with `current` are the response's.
    return updated && { ...updated, ...(current.groups !== undefined ? { groups: current.groups } : {}) };
  });
}

usersRoutes.put("/Users/:id", async (c) => {
  projection(c, USER_RESOURCE);
  const id = c.req.param("id");
  const input = await readJsonObject(c.req.raw);
  checkBodyId(input, id);
  // Validated and hashed once: a PUT's new state does not depend on the version it replaces.
  const write = await prepareWrite(c, input);
  const user = await modifyUser(c, id, async () => write);
  return respondWithUser(c, user, 200);
});

usersRoutes.patch("/Users/:id", async (c) => {
  projection(c, USER_RESOURCE);
  const operations = parsePatchRequest(await readJsonObject(c.req.raw), USER_RESOURCE);
  const id = c.req.param("id");
  // Okta's and Entra's (de)activations and single-attribute replaces, without If-Match: one batch, nothing read
  // first. When the batch cannot apply it (no such user, an attribute not yet stored), it writes nothing and
  // the PATCH is applied the usual way below.
  const assignments = c.req.header("If-Match") === undefined ? userAssignments(operations, id) : null;
  const direct = assignments === null ? null : await assignUserAttributes(c.var.db, c.var.auth.tenant.id, id, assignments, eventOrigin(c));
  if (direct !== null) return respondWithUser(c, direct, 200);
  const hash = passwordHasher(c);
  const clearsPassword = removesPassword(operations);
  const user = await modifyUser(c, id, async (current) => {
    const patched = applyPatch({ ...current.data, id: current.id }, operations, USER_RESOURCE);
    const { resource, password } = normalizeResource(patched, USER_RESOURCE);
    if (password !== undefined) return { data: resource, passwordHash: await hash(password) };
    return { data: resource, ...(clearsPassword ? { passwordHash: null } : {}) };
  });
  return respondWithUser(c, user, 200);
});

usersRoutes.delete("/Users/:id", (c) =>
  deleteEndpoint(c, "User", (id, guard) => deleteUser(c.var.db, c.var.auth.tenant.id, id, eventOrigin(c), guard)),
);
allowOnly(usersRoutes, "/Users/:id", ["GET", "PUT", "PATCH", "DELETE"]);
