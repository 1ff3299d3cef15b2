// In-memory evaluation of resolved filters against SCIM resource JSON (RFC 7644 §3.4.2.2 semantics). Used by
// PATCH to pick elements of multi-valued attributes, and as the reference the SQL compiler must agree with.
//
// Semantics decided here (the SQL compiler must match them):
// - A comparison on a path with several values (multi-valued attribute or sub-attribute) matches if ANY value
//   matches; no values means no match.
// - "ne" is the negation of "eq": `userType ne "Employee"` matches a resource without userType, and
//   `emails ne "a@x"` matches only if NO email equals "a@x". RFC 7644 defines ne as "not identical" without
//   an any/all rule; reading it as not(eq) keeps `x ne v` and `not (x eq v)` the same filter, which is what an
//   administrator writing either expects. In SQL: `NOT (col IS NOT NULL AND col = ?)`, or NOT EXISTS for tables.
// - "eq null" matches when the attribute is absent (RFC 7643 §2.5: null, missing and [] are the same state);
//   "ne null" when it is present.
// - "pr": present and non-empty: not null, not "", not [], and a complex value has some present sub-value.
// - Values of the wrong JSON type never match (a stored "true" string is not the boolean true).
// - Strings of non-caseExact attributes compare after foldKey (NFC + full case fold), the fold storage uses
//   for its case-insensitive keys; caseExact ones compare code unit by code unit. dateTimes compare as instants.
import type { CompareOp, FilterValue } from "./ast.ts";
import { foldKey } from "../fold.ts";
import type { ResolvedFilter, ResolvedPath } from "./resolved.ts";
import { parseDateTime } from "./date-time.ts";

type JsonObject = Record<string, unknown>;

/** Whether `resource` (core attributes at top level, extension attributes under `resource[urn]`) matches. */
export function matchesFilter(resource: JsonObject, filter: ResolvedFilter): boolean {
  return evaluate(filter, { element: false, object: resource });
}

/**
 * Whether one element of a multi-valued attribute (e.g. one entry of `emails`) matches a filter resolved with
 * `resolveValueFilter` or taken from a valuePath / PATCH path: its paths name sub-attributes of the element.
 */
export function matchesValueFilter(element: JsonObject, filter: ResolvedFilter): boolean {
  return evaluate(filter, { element: true, object: element });
}

interface Scope {
  /** True when `object` is one element of a multi-valued attribute and paths read only their sub-attribute. */
  element: boolean;
  object: JsonObject;
}

function evaluate(filter: ResolvedFilter, scope: Scope): boolean {
  switch (filter.kind) {
    case "and":
      return evaluate(filter.left, scope) && evaluate(filter.right, scope);
    case "or":
      return evaluate(filter.left, scope) || evaluate(filter.right, scope);
    case "not":
      return !evaluate(filter.filter, scope);
    case "present":
      return valuesAt(filter.path, scope).some(isPresent);
    case "valuePath":
      return valuesAt(filter.path, scope).some((element) => isObject(element) && evaluate(filter.filter, { element: true, object: element }));
    case "compare": {
      const values = valuesAt(filter.path, scope);
      const { op, value, path } = filter;
      if (value === null) return op === "eq" ? !values.some(isPresent) : values.some(isPresent);
      if (op === "ne") return !values.some((actual) => compare(path, "eq", actual, value));
      return values.some((actual) => compare(path, op, actual, value));
    }
  }
}

/** The values a path addresses, flattened: an absent attribute gives [], a multi-valued one each element. */
function valuesAt(path: ResolvedPath, scope: Scope): unknown[] {
  if (scope.element) return path.subAttribute === undefined ? [] : flatten(property(scope.object, path.subAttribute));
  const container = path.extension ? property(scope.object, path.schema) : scope.object;
  if (!isObject(container)) return [];
  const values = flatten(property(container, path.attribute));
  const { subAttribute } = path;
  if (subAttribute === undefined) return values;
  return values.flatMap((element) => (isObject(element) ? flatten(property(element, subAttribute)) : []));
}

function flatten(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.filter((v) => v !== undefined && v !== null) : [value];
}

/** Reads `name` from `object`, falling back to a case-insensitive match (clients send "Emails", "USERNAME"). */
function property(object: JsonObject, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isObject(value)) return Object.values(value).some(isPresent);
  return true;
}

type NonNullValue = Exclude<FilterValue, null>;
type Comparable = string | number | boolean;

function compare(path: ResolvedPath, op: CompareOp, actual: unknown, expected: NonNullValue): boolean {
  const pair = comparable(path, actual, expected);
  if (pair === undefined) return false;
  const { left, right } = pair;
  if (op === "eq") return left === right;
  if (typeof left === "string" && typeof right === "string") {
    if (op === "co") return left.includes(right);
    if (op === "sw") return left.startsWith(right);
    if (op === "ew") return left.endsWith(right);
    return ordered(op, left < right ? -1 : left > right ? 1 : 0);
  }
  if (typeof left === "number" && typeof right === "number") return ordered(op, left - right);
  return false;
}

function ordered(op: CompareOp, sign: number): boolean {
  switch (op) {
    case "gt":
      return sign > 0;
    case "ge":
      return sign >= 0;
    case "lt":
      return sign < 0;
    case "le":
      return sign <= 0;
    default:
      return false;
  }
}

/**
 * Both sides in one comparable form for the path's type (folded strings, epoch milliseconds, numbers,
 * booleans), or undefined when the stored value is not of that type.
 */
function comparable(path: ResolvedPath, actual: unknown, expected: NonNullValue): { left: Comparable; right: Comparable } | undefined {
  switch (path.leaf.type) {
    case "boolean":
      return typeof actual === "boolean" && typeof expected === "boolean" ? { left: actual, right: expected } : undefined;
    case "integer":
    case "decimal":
      return typeof actual === "number" && typeof expected === "number" ? { left: actual, right: expected } : undefined;
    case "dateTime": {
      if (typeof actual !== "string" || typeof expected !== "string") return undefined;
      const left = parseDateTime(actual) ?? Date.parse(actual);
      const right = parseDateTime(expected) ?? Date.parse(expected);
      return Number.isNaN(left) || Number.isNaN(right) ? undefined : { left, right };
    }
    default:
      if (typeof actual !== "string" || typeof expected !== "string") return undefined;
      return path.caseExact ? { left: actual, right: expected } : { left: foldKey(actual), right: foldKey(expected) };
  }
}
