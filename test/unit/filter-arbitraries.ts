// fast-check generators for filter ASTs and filter-like text, shared by the parse and evaluate property tests.
import fc from "fast-check";
import { expect } from "vitest";
import { ScimError, type ScimType } from "../../src/scim/errors.ts";
import type { AttrPath, CompareOp, Filter, FilterValue } from "../../src/scim/filter/ast.ts";
import { printFilter } from "../../src/scim/filter/print.ts";

export const COMPARE_OPS: CompareOp[] = ["eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"];

/** Runs `fn`, expecting a 400 ScimError of `scimType`; returns it so the test can check the detail. */
export function scimErrorOf(fn: () => unknown, scimType: ScimType = "invalidFilter"): ScimError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ScimError);
    const scimError = error as ScimError;
    expect(scimError.status).toBe(400);
    expect(scimError.scimType).toBe(scimType);
    return scimError;
  }
  throw new Error("expected a ScimError, but nothing was thrown");
}

/** Any value `fn` throws must be a ScimError; returns whether it threw. */
export function throwsOnlyScimError(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (error) {
    if (!(error instanceof ScimError)) throw error;
    return true;
  }
}

// Keyword-like names ("and", "not", "pr", "true") are legal attribute names and must survive a round trip.
const attrName = fc.oneof(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/),
  fc.constantFrom("and", "or", "not", "pr", "eq", "true", "null", "$ref", "userName", "emails"),
);
const uri = fc.oneof(
  fc.constantFrom("urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
  fc.stringMatching(/^urn:[A-Za-z0-9][A-Za-z0-9.:_-]{0,24}$/),
);

export const attrPathArb: fc.Arbitrary<AttrPath> = fc.record({ uri, attribute: attrName, subAttribute: attrName }, { requiredKeys: ["attribute"], noNullPrototype: true });

export const filterValueArb: fc.Arbitrary<FilterValue> = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

/** Filters as the grammar allows them: value paths only at the top level, without sub-attribute before "[". */
export function filterArb(paths: fc.Arbitrary<AttrPath> = attrPathArb, values: fc.Arbitrary<FilterValue> = filterValueArb, innerPaths = paths) {
  const leaf = (p: fc.Arbitrary<AttrPath>) =>
    fc.oneof(
      fc.record({ kind: fc.constant("compare" as const), path: p, op: fc.constantFrom(...COMPARE_OPS), value: values }, { noNullPrototype: true }),
      fc.record({ kind: fc.constant("present" as const), path: p }, { noNullPrototype: true }),
    );
  const inner = fc.letrec<{ f: Filter }>((tie) => ({
    f: fc.oneof(
      { maxDepth: 4, depthIdentifier: "inner" },
      leaf(innerPaths),
      fc.record({ kind: fc.constant("and" as const), left: tie("f"), right: tie("f") }, { noNullPrototype: true }),
      fc.record({ kind: fc.constant("or" as const), left: tie("f"), right: tie("f") }, { noNullPrototype: true }),
      fc.record({ kind: fc.constant("not" as const), filter: tie("f") }, { noNullPrototype: true }),
    ),
  })).f;
  const valuePathTarget = paths.map((p): AttrPath => ({ ...(p.uri !== undefined ? { uri: p.uri } : {}), attribute: p.attribute }));
  return fc.letrec<{ f: Filter }>((tie) => ({
    f: fc.oneof(
      { maxDepth: 5, depthIdentifier: "outer" },
      leaf(paths),
      fc.record({ kind: fc.constant("valuePath" as const), path: valuePathTarget, filter: inner }, { noNullPrototype: true }),
      fc.record({ kind: fc.constant("and" as const), left: tie("f"), right: tie("f") }, { noNullPrototype: true }),
      fc.record({ kind: fc.constant("or" as const), left: tie("f"), right: tie("f") }, { noNullPrototype: true }),
      fc.record({ kind: fc.constant("not" as const), filter: tie("f") }, { noNullPrototype: true }),
    ),
  })).f;
}

/** Paths that resolve on User resources, plus a few that do not (unknown, write-only, element-only). */
export const userPathArb = fc.constantFrom<AttrPath>(
  { attribute: "userName" },
  { attribute: "title" },
  { attribute: "emails" },
  { attribute: "emails", subAttribute: "value" },
  { attribute: "emails", subAttribute: "type" },
  { attribute: "emails", subAttribute: "primary" },
  { attribute: "name" },
  { attribute: "name", subAttribute: "familyName" },
  { attribute: "meta", subAttribute: "lastModified" },
  { attribute: "active" },
  { attribute: "employeeNumber" },
  { uri: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", attribute: "manager", subAttribute: "value" },
  { attribute: "password" },
  { attribute: "nope" },
  { attribute: "type" },
);
export const elementPathArb = fc.constantFrom<AttrPath>({ attribute: "value" }, { attribute: "type" }, { attribute: "primary" }, { attribute: "nope" });
export const userValueArb: fc.Arbitrary<FilterValue> = fc.oneof(
  fc.constantFrom("bjensen@example.com", "work", "Jensen", "2011-05-13T04:42:34Z", "", "701984", "E", "not a date"),
  fc.boolean(),
  fc.constant(null),
  fc.integer({ min: -3, max: 3 }),
);
/** Filters over User attribute names: many resolve, some fail resolution for one reason or another. */
export const userFilterArb = filterArb(userPathArb, userValueArb, elementPathArb);

const FRAGMENTS = [
  "userName", "emails", "name.familyName", "meta.lastModified", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:",
  "employeeNumber", "manager.value", "type", "value", "primary", "active", "password", "foo", ".", ":", " ", " ", " ",
  "eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "pr", "EQ", "and", "or", "not", "AND", "(", ")", "[", "]",
  '"x"', '"2011-05-13T04:42:34Z"', '"', "\\", '\\"', "\\u00e9", "1", "-", "1.5e3", "true", "False", "null", "$ref",
];

const fragmentSoup = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 24 }).map((parts) => parts.join(""));

/** A valid filter with one edit, so errors come from deep inside the grammar, not only its first token. */
const mutatedFilter = fc
  .record({
    text: userFilterArb.map(printFilter),
    at: fc.nat(),
    length: fc.nat({ max: 6 }),
    fragment: fc.constantFrom(...FRAGMENTS),
    edit: fc.constantFrom("insert", "delete", "replace", "upper", "none"),
  })
  .map(({ text, at, length, fragment, edit }) => {
    const i = at % (text.length + 1);
    switch (edit) {
      case "insert":
        return text.slice(0, i) + fragment + text.slice(i);
      case "delete":
        return text.slice(0, i) + text.slice(i + length);
      case "replace":
        return text.slice(0, i) + fragment + text.slice(i + length);
      case "upper":
        return text.toUpperCase();
      default:
        return text;
    }
  });

/** Filter-like text: fragment soup and edited valid filters. */
export const filterishText = fc.oneof(fragmentSoup, mutatedFilter);
