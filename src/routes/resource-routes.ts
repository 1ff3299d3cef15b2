// What /Users and /Groups have in common, in one place so the two cannot drift: absolute locations, the
// projection parameters (validated before any write), require-or-404, conditional GET (304), the optimistic-
// concurrency loop with its 409/412 answers, the body-id check of PUT, and DELETE with If-Match.
import type { Context } from "hono";
import type { AppEnv } from "../http/context.ts";
import { checkIfMatch, notModified } from "../http/preconditions.ts";
import { tenantBaseUrl } from "../http/urls.ts";
import { badRequest, changedDuringWrite, concurrentChange, notFound } from "../scim/errors.ts";
import { etag } from "../scim/meta.ts";
import { includesAttribute, parseAttributeList, type ProjectionOptions } from "../scim/projection.ts";
import type { ResourceSchemas } from "../scim/schema/registry.ts";
import type { DeleteGuard, DeleteOutcome } from "../storage/repos/versioned-delete.ts";

export type Ctx = Context<AppEnv>;

/** Optimistic-concurrency attempts when another request changed the resource between our read and write. */
const WRITE_ATTEMPTS = 3;

export type ResourceTypeName = "User" | "Group";

const ENDPOINTS: Record<ResourceTypeName, string> = { User: "/Users", Group: "/Groups" };

/** The tenant's SCIM base URL, from the deployment's PUBLIC_BASE_URL (never the request's Host). */
export const baseUrl = (c: Ctx) => tenantBaseUrl(c.env.PUBLIC_BASE_URL, c.var.auth.tenant.slug);

export const location = (c: Ctx, type: ResourceTypeName, id: string) => `${baseUrl(c)}${ENDPOINTS[type]}/${id}`;

/** `attributes`/`excludedAttributes` of the request; unknown names are a 400 here, so writes call it before they write. */
export function projection(c: Ctx, resource: ResourceSchemas): ProjectionOptions {
  const options = {
    attributes: parseAttributeList(c.req.query("attributes")),
    excludedAttributes: parseAttributeList(c.req.query("excludedAttributes")),
  };
  // Compiling the lists (for any attribute) is what validates them.
  includesAttribute(resource, options, "id");
  return options;
}

export function found<T>(item: T | null, type: ResourceTypeName, id: string): T {
  if (item === null) throw notFound(`${type} "${id}" not found.`);
  return item;
}

/** RFC 7644 §3.14: the 304 for a GET whose If-None-Match names the current version, else null. */
export function notModifiedResponse(c: Ctx, version: number): Response | null {
  return notModified(c.req.raw, version) ? new Response(null, { status: 304, headers: { ETag: etag(version) } }) : null;
}

/** A PUT body that names an id must name the URL's. */
export function checkBodyId(input: Record<string, unknown>, id: string): void {
  if (typeof input.id === "string" && input.id !== id) {
    throw badRequest("mutability", `The body's id "${input.id}" does not match the URL's id "${id}".`);
  }
}

const ifMatchSent = (c: Ctx) => c.req.header("If-Match") !== undefined;

/**
 * Read, check If-Match, write with a version guard. `write` returns the new state, or null when the guard
 * found the version changed: then it is read again and retried, unless If-Match pinned a version (412).
 */
export async function modifyWithRetry<T extends { version: number }>(
  c: Ctx,
  read: () => Promise<T>,
  write: (current: T, pinned: boolean) => Promise<T | null>,
): Promise<T> {
  const pinned = ifMatchSent(c);
  for (let attempt = 1; ; attempt++) {
    const current = await read();
    checkIfMatch(c.req.raw, current.version);
    const updated = await write(current, pinned);
    if (updated !== null) return updated;
    if (pinned) throw changedDuringWrite();
    if (attempt >= WRITE_ATTEMPTS) throw concurrentChange();
  }
}

/** DELETE /<Resource>/{id}: 204, 404, or 412 when If-Match does not name the version deleted. */
export async function deleteEndpoint(
  c: Ctx,
  type: ResourceTypeName,
  remove: (id: string, guard: DeleteGuard) => Promise<DeleteOutcome>,
): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const outcome = await remove(id, { check: (version) => checkIfMatch(c.req.raw, version), pinned: ifMatchSent(c) });
  if (outcome === "missing") throw notFound(`${type} "${id}" not found.`);
  if (outcome === "changed") throw changedDuringWrite();
  return new Response(null, { status: 204 });
}
