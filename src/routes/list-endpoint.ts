// One list request (GET /Users, POST /Users/.search, the same for Groups) from parsed parameters to a
// ListResponse: filter, sort and paging are resolved here (protocol: src/scim), run by storage
// (src/storage/listing/plan.ts), and each resource type renders its own page.
import { scimJson } from "../http/respond.ts";
import { decodeCursor, encodeCursor, type CursorScope } from "../scim/cursor.ts";
import { parseFilter } from "../scim/filter/parse.ts";
import { resolveFilter, type ResolvedFilter } from "../scim/filter/resolve.ts";
import { cursorListResponse, listResponse, type ListRequest } from "../scim/list-query.ts";
import { projectResource, type ProjectionOptions } from "../scim/projection.ts";
import type { ResourceSchemas } from "../scim/schema/registry.ts";
import { scopeFilter } from "../scim/search.ts";
import { resolveSort } from "../scim/sort.ts";
import { DEFAULT_ORDER, type SortColumn } from "../storage/listing/keyset.ts";
import { positionOf, type ListFilter, type ListQuery, type ListResult } from "../storage/listing/plan.ts";
import type { Ctx } from "./resource-routes.ts";

export type { Ctx };

/** What a resource type brings to listing: its schema, indexes, storage and rendering. */
export interface ListSource<Item> {
  resource: ResourceSchemas;
  endpoint: string;
  sortColumns: Record<string, SortColumn>;
  /** The filter compiled by storage (src/storage/filter), opaque here. */
  compile(c: Ctx, filter: ResolvedFilter): Omit<ListFilter, "text">;
  /** One page; `options` (the response's projection) says what to read beside the rows, e.g. a user's groups. */
  run(c: Ctx, query: ListQuery, options: ProjectionOptions): Promise<ListResult & { items: Item[] }>;
  render(c: Ctx, items: Item[], options: ProjectionOptions): Promise<Record<string, unknown>[]>;
}

/** A list request resolved for one resource type. `filter` false: the filter matches none of this type. */
export interface ListPlan {
  filter: ListFilter | null | false;
  sortBy: string | null;
  sort: SortColumn;
  descending: boolean;
}

export function planList<Item>(source: ListSource<Item>, c: Ctx, request: ListRequest): ListPlan {
  const sort = resolveSort(request.sortBy, request.sortOrder, source.resource, Object.keys(source.sortColumns));
  const column = sort.attribute === null ? DEFAULT_ORDER : source.sortColumns[sort.attribute] ?? DEFAULT_ORDER;
  let filter: ListPlan["filter"] = null;
  if (request.filter !== undefined) {
    const parsed = parseFilter(request.filter);
    // Resolved whole first, so that an error anywhere in it is reported even where folding would skip it.
    resolveFilter(parsed, source.resource);
    filter = planFilter(source, c, scopeFilter(parsed, source.resource, false).filter, request.filter);
  }
  return { filter, sortBy: sort.attribute, sort: column, descending: sort.descending };
}

/** A scoped filter as storage runs it: none (true), nothing to run (false), or compiled SQL. */
export function planFilter<Item>(source: ListSource<Item>, c: Ctx, scoped: ReturnType<typeof scopeFilter>["filter"], text: string): ListPlan["filter"] {
  if (scoped === true) return null;
  if (scoped === false) return false;
  return { ...source.compile(c, resolveFilter(scoped, source.resource)), text };
}

export function cursorScope(c: Ctx, endpoint: string, request: ListRequest, plan: Pick<ListPlan, "sortBy" | "descending">): CursorScope {
  return { tenantId: c.var.auth.tenant.id, endpoint, filter: request.filter, sortBy: plan.sortBy, descending: plan.descending };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

const EMPTY: ListResult = { total: 0, rows: [], after: false, before: false };

/** Runs `plan` for one page; a filter that matches nothing of this type reads nothing. */
export async function runPlan<Item>(
  source: ListSource<Item>,
  c: Ctx,
  plan: ListPlan,
  page: ListQuery["page"],
  options: ProjectionOptions,
): Promise<ListResult & { items: Item[] }> {
  if (plan.filter === false) return { ...EMPTY, items: [] };
  return source.run(c, { filter: plan.filter, sort: plan.sort, descending: plan.descending, page, scanCap: c.var.config.unindexedScanCap }, options);
}

/** GET /<Resource> and POST /<Resource>/.search. */
export async function listEndpoint<Item>(source: ListSource<Item>, c: Ctx, request: ListRequest): Promise<Response> {
  const plan = planList(source, c, request);
  const options = { attributes: request.attributes, excludedAttributes: request.excludedAttributes };
  // Unknown attribute names are a 400 before anything is read, also when the page turns out empty.
  projectResource({}, source.resource, options);
  const paging = request.pagination;
  if (paging.kind === "index") {
    const result = await runPlan(source, c, plan, paging, options);
    return scimJson(listResponse(await source.render(c, result.items, options), result.total, paging.startIndex));
  }
  const scope = cursorScope(c, source.endpoint, request, plan);
  const cursor = await decodeCursor(paging.cursor, scope, nowSeconds(), c.var.config.cursorSecret);
  const from = cursor?.position ?? null;
  const result = await runPlan(source, c, plan, { kind: "cursor", from, backward: cursor?.direction === "previous", count: paging.count }, options);
  // Cursors point at the page's own edge rows. A page can only come back empty when rows were deleted after
  // its cursor was issued; it then carries no cursors, and the client starts over.
  const first = result.rows[0];
  const last = result.rows.at(-1);
  const next = result.after && last ? await encodeCursor({ direction: "next", position: positionOf(last) }, scope, nowSeconds(), c.var.config.cursorSecret) : undefined;
  const previous = result.before && first ? await encodeCursor({ direction: "previous", position: positionOf(first) }, scope, nowSeconds(), c.var.config.cursorSecret) : undefined;
  return scimJson(cursorListResponse(await source.render(c, result.items, options), result.total, next, previous));
}
