// applyPatch: RFC 7644 §3.5.2 semantics and the request shapes Okta and Microsoft Entra ID send.
import { describe, expect, it } from "vitest";
import { applyPatch } from "../../src/scim/patch/index.ts";
import { str } from "../../src/scim/schema/builders.ts";
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from "../../src/scim/schema/core.ts";
import { GROUP_RESOURCE, USER_RESOURCE, type ResourceSchemas } from "../../src/scim/schema/registry.ts";
import { expectBadRequest, parsePatch, patch } from "../support/patch.ts";

type Json = Record<string, unknown>;
const ENT = ENTERPRISE_USER_SCHEMA;
const ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";

function user(): Json {
  return {
    schemas: [USER_SCHEMA, ENT],
    id: "u-1",
    externalId: "ext-1",
    userName: "bjensen@example.com",
    name: { givenName: "Barbara", familyName: "Jensen", formatted: "Barbara Jensen" },
    displayName: "Babs Jensen",
    active: true,
    emails: [
      { value: "bjensen@example.com", type: "work", primary: true },
      { value: "babs@home.example", type: "home" },
    ],
    addresses: [{ type: "work", streetAddress: "100 Universal City Plaza", locality: "Hollywood" }],
    [ENT]: { employeeNumber: "701984", department: "Tour Operations", manager: { value: "m-1", displayName: "John Smith" } },
    meta: { resourceType: "User", created: "2024-01-01T00:00:00.000Z", lastModified: "2024-01-01T00:00:00.000Z", version: 'W/"1"' },
  };
}

function group(): Json {
  return {
    schemas: [GROUP_SCHEMA],
    id: "g-1",
    displayName: "Admins",
    members: [
      { value: "u-1", type: "User", display: "Babs" },
      { value: "u-2", type: "User" },
    ],
    meta: { resourceType: "Group" },
  };
}

describe("okta request shapes", () => {
  it("okta: deactivate via PATCH without path", () => {
    const out = patch(user(), [{ op: "replace", value: { active: false } }]);
    expect(out.active).toBe(false);
    expect({ ...out, active: true }).toEqual(user());
  });

  it("okta: reactivate via PATCH without path", () => {
    const out = patch({ ...user(), active: false }, [{ op: "replace", value: { active: true } }]);
    expect(out.active).toBe(true);
  });

  it("okta: password sync via replace without path", () => {
    const out = patch(user(), [{ op: "replace", value: { password: "t1meMa$heen" } }]);
    expect(out.password).toBe("t1meMa$heen");
  });

  it("okta: group rename echoes the group's id, which is ignored when unchanged", () => {
    const out = patch(group(), [{ op: "replace", value: { id: "g-1", displayName: "Administrators" } }], GROUP_RESOURCE);
    expect(out.displayName).toBe("Administrators");
    expect(out.id).toBe("g-1");
  });

  it("okta: a path-less value echoing meta and groups is accepted and they are left alone", () => {
    const out = patch(user(), [{ op: "replace", value: { id: "u-1", meta: { version: 'W/"0"' }, groups: [{ value: "g-9" }], title: "Boss" } }]);
    expect(out.meta).toEqual(user().meta);
    expect(out.groups).toBeUndefined();
    expect(out.title).toBe("Boss");
  });

  it("okta: a path-less value carrying a different id fails with mutability", () => {
    expectBadRequest(() => patch(group(), [{ op: "replace", value: { id: "g-2", displayName: "X" } }], GROUP_RESOURCE), "mutability", '"id" is readOnly', '"g-2"');
  });

  it("okta: add members (display dropped) and re-adding a member does not duplicate it", () => {
    const out = patch(
      group(),
      [{ op: "add", path: "members", value: [{ value: "u-3", display: "Carol" }, { value: "u-1", display: "Babs" }] }],
      GROUP_RESOURCE,
    );
    expect(out.members).toEqual([
      { value: "u-1", type: "User", display: "Babs" },
      { value: "u-2", type: "User" },
      { value: "u-3" },
    ]);
  });

  it("okta: re-adding a member with a type fills in the type it lacked", () => {
    const base = { ...group(), members: [{ value: "u-1" }] };
    const out = patch(base, [{ op: "add", path: "members", value: [{ value: "u-1", type: "User" }] }], GROUP_RESOURCE);
    expect(out.members).toEqual([{ value: "u-1", type: "User" }]);
  });

  it("okta: remove a member with members[value eq id]; removing an absent one is a no-op", () => {
    const out = patch(group(), [{ op: "remove", path: 'members[value eq "u-1"]' }], GROUP_RESOURCE);
    expect(out.members).toEqual([{ value: "u-2", type: "User" }]);
    const again = patch(out, [{ op: "remove", path: 'members[value eq "u-1"]' }], GROUP_RESOURCE);
    expect(again).toEqual(out);
  });

  it("okta: replace members with a new list", () => {
    const out = patch(group(), [{ op: "replace", path: "members", value: [{ value: "u-9" }] }], GROUP_RESOURCE);
    expect(out.members).toEqual([{ value: "u-9" }]);
  });
});

