// Schema URNs and the attributes common to every resource (RFC 7643 §3.1).
import { attr, complex, str } from "./builders.ts";
import type { AttributeDef } from "./types.ts";

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
export const SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema";
export const RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

export const commonAttributes: AttributeDef[] = [
  str("id", "Unique identifier for the resource, assigned by the service provider.", {
    caseExact: true,
    mutability: "readOnly",
    returned: "always",
    uniqueness: "server",
  }),
  str("externalId", "Identifier of the resource as defined by the provisioning client.", { caseExact: true }),
  complex(
    "meta",
    "Resource metadata.",
    [
      str("resourceType", "The name of the resource type.", { caseExact: true, mutability: "readOnly" }),
      attr("created", "dateTime", "When the resource was added to the service provider.", { mutability: "readOnly" }),
      attr("lastModified", "dateTime", "When the resource was last updated.", { mutability: "readOnly" }),
      attr("location", "reference", "The URI of the resource.", { caseExact: true, mutability: "readOnly", referenceTypes: ["uri"] }),
      str("version", "The version (ETag) of the resource.", { caseExact: true, mutability: "readOnly" }),
    ],
    { mutability: "readOnly" },
  ),
];
