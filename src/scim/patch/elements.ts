// Identity of elements of multi-valued attributes: when an added email or member is "already there" (RFC 7644
// §3.5.2.1: "If the target location already contains the value specified, no changes SHOULD be made"), and
// which elements a remove-with-value lists.
import type { AttributeDef } from "../schema/types.ts";
import { isPlainObject, jsonEqual } from "./json.ts";

function isCaseExact(def: AttributeDef | undefined): boolean {
  // Without a schema (unknown extensions) nothing says a string is case-insensitive: compare exactly.
  if (def === undefined) return true;
  return def.caseExact || def.type === "reference" || def.type === "binary";
}

/**
 * Two elements are the same value when their `value` sub-attributes are equal (under its caseExact) and their
 * `type`s agree where both have one: `{"value":"u1"}` is the member `{"value":"u1","type":"User"}`, and Okta
 * re-adding a member must not duplicate it. Elements without `value` (addresses) compare as whole objects.
 */
export function sameElement(a: unknown, b: unknown, def: AttributeDef | undefined): boolean {
  if (isPlainObject(a) && isPlainObject(b)) {
    const subs = def?.subAttributes;
    const valueDef = subs?.find((s) => s.name === "value");
    const typeDef = subs?.find((s) => s.name === "type");
    const hasValueSub = def === undefined || valueDef !== undefined;
    if (hasValueSub && Object.hasOwn(a, "value") && Object.hasOwn(b, "value")) {
      if (!jsonEqual(a.value, b.value, isCaseExact(valueDef))) return false;
      if (a.type === undefined || b.type === undefined) return true;
      return jsonEqual(a.type, b.type, def === undefined || isCaseExact(typeDef));
    }
    return jsonEqual(a, b, def === undefined);
  }
  return jsonEqual(a, b, isCaseExact(def));
}

/**
 * RFC 7644 §3.5.2: "a PATCH operation that sets a value's 'primary' sub-attribute to 'true' SHALL cause the
 * server to automatically set 'primary' to 'false' for any other values in the array."
 */
export function demoteOtherPrimaries(list: unknown[], touched: readonly unknown[]): void {
  if (!touched.some((e) => isPlainObject(e) && e.primary === true)) return;
  for (const element of list) {
    if (isPlainObject(element) && element.primary === true && !touched.includes(element)) element.primary = false;
  }
}
