// RFC 7643 §4.2 Group.
import { attr, complex, str } from "./builders.ts";
import { GROUP_SCHEMA } from "./core.ts";
import type { SchemaDef } from "./types.ts";

export const groupSchema: SchemaDef = {
  id: GROUP_SCHEMA,
  name: "Group",
  description: "Group",
  attributes: [
    str("displayName", "A human-readable name for the Group; unique per tenant, case-insensitively.", {
      required: true,
      uniqueness: "server",
    }),
    complex(
      "members",
      "A list of members of the Group.",
      [
        str("value", "Identifier of the member of this Group.", { mutability: "immutable", caseExact: true }),
        attr("$ref", "reference", "The URI of the member resource.", { mutability: "immutable", referenceTypes: ["User", "Group"] }),
        str("display", "The member's display name.", { mutability: "readOnly" }),
        str("type", "The type of member.", { mutability: "immutable", canonicalValues: ["User", "Group"] }),
      ],
      { multiValued: true },
    ),
  ],
};
