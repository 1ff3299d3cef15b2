// /Users (RFC 7644 §3): thin handlers over the protocol core (src/scim) and storage (src/storage/users.ts).
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
import { hashPassword } from "../scim/password.ts";
import { applyPatch, parsePatchRequest, type PatchOperation } from "../scim/patch/index.ts";
import { includesAttribute, parseAttributeList, projectResource, type ProjectionOptions } from "../scim/projection.ts";
import { parseSearchRequest } from "../scim/search.ts";
import { ENTERPRISE_USER_SCHEMA } from "../scim/schema/core.ts";
import { USER_RESOURCE } from "../scim/schema/registry.ts";
import { normalizeResource } from "../scim/validate/resource.ts";
import { userFilterSql } from "../storage/filter/users.ts";
import { createUser, deleteUser, getUser, listUsers, updateUser, USER_SORT_COLUMNS, type StoredUser } from "../storage/repos/users.ts";
import { renderUserGroups, wantsUserGroups } from "./groups.ts";
import { listEndpoint, type ListSource } from "./list-endpoint.ts";

export const usersRoutes = new Hono<AppEnv>();

type Ctx = Context<AppEnv>;

/** Optimistic-concurrency retries when another request changed the user between our read and write. */
const WRITE_ATTEMPTS = 3;

function location(c: Ctx, id: string): string {
  return `${tenantBaseUrl(c.env.PUBLIC_BASE_URL, c.var.auth.tenant.slug)}/Users/${id}`;
}

/** Reads `attributes`/`excludedAttributes`; unknown names fail here, so writes call it before they write. */
function projection(c: Ctx): ProjectionOptions {
  const options = {
    attributes: parseAttributeList(c.req.query("attributes")),
    excludedAttributes: parseAttributeList(c.req.query("excludedAttributes")),
  };
  // Compiles (and so validates) both lists.
  includesAttribute(USER_RESOURCE, options, "groups");
  return options;
}

function render(c: Ctx, user: StoredUser): Record<string, unknown> {
  return renderResource(user, "User", location(c, user.id));
}

/** `user` as a response; its groups were read with it (requireUser, listUsers), nothing is read here. */
function respondWithUser(c: Ctx, user: StoredUser, status: number, extraHeaders: Record<string, string> = {}): Response {
  const options = projection(c);
  const body = projectResource(render(c, renderUserGroups(c, user, options)), USER_RESOURCE, options);
  return scimJson(body, status, { ETag: etag(user.version), ...extraHeaders });
}

/** The user, with its groups when the response will list them (one round trip either way). */
async function requireUser(c: Ctx, id: string, options: { groups: boolean } = { groups: wantsUserGroups(projection(c)) }): Promise<StoredUser> {
  const user = await getUser(c.var.db, c.var.auth.tenant.id, id, options);
  if (!user) throw notFound(`User "${id}" not found.`);
  return user;
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
  compile: (c, filter) => userFilterSql(filter, c.var.auth.tenant.id),
  run: async (c, query, options) => {
    const result = await listUsers(c.var.db, c.var.auth.tenant.id, query, { groups: wantsUserGroups(options) });
    return { ...result, items: result.users };
  },
  render: async (c, users: StoredUser[], options: ProjectionOptions) =>
    users.map((u) => projectResource(render(c, renderUserGroups(c, u, options)), USER_RESOURCE, options)),
};

usersRoutes.get("/Users", (c) => listEndpoint(USERS_LIST, c, parseListQuery((name) => c.req.query(name))));

// RFC 7644 §3.4.3. Registered before /Users/:id, which would otherwise take ".search" for an id.
usersRoutes.post("/Users/.search", async (c) => listEndpoint(USERS_LIST, c, parseSearchRequest(await readJsonObject(c.req.raw))));
allowOnly(usersRoutes, "/Users/.search", ["POST"]);

