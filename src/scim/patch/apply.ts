// Applies parsed operations to a copy of a resource, in order (RFC 7644 §3.5.2). The caller's object is never
// touched and any failure throws before anything is returned, so a route writes all operations or none:
// "If a single operation encounters an error condition, the original SCIM resource MUST be restored".
import { matchesValueFilter } from "../filter/evaluate.ts";
import type { ResourceSchemas } from "../schema/registry.ts";
import type { AttributeDef } from "../schema/types.ts";
import { isReference } from "./coerce.ts";
import { MAX_GROUP_MEMBERS, MAX_MULTI_VALUES } from "../validate/limits.ts";
import { demoteOtherPrimaries, ElementIndex } from "./elements.ts";
import { deleteProperty, describe, findKey, getProperty, isPlainObject, jsonEqual, setProperty, type JsonObject } from "./json.ts";
import { opError, type OpContext } from "./op-error.ts";
import type { PatchOperation, PatchTarget } from "./types.ts";

/**
 * Most list elements one PATCH may visit, summed over its operations: each value it adds, and each element
 * of a list an operation scans (a value filter, a remove-with-value, building a list's identity index). A
 * request may carry 1000 operations and a user 1000 emails, so without this bound 1000 filtered operations on
 * one list cost a million filter evaluations; measured, this bound keeps the worst PATCH that fits in 1 MiB
 * well under the CPU limit (`npm run bench:patch`). Identity providers send a few operations over a few
 * values; group members are applied in SQL, not here.
 */
export const MAX_PATCH_ELEMENT_VISITS = 10_000;

/** State shared by the operations of one request. */
class PatchWork {
  visits = 0;
  /** A list's identity index, reused by later operations that add to the same (unreplaced) array. */
  readonly indexes = new WeakMap<unknown[], ElementIndex>();

  visit(ctx: OpContext, count: number): void {
    this.visits += count;
    if (this.visits > MAX_PATCH_ELEMENT_VISITS) {
      throw opError(
        ctx,
        "invalidValue",
        `this request adds or scans more than ${MAX_PATCH_ELEMENT_VISITS} list elements in total; split it into several requests`,
      );
    }
  }
}

export function applyPatch(
  resourceJson: Record<string, unknown>,
  operations: PatchOperation[],
  resource: ResourceSchemas,
): Record<string, unknown> {
  const doc = structuredClone(resourceJson);
  const touchedExtensions = new Set<string>();
  const work = new PatchWork();
  for (const operation of operations) {
    if (operation.target.extension) touchedExtensions.add(operation.target.schema);
    new OperationApplier(doc, operation, work).apply();
  }
  syncSchemas(doc, touchedExtensions, resource);
  return doc;
}

class OperationApplier {
  private readonly doc: JsonObject;
  private readonly op: PatchOperation;
  private readonly target: PatchTarget;
  private readonly ctx: OpContext;
  private readonly work: PatchWork;

  constructor(doc: JsonObject, op: PatchOperation, work: PatchWork) {
    this.doc = doc;
    this.op = op;
    this.work = work;
    this.target = op.target;
    const where = op.pathless ? `without path, value key ${JSON.stringify(op.target.text)}` : JSON.stringify(op.target.text);
    this.ctx = { index: op.index, op: op.op, where };
  }

  apply(): void {
    const { target, op } = this;
    if (target.attribute === undefined) {
      // A whole extension (path = its URN): add/replace were expanded per attribute by the parser.
      if (op.op !== "remove") throw opError(this.ctx, "invalidPath", `"${op.op}" needs an attribute of ${target.schema}, not the whole schema`);
      deleteProperty(this.doc, target.schema);
      return;
    }
    if (op.pathless && target.attributeDef?.mutability === "readOnly") {
      this.checkEchoedId();
      return;
    }
    if (op.op === "remove") this.remove(target.attribute);
    else this.write(target.attribute);
  }

  /** Okta echoes `id` in path-less values; it must be this resource's id, or the client is patching the wrong one. */
  private checkEchoedId(): void {
    const current = this.doc.id;
    if (this.op.value !== current) {
      throw opError(
        this.ctx,
        "mutability",
        `"id" is readOnly; the value carries ${describe(this.op.value)} but this resource's id is ${JSON.stringify(current)}`,
      );
    }
  }

  // ----- remove (RFC 7644 §3.5.2.2) -----