describe("entra request shapes", () => {
  it('entra: Replace with "False" string', () => {
    const out = patch(user(), [{ op: "Replace", path: "active", value: "False" }]);
    expect(out.active).toBe(false);
  });

  it('entra: Replace with "True" string without path', () => {
    const out = patch({ ...user(), active: false }, [{ op: "Replace", value: { active: "True" } }]);
    expect(out.active).toBe(true);
  });

  it("entra: path-less Add with dotted and URN-qualified keys", () => {
    const out = patch(user(), [
      {
        op: "Add",
        value: {
          "name.givenName": "Babs",
          "name.familyName": "Jensen-Smith",
          [`${ENT}:employeeNumber`]: "9",
          [`${ENT}:costCenter`]: "CC-1",
          displayName: "Babs J",
        },
      },
    ]);
    expect(out.name).toEqual({ givenName: "Babs", familyName: "Jensen-Smith", formatted: "Barbara Jensen" });
    expect(out[ENT]).toMatchObject({ employeeNumber: "9", costCenter: "CC-1", department: "Tour Operations" });
    expect(out.displayName).toBe("Babs J");
  });

  it('entra: Replace emails[type eq "work"].value updates the work email only', () => {
    const out = patch(user(), [{ op: "Replace", path: 'emails[type eq "work"].value', value: "barbara@example.com" }]);
    expect(out.emails).toEqual([
      { value: "barbara@example.com", type: "work", primary: true },
      { value: "babs@home.example", type: "home" },
    ]);
  });

  it('entra: Replace emails[type eq "work"].value creates the work email when the user has none', () => {
    const base = { ...user(), emails: [{ value: "babs@home.example", type: "home" }] };
    const out = patch(base, [{ op: "Replace", path: 'emails[type eq "work"].value', value: "barbara@example.com" }]);
    expect(out.emails).toEqual([
      { value: "babs@home.example", type: "home" },
      { type: "work", value: "barbara@example.com" },
    ]);
    const none = { ...user() };
    delete none.emails;
    expect(patch(none, [{ op: "Add", path: 'emails[type eq "work"].value', value: "b@x" }]).emails).toEqual([{ type: "work", value: "b@x" }]);
  });

  it('entra: Replace emails[type eq "work"].primary with "True" demotes the other primary', () => {
    const base = { ...user(), emails: [{ value: "a@x", type: "work" }, { value: "b@x", type: "home", primary: true }] };
    const out = patch(base, [{ op: "Replace", path: 'emails[type eq "work"].primary', value: "True" }]);
    expect(out.emails).toEqual([
      { value: "a@x", type: "work", primary: true },
      { value: "b@x", type: "home", primary: false },
    ]);
  });

  it('entra: Replace addresses[type eq "work"].streetAddress, on an existing and on a missing address', () => {
    const out = patch(user(), [{ op: "Replace", path: 'addresses[type eq "work"].streetAddress', value: "1 Main St" }]);
    expect(out.addresses).toEqual([{ type: "work", streetAddress: "1 Main St", locality: "Hollywood" }]);
    const home = patch(user(), [{ op: "Add", path: 'addresses[type eq "home"].locality', value: "Burbank" }]);
    expect(home.addresses).toEqual([
      { type: "work", streetAddress: "100 Universal City Plaza", locality: "Hollywood" },
      { type: "home", locality: "Burbank" },
    ]);
  });

  it("entra: manager as a plain id string replaces the manager", () => {
    const out = patch(user(), [{ op: "Replace", path: `${ENT}:manager`, value: "m-2" }]);
    expect((out[ENT] as Json).manager).toEqual({ value: "m-2" });
  });

  it("entra: manager as an object and as a one-element array", () => {
    const a = patch(user(), [{ op: "Add", path: `${ENT}:manager`, value: { value: "m-3" } }]);
    expect((a[ENT] as Json).manager).toEqual({ value: "m-3" });
    const b = patch(user(), [{ op: "Add", path: `${ENT}:manager`, value: [{ value: "m-4" }] }]);
    expect((b[ENT] as Json).manager).toEqual({ value: "m-4" });
    const c = patch(user(), [{ op: "Add", value: { [`${ENT}:manager`]: "m-5" } }]);
    expect((c[ENT] as Json).manager).toEqual({ value: "m-5" });
  });

  it("entra: an empty manager removes it", () => {
    for (const value of ["", null, { value: "" }]) {
      const out = patch(user(), [{ op: "Replace", path: `${ENT}:manager`, value }]);
      expect(out[ENT]).toEqual({ employeeNumber: "701984", department: "Tour Operations" });
      expect(out.schemas).toEqual([USER_SCHEMA, ENT]);
    }
  });

  it("entra: Add members with a value array", () => {
    const out = patch(group(), [{ op: "Add", path: "members", value: [{ value: "u-3" }, { value: "u-4" }] }], GROUP_RESOURCE);
    expect((out.members as unknown[]).map((m) => (m as Json).value)).toEqual(["u-1", "u-2", "u-3", "u-4"]);
  });

  it('entra: Add members with "$ref": null stores just the member id', () => {
    const out = patch(group(), [{ op: "Add", path: "members", value: [{ $ref: null, value: "u-3" }] }], GROUP_RESOURCE);
    expect((out.members as unknown[])[2]).toEqual({ value: "u-3" });
  });

  it("entra: Remove members with a value array removes exactly the listed members", () => {
    const base = { ...group(), members: [{ value: "u-1" }, { value: "u-2" }, { value: "u-3" }] };
    const out = patch(base, [{ op: "Remove", path: "members", value: [{ value: "u-1" }, { value: "u-3" }] }], GROUP_RESOURCE);
    expect(out.members).toEqual([{ value: "u-2" }]);
  });

  it("entra: Remove members listing absent members is a no-op, and removing the last member unassigns members", () => {
    expect(patch(group(), [{ op: "Remove", path: "members", value: [{ value: "u-404" }] }], GROUP_RESOURCE)).toEqual(group());
    const out = patch(group(), [{ op: "Remove", path: "members", value: [{ value: "u-1" }, { value: "u-2" }] }], GROUP_RESOURCE);
    expect(out).not.toHaveProperty("members");
  });

  it("entra: member ids compare case-exactly (members.value is caseExact)", () => {
    const out = patch(group(), [{ op: "Remove", path: "members", value: [{ value: "U-1" }] }], GROUP_RESOURCE);
    expect(out.members).toEqual(group().members);
  });

  it("entra: Replace of an enterprise attribute on a user without the extension adds its URN to schemas", () => {
    const base: Json = { ...user(), schemas: [USER_SCHEMA] };
    delete base[ENT];
    const out = patch(base, [{ op: "Replace", path: `${ENT}:department`, value: "Sales" }]);
    expect(out[ENT]).toEqual({ department: "Sales" });
    expect(out.schemas).toEqual([USER_SCHEMA, ENT]);
  });

  it('entra: Remove emails[type eq "work"].value removes that email rather than leave {type:"work"}', () => {
    const out = patch(user(), [{ op: "Remove", path: 'emails[type eq "work"].value' }]);
    expect(out.emails).toEqual([{ value: "babs@home.example", type: "home" }]);
  });
});

