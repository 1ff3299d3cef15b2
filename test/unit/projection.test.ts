// Attribute projection (src/scim/projection.ts): RFC 7644 §3.4.2.5 attributes / excludedAttributes and
// RFC 7643 §7 "returned" (always, default, request, never), with a 400 for unknown names.
import { describe, expect, it } from "vitest";
import { ScimError } from "../../src/scim/errors.ts";
import { includesAttribute, parseAttributeList, projectResource, type ProjectionOptions } from "../../src/scim/projection.ts";
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from "../../src/scim/schema/core.ts";
import { GROUP_RESOURCE, USER_RESOURCE } from "../../src/scim/schema/registry.ts";

const ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";

const META = {
  resourceType: "User",
  created: "2024-01-01T00:00:00Z",
  lastModified: "2024-01-02T00:00:00Z",
  location: "https://scim.example.com/scim/v2/Users/u1",
  version: 'W/"3"',
};

const USER: Record<string, unknown> = {
  schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, ACME],
  id: "u1",
  externalId: "okta-1",
  userName: "bjensen",
  name: { givenName: "Barbara", familyName: "Jensen" },
  active: true,
  // Storage never keeps a password in the JSON; if one slipped in, projection must still not return it.
  password: "leaked",
  emails: [
    { value: "bjensen@example.com", type: "work", primary: true },
    { value: "babs@example.org", type: "home" },
  ],
  groups: [{ value: "g1", display: "Admins" }],
  [ENTERPRISE_USER_SCHEMA]: { department: "R&D", manager: { value: "m1" } },
  [ACME]: { badge: 7, floor: { level: 3, wing: "B" } },
  meta: META,
};

const GROUP: Record<string, unknown> = {
  schemas: [GROUP_SCHEMA],
  id: "g1",
  displayName: "Admins",
  members: [{ value: "u1", type: "User" }],
  meta: { ...META, resourceType: "Group" },
};

const project = (options: ProjectionOptions, resource = USER) => projectResource(resource, USER_RESOURCE, options);

function rejection(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ScimError);
    expect((error as ScimError).status).toBe(400);
    expect((error as ScimError).scimType).toBe("invalidValue");
    return (error as ScimError).message;
  }
  throw new Error("expected a 400 ScimError");
}

describe("parseAttributeList", () => {
  it("splits on commas and trims", () => {
    expect(parseAttributeList("userName, name.givenName ,emails")).toEqual(["userName", "name.givenName", "emails"]);
  });

  it("treats absent, empty and empty entries as nothing", () => {
    expect(parseAttributeList(undefined)).toEqual([]);
    expect(parseAttributeList("")).toEqual([]);
    expect(parseAttributeList("userName,,")).toEqual(["userName"]);
  });
});

describe("rfc7643 7 returned: the default set", () => {
  it("returns everything but returned:never attributes", () => {
    const { password: _password, ...expected } = USER;
    expect(project({})).toEqual(expected);
    expect(project({ attributes: [], excludedAttributes: [] })).toEqual(expected);
  });

  it("never returns the password, even when asked for", () => {
    expect(project({ attributes: ["password"] })).toEqual({ schemas: USER.schemas, id: "u1" });
  });

  it("does not change its input", () => {
    const copy = structuredClone(USER);
    project({ attributes: ["name.givenName"], excludedAttributes: ["emails.type"] });
    expect(USER).toEqual(copy);
  });
});

