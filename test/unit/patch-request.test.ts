// parsePatchRequest: the PatchOp message (RFC 7644 §3.5.2), path resolution and value normalisation.
import { describe, expect, it } from "vitest";
import { MAX_PATCH_OPERATIONS, MAX_PATCH_VALUES, parsePatchRequest } from "../../src/scim/patch/index.ts";
import { attr, complex, str } from "../../src/scim/schema/builders.ts";
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, PATCH_OP_SCHEMA, USER_SCHEMA } from "../../src/scim/schema/core.ts";
import { GROUP_RESOURCE, USER_RESOURCE, type ResourceSchemas } from "../../src/scim/schema/registry.ts";
import { expectBadRequest, parsePatch } from "../support/patch.ts";

const ENT = ENTERPRISE_USER_SCHEMA;
const ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";

describe("PatchOp message (RFC 7644 §3.5.2)", () => {
  it("rfc7644 3.5.2: rejects a body whose schemas lack the PatchOp URN", () => {
    expectBadRequest(() => parsePatchRequest({ schemas: [USER_SCHEMA], Operations: [{ op: "add", path: "title", value: "x" }] }, USER_RESOURCE), "invalidSyntax", PATCH_OP_SCHEMA);
    expectBadRequest(() => parsePatchRequest({ Operations: [{ op: "add", path: "title", value: "x" }] }, USER_RESOURCE), "invalidSyntax", "schemas");
  });

  it("rfc7644 3.5.2: rejects a body that is not an object", () => {
    expectBadRequest(() => parsePatchRequest([{ op: "add" }], USER_RESOURCE), "invalidSyntax", "JSON object");
    expectBadRequest(() => parsePatchRequest(null, USER_RESOURCE), "invalidSyntax");
  });

  it("rfc7644 3.5.2: Operations must be a non-empty array", () => {
    expectBadRequest(() => parsePatchRequest({ schemas: [PATCH_OP_SCHEMA] }, USER_RESOURCE), "invalidSyntax", "Operations");
    expectBadRequest(() => parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: {} }, USER_RESOURCE), "invalidSyntax", "Operations");
    expectBadRequest(() => parsePatch([]), "invalidSyntax", "empty");
  });

  it("accepts the message attribute names in any case, as RFC 7643 §2.1 makes attribute names case-insensitive", () => {
    const ops = parsePatchRequest({ SCHEMAS: [PATCH_OP_SCHEMA.toUpperCase()], operations: [{ OP: "add", PATH: "title", VALUE: "Boss" }] }, USER_RESOURCE);
    expect(ops).toHaveLength(1);
    expect(ops[0]?.value).toBe("Boss");
  });

  it(`limits Operations to MAX_PATCH_OPERATIONS (${MAX_PATCH_OPERATIONS})`, () => {
    expect(MAX_PATCH_OPERATIONS).toBe(1000);
    const op = { op: "replace", path: "title", value: "x" };
    expect(parsePatch(Array.from({ length: MAX_PATCH_OPERATIONS }, () => op))).toHaveLength(MAX_PATCH_OPERATIONS);
    expectBadRequest(() => parsePatch(Array.from({ length: MAX_PATCH_OPERATIONS + 1 }, () => op)), "invalidValue", "1001", "at most 1000");
  });

  it(`limits one operation's value array to MAX_PATCH_VALUES (${MAX_PATCH_VALUES})`, () => {
    expect(MAX_PATCH_VALUES).toBe(1000);
    const members = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `u-${i}` }));
    expect(parsePatch([{ op: "add", path: "members", value: members(MAX_PATCH_VALUES) }], GROUP_RESOURCE)[0]?.value).toHaveLength(1000);
    expectBadRequest(() => parsePatch([{ op: "add", path: "members", value: members(1001) }], GROUP_RESOURCE), "invalidValue", "Operations[0]", "1001", "at most 1000");
    expectBadRequest(() => parsePatch([{ op: "remove", path: "members", value: members(1001) }], GROUP_RESOURCE), "invalidValue", "1001");
    expectBadRequest(() => parsePatch([{ op: "add", value: { members: members(1001) } }], GROUP_RESOURCE), "invalidValue", "1001");
    expectBadRequest(() => parsePatch([{ op: "add", path: `${ACME}:tags`, value: members(1001) }]), "invalidValue", "1001");
  });

  it("okta/entra: op names are accepted in any case (Add, Replace, REMOVE)", () => {
    const ops = parsePatch([
      { op: "Add", path: "title", value: "a" },
      { op: "Replace", path: "title", value: "b" },
      { op: "REMOVE", path: "title" },
    ]);
    expect(ops.map((o) => o.op)).toEqual(["add", "replace", "remove"]);
  });

  it("rejects an unknown op, naming the operation", () => {
    expectBadRequest(() => parsePatch([{ op: "add", path: "title", value: "a" }, { op: "move", path: "title" }]), "invalidSyntax", "Operations[1].op", '"move"');
    expectBadRequest(() => parsePatch([{ path: "title", value: "a" }]), "invalidSyntax", "Operations[0].op");
    expectBadRequest(() => parsePatch(["add"]), "invalidSyntax", "Operations[0] must be an object");
  });

  it("rejects a path that is not a string", () => {
    expectBadRequest(() => parsePatch([{ op: "add", path: 7, value: "a" }]), "invalidSyntax", "Operations[0].path");
  });

  it("rfc7644 3.5.2.1: add and replace need a value", () => {
    expectBadRequest(() => parsePatch([{ op: "add", path: "title" }]), "invalidValue", "Operations[0]", '"value"');
    expectBadRequest(() => parsePatch([{ op: "replace" }]), "invalidValue", '"value"');
  });

  it("rfc7644 3.5.2.1: without a path the value must be an object of attributes", () => {
    expectBadRequest(() => parsePatch([{ op: "replace", value: "x" }]), "invalidValue", "without path", "object of attributes");
    expectBadRequest(() => parsePatch([{ op: "add", value: [{ active: true }] }]), "invalidValue", "an array");
  });

  it("rfc7644 3.5.2.2: remove without path fails with noTarget", () => {
    expectBadRequest(() => parsePatch([{ op: "remove" }]), "noTarget", "Operations[0]", "path");
    expectBadRequest(() => parsePatch([{ op: "remove", path: "" }]), "noTarget");
  });
});