describe("rfc7644 3.5.2.1 add", () => {
  it("rfc7644 3.5.2.1: add to multi-valued appends", () => {
    const out = patch(user(), [{ op: "add", path: "emails", value: [{ value: "b@other.example", type: "other" }] }]);
    expect(out.emails).toEqual([...(user().emails as unknown[]), { value: "b@other.example", type: "other" }]);
    const single = patch(user(), [{ op: "add", path: "phoneNumbers", value: { value: "+1 555", type: "mobile" } }]);
    expect(single.phoneNumbers).toEqual([{ value: "+1 555", type: "mobile" }]);
  });

  it("rfc7644 3.5.2.1: add of a value already present (compared case-insensitively) does not duplicate it", () => {
    const out = patch(user(), [{ op: "add", path: "emails", value: [{ value: "BJensen@Example.com", type: "WORK" }] }]);
    expect(out.emails).toEqual(user().emails);
    const twice = patch(user(), [{ op: "add", value: { emails: [{ value: "n@x", type: "other" }, { value: "n@x", type: "other" }] } }]);
    expect((twice.emails as unknown[]).length).toBe(3);
  });

  it("rfc7644 3.5.2.1: add of a present value with primary true updates it and demotes the other primary", () => {
    const out = patch(user(), [{ op: "add", path: "emails", value: [{ value: "babs@home.example", type: "home", primary: true }] }]);
    expect(out.emails).toEqual([
      { value: "bjensen@example.com", type: "work", primary: false },
      { value: "babs@home.example", type: "home", primary: true },
    ]);
  });

  it("rfc7644 3.5.2.1: add to a single-valued attribute replaces it; absent attributes are created", () => {
    expect(patch(user(), [{ op: "add", path: "displayName", value: "B" }]).displayName).toBe("B");
    expect(patch(user(), [{ op: "add", path: "nickName", value: "Babs" }]).nickName).toBe("Babs");
  });

  it("rfc7644 3.5.2.1: add to a complex attribute sets the given sub-attributes", () => {
    const out = patch(user(), [{ op: "add", path: "name", value: { middleName: "Jane" } }]);
    expect(out.name).toEqual({ givenName: "Barbara", familyName: "Jensen", formatted: "Barbara Jensen", middleName: "Jane" });
  });

  it("rfc7644 3.5.2.1: add of an extension object without path (URN key)", () => {
    const out = patch(user(), [{ op: "add", value: { [ENT]: { division: "Theme Park", department: "Rides" } } }]);
    expect(out[ENT]).toEqual({ employeeNumber: "701984", department: "Rides", division: "Theme Park", manager: { value: "m-1", displayName: "John Smith" } });
  });
});

