// Searching with POST (RFC 7644 §3.4.3): the SearchRequest message, and what one filter means for each
// resource type it is applied to (a search at the server root applies it to Users and to Groups).
import { ScimError, badRequest } from "./errors.ts";
import type { AttrPath, Filter } from "./filter/ast.ts";
import { printAttrPath } from "./filter/print.ts";
import { resolveAttrPath } from "./filter/resolve.ts";
import { parsePagination, type ListRequest, type RawParam } from "./list-query.ts";
import { SEARCH_REQUEST_SCHEMA } from "./schema/core.ts";
import type { ResourceSchemas } from "./schema/registry.ts";
import { parseSortOrder } from "./sort.ts";

const MEMBERS = ["schemas", "attributes", "excludedAttributes", "filter", "sortBy", "sortOrder", "startIndex", "count", "cursor"] as const;
type Member = (typeof MEMBERS)[number];

/** A SearchRequest body as a list request. Attribute names are case-insensitive (RFC 7643 §2.1); null is absent. */
export function parseSearchRequest(body: Record<string, unknown>): ListRequest {
  const values = new Map<Member, unknown>();
  for (const [name, value] of Object.entries(body)) {
    const member = MEMBERS.find((m) => m.toLowerCase() === name.toLowerCase());
    if (member === undefined) {
      throw badRequest("invalidSyntax", `Unknown SearchRequest attribute ${JSON.stringify(name)}; a SearchRequest has ${MEMBERS.join(", ")}.`);
    }
    if (value !== null) values.set(member, value);
  }
  const schemas = values.get("schemas");
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === SEARCH_REQUEST_SCHEMA.toLowerCase())) {
    throw badRequest("invalidSyntax", `A search body must list "${SEARCH_REQUEST_SCHEMA}" in "schemas" (RFC 7644 §3.4.3).`);
  }
  const sortOrder = text(values, "sortOrder");
  return {
    filter: text(values, "filter"),
    sortBy: text(values, "sortBy"),
    sortOrder: parseSortOrder(sortOrder),
    pagination: parsePagination(integer(values, "startIndex"), integer(values, "count"), text(values, "cursor")),
    attributes: names(values, "attributes"),
    excludedAttributes: names(values, "excludedAttributes"),
  };
}

function text(values: Map<Member, unknown>, member: Member): string | undefined {
  const value = values.get(member);
  if (value === undefined || typeof value === "string") return value;
  throw badRequest("invalidSyntax", `SearchRequest "${member}" must be a string, got ${JSON.stringify(value)}.`);
}

function integer(values: Map<Member, unknown>, member: Member): RawParam {
  const value = values.get(member);
  if (value === undefined || typeof value === "number" || typeof value === "string") return value;
  throw badRequest("invalidSyntax", `SearchRequest "${member}" must be an integer, got ${JSON.stringify(value)}.`);
}

/** RFC 7644 §3.4.3: a list of attribute names; one comma-separated string is read like the query parameter. */
function names(values: Map<Member, unknown>, member: Member): string[] {
  const value = values.get(member);
  if (value === undefined) return [];
  const list = typeof value === "string" ? value.split(",") : value;
  if (!Array.isArray(list) || !list.every((n) => typeof n === "string")) {
    throw badRequest("invalidSyntax", `SearchRequest "${member}" must be an array of attribute names.`);
  }
  return list.map((n) => n.trim()).filter((n) => n !== "");
}

/** A filter for one resource type: a filter still to run, or a constant (every resource / none). */
export type ScopedFilter = Filter | boolean;

/**
 * Folds what is known without reading a row: `meta.resourceType` comparisons are constants for a resource
 * type (so `meta.resourceType eq "Group"` costs nothing on /Users, and is how a root search is narrowed to
 * one type, RFC 7644 §3.4.2.1). With `unknownMatchesNothing` (a root search), a comparison on an attribute
 * the type does not define matches none of its resources; `unknown` then holds each such name (lower case)
 * with the resolver's error, so a name no type defines can still be refused. Elsewhere an unknown attribute
 * stays in the filter for the resolver to reject.
 */
export function scopeFilter(
  filter: Filter,
  resource: ResourceSchemas,
  unknownMatchesNothing: boolean,
): { filter: ScopedFilter; unknown: Map<string, ScimError> } {
  const unknown = new Map<string, ScimError>();
  const leaf = (path: AttrPath, fold: () => boolean | undefined, original: Filter): ScopedFilter => {
    let canonical: string;
    try {
      canonical = resolveAttrPath(path, resource).canonical;
    } catch (error) {
      if (!unknownMatchesNothing || !(error instanceof ScimError)) return original;
      unknown.set(printAttrPath(path).toLowerCase(), error);
      return false;
    }
    return canonical === "meta.resourceType" ? (fold() ?? original) : original;
  };
  const type = resource.resourceType.name;
  const walk = (node: Filter): ScopedFilter => {
    switch (node.kind) {
      case "and":
        return and(walk(node.left), walk(node.right));
      case "or":
        return or(walk(node.left), walk(node.right));
      case "not": {
        const inner = walk(node.filter);
        return typeof inner === "boolean" ? !inner : { kind: "not", filter: inner };
      }
      case "present":
        return leaf(node.path, () => true, node);
      case "valuePath":
        return leaf(node.path, () => undefined, node);
      case "compare":
        return leaf(node.path, () => compareConstant(type, node.op, node.value), node);
    }
  };
  const scoped = walk(filter);
  return { filter: scoped, unknown };
}

function and(left: ScopedFilter, right: ScopedFilter): ScopedFilter {
  if (left === false || right === false) return false;
  if (left === true) return right;
  if (right === true) return left;
  return { kind: "and", left, right };
}

function or(left: ScopedFilter, right: ScopedFilter): ScopedFilter {
  if (left === true || right === true) return true;
  if (left === false) return right;
  if (right === false) return left;
  return { kind: "or", left, right };
}

/** `meta.resourceType <op> value` for a resource of type `type` (a caseExact string), or undefined to leave it to the resolver. */
function compareConstant(type: string, op: string, value: unknown): boolean | undefined {
  if (value === null) return op === "ne" ? true : op === "eq" ? false : undefined;
  if (typeof value !== "string") return undefined;
  switch (op) {
    case "eq":
      return type === value;
    case "ne":
      return type !== value;
    case "co":
      return type.includes(value);
    case "sw":
      return type.startsWith(value);
    case "ew":
      return type.endsWith(value);
    case "gt":
      return type > value;
    case "ge":
      return type >= value;
    case "lt":
      return type < value;
    case "le":
      return type <= value;
    default:
      return undefined;
  }
}
