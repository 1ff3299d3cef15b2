// The typed, schema-resolved form of a PatchOp request (RFC 7644 §3.5.2). parsePatchRequest produces it and
// applyPatch consumes it; routes may inspect it in between (e.g. pull out `members` ops to run as set-based SQL).
import type { FilterValue } from "../filter/ast.ts";
import type { ResolvedFilter } from "../filter/resolved.ts";
import type { AttributeDef } from "../schema/types.ts";

/** At most this many entries in `Operations`: bounds the work one request can ask for. */
export const MAX_PATCH_OPERATIONS = 1000;
/** At most this many elements in one operation's value array (e.g. members added at once). */
export const MAX_PATCH_VALUES = 1000;

export type PatchOpName = "add" | "replace" | "remove";

/** Selects elements of a multi-valued attribute: the `[...]` of `emails[type eq "work"].value`. */
export interface ValueSelector {
  /** The filter as written, for error details. */
  text: string;
  /** Resolved against the attribute's sub-attributes; evaluated against ONE element at a time. */
  filter: ResolvedFilter;
  /**
   * Canonical sub-attribute → value when the filter is nothing but `eq` comparisons joined by `and`
   * (`type eq "work"`, `value eq "id"`): what an unmatched add/replace creates, and what a route can read
   * directly (`members[value eq "id"]` → `{ value: "id" }`). Absent for any other filter.
   */
  equalities?: Record<string, Exclude<FilterValue, null>>;
}

/** Where an operation writes or removes, resolved against the resource type's schemas. */
export interface PatchTarget {
  /** The path as the client wrote it (or the `value` key it was expanded from), for error details. */
  text: string;
  /** URN of the schema the attribute belongs to: the core schema, a known extension or an unknown one. */
  schema: string;
  /** True when the attribute lives under `resource[schema]` (extensions) rather than at the top level. */
  extension: boolean;
  /** Canonical attribute name. Absent when the target is a whole extension (`path` = its URN). */
  attribute?: string;
  /** Absent for attributes of unknown extensions, which are free-form JSON kept as given. */
  attributeDef?: AttributeDef;
  subAttribute?: string;
  subAttributeDef?: AttributeDef;
  valueFilter?: ValueSelector;
}

export interface PatchOperation {
  /** Position in the request's `Operations` array, for error details. */
  index: number;
  op: PatchOpName;
  target: PatchTarget;
  /**
   * add/replace: the value, already normalised for the target (booleans from "True"/"False", numbers from
   * numeric strings, canonical sub-attribute names, readOnly sub-attributes dropped, a multi-valued
   * attribute's value always an array). A null add/replace value is turned into a `remove` (RFC 7643 §2.5:
   * null and unassigned are the same state), so add/replace values are never null.
   * remove: only for an unfiltered multi-valued target whose op carried a value (Entra's
   * `{"op":"Remove","path":"members","value":[{"value":"id"}]}`): the elements to remove.
   */
  value?: unknown;
  /**
   * True when expanded from an add/replace without `path`. Such a value may echo readOnly attributes the
   * client read earlier (Okta sends `id`): `id` is then checked against the resource instead of rejected.
   */
  pathless: boolean;
}