usersRoutes.post("/Users", async (c) => {
  projection(c);
  const write = await prepareWrite(c, await readJsonObject(c.req.raw));
  if (write.data.active === undefined) write.data.active = true;
  // A user this request created is in no group yet (its id was unknown until now), so there is nothing to read.
  const user = await createUser(c.var.db, c.var.auth.tenant.id, write, eventOrigin(c));
  return respondWithUser(c, { ...user, groups: [] }, 201, { Location: location(c, user.id) });
});
allowOnly(usersRoutes, "/Users", ["GET", "POST"]);

usersRoutes.get("/Users/:id", async (c) => {
  const user = await requireUser(c, c.req.param("id"));
  if (notModified(c.req.raw, user.version)) return new Response(null, { status: 304, headers: { ETag: etag(user.version) } });
  return respondWithUser(c, user, 200);
});

/** Read, change, write with a version check; retried when a concurrent write wins, unless If-Match pins a version. */
async function modifyUser(
  c: Ctx,
  id: string,
  change: (current: StoredUser) => Promise<{ data: Record<string, unknown>; passwordHash?: string | null }>,
): Promise<StoredUser> {
  for (let attempt = 1; ; attempt++) {
    const current = await requireUser(c, id);
    checkIfMatch(c.req.raw, current.version);
    const write = await change(current);
    // Entra re-sends unchanged attributes on every sync cycle, and clients retry: a write that changes
    // nothing keeps the stored version and costs no D1 write. (Stored data is normalizer output, so equal
    // resources serialise equally.)
    if (write.passwordHash === undefined && JSON.stringify(write.data) === JSON.stringify(current.data)) return current;
    const updated = await updateUser(c.var.db, c.var.auth.tenant.id, current, write, eventOrigin(c));
    // A change of attributes leaves memberships alone: the groups read with `current` are the response's.
    if (updated) return { ...updated, ...(current.groups !== undefined ? { groups: current.groups } : {}) };
    if (c.req.header("If-Match") !== undefined) {
      throw changedDuringWrite();
    }
    if (attempt >= WRITE_ATTEMPTS) throw concurrentChange();
  }
}

usersRoutes.put("/Users/:id", async (c) => {
  projection(c);
  const id = c.req.param("id");
  const input = await readJsonObject(c.req.raw);
  if (typeof input.id === "string" && input.id !== id) {
    throw badRequest("mutability", `The body's id "${input.id}" does not match the URL's id "${id}".`);
  }
  // Validated and hashed once: a PUT's new state does not depend on the version it replaces.
  const write = await prepareWrite(c, input);
  const user = await modifyUser(c, id, async () => write);
  return respondWithUser(c, user, 200);
});

usersRoutes.patch("/Users/:id", async (c) => {
  projection(c);
  const operations = parsePatchRequest(await readJsonObject(c.req.raw), USER_RESOURCE);
  const hash = passwordHasher(c);
  const clearsPassword = removesPassword(operations);
  const user = await modifyUser(c, c.req.param("id"), async (current) => {
    const patched = applyPatch({ ...current.data, id: current.id }, operations, USER_RESOURCE);
    const { resource, password } = normalizeResource(patched, USER_RESOURCE);
    if (password !== undefined) return { data: resource, passwordHash: await hash(password) };
    return { data: resource, ...(clearsPassword ? { passwordHash: null } : {}) };
  });
  return respondWithUser(c, user, 200);
});

usersRoutes.delete("/Users/:id", async (c) => {
  const id = c.req.param("id");
  const outcome = await deleteUser(c.var.db, c.var.auth.tenant.id, id, eventOrigin(c), {
    check: (version) => checkIfMatch(c.req.raw, version),
    pinned: c.req.header("If-Match") !== undefined,
  });
  if (outcome === "missing") throw notFound(`User "${id}" not found.`);
  if (outcome === "changed") throw changedDuringWrite();
  return new Response(null, { status: 204 });
});
allowOnly(usersRoutes, "/Users/:id", ["GET", "PUT", "PATCH", "DELETE"]);