describe("rfc7644 3.4.2.5 attributes", () => {
  it("returns only the named attributes, plus id and schemas", () => {
    expect(project({ attributes: ["userName"] })).toEqual({ schemas: USER.schemas, id: "u1", userName: "bjensen" });
  });

  it("okta: attributes=userName matches case-insensitively", () => {
    expect(project({ attributes: ["USERNAME", "Active"] })).toEqual({ schemas: USER.schemas, id: "u1", userName: "bjensen", active: true });
  });

  it("leaves meta out unless named", () => {
    expect(project({ attributes: ["userName"] })).not.toHaveProperty("meta");
    expect(project({ attributes: ["meta.lastModified"] }).meta).toEqual({ lastModified: META.lastModified });
  });

  it("selects sub-attributes of complex and multi-valued attributes", () => {
    expect(project({ attributes: ["name.givenName", "emails.value"] })).toEqual({
      schemas: USER.schemas,
      id: "u1",
      name: { givenName: "Barbara" },
      emails: [{ value: "bjensen@example.com" }, { value: "babs@example.org" }],
    });
  });

  it("selects URN-qualified enterprise attributes and whole extensions", () => {
    expect(project({ attributes: [`${ENTERPRISE_USER_SCHEMA}:department`] })[ENTERPRISE_USER_SCHEMA]).toEqual({ department: "R&D" });
    expect(project({ attributes: [`${ENTERPRISE_USER_SCHEMA}:manager.value`] })[ENTERPRISE_USER_SCHEMA]).toEqual({ manager: { value: "m1" } });
    expect(project({ attributes: [ENTERPRISE_USER_SCHEMA.toLowerCase()] })[ENTERPRISE_USER_SCHEMA]).toEqual(USER[ENTERPRISE_USER_SCHEMA]);
    expect(project({ attributes: ["userName"] })).not.toHaveProperty(ENTERPRISE_USER_SCHEMA);
  });

  it("accepts URN-qualified core attributes", () => {
    expect(project({ attributes: [`${USER_SCHEMA}:name.familyName`] }).name).toEqual({ familyName: "Jensen" });
  });

  it("selects from custom extensions the server has no schema for", () => {
    expect(project({ attributes: [ACME] })[ACME]).toEqual(USER[ACME]);
    expect(project({ attributes: [`${ACME}:badge`] })[ACME]).toEqual({ badge: 7 });
    expect(project({ attributes: [`${ACME}:floor.level`] })[ACME]).toEqual({ floor: { level: 3 } });
    expect(project({ attributes: ["userName"] })).not.toHaveProperty(ACME);
  });

  it("allows names under a custom extension this resource does not have", () => {
    expect(project({ attributes: ["urn:ietf:params:scim:schemas:extension:other:2.0:User:x"] })).toEqual({ schemas: USER.schemas, id: "u1" });
  });
});

describe("rfc7644 3.4.2.5 excludedAttributes", () => {
  it("entra: excludedAttributes=members leaves a group's members out", () => {
    expect(projectResource(GROUP, GROUP_RESOURCE, { excludedAttributes: ["members"] })).toEqual({
      schemas: [GROUP_SCHEMA],
      id: "g1",
      displayName: "Admins",
      meta: GROUP.meta,
    });
  });

  it("cannot exclude id or schemas (returned: always)", () => {
    const result = project({ excludedAttributes: ["id", "schemas", "userName"] });
    expect(result.id).toBe("u1");
    expect(result.schemas).toEqual(USER.schemas);
    expect(result).not.toHaveProperty("userName");
  });

  it("excludes sub-attributes, extension attributes and whole extensions", () => {
    const result = project({ excludedAttributes: ["emails.type", "name.familyName", `${ENTERPRISE_USER_SCHEMA}:manager`, ACME, "meta"] });
    expect(result.emails).toEqual([{ value: "bjensen@example.com", primary: true }, { value: "babs@example.org" }]);
    expect(result.name).toEqual({ givenName: "Barbara" });
    expect(result[ENTERPRISE_USER_SCHEMA]).toEqual({ department: "R&D" });
    expect(result).not.toHaveProperty(ACME);
    expect(result).not.toHaveProperty("meta");
  });

  it("drops an extension whose every attribute is excluded", () => {
    const result = project({ excludedAttributes: [`${ENTERPRISE_USER_SCHEMA}:department`, `${ENTERPRISE_USER_SCHEMA}:manager`] });
    expect(result).not.toHaveProperty(ENTERPRISE_USER_SCHEMA);
  });

  it("applies after attributes when both are given", () => {
    expect(project({ attributes: ["emails", "userName"], excludedAttributes: ["emails.type", "userName"] })).toEqual({
      schemas: USER.schemas,
      id: "u1",
      emails: [{ value: "bjensen@example.com", primary: true }, { value: "babs@example.org" }],
    });
  });
});