describe("a whole extension whose value carries a schemas member (as serializers add)", () => {
  it("replace with path = the extension URN and a schemas member naming it applies the attributes", () => {
    const out = patch(user(), [{ op: "replace", path: ENT, value: { schemas: [ENT], department: "Rides", costCenter: "4130" } }]);
    expect(out[ENT]).toEqual({ employeeNumber: "701984", department: "Rides", costCenter: "4130", manager: { value: "m-1", displayName: "John Smith" } });
    expect(out.schemas).toEqual([USER_SCHEMA, ENT]);
  });

  it("add with path = the extension URN, and without a path under the URN key, on a user without the extension", () => {
    const bare: Json = { ...user(), schemas: [USER_SCHEMA] };
    delete bare[ENT];
    for (const op of [
      { op: "add", path: ENT, value: { schemas: [ENT.toUpperCase()], department: "Rides" } },
      { op: "add", value: { [ENT]: { Schemas: [ENT], department: "Rides" } } },
    ]) {
      const out = patch(bare, [op]);
      expect(out[ENT]).toEqual({ department: "Rides" });
      expect(out.schemas).toEqual([USER_SCHEMA, ENT]);
    }
  });

  it("a schemas member that does not name the extension is invalidValue, not silently dropped", () => {
    expectBadRequest(() => patch(user(), [{ op: "replace", path: ENT, value: { schemas: [USER_SCHEMA], department: "x" } }]), "invalidValue", `must be an array naming ${ENT}`);
    expectBadRequest(() => patch(user(), [{ op: "replace", path: ENT, value: { schemas: ENT, department: "x" } }]), "invalidValue", `must be an array naming ${ENT}`);
  });
});