  private remove(attribute: string): void {
    const container = this.container(false);
    if (container === undefined) return;
    const key = findKey(container, attribute);
    // Removing what is absent succeeds without change: group membership removals must be idempotent, since
    // Okta and Entra retry and may remove a member another request already removed.
    if (key === undefined) return;
    const current = container[key];
    const def = this.target.attributeDef;
    const { valueFilter, subAttribute } = this.target;

    if (valueFilter !== undefined) {
      if (!Array.isArray(current)) return;
      this.work.visit(this.ctx, current.length);
      if (subAttribute === undefined) {
        this.setList(container, key, current.filter((element) => !this.selects(element)));
        return;
      }
      const kept: unknown[] = [];
      for (const element of current) {
        if (this.selects(element) && isPlainObject(element)) {
          this.checkUnchanged(this.target.subAttributeDef, `${attribute}.${subAttribute}`, getProperty(element, subAttribute), undefined);
          deleteProperty(element, subAttribute);
          // An element of an attribute with a `value` sub-attribute means nothing without it: removing
          // emails[type eq "work"].value removes that email rather than leaving {"type":"work"} behind.
          if (def?.subAttributes?.some((s) => s.name === "value") === true && getProperty(element, "value") === undefined) continue;
          if (Object.keys(element).length === 0) continue;
        }
        kept.push(element);
      }
      this.setList(container, key, kept);
      return;
    }

    if (subAttribute !== undefined) {
      if (!isPlainObject(current)) return;
      this.checkUnchanged(this.target.subAttributeDef, `${attribute}.${subAttribute}`, getProperty(current, subAttribute), undefined);
      deleteProperty(current, subAttribute);
      if (Object.keys(current).length === 0) delete container[key];
      return;
    }

    if (this.op.value !== undefined && Array.isArray(current)) {
      // Entra's remove-with-value: exactly the listed elements go, never the whole list.
      const values = this.op.value as unknown[];
      this.work.visit(this.ctx, values.length + current.length);
      const listed = new ElementIndex(def, values);
      this.setList(container, key, current.filter((element) => listed.find(element) === undefined));
      return;
    }

    this.checkUnchanged(def, attribute, current, undefined);
    delete container[key];
  }

  // ----- add / replace (RFC 7644 §3.5.2.1, §3.5.2.3) -----

  private write(attribute: string): void {
    const container = this.container(true);
    if (container === undefined) return;
    const def = this.target.attributeDef;
    const { valueFilter, subAttribute, subAttributeDef } = this.target;
    const wholeList = def?.multiValued === true && valueFilter === undefined && subAttribute === undefined;
    // A fresh copy per application: the operations may be applied again (retries) and must not be aliased.
    // A whole list's elements are copied one by one, and only those stored (most re-sent values are not).
    const value: unknown = wholeList ? this.op.value : structuredClone(this.op.value);
    const current = getProperty(container, attribute);
    if (def === undefined) {
      this.writeFreeForm(container, attribute, current, value);
      return;
    }
    const name = def.name;

    if (valueFilter !== undefined) {
      this.writeSelected(container, def, Array.isArray(current) ? current : [], value);
      return;
    }

    if (subAttribute !== undefined && subAttributeDef !== undefined) {
      // A sub-attribute of a single-valued complex attribute (name.familyName, manager.value).
      let parent = isPlainObject(current) ? current : {};
      const previous = getProperty(parent, subAttributeDef.name);
      if (this.checkUnchanged(subAttributeDef, `${name}.${subAttributeDef.name}`, previous, value)) return;
      // A reference's other sub-attributes ($ref, displayName) describe the referenced resource: pointing
      // manager.value at someone else makes them stale, so they go.
      if (isReference(def) && subAttributeDef.name === "value" && !jsonEqual(previous, value, true)) parent = {};
      setProperty(parent, subAttributeDef.name, value);
      setProperty(container, name, parent);
      return;
    }

    if (def.multiValued) {
      const values = value as unknown[];
      this.work.visit(this.ctx, values.length);
      if (this.op.op === "replace") {
        // RFC 7644 §3.5.2.3: "If the target location is a multi-valued attribute and no filter is specified,
        // the attribute and all values are replaced."
        this.setList(container, name, structuredClone(values));
        return;
      }
      // RFC 7644 §3.5.2.1: add appends; a value already present is not duplicated but updated in place.
      const list = Array.isArray(current) ? current : [];
      const index = this.indexOf(list, def);
      const touched: unknown[] = [];
      for (const item of values) {
        const existing = index.find(item);
        if (existing !== undefined && isPlainObject(existing) && isPlainObject(item)) {
          // Already present (§3.5.2.1): keep its identity as stored (value, and type when it has one); only
          // its other sub-attributes (primary, a missing type) are updated.
          const rest = { ...item };
          delete rest.value;
          const hadType = existing.type !== undefined;
          if (getProperty(existing, "type") !== undefined) delete rest.type;
          this.merge(existing, rest, def, name);
          if (!hadType && existing.type !== undefined) index.typed(existing);
          touched.push(existing);
        } else if (existing === undefined) {
          this.checkRoom(name, list.length + 1);
          const copy = structuredClone(item);
          list.push(copy);
          index.add(copy);
          touched.push(copy);
        }
      }
      this.demote(list, touched);
      this.setList(container, name, list);
      return;
    }

    if (def.type === "complex") {
      // RFC 7644 §3.5.2.3: "Sub-attributes that are not specified in the 'value' parameter are left unchanged."
      // Add (§3.5.2.1) of a complex attribute likewise sets the given sub-attributes.
      const patchValue = value as JsonObject;
      // Giving a reference (manager) a new `value` points it elsewhere: its stale $ref/displayName go with it.
      const repointed = isReference(def) && isPlainObject(current) && Object.hasOwn(patchValue, "value") && !jsonEqual(current.value, patchValue.value, true);
      const parent = isPlainObject(current) && !repointed ? current : {};
      this.merge(parent, patchValue, def, name);
      if (Object.keys(parent).length === 0) deleteProperty(container, name);
      else setProperty(container, name, parent);
      return;
    }

    if (this.checkUnchanged(def, name, current, value)) return;
    setProperty(container, name, value);
  }

