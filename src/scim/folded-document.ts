// The document filters read for attributes that have no column of their own: the stored resource with every
// string of a case-insensitive attribute (type string, caseExact false) replaced by its foldKey(), the fold the
// in-memory evaluator (filter/evaluate.ts) and PATCH value filters compare with. SQLite's lower() folds ASCII
// only, so comparing lower(json_extract(data, ..)) missed "ÉMILE" for "émile" and "STRASSE" for "Straße";
// comparing this document with foldKey(literal) gives the evaluator's answer. Everything else (caseExact
// strings, references, binaries, dateTimes, numbers, booleans, attributes no schema defines) is kept as is,
// so one document answers element filters that mix case-exact and case-insensitive sub-attributes.
// Names are written as the schema spells them, as the evaluator reads names case-insensitively and the SQL
// compiler reads the schema's spelling. Never-returned attributes (password) are left out.
import { topLevelAttributes } from "./filter/resolve.ts";
import { foldKey } from "./fold.ts";
import { findAttribute, findExtension, type ResourceSchemas } from "./schema/registry.ts";
import type { AttributeDef } from "./schema/types.ts";

type JsonObject = Record<string, unknown>;

export function foldedDocument(data: JsonObject, resource: ResourceSchemas): JsonObject {
  const attributes = topLevelAttributes(resource);
  return foldObject(data, (name) => {
    const extension = findExtension(resource, name);
    if (extension !== undefined) return { name: extension.id, fold: (value) => (isObject(value) ? foldObject(value, byDefs(extension.attributes)) : value) };
    const def = findAttribute(attributes, name);
    return def === undefined ? undefined : { name: def.name, fold: (value) => foldValue(value, def) };
  });
}

type Member = { name: string; fold: (value: unknown) => unknown } | undefined;

function byDefs(defs: AttributeDef[]): (name: string) => Member {
  return (name) => {
    const def = findAttribute(defs, name);
    return def === undefined ? undefined : { name: def.name, fold: (value) => foldValue(value, def) };
  };
}

/**
 * `object` with each member the schema knows renamed and folded; unknown members kept as they are. When two
 * names differ only in case, the exact spelling wins, as it does in the evaluator's lookup.
 */
function foldObject(object: JsonObject, member: (name: string) => Member): JsonObject {
  const result: JsonObject = {};
  for (const [name, value] of Object.entries(object)) {
    const known = member(name);
    if (known === undefined) {
      if (!Object.hasOwn(result, name)) result[name] = value;
      continue;
    }
    if (Object.hasOwn(result, known.name) && name !== known.name) continue;
    const folded = known.fold(value);
    if (folded !== undefined) result[known.name] = folded;
  }
  return result;
}

function foldValue(value: unknown, def: AttributeDef): unknown {
  // Filters cannot name never-returned attributes; a folded copy of one would be a second copy for nothing.
  if (def.returned === "never") return undefined;
  if (Array.isArray(value)) return value.map((element) => foldSingle(element, def));
  return foldSingle(value, def);
}

function foldSingle(value: unknown, def: AttributeDef): unknown {
  if (def.type === "complex") return isObject(value) && def.subAttributes ? foldObject(value, byDefs(def.subAttributes)) : value;
  if (def.type === "string" && !def.caseExact && typeof value === "string") return foldKey(value);
  return value;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