describe("rfc7644 3.5.2.3 replace", () => {
  it("rfc7644 3.5.2.3: replace of a complex attribute leaves unspecified sub-attributes unchanged", () => {
    const out = patch(user(), [{ op: "replace", path: "name", value: { familyName: "Smith" } }]);
    expect(out.name).toEqual({ givenName: "Barbara", familyName: "Smith", formatted: "Barbara Jensen" });
    const viaValue = patch(user(), [{ op: "replace", value: { name: { givenName: "B", formatted: null } } }]);
    expect(viaValue.name).toEqual({ givenName: "B", familyName: "Jensen" });
  });

  it("rfc7644 3.5.2.3: replace of a multi-valued attribute replaces the whole list", () => {
    const out = patch(user(), [{ op: "replace", path: "emails", value: [{ value: "only@x", type: "work" }] }]);
    expect(out.emails).toEqual([{ value: "only@x", type: "work" }]);
    const none = patch(user(), [{ op: "replace", path: "emails", value: [] }]);
    expect(none).not.toHaveProperty("emails");
  });

  it("rfc7644 3.5.2.3: replace with a value filter changes every matching element", () => {
    const base = { ...user(), phoneNumbers: [{ value: "1", type: "work" }, { value: "2", type: "work" }, { value: "3", type: "home" }] };
    const out = patch(base, [{ op: "replace", path: 'phoneNumbers[type eq "work"].type', value: "other" }]);
    expect(out.phoneNumbers).toEqual([{ value: "1", type: "other" }, { value: "2", type: "other" }, { value: "3", type: "home" }]);
  });

  it("rfc7644 3.5.2.3: replace of a filtered element merges into it", () => {
    const out = patch(user(), [{ op: "replace", path: 'emails[type eq "home"]', value: { value: "new@home.example" } }]);
    expect(out.emails).toEqual([
      { value: "bjensen@example.com", type: "work", primary: true },
      { value: "new@home.example", type: "home" },
    ]);
  });

  it("rfc7644 3.5.2.3: a filter matching nothing that is not an eq conjunction fails with noTarget", () => {
    expectBadRequest(
      () => patch(user(), [{ op: "replace", path: 'emails[type eq "other" or value co "zzz"].value', value: "x" }]),
      "noTarget",
      "Operations[0]",
      "emails",
    );
    expectBadRequest(() => patch(user(), [{ op: "replace", path: 'emails[value sw "nobody"].type', value: "x" }]), "noTarget");
  });

  it("rfc7644 3.5.2.3: replace of an absent attribute adds it", () => {
    expect(patch(user(), [{ op: "replace", path: "title", value: "Tour Guide" }]).title).toBe("Tour Guide");
    expect(patch(user(), [{ op: "replace", path: "name.honorificPrefix", value: "Ms." }]).name).toMatchObject({ honorificPrefix: "Ms." });
  });

  it("rfc7644 3.5.2.3: replace without path replaces each named attribute, case-insensitively", () => {
    const out = patch(user(), [{ op: "replace", value: { DISPLAYNAME: "Babs", Emails: [{ value: "z@x" }] } }]);
    expect(out.displayName).toBe("Babs");
    expect(out.emails).toEqual([{ value: "z@x" }]);
  });
});

