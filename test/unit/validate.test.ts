// Resource validation (src/scim/validate): RFC 7643 §2 attribute names, data types, required and readOnly
// attributes, null as unassigned, one primary value, schemas and extensions, for User and Group bodies.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runs } from "../support/fast-check.ts";
import { ScimError } from "../../src/scim/errors.ts";
import { attr, complex, str } from "../../src/scim/schema/builders.ts";
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from "../../src/scim/schema/core.ts";
import { GROUP_RESOURCE, USER_RESOURCE, type ResourceSchemas } from "../../src/scim/schema/registry.ts";
import {
  MAX_BINARY_LENGTH,
  MAX_EXTENSION_DEPTH,
  MAX_GROUP_MEMBERS,
  MAX_MULTI_VALUES,
  MAX_PASSWORD_LENGTH,
  MAX_STRING_LENGTH,
  normalizeResource,
} from "../../src/scim/validate/resource.ts";

const ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";

const user = (body: Record<string, unknown>) => normalizeResource({ userName: "bjensen", ...body }, USER_RESOURCE).resource;
const group = (body: Record<string, unknown>) => normalizeResource({ displayName: "Admins", ...body }, GROUP_RESOURCE).resource;

/** The 400 invalidValue detail that normalising `body` produces. */
function rejection(body: Record<string, unknown>, resource: ResourceSchemas = USER_RESOURCE): string {
  try {
    normalizeResource(body, resource);
  } catch (error) {
    expect(error).toBeInstanceOf(ScimError);
    const scimError = error as ScimError;
    expect(scimError.status).toBe(400);
    expect(scimError.scimType).toBe("invalidValue");
    return scimError.message;
  }
  throw new Error("expected normalizeResource to reject the body");
}
const userRejection = (body: Record<string, unknown>) => rejection({ userName: "bjensen", ...body });

describe("rfc7643 2.1: attribute names are case-insensitive", () => {
  it("rewrites names to their canonical spelling", () => {
    const result = normalizeResource(
      { USERNAME: "bjensen", Name: { GivenName: "Barbara", FAMILYNAME: "Jensen" }, EMAILS: [{ VALUE: "b@example.com", Primary: true }] },
      USER_RESOURCE,
    ).resource;
    expect(result).toEqual({
      schemas: [USER_SCHEMA],
      userName: "bjensen",
      name: { givenName: "Barbara", familyName: "Jensen" },
      emails: [{ value: "b@example.com", primary: true }],
    });
  });

  it("accepts a dotted sub-attribute key and merges it with the complex attribute", () => {
    expect(user({ "Name.GivenName": "Barbara", name: { familyName: "Jensen" } }).name).toEqual({ givenName: "Barbara", familyName: "Jensen" });
  });

  it("rejects the same attribute given twice under different case", () => {
    expect(userRejection({ USERNAME: "other" })).toBe('Attribute "userName" is given more than once');
    expect(userRejection({ name: { givenName: "a", GIVENNAME: "b" } })).toBe('Attribute "name.givenName" is given more than once');
    expect(userRejection({ name: { givenName: "a" }, "name.givenName": "b" })).toBe('Attribute "name.givenName" is given more than once');
  });

  it("rejects a dotted key into a multi-valued or simple attribute", () => {
    expect(userRejection({ "emails.value": "b@example.com" })).toContain('"emails" is multi-valued');
    expect(userRejection({ "title.x": "y" })).toContain('Unknown attribute "title.x"');
  });

  it("orders the result: schemas, then core attributes in schema order, then extensions", () => {
    const result = user({ [ENTERPRISE_USER_SCHEMA]: { department: "R&D" }, active: true, externalId: "e1", displayName: "B" });
    expect(Object.keys(result)).toEqual(["schemas", "externalId", "userName", "displayName", "active", ENTERPRISE_USER_SCHEMA]);
  });
});

