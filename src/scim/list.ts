// List paging (RFC 7644 §3.4.2.4) and the ListResponse message (§3.4.2).
import { badRequest } from "./errors.ts";
import { LIST_RESPONSE_SCHEMA } from "./schema/core.ts";

export const DEFAULT_COUNT = 100;
/** Advertised as filter.maxResults; a larger count is served as this many (RFC 7644 §3.4.2.4). */
export const MAX_COUNT = 1000;

export interface Paging {
  startIndex: number;
  count: number;
}

function integerParam(name: string, raw: string | undefined | null): number | undefined {
  if (raw === undefined || raw === null || raw.trim() === "") return undefined;
  if (!/^[+-]?\d+$/.test(raw.trim())) throw badRequest("invalidValue", `${name} must be an integer, got "${raw}".`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw badRequest("invalidValue", `${name} is out of range: "${raw}".`);
  return value;
}

export function parsePaging(startIndexRaw: string | undefined | null, countRaw: string | undefined | null): Paging {
  const startIndex = integerParam("startIndex", startIndexRaw) ?? 1;
  const count = integerParam("count", countRaw) ?? DEFAULT_COUNT;
  // RFC 7644 §3.4.2.4: startIndex < 1 is read as 1, a negative count as 0.
  return { startIndex: Math.max(1, startIndex), count: Math.min(MAX_COUNT, Math.max(0, count)) };
}

export function listResponse(resources: unknown[], totalResults: number, startIndex: number) {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