describe("path resolution", () => {
  it("resolves attribute names case-insensitively to their canonical spelling", () => {
    const [a, b, c] = parsePatch([
      { op: "replace", path: "USERNAME", value: "x" },
      { op: "replace", path: "Name.GivenName", value: "y" },
      { op: "replace", path: `${USER_SCHEMA}:DisplayName`, value: "z" },
    ]);
    expect(a?.target).toMatchObject({ attribute: "userName", schema: USER_SCHEMA, extension: false });
    expect(b?.target).toMatchObject({ attribute: "name", subAttribute: "givenName" });
    expect(c?.target).toMatchObject({ attribute: "displayName", schema: USER_SCHEMA, extension: false });
  });

  it("rejects an unknown attribute with invalidPath naming it and the operation", () => {
    expectBadRequest(() => parsePatch([{ op: "replace", path: "title", value: "x" }, { op: "replace", path: "favouriteColour", value: "x" }]), "invalidPath", "Operations[1]", "favouriteColour");
    expectBadRequest(() => parsePatch([{ op: "replace", path: "name.nickname", value: "x" }]), "invalidPath", "nickname");
    expectBadRequest(() => parsePatch([{ op: "replace", value: { favouriteColour: "x" } }]), "invalidPath", "favouriteColour", 'value key "favouriteColour"');
    expectBadRequest(() => parsePatch([{ op: "replace", path: `${ENT}:shoeSize`, value: "x" }]), "invalidPath", "shoeSize");
  });

  it("rejects a malformed path with invalidPath", () => {
    expectBadRequest(() => parsePatch([{ op: "replace", path: 'emails[type eq "work"', value: "x" }]), "invalidPath", "Operations[0]");
    expectBadRequest(() => parsePatch([{ op: "replace", path: "emails[type eq work]", value: "x" }]), "invalidPath");
  });

  it("resolves URN-qualified enterprise paths to the extension", () => {
    const [op] = parsePatch([{ op: "replace", path: `${ENT}:department`, value: "Sales" }]);
    expect(op?.target).toMatchObject({ schema: ENT, extension: true, attribute: "department" });
    expect(op?.target.attributeDef?.name).toBe("department");
  });

  it("resolves a valuePath filter against the attribute's sub-attributes and exposes its equalities", () => {
    const [emails] = parsePatch([{ op: "replace", path: 'emails[TYPE eq "work"].Value', value: "a@x" }]);
    expect(emails?.target).toMatchObject({ attribute: "emails", subAttribute: "value" });
    expect(emails?.target.valueFilter?.equalities).toEqual({ type: "work" });
    // What a Groups route reads to run membership as set-based SQL.
    const [members] = parsePatch([{ op: "remove", path: 'members[value eq "2819c223"]' }], GROUP_RESOURCE);
    expect(members?.target.attribute).toBe("members");
    expect(members?.target.valueFilter?.equalities).toEqual({ value: "2819c223" });
    const [or] = parsePatch([{ op: "remove", path: 'emails[type eq "work" or type eq "home"]' }]);
    expect(or?.target.valueFilter?.equalities).toBeUndefined();
  });

  it("rejects a value filter on a single-valued attribute, and an unfiltered sub-attribute of a multi-valued one", () => {
    expectBadRequest(() => parsePatch([{ op: "replace", path: 'name[givenName eq "x"].familyName', value: "y" }]), "invalidPath", "name");
    expectBadRequest(() => parsePatch([{ op: "replace", path: "emails.value", value: "y" }]), "invalidPath", "emails.value", "value filter");
    expectBadRequest(() => parsePatch([{ op: "replace", path: 'emails[bogus eq "x"].value', value: "y" }]), "invalidPath", "bogus");
  });

  it("rejects schemas that do not belong to the resource type", () => {
    expectBadRequest(() => parsePatch([{ op: "replace", path: `${GROUP_SCHEMA}:displayName`, value: "x" }]), "invalidPath");
    expectBadRequest(() => parsePatch([{ op: "replace", path: `${ENT}:department`, value: "x" }], GROUP_RESOURCE), "invalidPath");
    expectBadRequest(() => parsePatch([{ op: "replace", path: "urn:ietf:params:scim:schemas:core:2.0:Users:userName", value: "x" }]), "invalidPath");
    expectBadRequest(() => parsePatch([{ op: "replace", value: { [GROUP_SCHEMA]: { displayName: "x" } } }]), "invalidPath", GROUP_SCHEMA);
  });

  it("treats attributes of an unknown extension as free-form targets", () => {
    const [op] = parsePatch([{ op: "add", path: `${ACME}:badge`, value: { id: 7 } }]);
    expect(op?.target).toMatchObject({ schema: ACME, extension: true, attribute: "badge" });
    expect(op?.target.attributeDef).toBeUndefined();
    expect(op?.value).toEqual({ id: 7 });
    expectBadRequest(() => parsePatch([{ op: "replace", path: `${ACME}:tags[value eq "x"]`, value: "y" }]), "invalidPath", ACME);
  });

  it("expands a path-less value into one operation per attribute (dotted, URN-qualified and URN-object keys)", () => {
    const ops = parsePatch([
      {
        op: "Add",
        value: {
          "name.givenName": "Barbara",
          [`${ENT}:employeeNumber`]: "42",
          [ENT]: { department: "Sales", Manager: "m-2" },
          'emails[type eq "work"].value': "b@x",
        },
      },
    ]);
    expect(ops.map((o) => [o.op, o.target.schema === ENT ? `ent:${o.target.attribute}` : o.target.attribute, o.target.subAttribute ?? null, o.pathless])).toEqual([
      ["add", "name", "givenName", true],
      ["add", "ent:employeeNumber", null, true],
      ["add", "ent:department", null, true],
      ["add", "ent:manager", null, true],
      ["add", "emails", "value", true],
    ]);
    expect(ops[3]?.value).toEqual({ value: "m-2" });
  });
});