describe("unknown attributes are rejected, never ignored", () => {
  it("names an unknown top-level attribute and the resource type", () => {
    expect(userRejection({ foo: 1 })).toBe('Unknown attribute "foo" for resource type User');
    expect(rejection({ displayName: "g", userName: "x" }, GROUP_RESOURCE)).toBe('Unknown attribute "userName" for resource type Group');
  });

  it("entra: an unknown attribute set to null assigns nothing and is accepted; any other value is still refused", () => {
    const result = user({ department: null, manager: null, title: "T" });
    expect(result).toEqual({ schemas: [USER_SCHEMA], userName: "bjensen", title: "T" });
    expect(userRejection({ department: "" })).toBe('Unknown attribute "department" for resource type User');
    expect(userRejection({ department: [] })).toBe('Unknown attribute "department" for resource type User');
  });

  it("names an unknown sub-attribute with its full path", () => {
    expect(userRejection({ name: { nickname: "B" } })).toBe('Unknown attribute "name.nickname" for resource type User');
    expect(userRejection({ emails: [{ value: "b@example.com" }, { value: "c@example.com", label: "x" }] })).toBe(
      'Unknown attribute "emails[1].label" for resource type User',
    );
  });

  it("names an unknown enterprise attribute with its URN", () => {
    expect(userRejection({ [ENTERPRISE_USER_SCHEMA]: { badge: "1" } })).toBe(
      `Unknown attribute "${ENTERPRISE_USER_SCHEMA}:badge" for resource type User`,
    );
  });

  it("rejects a schema of another resource type", () => {
    expect(userRejection({ [`${GROUP_SCHEMA}:displayName`]: "x" })).toBe(`Schema "${GROUP_SCHEMA}" does not apply to resource type User`);
    expect(rejection({ displayName: "g", [ENTERPRISE_USER_SCHEMA]: { department: "x" } }, GROUP_RESOURCE)).toContain("does not apply");
  });

  it("an extension object may carry a schemas member naming itself (serializers add it); it is dropped", () => {
    const result = user({ schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], [ENTERPRISE_USER_SCHEMA]: { schemas: [ENTERPRISE_USER_SCHEMA], department: "R&D" } });
    expect(result[ENTERPRISE_USER_SCHEMA]).toEqual({ department: "R&D" });
    expect(userRejection({ [ENTERPRISE_USER_SCHEMA]: { schemas: [USER_SCHEMA], department: "R&D" } })).toBe(
      `"schemas" inside "${ENTERPRISE_USER_SCHEMA}" must be an array naming ${ENTERPRISE_USER_SCHEMA}, got an array`,
    );
  });

  it("rejects core attributes nested under the core schema URN", () => {
    expect(userRejection({ [USER_SCHEMA]: { title: "x" } })).toContain("belong at the top level");
  });

  it("rejects a urn: key that is not a URN", () => {
    expect(userRejection({ "urn:foo": 1 })).toContain('"urn:foo" is neither a known attribute nor a schema URN');
  });
});

