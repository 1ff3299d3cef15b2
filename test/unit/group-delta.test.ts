// Group membership PATCH as production runs it (RFC 7644 §3.5.2 on a Group's "members"): the route parses the
// PatchOp, takes the operations on "members" out with isMembersOperation and folds them in request order with
// foldMemberOperations into one set-level change (clear / add / remove) that storage applies as set-based SQL.
// POST and PUT bodies become a replace-all change through replaceAllDelta. applyPatch never sees members, so
// these tests pin the code that decides what a membership PATCH does.
import { describe, expect, it } from "vitest";
import { parsePatchRequest } from "../../src/scim/patch/index.ts";
import { PATCH_OP_SCHEMA } from "../../src/scim/schema/core.ts";
import { GROUP_RESOURCE } from "../../src/scim/schema/registry.ts";
import { foldMemberOperations, isMembersOperation, replaceAllDelta, type MemberDelta } from "../../src/scim/patch/group-delta.ts";
import { expectBadRequest, parsePatch } from "../support/patch.ts";

/** The route's path: parse against the Group schema, keep the members operations, fold them. */
function fold(...operations: unknown[]): MemberDelta {
  return foldMemberOperations(parsePatch(operations, GROUP_RESOURCE).filter(isMembersOperation));
}

/** The delta as plain data, so a test states the whole outcome in one literal. */
function plain(delta: MemberDelta): { clear: boolean; add: Record<string, string | null>; remove: string[] } {
  return {
    clear: delta.clear,
    add: Object.fromEntries([...delta.add].map(([id, type]) => [id, type ?? null])),
    remove: [...delta.remove].sort(),
  };
}

describe("which operations are membership operations", () => {
  it("members with or without a filter is; displayName, externalId and a pathless displayName are not", () => {
    const parsed = parsePatchRequest(
      {
        schemas: [PATCH_OP_SCHEMA],
        Operations: [
          { op: "add", path: "members", value: [{ value: "u-1" }] },
          { op: "remove", path: 'members[value eq "u-2"]' },
          { op: "replace", path: "displayName", value: "Admins" },
          { op: "replace", path: "externalId", value: "g-ext" },
          { op: "replace", value: { displayName: "Renamed" } },
        ],
      },
      GROUP_RESOURCE,
    );
    expect(parsed.map(isMembersOperation)).toEqual([true, true, false, false, false]);
  });

  it("okta: a pathless replace carrying members and displayName folds the members part only", () => {
    const parsed = parsePatchRequest(
      { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: "replace", value: { displayName: "Renamed", members: [{ value: "u-1" }] } }] },
      GROUP_RESOURCE,
    );
    const members = parsed.filter(isMembersOperation);
    expect(members).toHaveLength(1);
    expect(plain(foldMemberOperations(members))).toEqual({ clear: true, add: { "u-1": null }, remove: [] });
  });
});

describe("okta group push request shapes", () => {
  it("add with path members and a value list adds exactly those members", () => {
    expect(plain(fold({ op: "add", path: "members", value: [{ value: "u-1", display: "Babs" }, { value: "u-2" }] }))).toEqual({
      clear: false,
      add: { "u-1": null, "u-2": null },
      remove: [],
    });
  });

  it('remove with path members[value eq "id"] removes that member only', () => {
    expect(plain(fold({ op: "remove", path: 'members[value eq "u-1"]' }))).toEqual({ clear: false, add: {}, remove: ["u-1"] });
  });

  it("replace of members with a list replaces the whole membership (RFC 7644 §3.5.2.3)", () => {
    expect(plain(fold({ op: "replace", path: "members", value: [{ value: "u-3" }] }))).toEqual({
      clear: true,
      add: { "u-3": null },
      remove: [],
    });
  });
});

describe("entra group provisioning request shapes", () => {
  it('"Add" (any case) with a value list, type given as "User" or "user"', () => {
    expect(plain(fold({ op: "Add", path: "members", value: [{ value: "u-1", type: "User" }, { value: "g-9", type: "group" }] }))).toEqual({
      clear: false,
      add: { "u-1": "User", "g-9": "Group" },
      remove: [],
    });
  });

  it('"Remove" with path members and a value list removes exactly the listed members', () => {
    expect(plain(fold({ op: "Remove", path: "members", value: [{ value: "u-1" }, { value: "u-2" }] }))).toEqual({
      clear: false,
      add: {},
      remove: ["u-1", "u-2"],
    });
  });
});

describe("rfc7644 3.5.2.2 remove", () => {
  it("members with neither filter nor value removes every member", () => {
    expect(plain(fold({ op: "remove", path: "members" }))).toEqual({ clear: true, add: {}, remove: [] });
  });

  it('a filter of value eq joined by "or" removes each named member', () => {
    expect(plain(fold({ op: "remove", path: 'members[value eq "u-1" or value eq "u-2" or value eq "u-3"]' }))).toEqual({
      clear: false,
      add: {},
      remove: ["u-1", "u-2", "u-3"],
    });
  });

  it("a filter on anything but value eq is a 400 invalidFilter naming the operation, not a silent no-op", () => {
    for (const filter of ['display eq "Babs"', 'type eq "User"', 'value co "u-"', 'value eq "u-1" and type eq "User"', 'not (value eq "u-1")']) {
      expectBadRequest(
        () => fold({ op: "add", path: "displayName", value: "x" }, { op: "remove", path: `members[${filter}]` }),
        "invalidFilter",
        "Operations[1] (remove",
        'members[value eq "<id>"]',
      );
    }
  });
});