describe("mutability checks at parse time", () => {
  it("rfc7644 3.5.2: ops targeting readOnly attributes fail with mutability", () => {
    expectBadRequest(() => parsePatch([{ op: "replace", path: "id", value: "x" }]), "mutability", '"id" is readOnly');
    expectBadRequest(() => parsePatch([{ op: "replace", path: "meta.lastModified", value: "2020-01-01T00:00:00Z" }]), "mutability", "meta.lastModified");
    expectBadRequest(() => parsePatch([{ op: "remove", path: "meta" }]), "mutability", "meta");
    expectBadRequest(() => parsePatch([{ op: "add", path: "groups", value: [{ value: "g" }] }]), "mutability", "groups");
    expectBadRequest(() => parsePatch([{ op: "replace", path: 'members[value eq "u"].display', value: "x" }], GROUP_RESOURCE), "mutability", "members.display");
    expectBadRequest(() => parsePatch([{ op: "replace", path: `${ENT}:manager.displayName`, value: "x" }]), "mutability", "manager.displayName");
  });

  it("rfc7644 3.5.2: schemas cannot be patched by path; a path-less echo of it is ignored", () => {
    expectBadRequest(() => parsePatch([{ op: "replace", path: "schemas", value: [USER_SCHEMA] }]), "mutability", "schemas");
    expect(parsePatch([{ op: "replace", value: { schemas: [USER_SCHEMA, ENT], title: "x" } }]).map((o) => o.target.attribute)).toEqual(["title"]);
    expectBadRequest(() => parsePatch([{ op: "replace", value: { schemas: [ENT] } }]), "mutability", "schemas");
  });

  it("rfc7644 3.5.2.2: removing a required attribute fails with mutability", () => {
    // RFC 7644 §3.5.2.2: "If an attribute is removed or becomes unassigned and is defined as a required
    // attribute or a read-only attribute, the server SHALL return ... a 'scimType' error code of 'mutability'."
    expectBadRequest(() => parsePatch([{ op: "remove", path: "userName" }]), "mutability", "userName", "required");
    expectBadRequest(() => parsePatch([{ op: "replace", path: "userName", value: null }]), "mutability", "userName");
    expectBadRequest(() => parsePatch([{ op: "replace", value: { userName: null } }]), "mutability", "userName");
    expectBadRequest(() => parsePatch([{ op: "remove", path: "displayName" }], GROUP_RESOURCE), "mutability", "displayName");
  });

  it("okta: path-less echoes of readOnly attributes are not rejected at parse time", () => {
    const ops = parsePatch([{ op: "replace", value: { id: "g-1", displayName: "New", meta: { resourceType: "Group" } } }], GROUP_RESOURCE);
    // meta is dropped; id is kept so applyPatch can compare it with the resource's own id.
    expect(ops.map((o) => o.target.attribute)).toEqual(["id", "displayName"]);
    expect(ops[0]?.pathless).toBe(true);
  });
});