describe("unknown names are a 400, never silently ignored", () => {
  it("names the unknown attribute and the parameter", () => {
    expect(rejection(() => project({ attributes: ["userName", "nickname2"] }))).toBe(
      'Unknown attribute "nickname2" in attributes for resource type User',
    );
    expect(rejection(() => project({ excludedAttributes: ["name.nick"] }))).toBe(
      'Unknown attribute "name.nick" in excludedAttributes for resource type User',
    );
    expect(rejection(() => project({ attributes: [`${ENTERPRISE_USER_SCHEMA}:badge`] }))).toContain("Unknown attribute");
  });

  it("rejects attributes of another resource type", () => {
    expect(rejection(() => projectResource(GROUP, GROUP_RESOURCE, { attributes: ["userName"] }))).toBe(
      'Unknown attribute "userName" in attributes for resource type Group',
    );
    expect(rejection(() => projectResource(GROUP, GROUP_RESOURCE, { attributes: [`${ENTERPRISE_USER_SCHEMA}:department`] }))).toContain(
      "does not apply to resource type Group",
    );
  });

  it("rejects filters and other syntax that is not an attribute name", () => {
    expect(rejection(() => project({ attributes: ['emails[type eq "work"]'] }))).toContain("Unknown attribute");
    expect(rejection(() => project({ attributes: ["userName.value"] }))).toContain("Unknown attribute");
  });
});

describe("includesAttribute", () => {
  it("tells storage whether members will be returned", () => {
    expect(includesAttribute(GROUP_RESOURCE, {}, "members")).toBe(true);
    expect(includesAttribute(GROUP_RESOURCE, { excludedAttributes: ["members"] }, "members")).toBe(false);
    expect(includesAttribute(GROUP_RESOURCE, { excludedAttributes: ["members.type"] }, "members")).toBe(true);
    expect(includesAttribute(GROUP_RESOURCE, { attributes: ["displayName"] }, "members")).toBe(false);
    expect(includesAttribute(GROUP_RESOURCE, { attributes: ["members.value"] }, "Members")).toBe(true);
  });

  it("tells storage whether a user's groups will be returned", () => {
    expect(includesAttribute(USER_RESOURCE, {}, "groups")).toBe(true);
    expect(includesAttribute(USER_RESOURCE, { attributes: ["userName"] }, "groups")).toBe(false);
    expect(includesAttribute(USER_RESOURCE, { excludedAttributes: ["groups"] }, "groups")).toBe(false);
  });

  it("knows always and never", () => {
    expect(includesAttribute(USER_RESOURCE, { attributes: ["userName"] }, "id")).toBe(true);
    expect(includesAttribute(USER_RESOURCE, {}, "password")).toBe(false);
  });

  it("answers for extensions", () => {
    expect(includesAttribute(USER_RESOURCE, {}, ENTERPRISE_USER_SCHEMA)).toBe(true);
    expect(includesAttribute(USER_RESOURCE, { attributes: [`${ENTERPRISE_USER_SCHEMA}:department`] }, ENTERPRISE_USER_SCHEMA)).toBe(true);
    expect(includesAttribute(USER_RESOURCE, { attributes: ["userName"] }, ENTERPRISE_USER_SCHEMA)).toBe(false);
    expect(includesAttribute(USER_RESOURCE, { excludedAttributes: [ENTERPRISE_USER_SCHEMA] }, ENTERPRISE_USER_SCHEMA)).toBe(false);
  });

  it("rejects unknown names in the options like projectResource does", () => {
    expect(rejection(() => includesAttribute(GROUP_RESOURCE, { excludedAttributes: ["memberz"] }, "members"))).toContain('"memberz"');
  });
});