  /**
   * Writes to the elements a value filter selects: the sub-attribute of each (emails[type eq "work"].value), or
   * each whole element merged with the value (emails[type eq "work"]).
   *
   * When nothing matches, RFC 7644 §3.5.2.3 says replace fails with noTarget. Entra ID, however, sends
   * `replace emails[type eq "work"].value` to users that have no work email yet, expecting it to be created,
   * and most SCIM servers do so. So when the filter is only `eq` comparisons joined by `and`, a new element is
   * built from those equalities plus the value (an "upsert"); any other filter cannot say what to create and
   * fails with noTarget as the RFC says. Add behaves the same way.
   */
  private writeSelected(container: JsonObject, def: AttributeDef, list: unknown[], value: unknown): void {
    const { valueFilter, subAttribute, subAttributeDef } = this.target;
    if (valueFilter === undefined) return;
    this.work.visit(this.ctx, list.length);
    // Elements may change identity here (a new value or type), and are added without the index: it is dropped.
    this.work.indexes.delete(list);
    const matched = list.filter((element): element is JsonObject => isPlainObject(element) && this.selects(element));
    if (matched.length === 0) {
      if (valueFilter.equalities === undefined) {
        throw opError(
          this.ctx,
          "noTarget",
          `no element of "${def.name}" matches [${valueFilter.text}], and only a filter of "eq" comparisons joined by "and" says what element to create`,
        );
      }
      const element: JsonObject = { ...valueFilter.equalities };
      if (subAttributeDef !== undefined) element[subAttributeDef.name] = value;
      else if (isPlainObject(value)) this.merge(element, value, def, def.name);
      this.checkRoom(def.name, list.length + 1);
      list.push(element);
      matched.push(element);
    } else {
      for (const element of matched) {
        if (subAttribute !== undefined && subAttributeDef !== undefined) {
          if (this.checkUnchanged(subAttributeDef, `${def.name}.${subAttributeDef.name}`, getProperty(element, subAttributeDef.name), value)) continue;
          setProperty(element, subAttributeDef.name, value);
        } else if (isPlainObject(value)) {
          // A matched element is a complex value: like §3.5.2.3's complex attributes, unspecified
          // sub-attributes stay (so replacing emails[type eq "work"] with {"value": ...} keeps its type).
          this.merge(element, structuredClone(value), def, def.name);
        }
      }
    }
    this.demote(list, matched);
    setProperty(container, def.name, list);
  }

  /** Unknown extensions have no schema: values are kept as given; add to an existing array appends new items. */
  private writeFreeForm(container: JsonObject, attribute: string, current: unknown, value: unknown): void {
    const name = findKey(container, attribute) ?? attribute;
    const { subAttribute } = this.target;
    if (subAttribute !== undefined) {
      if (current !== undefined && current !== null && !isPlainObject(current)) {
        throw opError(this.ctx, "invalidValue", `"${attribute}" holds ${Array.isArray(current) ? "an array" : "a simple value"}, so it has no sub-attribute "${subAttribute}"`);
      }
      const parent = isPlainObject(current) ? current : {};
      parent[findKey(parent, subAttribute) ?? subAttribute] = value;
      container[name] = parent;
      return;
    }
    if (this.op.op === "add" && Array.isArray(current) && Array.isArray(value)) {
      this.work.visit(this.ctx, value.length);
      const index = this.indexOf(current, undefined);
      for (const item of value) {
        if (index.find(item) !== undefined) continue;
        this.checkRoom(attribute, current.length + 1);
        current.push(item);
        index.add(item);
      }
      return;
    }
    container[name] = value;
  }