describe("value normalisation", () => {
  it("entra: boolean strings are coerced case-insensitively", () => {
    expect(parsePatch([{ op: "Replace", path: "active", value: "False" }])[0]?.value).toBe(false);
    expect(parsePatch([{ op: "Replace", path: "active", value: "TRUE" }])[0]?.value).toBe(true);
    expect(parsePatch([{ op: "Replace", value: { active: "false" } }])[0]?.value).toBe(false);
    expect(parsePatch([{ op: "Add", path: "emails", value: [{ value: "a@x", primary: "True" }] }])[0]?.value).toEqual([{ value: "a@x", primary: true }]);
    expectBadRequest(() => parsePatch([{ op: "Replace", path: "active", value: "yes" }]), "invalidValue", "active", '"yes"');
    expectBadRequest(() => parsePatch([{ op: "Replace", path: "active", value: 1 }]), "invalidValue", "active");
  });

  it("numeric strings are coerced for integer and decimal attributes", () => {
    const resource: ResourceSchemas = {
      ...USER_RESOURCE,
      core: { ...USER_RESOURCE.core, attributes: [...USER_RESOURCE.core.attributes, attr("loginCount", "integer", "n"), attr("score", "decimal", "n")] },
    };
    expect(parsePatch([{ op: "replace", path: "loginCount", value: "42" }], resource)[0]?.value).toBe(42);
    expect(parsePatch([{ op: "replace", path: "loginCount", value: 7 }], resource)[0]?.value).toBe(7);
    expect(parsePatch([{ op: "replace", path: "score", value: "-4.5e1" }], resource)[0]?.value).toBe(-45);
    expectBadRequest(() => parsePatch([{ op: "replace", path: "loginCount", value: "4.5" }], resource), "invalidValue", "loginCount", "integer");
    expectBadRequest(() => parsePatch([{ op: "replace", path: "loginCount", value: 4.5 }], resource), "invalidValue", "integer");
    expectBadRequest(() => parsePatch([{ op: "replace", path: "score", value: "lots" }], resource), "invalidValue", "score", "decimal");
  });

  it("entra: manager given as id string, object or one-element array becomes {value}", () => {
    const shapes = ["m-9", { value: "m-9" }, [{ value: "m-9" }], { Value: "m-9", displayName: "ignored readOnly" }];
    for (const value of shapes) {
      expect(parsePatch([{ op: "Replace", path: `${ENT}:manager`, value }])[0]).toMatchObject({ op: "replace", value: { value: "m-9" } });
    }
    expectBadRequest(() => parsePatch([{ op: "Replace", path: `${ENT}:manager`, value: [{ value: "a" }, { value: "b" }] }]), "invalidValue", "manager");
  });

  it("entra: an empty or null manager becomes a remove", () => {
    for (const value of ["", null, { value: "" }, [], [{ value: null }]]) {
      expect(parsePatch([{ op: "Replace", path: `${ENT}:manager`, value }])[0]).toMatchObject({ op: "remove" });
    }
    expect(parsePatch([{ op: "Replace", path: `${ENT}:manager.value`, value: "" }])[0]?.op).toBe("remove");
  });

  it("multi-valued values become arrays with canonical sub-attribute names; readOnly sub-attributes are dropped", () => {
    const [op] = parsePatch([{ op: "add", path: "members", value: { VALUE: "u-1", display: "Babs" } }], GROUP_RESOURCE);
    expect(op?.value).toEqual([{ value: "u-1" }]);
    expectBadRequest(() => parsePatch([{ op: "add", path: "emails", value: [{ value: "a@x", colour: "red" }] }]), "invalidValue", "colour");
    expectBadRequest(() => parsePatch([{ op: "add", path: "emails", value: ["a@x"] }]), "invalidValue", "emails");
    expectBadRequest(() => parsePatch([{ op: "add", path: "name", value: "Barbara" }]), "invalidValue", "name");
    expectBadRequest(() => parsePatch([{ op: "add", path: "title", value: { x: 1 } }]), "invalidValue", "title");
  });

  it("rfc7643 2.5: null and an empty list on replace are removes", () => {
    expect(parsePatch([{ op: "replace", path: "title", value: null }])[0]).toMatchObject({ op: "remove" });
    expect(parsePatch([{ op: "replace", path: "emails", value: [] }])[0]).toMatchObject({ op: "remove" });
    expect(parsePatch([{ op: "add", path: "emails", value: [] }])[0]).toMatchObject({ op: "add", value: [] });
  });

  it("entra: remove with a value on members keeps the listed elements for the route", () => {
    const [op] = parsePatch([{ op: "Remove", path: "members", value: [{ value: "u-1" }, { value: "u-2" }] }], GROUP_RESOURCE);
    expect(op).toMatchObject({ op: "remove", value: [{ value: "u-1" }, { value: "u-2" }] });
  });

  it("accepts a custom resource definition with its own immutable attribute", () => {
    const resource: ResourceSchemas = {
      ...USER_RESOURCE,
      core: { ...USER_RESOURCE.core, attributes: [...USER_RESOURCE.core.attributes, str("badge", "b", { mutability: "immutable" }), complex("pet", "p", [str("kind", "k")])] },
    };
    expect(parsePatch([{ op: "add", path: "badge", value: "B1" }], resource)[0]?.target.attributeDef?.mutability).toBe("immutable");
  });
});
