// Filters after schema resolution: every name canonical and paired with its attribute definition, so the
// in-memory evaluator and the SQL compiler both know type, caseExact and multiplicity without re-resolving.
import type { AttributeDef } from "../schema/types.ts";
import type { CompareOp, FilterValue } from "./ast.ts";

export interface ResolvedPath {
  /** URN of the schema defining the attribute: the core schema (also for id, externalId, meta) or an extension. */
  schema: string;
  /** True when the attribute lives in an extension, i.e. under `resource[schema]` rather than at the top level. */
  extension: boolean;
  /** Attribute name as the schema spells it ("userName", "emails", "employeeNumber"). */
  attribute: string;
  /** Sub-attribute name as the schema spells it ("value", "familyName", "$ref"). */
  subAttribute?: string;
  attributeDef: AttributeDef;
  subAttributeDef?: AttributeDef;
  /** Definition of the value the path addresses: `subAttributeDef ?? attributeDef`. */
  leaf: AttributeDef;
  /**
   * Whether the path can address several values, so a comparison matches if ANY of them does. Inside a
   * valuePath filter this describes one element's sub-attribute (false for all RFC 7643 attributes).
   */
  multiValued: boolean;
  /**
   * Whether string comparisons are case-sensitive: the leaf's caseExact, and always for binary and reference
   * values (RFC 7643 §2.3.6 and §2.3.7 make them case exact whatever a schema says).
   */
  caseExact: boolean;
  /**
   * The key a SQL compiler maps to a column or json_extract path: "userName", "emails.value",
   * "meta.lastModified", "name.familyName", "urn:...:enterprise:2.0:User:employeeNumber", "urn:...:User:manager.value".
   */
  canonical: string;
}

/**
 * Same shape as `Filter`, resolved. Differences a consumer relies on:
 * - a compare on a multi-valued complex attribute without sub-attribute (`emails co "x"`) targets its `value`
 *   sub-attribute, so a compare's `path.leaf` is never complex;
 * - dateTime compare values are normalised to `Date.prototype.toISOString()` form (UTC, milliseconds);
 * - `value: null` only occurs with `eq` (= absent) and `ne` (= present);
 * - inside a valuePath's `filter` (and in a `resolveValueFilter` result) every path has `attribute` = the
 *   filtered attribute and `subAttribute` set, and is evaluated against ONE element of that attribute.
 */
export type ResolvedFilter =
  | { kind: "compare"; path: ResolvedPath; op: CompareOp; value: FilterValue }
  | { kind: "present"; path: ResolvedPath }
  | { kind: "and"; left: ResolvedFilter; right: ResolvedFilter }
  | { kind: "or"; left: ResolvedFilter; right: ResolvedFilter }
  | { kind: "not"; filter: ResolvedFilter }
  /** `path` is a complex attribute (usually multi-valued) without sub-attribute; matches if any element matches `filter`. */
  | { kind: "valuePath"; path: ResolvedPath; filter: ResolvedFilter };

/** A resolved PATCH path. `emails[type eq "work"].value` → target emails.value, valueFilter relative to emails. */
export interface ResolvedPatchPath {
  /** The attribute (and sub-attribute) the operation writes or removes. */
  target: ResolvedPath;
  /** Selects elements of `target.attribute`; paths relative to one element, as in a valuePath filter. */
  valueFilter?: ResolvedFilter;
}