describe("rfc7643 2.3: data types", () => {
  it("entra: booleans may arrive as strings in any case", () => {
    expect(user({ active: "False" }).active).toBe(false);
    expect(user({ active: "TRUE" }).active).toBe(true);
    expect(user({ emails: [{ value: "b@example.com", primary: "true" }] }).emails).toEqual([{ value: "b@example.com", primary: true }]);
  });

  it("rejects a non-boolean for a boolean", () => {
    expect(userRejection({ active: "yes" })).toBe('Attribute "active" must be a boolean (true or false), got "yes"');
    expect(userRejection({ active: 1 })).toBe('Attribute "active" must be a boolean (true or false), got number 1');
  });

  it("rejects a non-string for a string", () => {
    expect(userRejection({ title: 42 })).toBe('Attribute "title" must be a string, got number 42');
    expect(userRejection({ name: { givenName: ["B"] } })).toBe('Attribute "name.givenName" must be a string, got an array');
  });

  it("rejects a non-object for a complex attribute", () => {
    expect(userRejection({ name: "Barbara Jensen" })).toBe('Attribute "name" must be an object, got "Barbara Jensen"');
  });

  it("rejects a single value for a multi-valued attribute, precisely", () => {
    expect(userRejection({ emails: { value: "b@example.com" } })).toBe(
      'Attribute "emails" is multi-valued: expected an array, got an object',
    );
    expect(userRejection({ emails: ["b@example.com"] })).toBe('Attribute "emails[0]" must be an object, got "b@example.com"');
  });

  it("checks binary values are base64 and at most MAX_BINARY_LENGTH long", () => {
    expect(user({ x509Certificates: [{ value: "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw" }] }).x509Certificates).toHaveLength(1);
    expect(userRejection({ x509Certificates: [{ value: "not base64!" }] })).toBe(
      'Attribute "x509Certificates[0].value" must be a base64 string, got "not base64!"',
    );
    expect(MAX_BINARY_LENGTH).toBe(65536);
    expect(user({ x509Certificates: [{ value: "A".repeat(MAX_BINARY_LENGTH) }] }).x509Certificates).toHaveLength(1);
    expect(userRejection({ x509Certificates: [{ value: "A".repeat(MAX_BINARY_LENGTH + 4) }] })).toContain(
      `at most ${MAX_BINARY_LENGTH} are allowed`,
    );
  });

  describe("integer, decimal and dateTime (no writable User attribute has them, so a test schema does)", () => {
    const TEST_SCHEMA = "urn:example:params:scim:schemas:core:2.0:Device";
    const DEVICE: ResourceSchemas = {
      resourceType: { id: "Device", name: "Device", endpoint: "/Devices", description: "", schema: TEST_SCHEMA, schemaExtensions: [] },
      core: {
        id: TEST_SCHEMA,
        name: "Device",
        description: "",
        attributes: [
          str("serial", "", { required: true }),
          attr("slots", "integer", ""),
          attr("weight", "decimal", ""),
          attr("boughtAt", "dateTime", ""),
          complex("spec", "", [attr("cores", "integer", "")]),
        ],
      },
      extensions: [],
    };
    const device = (body: Record<string, unknown>) => normalizeResource({ serial: "s1", ...body }, DEVICE).resource;
    const deviceRejection = (body: Record<string, unknown>) => rejection({ serial: "s1", ...body }, DEVICE);

    it("coerces numeric strings", () => {
      expect(device({ slots: "4", weight: "1.5", spec: { cores: "8" } })).toMatchObject({ slots: 4, weight: 1.5, spec: { cores: 8 } });
      expect(device({ slots: 4, weight: -2e3 })).toMatchObject({ slots: 4, weight: -2000 });
    });

    it("rejects non-integers and non-numbers", () => {
      expect(deviceRejection({ slots: 1.5 })).toBe('Attribute "slots" must be an integer, got number 1.5');
      expect(deviceRejection({ slots: "four" })).toBe('Attribute "slots" must be an integer, got "four"');
      expect(deviceRejection({ weight: "1,5" })).toBe('Attribute "weight" must be a number, got "1,5"');
      expect(deviceRejection({ weight: true })).toBe('Attribute "weight" must be a number, got boolean true');
    });

    it("accepts xsd:dateTime and rejects impossible dates", () => {
      for (const value of ["2024-02-29T12:00:00Z", "2011-05-13T04:42:34.123Z", "2011-05-13T04:42:34+02:00", "2011-05-13T04:42:34"]) {
        expect(device({ boughtAt: value }).boughtAt).toBe(value);
      }
      for (const value of ["2023-02-29T12:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01", "yesterday", "2024-01-01T25:00:00Z"]) {
        expect(deviceRejection({ boughtAt: value })).toContain('Attribute "boughtAt" must be an ISO 8601 date-time');
      }
    });
  });
});

