// A PATCH that only sets top-level, single-valued, simple attributes of the core schema: Okta's deactivation
// {"op":"replace","value":{"active":false}}, Entra's {"op":"Replace","path":"active","value":"False"} or
// {"op":"Replace","path":"displayName","value":"..."}. Applying such a PATCH needs nothing of the stored
// resource but those attributes' current values, so storage can apply it inside its write batch, in SQL,
// without reading the resource first.
import { USER_SCHEMA } from "../schema/core.ts";
import { USER_RESOURCE } from "../schema/registry.ts";
import { normalizeResource } from "../validate/resource.ts";
import type { PatchOperation } from "./types.ts";

/** Attributes such a PATCH may not set: the password is hashed and has its own event; the rest are not writable. */
const EXCLUDED = new Set(["password", "id", "meta", "schemas"]);

/**
 * attribute -> value for a User PATCH whose every operation is an add or replace of such an attribute (for a
 * single-valued attribute the two are the same), later operations winning as applying them in order would;
 * null for any other PATCH. Each value must also come out of the normaliser as it went in (an Entra "" clears
 * an attribute, a value the schema refuses is the normaliser's 400): the same checks a PATCH applied to the
 * stored resource gets, which for these attributes depend on the value alone. null sends the PATCH the usual
 * way, which reports what is wrong.
 */
export function userAssignments(operations: PatchOperation[]): Map<string, unknown> | null {
  if (operations.length === 0) return null;
  const out = new Map<string, unknown>();
  for (const op of operations) {
    const { target } = op;
    const def = target.attributeDef;
    if (op.op === "remove" || target.extension || target.attribute === undefined || def === undefined) return null;
    if (target.subAttribute !== undefined || target.valueFilter !== undefined) return null;
    if (def.type === "complex" || def.multiValued || def.mutability !== "readWrite" || EXCLUDED.has(target.attribute)) return null;
    if (op.value === null || op.value === undefined || typeof op.value === "object") return null;
    out.set(target.attribute, op.value);
  }
  try {
    const { resource } = normalizeResource({ schemas: [USER_SCHEMA], userName: "assignment-check", ...Object.fromEntries(out) }, USER_RESOURCE);
    for (const [name, value] of out) if (resource[name] !== value) return null;
  } catch {
    return null;
  }
  return out;
}
