// Normalises an operation's value for its target before anything is applied, so applyPatch and any route
// inspecting the operations see one shape per attribute whatever the client sent. Only what PATCH semantics
// depend on is checked here (shapes, names, booleans and numbers); the route validates the final resource.
import type { AttributeDef } from "../schema/types.ts";
import { MAX_BINARY_LENGTH, MAX_STRING_LENGTH } from "../validate/limits.ts";
import { describe, isPlainObject } from "./json.ts";
import { opError, type OpContext } from "./op-error.ts";
import type { PatchOpName, PatchTarget } from "./types.ts";
import { MAX_PATCH_VALUES } from "./types.ts";

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function checkValueCount(value: unknown, ctx: OpContext, label: string): void {
  if (Array.isArray(value) && value.length > MAX_PATCH_VALUES) {
    throw opError(ctx, "invalidValue", `${label} has ${value.length} elements; at most ${MAX_PATCH_VALUES} are accepted in one operation`);
  }
}

/** A simple (non-complex) value. null passes through: it means "unassign" (RFC 7643 §2.5). */
function coerceSimple(def: AttributeDef, value: unknown, label: string, ctx: OpContext): unknown {
  if (value === null) return null;
  if (typeof value === "object") {
    throw opError(ctx, "invalidValue", `${label} is a single ${def.type} value, not ${Array.isArray(value) ? "an array" : "an object"}`);
  }
  switch (def.type) {
    case "boolean":
      if (typeof value === "boolean") return value;
      // Entra ID sends booleans as the strings "True"/"False" (its documented SCIM behaviour for `active`).
      if (typeof value === "string") {
        const lower = value.trim().toLowerCase();
        if (lower === "true") return true;
        if (lower === "false") return false;
      }
      throw opError(ctx, "invalidValue", `${label} is a boolean; expected true or false (or the strings "true"/"false"), got ${describe(value)}`);
    case "integer":
      if (typeof value === "number" && Number.isInteger(value)) return value;
      if (typeof value === "string" && INTEGER.test(value.trim())) {
        const parsed = Number(value.trim());
        if (Number.isSafeInteger(parsed)) return parsed;
      }
      throw opError(ctx, "invalidValue", `${label} is an integer; got ${describe(value)}`);
    case "decimal":
      if (typeof value === "number" && Number.isFinite(value)) return value;
      if (typeof value === "string" && DECIMAL.test(value.trim())) {
        const parsed = Number(value.trim());
        if (Number.isFinite(parsed)) return parsed;
      }
      throw opError(ctx, "invalidValue", `${label} is a decimal number; got ${describe(value)}`);
    default: {
      // string, reference, dateTime, binary: formats are the validator's job. Lengths are checked here too,
      // because member values go to storage without passing the validator.
      const limit = def.type === "binary" ? MAX_BINARY_LENGTH : MAX_STRING_LENGTH;
      if (typeof value === "string" && value.length > limit) {
        throw opError(ctx, "invalidValue", `${label} is ${value.length} characters long; at most ${limit} are allowed`);
      }
      return value;
    }
  }
}

/**
 * A complex value: canonical sub-attribute names, coerced sub-values. readOnly sub-attributes (members.display,
 * manager.displayName) are dropped: clients echo them from earlier reads (Okta sends member `display`), the
 * server computes them, and RFC 7644 §3.5.1 has servers ignore readOnly values a client provides.
 * A null sub-value is kept: in a merge it unassigns that sub-attribute.
 */
function coerceComplex(def: AttributeDef, value: unknown, label: string, ctx: OpContext): Record<string, unknown> {
  if (!isPlainObject(value)) {
    throw opError(ctx, "invalidValue", `${label} is complex; expected an object of its sub-attributes, got ${describe(value)}`);
  }
  const subs = def.subAttributes ?? [];
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(value)) {
    const subDef = subs.find((s) => s.name.toLowerCase() === key.toLowerCase());
    if (subDef === undefined) {
      throw opError(ctx, "invalidValue", `${label} has no sub-attribute "${key}"; it has ${subs.map((s) => s.name).join(", ")}`);
    }
    if (subDef.mutability === "readOnly") continue;
    out[subDef.name] = coerceSimple(subDef, sub, `${label}.${subDef.name}`, ctx);
  }
  return out;
}

