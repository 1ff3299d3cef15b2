// /Schemas and /ResourceTypes representations (RFC 7643 §6 and §7), generated from the same definitions
// that validate requests, so what is advertised is what is enforced.
import { RESOURCE_TYPE_SCHEMA, SCHEMA_SCHEMA } from "./schema/core.ts";
import { ALL_SCHEMAS, GROUP_RESOURCE, USER_RESOURCE } from "./schema/registry.ts";
import type { AttributeDef, SchemaDef } from "./schema/types.ts";

export const RESOURCE_TYPES = [USER_RESOURCE.resourceType, GROUP_RESOURCE.resourceType];

function attributeJson(a: AttributeDef): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued,
    description: a.description,
    required: a.required,
    caseExact: a.caseExact,
    mutability: a.mutability,
    returned: a.returned,
    uniqueness: a.uniqueness,
    ...(a.canonicalValues ? { canonicalValues: a.canonicalValues } : {}),
    ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attributeJson) } : {}),
  };
}

export function schemaJson(schema: SchemaDef, baseUrl: string) {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(attributeJson),
    meta: { resourceType: "Schema", location: `${baseUrl}/Schemas/${schema.id}` },
  };
}

export function resourceTypeJson(type: (typeof RESOURCE_TYPES)[number], baseUrl: string) {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: type.id,
    name: type.name,
    endpoint: type.endpoint,
    description: type.description,
    schema: type.schema,
    schemaExtensions: type.schemaExtensions,
    meta: { resourceType: "ResourceType", location: `${baseUrl}/ResourceTypes/${type.id}` },
  };
}

export const findSchema = (id: string) => ALL_SCHEMAS.find((s) => s.id.toLowerCase() === id.toLowerCase());
export const findResourceType = (id: string) => RESOURCE_TYPES.find((t) => t.id.toLowerCase() === id.toLowerCase());