describe("rfc7643 2.5: null, empty strings and empty arrays mean unassigned", () => {
  it("drops null, empty strings, empty arrays and emptied complex values", () => {
    expect(
      user({ displayName: null, title: "", emails: [], phoneNumbers: [null], name: { givenName: null, familyName: "" }, active: "" }),
    ).toEqual({ schemas: [USER_SCHEMA], userName: "bjensen" });
  });

  it("entra: clears an enterprise attribute with an empty string", () => {
    expect(user({ [ENTERPRISE_USER_SCHEMA]: { department: "" } })).toEqual({ schemas: [USER_SCHEMA], userName: "bjensen" });
  });

  it("keeps members: [] and turns members: null into [] (a PUT that empties the group)", () => {
    expect(group({ members: [] }).members).toEqual([]);
    expect(group({ members: null }).members).toEqual([]);
    expect(group({ members: [null] }).members).toEqual([]);
    expect(group({}).members).toBeUndefined();
  });
});

describe("rfc7643 required attributes", () => {
  it("requires userName for a User", () => {
    for (const userName of [undefined, null, "", "   "]) {
      expect(rejection(userName === undefined ? {} : { userName })).toBe('Attribute "userName" is required');
    }
  });

  it("requires displayName for a Group", () => {
    expect(rejection({ members: [] }, GROUP_RESOURCE)).toBe('Attribute "displayName" is required');
  });
});

describe("readOnly attributes are the server's: dropped, not errors", () => {
  it("okta: PUT echoes id, meta and groups", () => {
    const result = user({
      id: "2819c223-7f76-453a-919d-413861904646",
      meta: { resourceType: "User", created: "2024-01-01T00:00:00Z", location: "https://x/Users/1" },
      groups: [{ value: "g1", display: "Admins" }],
      active: true,
    });
    expect(result).toEqual({ schemas: [USER_SCHEMA], userName: "bjensen", active: true });
  });

  it("drops readOnly values even when they are malformed", () => {
    expect(user({ id: 42, meta: "x", groups: "y" })).toEqual({ schemas: [USER_SCHEMA], userName: "bjensen" });
  });

  it("drops members[].display and checks the rest of each member", () => {
    expect(group({ members: [{ value: "u1", display: "Barbara", type: "user" }] }).members).toEqual([{ value: "u1", type: "User" }]);
  });
});

describe("group members", () => {
  it("requires a value for each member", () => {
    expect(rejection({ displayName: "g", members: [{ value: "u1" }, { display: "B" }] }, GROUP_RESOURCE)).toBe(
      'Attribute "members[1].value" is required',
    );
  });

  it("accepts only User or Group as a member type", () => {
    expect(rejection({ displayName: "g", members: [{ value: "u1", type: "Robot" }] }, GROUP_RESOURCE)).toBe(
      'Attribute "members[0].type" must be "User" or "Group", got "Robot"',
    );
  });

  it("collapses the same member given twice", () => {
    expect(group({ members: [{ value: "u1" }, { value: "u2" }, { value: "u1" }] }).members).toEqual([{ value: "u1" }, { value: "u2" }]);
  });

  it(`allows up to MAX_GROUP_MEMBERS (${MAX_GROUP_MEMBERS}) members in one body`, () => {
    const members = Array.from({ length: MAX_MULTI_VALUES + 1 }, (_, i) => ({ value: `u${i}` }));
    expect(group({ members }).members).toHaveLength(MAX_MULTI_VALUES + 1);
    const tooMany = Array.from({ length: MAX_GROUP_MEMBERS + 1 }, (_, i) => ({ value: `u${i}` }));
    expect(rejection({ displayName: "g", members: tooMany }, GROUP_RESOURCE)).toBe(
      `Attribute "members" has ${MAX_GROUP_MEMBERS + 1} values; at most ${MAX_GROUP_MEMBERS} are allowed`,
    );
  });
});

describe("rfc7643 2.4: at most one primary value", () => {
  it("two primary emails are rejected", () => {
    expect(
      userRejection({
        emails: [
          { value: "a@example.com", primary: true },
          { value: "b@example.com", primary: "True" },
        ],
      }),
    ).toBe('Attribute "emails" has 2 values marked "primary": true; at most one is allowed (RFC 7643 §2.4)');
  });

  it("one primary among several is fine", () => {
    const emails = [
      { value: "a@example.com", primary: true },
      { value: "b@example.com", primary: false },
    ];
    expect(user({ emails }).emails).toEqual(emails);
  });

  it("applies to addresses too", () => {
    expect(userRejection({ addresses: [{ primary: true, locality: "A" }, { primary: true, locality: "B" }] })).toContain('"addresses" has 2 values');
  });
});

