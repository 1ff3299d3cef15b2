// Which schemas each resource type has, and case-insensitive attribute lookup across them.
import { commonAttributes, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from "./core.ts";
import { groupSchema } from "./group.ts";
import type { AttributeDef, ResourceTypeDef, SchemaDef } from "./types.ts";
import { enterpriseUserSchema, userSchema } from "./user.ts";

export interface ResourceSchemas {
  resourceType: ResourceTypeDef;
  core: SchemaDef;
  extensions: SchemaDef[];
}

export const USER_RESOURCE: ResourceSchemas = {
  resourceType: {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: USER_SCHEMA,
    schemaExtensions: [{ schema: ENTERPRISE_USER_SCHEMA, required: false }],
  },
  core: userSchema,
  extensions: [enterpriseUserSchema],
};

export const GROUP_RESOURCE: ResourceSchemas = {
  resourceType: {
    id: "Group",
    name: "Group",
    endpoint: "/Groups",
    description: "Group",
    schema: GROUP_SCHEMA,
    schemaExtensions: [],
  },
  core: groupSchema,
  extensions: [],
};

export const ALL_SCHEMAS: SchemaDef[] = [userSchema, enterpriseUserSchema, groupSchema];

export function findAttribute(attributes: AttributeDef[], name: string): AttributeDef | undefined {
  const lower = name.toLowerCase();
  return attributes.find((a) => a.name.toLowerCase() === lower);
}

/** Core attributes of a resource, including id/externalId/meta. */
export function coreAttributes(resource: ResourceSchemas): AttributeDef[] {
  return [...commonAttributes, ...resource.core.attributes];
}

export function findExtension(resource: ResourceSchemas, urn: string): SchemaDef | undefined {
  const lower = urn.toLowerCase();
  return resource.extensions.find((s) => s.id.toLowerCase() === lower);
}

/**
 * Whether `value` is a `schemas` array of strings that names `urn` (case-insensitively). Clients echo such arrays
 * where the server keeps `schemas` itself: in a path-less PATCH value, and inside an extension's own object.
 */
export function listsSchema(value: unknown, urn: string): boolean {
  const lower = urn.toLowerCase();
  return Array.isArray(value) && value.every((s) => typeof s === "string") && value.some((s) => (s as string).toLowerCase() === lower);
}
