// sortBy / sortOrder (RFC 7644 §3.4.2.3). A sort is served from an index, so only the attributes a
// resource type keeps in an indexed column are sortable; any other is a 400 naming the ones that are,
// never a silently unsorted (or a table-scanning) answer.
import { badRequest } from "./errors.ts";
import { parseAttrPath } from "./filter/parse.ts";
import { resolveAttrPath } from "./filter/resolve.ts";
import type { ResourceSchemas } from "./schema/registry.ts";

export interface SortRequest {
  /** Canonical attribute path ("userName", "meta.created"), or null for the default (creation) order. */
  attribute: string | null;
  descending: boolean;
}

/** RFC 7644 §3.4.2.3: "ascending" or "descending"; the names compare case-insensitively. */
export function parseSortOrder(raw: string | undefined): "ascending" | "descending" | undefined {
  if (raw === undefined) return undefined;
  const order = raw.trim().toLowerCase();
  if (order === "ascending" || order === "descending") return order;
  throw badRequest("invalidValue", `sortOrder must be "ascending" or "descending", got ${JSON.stringify(raw)}.`);
}

/**
 * Resolves sortBy against `resource` and checks it is one of `sortable` (canonical paths). Without sortBy the
 * order is creation order, and sortOrder=descending lists the newest first.
 */
export function resolveSort(
  sortBy: string | undefined,
  sortOrder: "ascending" | "descending" | undefined,
  resource: ResourceSchemas,
  sortable: readonly string[],
): SortRequest {
  const descending = sortOrder === "descending";
  if (sortBy === undefined || sortBy.trim() === "") return { attribute: null, descending };
  const options = { scimType: "invalidValue", label: "sortBy" } as const;
  const path = resolveAttrPath(parseAttrPath(sortBy.trim(), "invalidValue"), resource, options);
  if (!sortable.includes(path.canonical)) {
    throw badRequest(
      "invalidValue",
      `sortBy ${JSON.stringify(sortBy)} is not sortable on ${resource.resourceType.endpoint}: sorting is served from an index, ` +
        `and the sortable attributes are ${sortable.join(", ")}.`,
    );
  }
  return { attribute: path.canonical, descending };
}
