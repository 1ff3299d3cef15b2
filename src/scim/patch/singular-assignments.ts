// A PATCH that only sets top-level, single-valued, simple attributes of the core schema: Okta's deactivation
// {"op":"replace","value":{"active":false}} and group rename {"op":"replace","value":{"id":..,"displayName":..}},
// Entra's {"op":"Replace","path":"active","value":"False"} or {"op":"Replace","path":"displayName",..}.
// Applying such a PATCH needs nothing of the stored resource but those attributes' current values, so storage
// can apply it inside its write batch, in SQL, without reading the resource first.
import { GROUP_SCHEMA, USER_SCHEMA } from "../schema/core.ts";
import { GROUP_RESOURCE, USER_RESOURCE, type ResourceSchemas } from "../schema/registry.ts";
import { normalizeResource } from "../validate/resource.ts";
import type { PatchOperation } from "./types.ts";

/** Attributes such a PATCH may not set: the password is hashed and has its own event; the rest are not writable. */
const EXCLUDED = new Set(["password", "id", "meta", "schemas"]);

/**
 * attribute -> value for a PATCH whose every operation is an add or replace of such an attribute (for a
 * single-valued attribute the two are the same), later operations winning as applying them in order would;
 * null for any other PATCH. A path-less value may echo the resource's own `id` (Okta's rename does); any
 * other id is left to the usual path, which refuses it. Each value must come out of the normaliser as it went
 * in (an Entra "" clears an attribute; a value the schema refuses is the normaliser's 400): the same checks a
 * PATCH applied to the stored resource gets, which for these attributes depend on the value alone. null sends
 * the PATCH the usual way, which reports what is wrong.
 */
function assignments(operations: PatchOperation[], id: string, resource: ResourceSchemas, skeleton: Record<string, unknown>): Map<string, unknown> | null {
  const out = new Map<string, unknown>();
  for (const op of operations) {
    const { target } = op;
    const def = target.attributeDef;
    if (op.pathless && target.attribute === "id" && op.value === id) continue;
    if (op.op === "remove" || target.extension || target.attribute === undefined || def === undefined) return null;
    if (target.subAttribute !== undefined || target.valueFilter !== undefined) return null;
    if (def.type === "complex" || def.multiValued || def.mutability !== "readWrite" || EXCLUDED.has(target.attribute)) return null;
    if (op.value === null || op.value === undefined || typeof op.value === "object") return null;
    out.set(target.attribute, op.value);
  }
  if (out.size === 0) return null;
  try {
    const { resource: normalized } = normalizeResource({ ...skeleton, ...Object.fromEntries(out) }, resource);
    for (const [name, value] of out) if (normalized[name] !== value) return null;
  } catch {
    return null;
  }
  return out;
}

export function userAssignments(operations: PatchOperation[], id: string): Map<string, unknown> | null {
  return assignments(operations, id, USER_RESOURCE, { schemas: [USER_SCHEMA], userName: "assignment-check" });
}

export function groupAssignments(operations: PatchOperation[], id: string): Map<string, unknown> | null {
  return assignments(operations, id, GROUP_RESOURCE, { schemas: [GROUP_SCHEMA], displayName: "assignment-check" });
}
