// List requests (RFC 7644 §3.4.2: filter, sortBy/sortOrder, startIndex/count, attributes) with cursor
// paging (RFC 9865: cursor, nextCursor, previousCursor), and the ListResponse message. The same request
// arrives as query parameters (GET) or as a SearchRequest body (POST .search, see search.ts).
import { badRequest } from "./errors.ts";
import { LIST_RESPONSE_SCHEMA } from "./schema/core.ts";
import { parseSortOrder } from "./sort.ts";
import { parseAttributeList } from "./projection.ts";

export const DEFAULT_COUNT = 100;
/** Advertised as filter.maxResults and pagination.maxPageSize; a larger count is served as this many (RFC 7644 §3.4.2.4). */
export const MAX_COUNT = 1000;

export type Pagination =
  | { kind: "index"; startIndex: number; count: number }
  /** `cursor` is "" for the first page. */
  | { kind: "cursor"; cursor: string; count: number };

export interface ListRequest {
  filter: string | undefined;
  sortBy: string | undefined;
  sortOrder: "ascending" | "descending" | undefined;
  pagination: Pagination;
  attributes: string[];
  excludedAttributes: string[];
}

/** A list parameter as given: text from a query string, or a JSON value from a SearchRequest body. */
export type RawParam = string | number | undefined;

function integerParam(name: string, raw: RawParam): number | undefined {
  if (raw === undefined || (typeof raw === "string" && raw.trim() === "")) return undefined;
  const text = String(raw).trim();
  if (!/^[+-]?\d+$/.test(text)) throw badRequest("invalidValue", `${name} must be an integer, got ${JSON.stringify(raw)}.`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw badRequest("invalidValue", `${name} is out of range: ${JSON.stringify(raw)}.`);
  return value;
}

/** Index or cursor paging from startIndex / cursor / count; index paging unless a cursor (even an empty one) is given. */
export function parsePagination(startIndexRaw: RawParam, countRaw: RawParam, cursor: string | undefined): Pagination {
  const count = integerParam("count", countRaw);
  if (cursor !== undefined) {
    if (integerParam("startIndex", startIndexRaw) !== undefined) {
      throw badRequest("invalidValue", "startIndex and cursor select different kinds of paging; send one of them.");
    }
    // RFC 9865 §2: count is a positive integer for cursor paging.
    if (count !== undefined && count < 1) {
      throw badRequest("invalidCount", `count must be between 1 and ${MAX_COUNT} with cursor paging, got ${count}.`);
    }
    return { kind: "cursor", cursor, count: Math.min(MAX_COUNT, count ?? DEFAULT_COUNT) };
  }
  const startIndex = integerParam("startIndex", startIndexRaw) ?? 1;
  // RFC 7644 §3.4.2.4: startIndex < 1 is read as 1, a negative count as 0.
  return { kind: "index", startIndex: Math.max(1, startIndex), count: Math.min(MAX_COUNT, Math.max(0, count ?? DEFAULT_COUNT)) };
}

/** A list request from GET query parameters. */
export function parseListQuery(query: (name: string) => string | undefined): ListRequest {
  return {
    filter: query("filter"),
    sortBy: query("sortBy"),
    sortOrder: parseSortOrder(query("sortOrder")),
    pagination: parsePagination(query("startIndex"), query("count"), query("cursor")),
    attributes: parseAttributeList(query("attributes")),
    excludedAttributes: parseAttributeList(query("excludedAttributes")),
  };
}

/** Index paging: RFC 7644 §3.4.2 ListResponse. */
export function listResponse(resources: unknown[], totalResults: number, startIndex: number) {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** Cursor paging: RFC 9865 §2, no startIndex; nextCursor only when there is a next page. */
export function cursorListResponse(resources: unknown[], totalResults: number, nextCursor: string | undefined, previousCursor: string | undefined) {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults,
    itemsPerPage: resources.length,
    ...(nextCursor !== undefined ? { nextCursor } : {}),
    ...(previousCursor !== undefined ? { previousCursor } : {}),
    Resources: resources,
  };
}
