// POST /.search (RFC 7644 §3.4.3): one search over every resource type. The result lists all matching
// Users, then all matching Groups, each in creation order, so startIndex and cursors page across both.
// A filter comparison on an attribute one type does not define matches none of that type's resources
// (`userName eq "x"` finds no group); an attribute no type defines is a 400. sortBy, and sortOrder other
// than ascending, are refused: one order across types would need a merge no index serves.
import { Hono } from "hono";
import { readJsonObject } from "../http/body.ts";
import type { AppEnv } from "../http/context.ts";
import { allowOnly } from "../http/methods.ts";
import { scimJson } from "../http/respond.ts";
import { decodeCursor, encodeCursor, type Cursor, type CursorScope } from "../scim/cursor.ts";
import { badRequest } from "../scim/errors.ts";
import { parseFilter } from "../scim/filter/parse.ts";
import { cursorListResponse, listResponse, type ListRequest } from "../scim/list-query.ts";
import { projectResource, type ProjectionOptions } from "../scim/projection.ts";
import { parseSearchRequest, scopeFilter } from "../scim/search.ts";
import { DEFAULT_ORDER } from "../storage/listing/keyset.ts";
import { positionOf, type ListResult, type RawRow } from "../storage/listing/plan.ts";
import { GROUPS_LIST } from "./groups.ts";
import { nowSeconds, planFilter, runPlan, type Ctx, type ListPlan, type ListSource } from "./list-endpoint.ts";
import { USERS_LIST } from "./users.ts";

export const searchRoutes = new Hono<AppEnv>();

/** One resource type's part of a root search. */
interface Part {
  // The parts differ in item type; each is only ever run and rendered by its own source.
  source: ListSource<never>;
  plan: ListPlan;
  options: ProjectionOptions;
}

interface PartPage {
  part: Part;
  result: ListResult & { items: unknown[] };
}

searchRoutes.post("/.search", async (c) => {
  const request = parseSearchRequest(await readJsonObject(c.req.raw));
  if (request.sortBy !== undefined || request.sortOrder === "descending") {
    throw badRequest(
      "invalidValue",
      "A search at the server root lists Users, then Groups, in creation order; sortBy and sortOrder are supported on " +
        "/Users/.search and /Groups/.search.",
    );
  }
  const parts = planParts(c, request);
  const paging = request.pagination;
  if (paging.kind === "index") return indexPage(c, parts, paging.startIndex, paging.count);
  const scope: CursorScope = { tenantId: c.var.auth.tenant.id, endpoint: "/", filter: request.filter, sortBy: null, descending: false };
  return cursorPage(c, parts, scope, await decodeCursor(paging.cursor, scope, nowSeconds(), c.var.config.cursorSecret), paging.count);
});
allowOnly(searchRoutes, "/.search", ["POST"]);

function planParts(c: Ctx, request: ListRequest): Part[] {
  const sources = [USERS_LIST, GROUPS_LIST] as unknown as ListSource<never>[];
  const parsed = request.filter !== undefined ? parseFilter(request.filter) : undefined;
  const scoped = sources.map((source) => (parsed === undefined ? null : scopeFilter(parsed, source.resource, true)));
  // A name that no type defines is a typo, not a filter that matches nothing.
  for (const [name, error] of scoped[0]?.unknown ?? []) {
    if (scoped.every((s) => s?.unknown.has(name))) throw error;
  }
  return sources.map((source, i): Part => {
    const filter = scoped[i] ? planFilter(source, c, scoped[i].filter, request.filter ?? "") : null;
    return { source, plan: { filter, sortBy: null, sort: DEFAULT_ORDER, descending: false }, options: projectionFor(source, sources, request) };
  });
}

/** Whether resource type `source` defines attribute `name` (as `attributes=` would accept it). */
function defines(source: ListSource<never>, name: string): boolean {
  try {
    projectResource({}, source.resource, { attributes: [name] });
    return true;
  } catch {
    return false;
  }
}

/**
 * `attributes` / `excludedAttributes` for one type: names the type does not define are left out (a Group has
 * no userName), and a name no type defines is a 400. When none of the requested attributes applies, only
 * the always-returned ones (id, schemas) are.
 */