  /** Sets the given (canonical) sub-attributes of `into`; null unassigns one. Immutable ones may only be added. */
  private merge(into: JsonObject, patch: JsonObject, def: AttributeDef, name: string): void {
    for (const [key, value] of Object.entries(patch)) {
      const subDef = def.subAttributes?.find((s) => s.name === key);
      if (this.checkUnchanged(subDef, `${name}.${key}`, getProperty(into, key), value === null ? undefined : value)) continue;
      if (value === null) deleteProperty(into, key);
      else setProperty(into, key, value);
    }
  }

  /**
   * RFC 7644 §3.5.2: "a client MUST NOT modify an attribute that has mutability 'readOnly' or 'immutable'.
   * However, a client MAY 'add' a value to an 'immutable' attribute if the attribute had no previous value."
   * Writing the value it already has is no modification: returns true then, and the stored spelling is kept.
   */
  private checkUnchanged(def: AttributeDef | undefined, name: string, current: unknown, next: unknown): boolean {
    if (def?.mutability !== "immutable" || current === undefined || current === null) return false;
    if (next !== undefined && jsonEqual(current, next, def.caseExact)) return true;
    throw opError(this.ctx, "mutability", `"${name}" is immutable: it may be set when absent but not changed or removed`);
  }

  private selects(element: unknown): boolean {
    const filter = this.target.valueFilter?.filter;
    return filter !== undefined && isPlainObject(element) && matchesValueFilter(element, filter);
  }

  /** The identity index of `list`, built (visiting each element once) unless an earlier operation built it. */
  private indexOf(list: unknown[], def: AttributeDef | undefined): ElementIndex {
    const known = this.work.indexes.get(list);
    if (known !== undefined) return known;
    this.work.visit(this.ctx, list.length);
    const index = new ElementIndex(def, list);
    this.work.indexes.set(list, index);
    return index;
  }

  private demote(list: unknown[], touched: readonly unknown[]): void {
    if (!touched.some((e) => isPlainObject(e) && e.primary === true)) return;
    this.work.visit(this.ctx, list.length);
    demoteOtherPrimaries(list, touched);
  }

  /**
   * Refuses a list about to exceed the limit normalizeResource enforces on the result, as soon as it would:
   * checking only after all operations let one request grow a list to a million elements first.
   */
  private checkRoom(name: string, length: number): void {
    const limit = name === "members" ? MAX_GROUP_MEMBERS : MAX_MULTI_VALUES;
    if (length > limit) throw opError(this.ctx, "invalidValue", `"${name}" would hold more than ${limit} values; at most ${limit} are allowed`);
  }

  /** RFC 7643 §2.5: an empty multi-valued attribute is unassigned, so it is removed rather than kept as []. */
  private setList(container: JsonObject, name: string, list: unknown[]): void {
    this.checkRoom(name, list.length);
    if (list.length === 0) deleteProperty(container, name);
    else setProperty(container, name, list);
  }

  /** The object holding the target attribute: the resource, or its `resource[urn]` extension object. */
  private container(create: boolean): JsonObject | undefined {
    if (!this.target.extension) return this.doc;
    const { schema } = this.target;
    const key = findKey(this.doc, schema);
    const existing = key === undefined ? undefined : this.doc[key];
    if (isPlainObject(existing)) return existing;
    if (!create) return undefined;
    if (existing !== undefined && existing !== null) {
      throw opError(this.ctx, "invalidValue", `the resource holds ${Array.isArray(existing) ? "an array" : "a simple value"} under ${schema}, not an extension object`);
    }
    const created: JsonObject = {};
    setProperty(this.doc, schema, created);
    return created;
  }
}

/**
 * Keeps `schemas` in step with the extensions touched: RFC 7643 §3 has `schemas` list the schemas a
 * representation uses, so an extension gaining attributes is added to it, and one left without attributes is
 * removed from it together with its (now empty) object.
 */
function syncSchemas(doc: JsonObject, touched: ReadonlySet<string>, resource: ResourceSchemas): void {
  if (touched.size === 0) return;
  const current = doc.schemas;
  const schemas: unknown[] = Array.isArray(current) ? current : [resource.core.id];
  for (const schema of touched) {
    const key = findKey(doc, schema);
    const object = key === undefined ? undefined : doc[key];
    const listed = schemas.findIndex((s) => typeof s === "string" && s.toLowerCase() === schema.toLowerCase());
    const empty = object === undefined || object === null || (isPlainObject(object) && Object.keys(object).length === 0);
    if (empty) {
      if (key !== undefined) delete doc[key];
      if (listed >= 0) schemas.splice(listed, 1);
    } else if (listed < 0) {
      schemas.push(key ?? schema);
    }
  }
  doc.schemas = schemas;
}
