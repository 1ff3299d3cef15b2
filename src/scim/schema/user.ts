// RFC 7643 §4.1 User and §4.3 Enterprise User, as published in §8.7.1–8.7.2.
import { attr, complex, multiValued, str } from "./builders.ts";
import { ENTERPRISE_USER_SCHEMA, USER_SCHEMA } from "./core.ts";
import type { SchemaDef } from "./types.ts";

export const userSchema: SchemaDef = {
  id: USER_SCHEMA,
  name: "User",
  description: "User Account",
  attributes: [
    str("userName", "Unique identifier for the User, used to authenticate; unique per tenant, case-insensitively.", {
      required: true,
      uniqueness: "server",
    }),
    complex("name", "The components of the user's real name.", [
      str("formatted", "The full name, formatted for display."),
      str("familyName", "The family name of the User."),
      str("givenName", "The given name of the User."),
      str("middleName", "The middle name(s) of the User."),
      str("honorificPrefix", "The honorific prefix(es) of the User."),
      str("honorificSuffix", "The honorific suffix(es) of the User."),
    ]),
    str("displayName", "The name of the User, suitable for display to end-users."),
    str("nickName", "The casual way to address the user."),
    attr("profileUrl", "reference", "A fully qualified URL pointing to the User's online profile.", { referenceTypes: ["external"] }),
    str("title", "The user's title, such as \"Vice President\"."),
    str("userType", "The relationship between the organization and the user."),
    str("preferredLanguage", "The User's preferred written or spoken language (RFC 7231 language tag)."),
    str("locale", "The User's default location for localizing items (language tag)."),
    str("timezone", "The User's time zone in IANA Time Zone database format."),
    attr("active", "boolean", "The User's administrative status."),
    str("password", "The User's cleartext password; write-only, stored hashed.", { mutability: "writeOnly", returned: "never" }),
    multiValued("emails", "Email addresses for the user.", { types: ["work", "home", "other"] }),
    multiValued("phoneNumbers", "Phone numbers for the User.", { types: ["work", "home", "mobile", "fax", "pager", "other"] }),
    multiValued("ims", "Instant messaging addresses for the User.", {
      types: ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
    }),
    multiValued("photos", "URLs of photos of the User.", { types: ["photo", "thumbnail"], valueType: "reference", referenceTypes: ["external"] }),
    complex(
      "addresses",
      "A physical mailing address for this User.",
      [
        str("formatted", "The full mailing address, formatted for display."),
        str("streetAddress", "The full street address component."),
        str("locality", "The city or locality component."),
        str("region", "The state or region component."),
        str("postalCode", "The zip code or postal code component."),
        str("country", "The country name component, ISO 3166-1 alpha-2."),
        str("type", "A label indicating the address's function.", { canonicalValues: ["work", "home", "other"] }),
        attr("primary", "boolean", "Indicates the primary address."),
      ],
      { multiValued: true },
    ),
    multiValued("groups", "Groups to which the user belongs (direct memberships), computed by the server.", {
      mutability: "readOnly",
      types: ["direct", "indirect"],
      primary: false,
      extra: [attr("$ref", "reference", "The URI of the group.", { mutability: "readOnly", referenceTypes: ["Group"] })],
    }),
    multiValued("entitlements", "Entitlements for the User."),
    multiValued("roles", "Roles for the User."),
    multiValued("x509Certificates", "X.509 certificates issued to the User.", { valueType: "binary" }),
  ],
};

export const enterpriseUserSchema: SchemaDef = {
  id: ENTERPRISE_USER_SCHEMA,
  name: "EnterpriseUser",
  description: "Enterprise User",
  attributes: [
    str("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
    str("costCenter", "Identifies the name of a cost center."),
    str("organization", "Identifies the name of an organization."),
    str("division", "Identifies the name of a division."),
    str("department", "Identifies the name of a department."),
    complex("manager", "The User's manager.", [
      str("value", "The id of the SCIM resource representing the User's manager."),
      attr("$ref", "reference", "The URI of the manager's resource.", { referenceTypes: ["User"] }),
      str("displayName", "The displayName of the User's manager.", { mutability: "readOnly" }),
    ]),
  ],
};
