// Telling a schema URN from a URN-qualified attribute name. Both start with "urn:"; a PATCH path or a path-less
// `value` key may be either ("urn:...:enterprise:2.0:User" vs "urn:...:enterprise:2.0:User:department").
import { ALL_SCHEMAS, type ResourceSchemas } from "../schema/registry.ts";

// RFC 7643 §8.7 schema URNs end in a version then the resource name (`...:2.0:User`). An attribute-qualified
// name ends in `...:2.0:User:attr`, so its second-to-last segment is the resource name, not a version.
const VERSION_SEGMENT = /^v?\d+(?:\.\d+)*$/i;
const NAME_SEGMENT = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Namespaces where an unregistered URN is a typo, not an extension: never treat them as free-form. */
const RESERVED_PREFIXES = ["urn:ietf:params:scim:schemas:core:", "urn:ietf:params:scim:api:"];

export function isUrn(text: string): boolean {
  return /^urn:/i.test(text);
}

/** True when `text` names a whole schema by the RFC 7643 URN convention (…:<version>:<Resource>). */
export function looksLikeSchemaUrn(text: string): boolean {
  if (!isUrn(text)) return false;
  const segments = text.split(":");
  const last = segments[segments.length - 1] ?? "";
  const beforeLast = segments[segments.length - 2] ?? "";
  return segments.length >= 4 && NAME_SEGMENT.test(last) && VERSION_SEGMENT.test(beforeLast);
}

export type SchemaKind =
  | { kind: "core"; id: string }
  | { kind: "extension"; id: string }
  /** Registered for another resource type, or in a reserved namespace: not valid here. */
  | { kind: "foreign" }
  /** An extension this server has no schema for: patched as free-form JSON under its URN key. */
  | { kind: "unknown"; id: string };

export function classifySchema(urn: string, resource: ResourceSchemas): SchemaKind {
  const lower = urn.toLowerCase();
  if (lower === resource.core.id.toLowerCase()) return { kind: "core", id: resource.core.id };
  const extension = resource.extensions.find((e) => e.id.toLowerCase() === lower);
  if (extension !== undefined) return { kind: "extension", id: extension.id };
  if (ALL_SCHEMAS.some((s) => s.id.toLowerCase() === lower)) return { kind: "foreign" };
  if (RESERVED_PREFIXES.some((prefix) => lower.startsWith(prefix))) return { kind: "foreign" };
  return { kind: "unknown", id: urn };
}
