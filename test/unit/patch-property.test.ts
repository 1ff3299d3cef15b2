// Property: for random sequences of well-formed add/replace/remove operations on simple, complex, multi-valued
// and extension attributes, with arbitrary values, parse + apply throw nothing but ScimError, never mutate the
// input, and keep `schemas`, `id` and `meta` consistent.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runs } from "../support/fast-check.ts";
import { ScimError } from "../../src/scim/errors.ts";
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from "../../src/scim/schema/core.ts";
import { GROUP_RESOURCE, USER_RESOURCE, type ResourceSchemas } from "../../src/scim/schema/registry.ts";
import { patch } from "../support/patch.ts";

type Json = Record<string, unknown>;
const ENT = ENTERPRISE_USER_SCHEMA;
const ACME = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";

const USER_PATHS = [
  "active",
  "displayName",
  "title",
  "nickName",
  "userName",
  "password",
  "name",
  "name.givenName",
  "NAME.familyName",
  "emails",
  'emails[type eq "work"]',
  'emails[type eq "work"].value',
  'emails[type eq "home" and primary eq true].primary',
  'emails[value co "@"].type',
  'addresses[type eq "work"].streetAddress',
  "phoneNumbers",
  `${ENT}:department`,
  `${ENT}:manager`,
  `${ENT}:manager.value`,
  ENT,
  `${ACME}:badge`,
  `${ACME}:tags`,
  ACME,
  "id",
  "meta",
];

const GROUP_PATHS = ["displayName", "members", 'members[value eq "u-1"]', 'members[type eq "User"].type', "externalId"];

const scalar = fc.oneof(
  fc.boolean(),
  fc.string({ maxLength: 8 }),
  fc.constantFrom("True", "False", "", "u-1", "work", "home", "a@x"),
  fc.integer(),
  fc.constant(null),
);
const element = fc.dictionary(fc.constantFrom("value", "type", "primary", "display", "Value", "streetAddress", "givenName"), scalar, { maxKeys: 4 });
const value = fc.oneof(
  scalar,
  element,
  fc.array(element, { maxLength: 4 }),
  fc.array(scalar, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("active", "title", "name.givenName", `${ENT}:department`, ENT, ACME, "emails", "id", "meta", "schemas"), fc.oneof(scalar, element), {
    maxKeys: 3,
  }),
  fc.jsonValue({ maxDepth: 2 }),
);

function operations(paths: string[]) {
  const op = fc.record(
    {
      op: fc.constantFrom("add", "replace", "remove", "Add", "Replace", "Remove", "REMOVE"),
      path: fc.constantFrom(...paths),
      value,
    },
    { requiredKeys: ["op"] },
  );
  return fc.array(op, { minLength: 1, maxLength: 6 });
}

function user(): Json {
  return {
    schemas: [USER_SCHEMA, ENT],
    id: "u-1",
    userName: "bjensen",
    name: { givenName: "Barbara", familyName: "Jensen" },
    active: true,
    emails: [{ value: "b@x", type: "work", primary: true }],
    [ENT]: { department: "Rides", manager: { value: "m-1", displayName: "John" } },
    meta: { resourceType: "User", version: 'W/"1"' },
  };
}

function group(): Json {
  return { schemas: [GROUP_SCHEMA], id: "g-1", displayName: "Admins", members: [{ value: "u-1", type: "User" }], meta: { resourceType: "Group" } };
}

/** Whether `schemas` lists exactly the extensions that hold attributes. */
function schemasConsistent(doc: Json, extensions: string[]): boolean {
  const schemas = doc.schemas as string[];
  return extensions.every((urn) => {
    const object = doc[urn];
    const filled = typeof object === "object" && object !== null && Object.keys(object).length > 0;
    return filled === schemas.includes(urn) && (object === undefined || filled);
  });
}

function check(resource: ResourceSchemas, base: () => Json, ops: unknown[], extensions: string[]): void {
  const input = base();
  const snapshot = structuredClone(input);
  let out: Json | undefined;
  try {
    out = patch(input, ops, resource);
  } catch (error) {
    if (!(error instanceof ScimError)) throw error;
    expect(error.status).toBe(400);
    expect(error.scimType).toBeDefined();
  }
  expect(input).toEqual(snapshot);
  if (out === undefined) return;
  expect(out).not.toBe(input);
  expect(out.id).toBe(snapshot.id);
  expect(out.meta).toEqual(snapshot.meta);
  expect(schemasConsistent(out, extensions)).toBe(true);
  expect(JSON.parse(JSON.stringify(out))).toEqual(out);
}

describe("patch properties", () => {
  it("User: random operation sequences throw only ScimError and never mutate the input", () => {
    fc.assert(
      fc.property(operations(USER_PATHS), (ops) => check(USER_RESOURCE, user, ops, [ENT, ACME])),
      { numRuns: runs(500) },
    );
  });

  it("User: random path-less values throw only ScimError and never mutate the input", () => {
    const pathless = fc.array(fc.record({ op: fc.constantFrom("add", "replace", "Replace"), value }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(pathless, (ops) => check(USER_RESOURCE, user, ops, [ENT, ACME])),
      { numRuns: runs(500) },
    );
  });

  it("Group: random operation sequences throw only ScimError and never mutate the input", () => {
    fc.assert(
      fc.property(operations(GROUP_PATHS), (ops) => check(GROUP_RESOURCE, group, ops, [])),
      { numRuns: runs(300) },
    );
  });
});