function coerceElement(def: AttributeDef, value: unknown, label: string, ctx: OpContext): unknown {
  if (value === null) throw opError(ctx, "invalidValue", `${label} contains null; list elements must be values`);
  return def.type === "complex" ? coerceComplex(def, value, label, ctx) : coerceSimple(def, value, label, ctx);
}

/**
 * A single-valued complex attribute with a `value` sub-attribute is a reference (enterprise `manager`). Entra ID
 * sends it as a bare id string, as `{"value": id}` and as `[{"value": id}]`; all become `{"value": id}`. An empty
 * string or null id means "no manager" (Entra clears a manager that way) and becomes null, i.e. unassign.
 */
export function isReference(def: AttributeDef): boolean {
  return def.type === "complex" && !def.multiValued && (def.subAttributes ?? []).some((s) => s.name === "value");
}

function coerceReference(def: AttributeDef, value: unknown, label: string, ctx: OpContext): unknown {
  let shaped = value;
  if (Array.isArray(shaped)) {
    if (shaped.length > 1) throw opError(ctx, "invalidValue", `${label} is single-valued; got an array of ${shaped.length} values`);
    shaped = shaped.length === 0 ? null : shaped[0];
  }
  if (shaped === null || shaped === "") return null;
  if (typeof shaped === "string") return { value: shaped };
  const object = coerceComplex(def, shaped, label, ctx);
  const keys = Object.keys(object);
  if (keys.length > 0 && keys.every((k) => object[k] === null || (k === "value" && object[k] === ""))) return null;
  return object;
}

/**
 * The value of an add/replace on `target`, normalised. Returns null when the operation unassigns the target
 * (null, empty multi-valued list on replace, empty manager id), which the caller turns into a remove.
 */
export function coerceWriteValue(target: PatchTarget, op: PatchOpName, value: unknown, ctx: OpContext): unknown {
  const def = target.attributeDef;
  const label = `"${target.text}"`;
  checkValueCount(value, ctx, `The value for ${label}`);
  if (def === undefined) return value; // unknown extension: free-form, kept as given
  const subDef = target.subAttributeDef;
  if (subDef !== undefined) {
    if (value === "" && subDef.name === "value" && isReference(def)) return null;
    return coerceSimple(subDef, value, label, ctx);
  }
  if (value === null) return null;
  if (target.valueFilter !== undefined) return coerceElement(def, value, `The element for ${label}`, ctx);
  if (def.multiValued) {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0 && op === "replace") return null;
    return list.map((element, i) => withoutNulls(coerceElement(def, element, `${label}[${i}]`, ctx)));
  }
  if (isReference(def)) return coerceReference(def, value, label, ctx);
  if (def.type === "complex") return coerceComplex(def, value, label, ctx);
  return coerceSimple(def, value, label, ctx);
}

/** The elements listed by a remove on an unfiltered multi-valued target (Entra's remove-these-members). */
export function coerceRemoveList(target: PatchTarget, value: unknown, ctx: OpContext): unknown[] {
  const list = Array.isArray(value) ? value : [value];
  checkValueCount(list, ctx, `The value of "${target.text}"`);
  const def = target.attributeDef;
  if (def === undefined) return list;
  return list.map((element, i) => withoutNulls(coerceElement(def, element, `"${target.text}" value[${i}]`, ctx)));
}

/**
 * A whole list element has nothing to unassign, so its null sub-attributes are simply absent (RFC 7643 §2.5).
 * Entra ID sends members as {"$ref": null, "value": id}.
 */
function withoutNulls(element: unknown): unknown {
  if (!isPlainObject(element)) return element;
  return Object.fromEntries(Object.entries(element).filter(([, v]) => v !== null));
}