describe("rfc7644 3.5.2.2 remove", () => {
  it("rfc7644 3.5.2.2: remove of a single-valued attribute", () => {
    expect(patch(user(), [{ op: "remove", path: "displayName" }])).not.toHaveProperty("displayName");
  });

  it("rfc7644 3.5.2.2: remove of a sub-attribute; removing the last one unassigns the attribute", () => {
    expect(patch(user(), [{ op: "remove", path: "name.formatted" }]).name).toEqual({ givenName: "Barbara", familyName: "Jensen" });
    const out = patch(user(), [
      { op: "remove", path: "name.formatted" },
      { op: "remove", path: "name.givenName" },
      { op: "remove", path: "name.familyName" },
    ]);
    expect(out).not.toHaveProperty("name");
  });

  it("rfc7644 3.5.2.2: remove of an extension attribute", () => {
    const out = patch(user(), [{ op: "remove", path: `${ENT}:department` }]);
    expect(out[ENT]).toEqual({ employeeNumber: "701984", manager: { value: "m-1", displayName: "John Smith" } });
  });

  it("rfc7644 3.5.2.2: removing the last extension attribute removes the extension and its URN from schemas", () => {
    const out = patch(user(), [
      { op: "remove", path: `${ENT}:department` },
      { op: "remove", path: `${ENT}:employeeNumber` },
      { op: "remove", path: `${ENT}:manager` },
    ]);
    expect(out).not.toHaveProperty(ENT);
    expect(out.schemas).toEqual([USER_SCHEMA]);
  });

  it("rfc7644 3.5.2.2: remove of a whole extension by its URN", () => {
    const out = patch(user(), [{ op: "remove", path: ENT }]);
    expect(out).not.toHaveProperty(ENT);
    expect(out.schemas).toEqual([USER_SCHEMA]);
  });

  it("rfc7644 3.5.2.2: remove with a value filter removes the matching elements", () => {
    const out = patch(user(), [{ op: "remove", path: 'emails[type eq "work"]' }]);
    expect(out.emails).toEqual([{ value: "babs@home.example", type: "home" }]);
    const all = patch(user(), [{ op: "remove", path: 'emails[type eq "work" or type eq "home"]' }]);
    expect(all).not.toHaveProperty("emails");
  });

  it("rfc7644 3.5.2.2: remove of a multi-valued attribute without filter removes all values", () => {
    expect(patch(user(), [{ op: "remove", path: "emails" }])).not.toHaveProperty("emails");
    expect(patch(group(), [{ op: "remove", path: "members" }], GROUP_RESOURCE)).not.toHaveProperty("members");
  });

  it("rfc7644 3.5.2.2: removing something absent, or a filter matching nothing, changes nothing", () => {
    expect(patch(user(), [{ op: "remove", path: "title" }])).toEqual(user());
    expect(patch(user(), [{ op: "remove", path: "name.middleName" }])).toEqual(user());
    expect(patch(user(), [{ op: "remove", path: 'emails[type eq "other"]' }])).toEqual(user());
    expect(patch(user(), [{ op: "remove", path: `${ACME}:badge` }])).toEqual(user());
    const bare = { schemas: [USER_SCHEMA], id: "u-2", userName: "x" };
    expect(patch(bare, [{ op: "remove", path: `${ENT}:manager` }, { op: "remove", path: "emails" }])).toEqual(bare);
  });

  it("rfc7644 3.5.2.2: removing a required attribute fails with mutability", () => {
    expectBadRequest(() => patch(user(), [{ op: "remove", path: "userName" }]), "mutability", "userName");
  });
});

describe("rfc7644 3.5.2 mutability", () => {
  it("rfc7644 3.5.2: readOnly attributes cannot be targeted", () => {
    expectBadRequest(() => patch(user(), [{ op: "replace", path: "id", value: "u-2" }]), "mutability", "id");
    expectBadRequest(() => patch(user(), [{ op: "add", path: "meta.version", value: "x" }]), "mutability", "meta.version");
    expectBadRequest(() => patch(user(), [{ op: "remove", path: "groups" }]), "mutability", "groups");
  });

  it("rfc7644 3.5.2: an immutable attribute may be added when absent but not changed or removed", () => {
    const base = { ...group(), members: [{ value: "u-1" }, { value: "u-2", type: "User" }] };
    const added = patch(base, [{ op: "add", path: 'members[value eq "u-1"].type', value: "User" }], GROUP_RESOURCE);
    expect(added.members).toEqual([{ value: "u-1", type: "User" }, { value: "u-2", type: "User" }]);
    // Writing the value it already has is no change.
    expect(patch(added, [{ op: "replace", path: 'members[value eq "u-1"].type', value: "user" }], GROUP_RESOURCE)).toEqual(added);
    expectBadRequest(() => patch(added, [{ op: "replace", path: 'members[value eq "u-1"].type', value: "Group" }], GROUP_RESOURCE), "mutability", "members.type", "immutable");
    expectBadRequest(() => patch(added, [{ op: "remove", path: 'members[value eq "u-2"].type' }], GROUP_RESOURCE), "mutability", "members.type");

    const resource: ResourceSchemas = {
      ...USER_RESOURCE,
      core: { ...USER_RESOURCE.core, attributes: [...USER_RESOURCE.core.attributes, str("badge", "Badge number.", { mutability: "immutable" })] },
    };
    const withBadge = patch(user(), [{ op: "add", path: "badge", value: "B-1" }], resource);
    expect(withBadge.badge).toBe("B-1");
    expectBadRequest(() => patch(withBadge, [{ op: "replace", value: { badge: "B-2" } }], resource), "mutability", "badge");
    expectBadRequest(() => patch(withBadge, [{ op: "remove", path: "badge" }], resource), "mutability", "badge");
  });
});