function projectionFor(source: ListSource<never>, sources: ListSource<never>[], request: ListRequest): ProjectionOptions {
  for (const name of [...request.attributes, ...request.excludedAttributes]) {
    if (!sources.some((s) => defines(s, name))) {
      throw badRequest("invalidValue", `Unknown attribute "${name}" in a search at the server root: neither Users nor Groups define it.`);
    }
  }
  const attributes = request.attributes.filter((name) => defines(source, name));
  const excludedAttributes = request.excludedAttributes.filter((name) => defines(source, name));
  return { attributes: attributes.length === 0 && request.attributes.length > 0 ? ["id"] : attributes, excludedAttributes };
}

async function render(c: Ctx, pages: PartPage[]): Promise<unknown[]> {
  const rendered = await Promise.all(pages.map(({ part, result }) => part.source.render(c, result.items as never[], part.options)));
  return rendered.flat();
}

/** Positions 1..U are the Users, U+1..U+G the Groups. */
async function indexPage(c: Ctx, parts: Part[], startIndex: number, count: number): Promise<Response> {
  const pages: PartPage[] = [];
  let total = 0;
  let remaining = count;
  for (const part of parts) {
    // Where this type's positions start among all results: 1 for Users, U + 1 for Groups.
    const start = Math.max(1, startIndex - total);
    const result = await runPlan(part.source, c, part.plan, { kind: "index", startIndex: start, count: remaining }, part.options);
    pages.push({ part, result });
    total += result.total;
    remaining -= result.rows.length;
  }
  return scimJson(listResponse(await render(c, pages), total, startIndex));
}

/**
 * A cursor names a type and a position in it. Forwards, a page takes the rest of that type and then the
 * following types from their start; backwards, the rest of that type towards its start and then the
 * preceding types from their end.
 */
async function cursorPage(c: Ctx, parts: Part[], scope: CursorScope, cursor: Cursor | null, count: number): Promise<Response> {
  const backward = cursor?.direction === "previous";
  const at = cursor === null ? 0 : parts.findIndex((p) => p.source.resource.resourceType.name === cursor.resourceType);
  if (at < 0) throw badRequest("invalidCursor", "The cursor does not belong to a search at the server root.");
  const order = backward ? parts.slice(0, at + 1).reverse() : parts.slice(at);
  const pages: PartPage[] = [];
  const counted = new Map<Part, number>();
  let remaining = count;
  // Whether results lie beyond the page in the direction of travel.
  let beyond = false;
  for (const [i, part] of order.entries()) {
    const from = i === 0 ? (cursor?.position ?? null) : null;
    // With the page full, a type is still asked for one result: whether it has any decides `beyond`.
    const result = await runPlan(part.source, c, part.plan, { kind: "cursor", from, backward, count: Math.max(1, remaining) }, part.options);
    counted.set(part, result.total);
    if (remaining === 0) {
      beyond = result.rows.length > 0;
      break;
    }
    pages.push({ part, result });
    remaining -= result.rows.length;
    if (backward ? result.before : result.after) {
      beyond = true;
      break;
    }
  }
  const totals = await Promise.all(parts.map((part) => counted.get(part) ?? totalOf(c, part)));
  // Behind the page: the cursor's own type before (after) its position, or any type before (after) it.
  const own = pages[0]?.result;
  const others = backward ? totals.slice(at + 1) : totals.slice(0, at);
  const behind = cursor !== null && ((own !== undefined && (backward ? own.after : own.before)) || others.some((n) => n > 0));
  if (backward) pages.reverse();
  const filled = pages.filter((p) => p.result.rows.length > 0);
  const encode = (direction: "next" | "previous", part: Part, row: RawRow | undefined) =>
    row === undefined ? undefined : encodeCursor({ direction, position: positionOf(row), resourceType: part.source.resource.resourceType.name }, scope, nowSeconds(), c.var.config.cursorSecret);
  const [firstPage, lastPage] = [filled[0], filled.at(-1)];
  const hasNext = backward ? behind : beyond;
  const hasPrevious = backward ? beyond : behind;
  const next = hasNext && lastPage ? await encode("next", lastPage.part, lastPage.result.rows.at(-1)) : undefined;
  const previous = hasPrevious && firstPage ? await encode("previous", firstPage.part, firstPage.result.rows[0]) : undefined;
  const total = totals.reduce((sum, n) => sum + n, 0);
  return scimJson(cursorListResponse(await render(c, pages), total, next, previous));
}

async function totalOf(c: Ctx, part: Part): Promise<number> {
  return (await runPlan(part.source, c, part.plan, { kind: "index", startIndex: 1, count: 0 }, part.options)).total;
}