describe("schemas", () => {
  it("is filled in when missing", () => {
    expect(user({}).schemas).toEqual([USER_SCHEMA]);
    expect(group({}).schemas).toEqual([GROUP_SCHEMA]);
  });

  it("must contain the core schema when given", () => {
    expect(userRejection({ schemas: [ENTERPRISE_USER_SCHEMA] })).toBe(`"schemas" must contain "${USER_SCHEMA}" for resource type User`);
  });

  it("rfc7643 3: must be an array of URI strings", () => {
    expect(userRejection({ schemas: USER_SCHEMA })).toBe(`"schemas" must be an array of schema URIs, got "${USER_SCHEMA}"`);
    expect(userRejection({ schemas: [USER_SCHEMA, 7] })).toBe("schemas[1] number 7 is not a schema URI (urn:... or http(s)://...)");
    expect(userRejection({ schemas: [USER_SCHEMA, "User"] })).toBe('schemas[1] "User" is not a schema URI (urn:... or http(s)://...)');
    expect(userRejection({ schemas: [USER_SCHEMA, "http://a b"] })).toContain("is not a schema URI");
    expect(userRejection({ schemas: [USER_SCHEMA, `urn:x:${"y".repeat(MAX_STRING_LENGTH)}`] })).toContain(`at most ${MAX_STRING_LENGTH} are allowed`);
    expect(userRejection({ schemas: [USER_SCHEMA, GROUP_SCHEMA] })).toBe(`schemas[1] "${GROUP_SCHEMA}" does not apply to resource type User`);
  });

  it("entra: a schema URI that is not a URN (Microsoft's ADSCIM Group URI) is accepted and kept as given", () => {
    const ADSCIM = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
    expect(group({ schemas: [GROUP_SCHEMA, ADSCIM] }).schemas).toEqual([GROUP_SCHEMA, ADSCIM]);
    // Still one entry per URI, compared case-insensitively.
    expect(group({ schemas: [GROUP_SCHEMA, ADSCIM, ADSCIM.toUpperCase()] }).schemas).toEqual([GROUP_SCHEMA, ADSCIM]);
  });

  it("may be given only once", () => {
    expect(userRejection({ schemas: [USER_SCHEMA], Schemas: [USER_SCHEMA] })).toBe('Attribute "schemas" is given more than once');
  });

  it("is deduplicated case-insensitively and spelled canonically", () => {
    const result = user({ schemas: [USER_SCHEMA.toLowerCase(), ENTERPRISE_USER_SCHEMA.toUpperCase(), USER_SCHEMA] });
    expect(result.schemas).toEqual([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
  });

  it("gains the URN of every extension the body carries", () => {
    const result = user({ schemas: [USER_SCHEMA], [ENTERPRISE_USER_SCHEMA]: { department: "R&D" }, [ACME]: { badge: 7 } });
    expect(result.schemas).toEqual([USER_SCHEMA, ENTERPRISE_USER_SCHEMA, ACME]);
  });
});

describe("extensions", () => {
  it("validates the enterprise extension like core attributes, case-insensitively", () => {
    const result = user({ [ENTERPRISE_USER_SCHEMA.toLowerCase()]: { EmployeeNumber: "701984", costCenter: "4130" } });
    expect(result[ENTERPRISE_USER_SCHEMA]).toEqual({ employeeNumber: "701984", costCenter: "4130" });
    expect(userRejection({ [ENTERPRISE_USER_SCHEMA]: { division: 3 } })).toBe(
      `Attribute "${ENTERPRISE_USER_SCHEMA}:division" must be a string, got number 3`,
    );
    expect(userRejection({ [ENTERPRISE_USER_SCHEMA]: "R&D" })).toBe(`Extension "${ENTERPRISE_USER_SCHEMA}" must be an object, got "R&D"`);
  });

  it("rfc7644 3.10: moves URN-qualified attribute keys under their schema", () => {
    const result = user({ [`${ENTERPRISE_USER_SCHEMA}:employeeNumber`]: "1", [`${ENTERPRISE_USER_SCHEMA}:manager.value`]: "m1" });
    expect(result[ENTERPRISE_USER_SCHEMA]).toEqual({ employeeNumber: "1", manager: { value: "m1" } });
    expect(result.schemas).toEqual([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
    expect(normalizeResource({ [`${USER_SCHEMA}:userName`]: "bjensen" }, USER_RESOURCE).resource).toEqual({
      schemas: [USER_SCHEMA],
      userName: "bjensen",
    });
  });

  it("rejects a URN-qualified attribute that collides with the extension object", () => {
    expect(userRejection({ [ENTERPRISE_USER_SCHEMA]: { department: "a" }, [`${ENTERPRISE_USER_SCHEMA}:Department`]: "b" })).toBe(
      `Attribute "${ENTERPRISE_USER_SCHEMA}:department" is given more than once`,
    );
  });

  it("okta custom extension round-trips losslessly", () => {
    const custom = {
      badge: 7,
      isContractor: false,
      costCentre: "4130",
      Nested: { levels: [{ a: 1 }, { b: [true, "x", 2.5] }] },
      tags: ["a", "b"],
      empty: "",
    };
    const result = user({ [ACME]: custom });
    expect(result[ACME]).toEqual(custom);
    expect(result.schemas).toEqual([USER_SCHEMA, ACME]);
    expect(normalizeResource(result, USER_RESOURCE).resource).toEqual(result);
  });

  it("moves a URN-qualified attribute of an unknown extension under that extension", () => {
    const result = user({ [ACME]: { badge: 7 }, [`${ACME}:floor`]: "3" });
    expect(result[ACME]).toEqual({ badge: 7, floor: "3" });
  });

  it("drops null members of unknown extensions (null means unassigned) and omits emptied ones", () => {
    expect(user({ [ACME]: { badge: null, floor: 3 } })[ACME]).toEqual({ floor: 3 });
    expect(user({ [ACME]: { badge: null } })).toEqual({ schemas: [USER_SCHEMA], userName: "bjensen" });
  });

  it(`limits unknown extension objects to ${MAX_EXTENSION_DEPTH} levels of nesting`, () => {
    const nest = (levels: number): Record<string, unknown> => (levels === 1 ? { leaf: 1 } : { n: nest(levels - 1) });
    expect(user({ [ACME]: nest(MAX_EXTENSION_DEPTH) })[ACME]).toEqual(nest(MAX_EXTENSION_DEPTH));
    expect(userRejection({ [ACME]: nest(MAX_EXTENSION_DEPTH + 1) })).toContain(`nests deeper than ${MAX_EXTENSION_DEPTH} levels`);
  });

  it("keeps a __proto__ key as data, never as a prototype", () => {
    const body = JSON.parse(`{"userName":"b","${ACME}":{"__proto__":{"polluted":true}}}`) as Record<string, unknown>;
    const result = normalizeResource(body, USER_RESOURCE).resource;
    const custom = result[ACME] as Record<string, unknown>;
    expect(Object.hasOwn(custom, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(custom)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("enterprise manager", () => {
  const manager = (value: unknown) => (user({ [ENTERPRISE_USER_SCHEMA]: { manager: value } })[ENTERPRISE_USER_SCHEMA] as Record<string, unknown> | undefined)?.manager;

  it("entra: manager as plain id / object / array", () => {
    expect(manager("26118915-6090-4610-87e4-49d8ca9f808d")).toEqual({ value: "26118915-6090-4610-87e4-49d8ca9f808d" });
    expect(manager({ value: "m1", $ref: "https://x/Users/m1" })).toEqual({ value: "m1", $ref: "https://x/Users/m1" });
    expect(manager([{ value: "m1" }])).toEqual({ value: "m1" });
    expect(manager(["m1"])).toEqual({ value: "m1" });
  });

  it("drops the server-owned displayName", () => {
    expect(manager({ value: "m1", displayName: "John Smith" })).toEqual({ value: "m1" });
  });

  it("an empty string, null or an empty array removes it", () => {
    for (const value of ["", null, [], { value: "" }]) expect(manager(value)).toBeUndefined();
  });

  it("rejects two managers and a manager without an id", () => {
    expect(userRejection({ [ENTERPRISE_USER_SCHEMA]: { manager: [{ value: "a" }, { value: "b" }] } })).toBe(
      `Attribute "${ENTERPRISE_USER_SCHEMA}:manager" takes one manager, got 2`,
    );
    expect(userRejection({ [ENTERPRISE_USER_SCHEMA]: { manager: { $ref: "https://x/Users/m1" } } })).toBe(
      `Attribute "${ENTERPRISE_USER_SCHEMA}:manager.value" is required when "${ENTERPRISE_USER_SCHEMA}:manager" is given`,
    );
    expect(userRejection({ [ENTERPRISE_USER_SCHEMA]: { manager: 42 } })).toContain("must be an object, got number 42");
  });
});

describe("password (writeOnly)", () => {
  it("is returned separately, never inside the resource", () => {
    const result = normalizeResource({ userName: "bjensen", password: "t1meMa$heen" }, USER_RESOURCE);
    expect(result.password).toBe("t1meMa$heen");
    expect(result.resource).not.toHaveProperty("password");
    expect(normalizeResource({ userName: "bjensen" }, USER_RESOURCE)).not.toHaveProperty("password");
  });

  it("must be a non-empty string of at most MAX_PASSWORD_LENGTH characters", () => {
    expect(userRejection({ password: "" })).toBe('Attribute "password" must be a non-empty string, got an empty string');
    expect(userRejection({ password: 1234 })).toBe('Attribute "password" must be a non-empty string, got number 1234');
    expect(normalizeResource({ userName: "b", password: "x".repeat(MAX_PASSWORD_LENGTH) }, USER_RESOURCE).password).toHaveLength(256);
    expect(userRejection({ password: "x".repeat(MAX_PASSWORD_LENGTH + 1) })).toBe(
      'Attribute "password" is 257 characters long; at most 256 are allowed',
    );
  });

  it("does not exist on a Group", () => {
    expect(rejection({ displayName: "g", password: "x" }, GROUP_RESOURCE)).toBe('Unknown attribute "password" for resource type Group');
  });
});

describe("limits", () => {
  it(`strings are at most MAX_STRING_LENGTH (${MAX_STRING_LENGTH}) characters`, () => {
    expect(user({ title: "x".repeat(MAX_STRING_LENGTH) }).title).toHaveLength(MAX_STRING_LENGTH);
    expect(userRejection({ title: "x".repeat(MAX_STRING_LENGTH + 1) })).toBe(
      `Attribute "title" is ${MAX_STRING_LENGTH + 1} characters long; at most ${MAX_STRING_LENGTH} are allowed`,
    );
    expect(userRejection({ [ACME]: { note: "x".repeat(MAX_STRING_LENGTH + 1) } })).toContain(`at most ${MAX_STRING_LENGTH} are allowed`);
  });

  it(`multi-valued attributes hold at most MAX_MULTI_VALUES (${MAX_MULTI_VALUES}) values`, () => {
    const roles = Array.from({ length: MAX_MULTI_VALUES + 1 }, (_, i) => ({ value: `r${i}` }));
    expect(userRejection({ roles })).toBe(`Attribute "roles" has ${MAX_MULTI_VALUES + 1} values; at most ${MAX_MULTI_VALUES} are allowed`);
    expect(user({ roles: roles.slice(1) }).roles).toHaveLength(MAX_MULTI_VALUES);
  });
});

describe("formats, through normalizeResource", () => {
  it("upper-cases a country code; entra: a free-text country name is stored as sent (advisory rule)", () => {
    expect(user({ addresses: [{ country: "de", locality: "Berlin" }] }).addresses).toEqual([{ locality: "Berlin", country: "DE" }]);
    for (const country of ["Germany", "USA", "United States"]) {
      expect(user({ addresses: [{ type: "work", country }] }).addresses).toEqual([{ type: "work", country }]);
    }
  });

  it("advisory rules: an email without @, a language, locale or time zone out of format is stored exactly as sent", () => {
    expect(user({ emails: [{ value: "bjensen" }] }).emails).toEqual([{ value: "bjensen" }]);
    expect(user({ preferredLanguage: "english" }).preferredLanguage).toBe("english");
    expect(user({ locale: "not a locale" }).locale).toBe("not a locale");
    // The SCIM Validator sends randomly generated time zones (its documented known issue).
    expect(user({ timezone: "Mars/Olympus" }).timezone).toBe("Mars/Olympus");
  });

  it("refusing rules: profileUrl and photos must be absolute http(s) URLs (rendered as links by the application)", () => {
    expect(userRejection({ profileUrl: "javascript:alert(1)" })).toBe('profileUrl "javascript:alert(1)" is not an absolute http(s) URL');
    expect(userRejection({ photos: [{ value: "/me.png" }] })).toContain('photos[0].value "/me.png" is not an absolute http(s) URL');
  });

  it("advisory attributes still refuse what would corrupt the directory: wrong types, over-long strings, keys given twice", () => {
    expect(userRejection({ addresses: [{ country: 49 }] })).toBe('Attribute "addresses[0].country" must be a string, got number 49');
    expect(userRejection({ timezone: "x".repeat(MAX_STRING_LENGTH + 1) })).toContain(`at most ${MAX_STRING_LENGTH} are allowed`);
    expect(userRejection({ emails: [{ value: "a", VALUE: "b" }] })).toBe('Attribute "emails[0].value" is given more than once');
    expect(rejection({ locale: "Germany" })).toBe('Attribute "userName" is required');
  });

  it("okta: locale en_US is stored as en-US", () => {
    expect(user({ locale: "en_US", preferredLanguage: "en-US", timezone: "America/Los_Angeles" })).toMatchObject({
      locale: "en-US",
      preferredLanguage: "en-US",
      timezone: "America/Los_Angeles",
    });
  });
});

describe("properties", () => {
  const names = [
    "userName", "USERNAME", "name", "Name.GivenName", "displayName", "emails", "phoneNumbers", "addresses", "active",
    "password", "groups", "id", "meta", "schemas", "externalId", "x509Certificates", "locale", "timezone", "members",
    ENTERPRISE_USER_SCHEMA, `${ENTERPRISE_USER_SCHEMA}:manager`, `${ENTERPRISE_USER_SCHEMA}:employeeNumber`, ACME, `${ACME}:x`, "urn:x",
  ];
  const key = fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 }));
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.array(fc.dictionary(fc.constantFrom("value", "primary", "type", "display", "country", "givenName", "x"), fc.jsonValue({ maxDepth: 1 })), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("value", "givenName", "manager", "department", "$ref", "Y"), fc.jsonValue({ maxDepth: 2 })),
  );
  const body = fc.dictionary(key, value, { maxKeys: 8 });

  it("random JSON objects never make normalizeResource throw anything but a 400 ScimError", () => {
    fc.assert(
      fc.property(body, fc.boolean(), (input, withUserName) => {
        for (const resource of [USER_RESOURCE, GROUP_RESOURCE]) {
          const candidate = withUserName ? { userName: "u", displayName: "d", ...input } : input;
          try {
            normalizeResource(candidate, resource);
          } catch (error) {
            if (!(error instanceof ScimError) || error.status !== 400) throw error;
          }
        }
      }),
      { numRuns: runs(2000) },
    );
  });

  it("normalising is idempotent: a normalised resource normalises to itself", () => {
    fc.assert(
      fc.property(body, (input) => {
        let first;
        try {
          first = normalizeResource({ userName: "u", ...input }, USER_RESOURCE).resource;
        } catch {
          return;
        }
        expect(normalizeResource(first, USER_RESOURCE).resource).toEqual(first);
      }),
      { numRuns: runs(1000) },
    );
  });
});