describe("atomicity and copies", () => {
  it("rfc7644 3.5.2: an error in operation 3 of 3 returns nothing and leaves the resource untouched", () => {
    const input = user();
    const snapshot = structuredClone(input);
    const ops = parsePatch(
      [
        { op: "replace", path: "displayName", value: "Changed" },
        { op: "remove", path: 'emails[type eq "work"]' },
        { op: "replace", path: 'emails[value ew "nowhere"].type', value: "work" },
      ],
      USER_RESOURCE,
    );
    let result: unknown = "not assigned";
    expectBadRequest(() => {
      result = applyPatch(input, ops, USER_RESOURCE);
    }, "noTarget", "Operations[2]");
    expect(result).toBe("not assigned");
    expect(input).toEqual(snapshot);
  });

  it("returns a new object and never mutates its input, even deep inside", () => {
    const input = user();
    const snapshot = structuredClone(input);
    const out = patch(input, [
      { op: "replace", path: "name.givenName", value: "B" },
      { op: "add", path: "emails", value: [{ value: "c@x", primary: true }] },
      { op: "replace", path: `${ENT}:manager`, value: "m-2" },
      { op: "remove", path: 'addresses[type eq "work"].locality' },
    ]);
    expect(input).toEqual(snapshot);
    expect(out).not.toBe(input);
    expect(out.name).not.toBe(input.name);
  });

  it("does not alias operation values into the result", () => {
    const ops = parsePatch([{ op: "add", path: "emails", value: [{ value: "c@x" }] }]);
    const first = applyPatch(user(), ops, USER_RESOURCE);
    (first.emails as Json[])[2]!.value = "mutated";
    expect(applyPatch(user(), ops, USER_RESOURCE).emails).toContainEqual({ value: "c@x" });
  });
});

describe("extensions and schemas", () => {
  it("unknown extension: a path-less URN object is stored as given and its URN added to schemas", () => {
    const out = patch(user(), [{ op: "add", value: { [ACME]: { badge: { id: 7, color: "Blue" }, tags: ["a"] } } }]);
    expect(out[ACME]).toEqual({ badge: { id: 7, color: "Blue" }, tags: ["a"] });
    expect(out.schemas).toEqual([USER_SCHEMA, ENT, ACME]);
  });

  it("unknown extension: URN-qualified paths, sub-attributes, array append and removal of the last attribute", () => {
    const a = patch(user(), [{ op: "add", path: `${ACME}:tags`, value: ["a", "b"] }]);
    const b = patch(a, [{ op: "add", path: `${ACME}:tags`, value: ["b", "c"] }, { op: "replace", path: `${ACME}:badge.id`, value: 9 }]);
    expect(b[ACME]).toEqual({ tags: ["a", "b", "c"], badge: { id: 9 } });
    const c = patch(b, [{ op: "remove", path: `${ACME}:tags` }, { op: "remove", path: `${ACME}:BADGE` }]);
    expect(c).not.toHaveProperty(ACME);
    expect(c.schemas).toEqual([USER_SCHEMA, ENT]);
  });

  it("unknown extension: its whole URN as path", () => {
    const out = patch(user(), [{ op: "replace", path: ACME, value: { costCode: "X1" } }]);
    expect(out[ACME]).toEqual({ costCode: "X1" });
    expect(patch(out, [{ op: "remove", path: ACME }])).toEqual(user());
  });

  it("enterprise extension replaced through its URN path keeps attributes not named", () => {
    const out = patch(user(), [{ op: "replace", path: ENT, value: { department: "Rides" } }]);
    expect(out[ENT]).toMatchObject({ department: "Rides", employeeNumber: "701984" });
  });

  it("stored attribute keys in another case are replaced, not duplicated", () => {
    const base: Json = { schemas: [USER_SCHEMA], id: "u-1", userName: "x", Active: true };
    const out = patch(base, [{ op: "replace", path: "active", value: false }]);
    expect(out).toEqual({ schemas: [USER_SCHEMA], id: "u-1", userName: "x", active: false });
  });
});