describe("operations fold in request order (RFC 7644 §3.5.2: applied in sequence)", () => {
  it("remove X, then add X: X is a member afterwards", () => {
    expect(plain(fold({ op: "remove", path: 'members[value eq "x"]' }, { op: "add", path: "members", value: [{ value: "x" }] }))).toEqual({
      clear: false,
      add: { x: null },
      remove: [],
    });
  });

  it("add X, then remove X: X is not a member afterwards", () => {
    expect(plain(fold({ op: "add", path: "members", value: [{ value: "x" }] }, { op: "remove", path: "members", value: [{ value: "x" }] }))).toEqual({
      clear: false,
      add: {},
      remove: ["x"],
    });
  });

  it("add, then remove all, then add: only the last add survives", () => {
    const delta = fold(
      { op: "add", path: "members", value: [{ value: "a" }] },
      { op: "remove", path: 'members[value eq "b"]' },
      { op: "remove", path: "members" },
      { op: "add", path: "members", value: [{ value: "c" }] },
    );
    expect(plain(delta)).toEqual({ clear: true, add: { c: null }, remove: [] });
  });

  it("after a clear, removing a member that is not re-added records nothing more to remove", () => {
    const delta = fold(
      { op: "replace", path: "members", value: [{ value: "a" }, { value: "b" }] },
      { op: "remove", path: 'members[value eq "b"]' },
      { op: "remove", path: 'members[value eq "z"]' },
    );
    expect(plain(delta)).toEqual({ clear: true, add: { a: null }, remove: [] });
  });

  it("a later add without type keeps the type an earlier add gave; a later type wins", () => {
    expect(plain(fold({ op: "add", path: "members", value: [{ value: "g", type: "Group" }] }, { op: "add", path: "members", value: [{ value: "g" }] }))).toEqual({
      clear: false,
      add: { g: "Group" },
      remove: [],
    });
    expect(
      plain(fold({ op: "add", path: "members", value: [{ value: "m", type: "Group" }] }, { op: "add", path: "members", value: [{ value: "m", type: "User" }] })),
    ).toEqual({ clear: false, add: { m: "User" }, remove: [] });
  });

  it("the same member twice in one add is added once", () => {
    expect(plain(fold({ op: "add", path: "members", value: [{ value: "a" }, { value: "a" }] }))).toEqual({
      clear: false,
      add: { a: null },
      remove: [],
    });
  });

  it("no membership operation at all is an empty change", () => {
    expect(plain(fold({ op: "replace", path: "displayName", value: "x" }))).toEqual({ clear: false, add: {}, remove: [] });
  });
});

describe("rfc7644 3.5.2 members that cannot be changed or are malformed: 400, naming the operation", () => {
  it('a sub-attribute of selected members (members[value eq "id"].type) is 400 mutability: members change whole', () => {
    for (const op of ["add", "replace"]) {
      expectBadRequest(() => fold({ op, path: 'members[value eq "u-1"].type', value: "Group" }), "mutability", "Operations[0]", '"members.type" cannot be changed');
    }
  });

  it("add or replace of one selected member (a filtered members path) is 400 invalidPath", () => {
    for (const op of ["add", "replace"]) {
      expectBadRequest(() => fold({ op, path: 'members[value eq "u-1"]', value: { value: "u-1" } }), "invalidPath", "a filtered members path");
    }
  });

  it('a member without a non-empty string "value", or with a "type" other than User or Group, is 400 invalidValue', () => {
    const cases: Array<[unknown, string]> = [
      [{ display: "Babs" }, 'a member needs "value"'],
      [{ value: "  " }, 'a member needs "value"'],
      [{ value: 7 }, 'a member needs "value"'],
      [{ value: "u-1", type: "Robot" }, 'member "type" must be "User" or "Group"'],
    ];
    for (const [member, fragment] of cases) {
      for (const op of ["add", "replace", "remove"]) {
        expectBadRequest(() => fold({ op, path: "members", value: [{ value: "ok" }, member] }), "invalidValue", `(${op} "members") value[1]`, fragment);
      }
    }
  });

  it("a single member object instead of a list is taken as a list of one", () => {
    expect(plain(fold({ op: "add", path: "members", value: { value: "u-1" } }))).toEqual({ clear: false, add: { "u-1": null }, remove: [] });
  });

  it("replace of members with an empty list clears; add of an empty list changes nothing", () => {
    expect(plain(fold({ op: "replace", path: "members", value: [] }))).toEqual({ clear: true, add: {}, remove: [] });
    expect(plain(fold({ op: "add", path: "members", value: [] }))).toEqual({ clear: false, add: {}, remove: [] });
  });
});

describe("POST and PUT bodies: members replace the whole membership", () => {
  it("every listed member, types canonical, and clear set", () => {
    expect(plain(replaceAllDelta([{ value: "u-1" }, { value: "g-1", type: "GROUP" }]))).toEqual({
      clear: true,
      add: { "u-1": null, "g-1": "Group" },
      remove: [],
    });
  });

  it("an empty list clears the membership", () => {
    expect(plain(replaceAllDelta([]))).toEqual({ clear: true, add: {}, remove: [] });
  });

  it("a malformed member is 400 invalidValue naming its position", () => {
    expectBadRequest(() => replaceAllDelta([{ value: "u-1" }, { value: "" }]), "invalidValue", "members[1]");
  });
});
