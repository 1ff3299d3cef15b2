// Identity of elements of multi-valued attributes: when an added email or member is "already there" (RFC 7644
// §3.5.2.1: "If the target location already contains the value specified, no changes SHOULD be made"), and
// which elements a remove-with-value lists.
//
// Lookups go through ElementIndex, a hash of each element's folded identity, so adding n values to a list of
// m costs O(n + m) rather than O(n * m) comparisons: a PATCH may carry 1000 operations of 1000 values, and
// pairwise comparison with Unicode folding made one such request cost minutes of CPU.
import { foldKey } from "../fold.ts";
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
    const rules = identityRules(def);
    if (rules.hasValueSub && Object.hasOwn(a, "value") && Object.hasOwn(b, "value")) {
      if (!jsonEqual(a.value, b.value, rules.valueCaseExact)) return false;
      if (a.type === undefined || b.type === undefined) return true;
      return jsonEqual(a.type, b.type, rules.typeCaseExact);
    }
    return jsonEqual(a, b, def === undefined);
  }
  return jsonEqual(a, b, isCaseExact(def));
}

interface IdentityRules {
  hasValueSub: boolean;
  valueCaseExact: boolean;
  typeCaseExact: boolean;
  /** Whole-object comparison (elements without `value`). */
  objectCaseExact: boolean;
  /** Simple (non-object) elements. */
  simpleCaseExact: boolean;
}

function identityRules(def: AttributeDef | undefined): IdentityRules {
  const subs = def?.subAttributes;
  const valueDef = subs?.find((s) => s.name === "value");
  const typeDef = subs?.find((s) => s.name === "type");
  return {
    hasValueSub: def === undefined || valueDef !== undefined,
    valueCaseExact: isCaseExact(valueDef),
    typeCaseExact: def === undefined || isCaseExact(typeDef),
    objectCaseExact: def === undefined,
    simpleCaseExact: isCaseExact(def),
  };
}

/**
 * A string equal for exactly the values jsonEqual(·, ·, caseExact) calls equal: strings folded unless
 * caseExact, object keys in a fixed order (jsonEqual compares keys exactly and ignores their order).
 */
function canonical(value: unknown, caseExact: boolean): string {
  return JSON.stringify(canonicalValue(value, caseExact));
}

function canonicalValue(value: unknown, caseExact: boolean): unknown {
  if (typeof value === "string") return caseExact ? value : foldKey(value);
  if (Array.isArray(value)) return value.map((item) => canonicalValue(item, caseExact));
  if (isPlainObject(value)) {
    // An array of pairs keeps key order explicit; it never collides with an array value, which is not nested in ["o", ...].
    return ["o", Object.keys(value).sort().map((key) => [key, canonicalValue(value[key], caseExact)])];
  }
  return value;
}

interface Entry {
  element: unknown;
  position: number;
}

/** The elements sharing one `value`: the first of them, the untyped ones, and the first of each type. */
interface ValueBucket {
  first: Entry;
  /** In position order; an element that has since been given a type is skipped (and dropped) on lookup. */
  untyped: Entry[];
  byType: Map<string, Entry>;
}

/**
 * Finds, for a candidate, the first element (in list order) that sameElement calls equal to it, in time
 * independent of the list's length. The index sees the elements added through it; an element whose `type`
 * is filled in later (an add completing a stored email) is re-registered with `typed`.
 */
export class ElementIndex {
  private readonly rules: IdentityRules;
  private readonly buckets = new Map<string, ValueBucket>();
  private readonly whole = new Map<string, Entry>();
  private readonly entries = new Map<object, Entry>();
  private next = 0;

  constructor(def: AttributeDef | undefined, elements: readonly unknown[] = []) {
    this.rules = identityRules(def);
    for (const element of elements) this.add(element);
  }

  add(element: unknown): void {
    const entry: Entry = { element, position: this.next++ };
    if (isPlainObject(element)) this.entries.set(element, entry);
    const valueKey = this.valueKey(element);
    if (valueKey === undefined) {
      const key = this.wholeKey(element);
      if (!this.whole.has(key)) this.whole.set(key, entry);
      return;
    }
    const bucket = this.buckets.get(valueKey);
    if (bucket === undefined) {
      this.buckets.set(valueKey, { first: entry, untyped: [], byType: new Map() });
      this.register(this.buckets.get(valueKey)!, entry);
    } else {
      this.register(bucket, entry);
    }
  }

  /** Call after giving an indexed element (without a type so far) a `type`. */
  typed(element: unknown): void {
    if (!isPlainObject(element)) return;
    const entry = this.entries.get(element);
    const valueKey = this.valueKey(element);
    if (entry === undefined || valueKey === undefined) return;
    const bucket = this.buckets.get(valueKey);
    if (bucket !== undefined) this.registerType(bucket, entry);
  }

  /** The first indexed element equal to `candidate` (sameElement), if any. */
  find(candidate: unknown): unknown {
    const valueKey = this.valueKey(candidate);
    if (valueKey === undefined) return this.whole.get(this.wholeKey(candidate))?.element;
    const bucket = this.buckets.get(valueKey);
    if (bucket === undefined) return undefined;
    const type = (candidate as Record<string, unknown>).type;
    if (type === undefined) return bucket.first.element;
    while (bucket.untyped.length > 0 && (bucket.untyped[0]!.element as Record<string, unknown>).type !== undefined) bucket.untyped.shift();
    const untyped = bucket.untyped[0];
    const sameType = bucket.byType.get(canonical(type, this.rules.typeCaseExact));
    if (untyped === undefined) return sameType?.element;
    if (sameType === undefined) return untyped.element;
    return (untyped.position < sameType.position ? untyped : sameType).element;
  }

  private register(bucket: ValueBucket, entry: Entry): void {
    if ((entry.element as Record<string, unknown>).type === undefined) bucket.untyped.push(entry);
    else this.registerType(bucket, entry);
  }

  private registerType(bucket: ValueBucket, entry: Entry): void {
    const key = canonical((entry.element as Record<string, unknown>).type, this.rules.typeCaseExact);
    const existing = bucket.byType.get(key);
    if (existing === undefined || existing.position > entry.position) bucket.byType.set(key, entry);
  }

  /** The identity key of an element compared by its `value`, or undefined for one compared whole. */
  private valueKey(element: unknown): string | undefined {
    if (!this.rules.hasValueSub || !isPlainObject(element) || !Object.hasOwn(element, "value")) return undefined;
    return canonical(element.value, this.rules.valueCaseExact);
  }

  private wholeKey(element: unknown): string {
    return isPlainObject(element) ? `o${canonical(element, this.rules.objectCaseExact)}` : `s${canonical(element, this.rules.simpleCaseExact)}`;
  }
}

/**
 * RFC 7644 §3.5.2: "a PATCH operation that sets a value's 'primary' sub-attribute to 'true' SHALL cause the
 * server to automatically set 'primary' to 'false' for any other values in the array."
 */
export function demoteOtherPrimaries(list: unknown[], touched: readonly unknown[]): void {
  if (!touched.some((e) => isPlainObject(e) && e.primary === true)) return;
  const kept = new Set(touched);
  for (const element of list) {
    if (isPlainObject(element) && element.primary === true && !kept.has(element)) element.primary = false;
  }
}
