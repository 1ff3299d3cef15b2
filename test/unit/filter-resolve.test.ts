// Filter and path resolution (src/scim/filter/resolve.ts): parsed names resolved case-insensitively against the
// resource type's schemas (RFC 7643 §2.1) to canonical attributes, values checked against attribute types, unknown
// and forbidden attributes refused.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runs } from "../support/fast-check.ts";
import type { AttrPath, Filter } from "../../src/scim/filter/ast.ts";
import { parseFilter, parsePatchPath } from "../../src/scim/filter/parse.ts";
import { resolveAttrPath, resolveFilter, resolvePatchPath, resolveValueFilter, type ResolvedFilter, type ResolvedPath } from "../../src/scim/filter/resolve.ts";
import { attr, str } from "../../src/scim/schema/builders.ts";
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from "../../src/scim/schema/core.ts";
import { GROUP_RESOURCE, USER_RESOURCE, type ResourceSchemas } from "../../src/scim/schema/registry.ts";
import { filterArb, scimErrorOf, throwsOnlyScimError, userFilterArb } from "./filter-arbitraries.ts";

const resolve = (text: string, resource: ResourceSchemas = USER_RESOURCE) => resolveFilter(parseFilter(text), resource);
const detailOf = (text: string, resource: ResourceSchemas = USER_RESOURCE) => scimErrorOf(() => resolve(text, resource)).message;

function compare(filter: ResolvedFilter) {
  if (filter.kind !== "compare") throw new Error(`expected a compare, got ${filter.kind}`);
  return filter;
}
/** The parts of a resolved path a SQL compiler keys on. */
const shape = (p: ResolvedPath) => ({
  schema: p.schema,
  extension: p.extension,
  attribute: p.attribute,
  subAttribute: p.subAttribute,
  type: p.leaf.type,
  multiValued: p.multiValued,
  caseExact: p.caseExact,
  canonical: p.canonical,
});

// A second extension with the attribute types the User schema lacks, and a name clash with the enterprise one.
const TEST_EXTENSION = "urn:example:params:scim:schemas:extension:test:1.0:User";
const TEST_RESOURCE: ResourceSchemas = {
  ...USER_RESOURCE,
  extensions: [
    ...USER_RESOURCE.extensions,
    {
      id: TEST_EXTENSION,
      name: "Test",
      description: "Test extension",
      attributes: [
        attr("level", "integer", "An integer."),
        attr("score", "decimal", "A decimal."),
        attr("hired", "dateTime", "A date-time."),
        attr("badge", "binary", "Binary data."),
        str("department", "Clashes with the enterprise extension's department."),
      ],
    },
  ],
};

describe("RFC 7644 §3.4.2.2: names resolve case-insensitively to canonical paths", () => {
  it('USERNAME eq "x" → userName (core)', () => {
    expect(shape(compare(resolve('USERNAME eq "x"')).path)).toStrictEqual({
      schema: USER_SCHEMA,
      extension: false,
      attribute: "userName",
      subAttribute: undefined,
      type: "string",
      multiValued: false,
      caseExact: false,
      canonical: "userName",
    });
  });

  it("name.FAMILYNAME → name.familyName with both definitions", () => {
    const { path } = compare(resolve('name.FAMILYNAME co "O\'Malley"'));
    expect(path.canonical).toBe("name.familyName");
    expect(path.attributeDef.name).toBe("name");
    expect(path.subAttributeDef?.name).toBe("familyName");
    expect(path.leaf).toBe(path.subAttributeDef);
  });

  it("common attributes id, externalId and meta.* resolve on every resource type", () => {
    expect(shape(compare(resolve('id eq "2819c223"')).path)).toMatchObject({ canonical: "id", caseExact: true });
    expect(shape(compare(resolve('EXTERNALID eq "701984"')).path)).toMatchObject({ canonical: "externalId", caseExact: true });
    expect(shape(compare(resolve('meta.LastModified gt "2011-05-13T04:42:34Z"', GROUP_RESOURCE)).path)).toMatchObject({
      schema: GROUP_SCHEMA,
      canonical: "meta.lastModified",
      type: "dateTime",
    });
  });

  it("the core schema URN may prefix core attributes, in any case", () => {
    expect(compare(resolve(`${USER_SCHEMA}:userName sw "J"`)).path.canonical).toBe("userName");
    expect(compare(resolve(`${USER_SCHEMA.toUpperCase()}:name.givenName sw "J"`)).path.canonical).toBe("name.givenName");
  });

  it("enterprise extension attributes, qualified and unqualified", () => {
    const expected = {
      schema: ENTERPRISE_USER_SCHEMA,
      extension: true,
      attribute: "employeeNumber",
      subAttribute: undefined,
      type: "string",
      multiValued: false,
      caseExact: false,
      canonical: `${ENTERPRISE_USER_SCHEMA}:employeeNumber`,
    };
    expect(shape(compare(resolve(`${ENTERPRISE_USER_SCHEMA}:employeeNumber eq "701984"`)).path)).toStrictEqual(expected);
    expect(shape(compare(resolve(`${ENTERPRISE_USER_SCHEMA.toLowerCase()}:EMPLOYEENUMBER eq "701984"`)).path)).toStrictEqual(expected);
    expect(shape(compare(resolve('employeeNumber eq "701984"')).path)).toStrictEqual(expected);
    expect(compare(resolve(`${ENTERPRISE_USER_SCHEMA}:manager.value eq "26118915"`)).path.canonical).toBe(`${ENTERPRISE_USER_SCHEMA}:manager.value`);
  });

  it('"schemas" (RFC 7644 example) is a multi-valued string', () => {
    expect(shape(compare(resolve(`schemas eq "${ENTERPRISE_USER_SCHEMA}"`)).path)).toMatchObject({ canonical: "schemas", multiValued: true });
  });

  it("reference and binary values are case exact whatever the schema says (RFC 7643 §2.3.6, §2.3.7)", () => {
    expect(compare(resolve('profileUrl eq "https://x"')).path.caseExact).toBe(true);
    expect(compare(resolve('x509Certificates.value eq "MIIB"')).path.caseExact).toBe(true);
  });
});

describe("multi-valued attributes", () => {
  it('emails co "example.com" (RFC 7644 example) targets emails.value', () => {
    const { path } = compare(resolve('emails co "example.com"'));
    expect(shape(path)).toMatchObject({ attribute: "emails", subAttribute: "value", canonical: "emails.value", multiValued: true });
  });

  it("emails.value is multi-valued", () => {
    expect(compare(resolve('emails.value co "example.org"')).path.multiValued).toBe(true);
  });

  it('groups: members eq "id" targets members.value', () => {
    expect(compare(resolve('members eq "2819c223"', GROUP_RESOURCE)).path.canonical).toBe("members.value");
  });

  it("emails pr stays on the attribute itself", () => {
    const filter = resolve("emails pr");
    expect(filter.kind === "present" && filter.path.canonical).toBe("emails");
  });

  it('emails[type eq "work" and value co "@example.com"]: inner paths are per element', () => {
    const filter = resolve('emails[TYPE eq "work" and Value co "@example.com"]');
    if (filter.kind !== "valuePath" || filter.filter.kind !== "and") throw new Error("expected valuePath(and)");
    expect(shape(filter.path)).toMatchObject({ canonical: "emails", multiValued: true, subAttribute: undefined });
    expect(shape(compare(filter.filter.left).path)).toMatchObject({ attribute: "emails", subAttribute: "type", canonical: "emails.type", multiValued: false });
    expect(compare(filter.filter.right).path.canonical).toBe("emails.value");
  });

  it("a value filter on a single-valued complex attribute is allowed", () => {
    expect(resolve('name[givenName eq "Barbara"]').kind).toBe("valuePath");
  });
});

describe("values are checked against attribute types", () => {
  it("dateTime values are normalised to toISOString() form", () => {
    expect(compare(resolve('meta.lastModified gt "2011-05-13T04:42:34Z"')).value).toBe("2011-05-13T04:42:34.000Z");
    expect(compare(resolve('meta.lastModified gt "2011-05-13T06:42:34.5+02:00"')).value).toBe("2011-05-13T04:42:34.500Z");
    expect(compare(resolve('meta.created ge "2011-05-13T04:42:34"')).value).toBe("2011-05-13T04:42:34.000Z");
  });

  it("numbers on integer and decimal attributes, booleans on boolean ones", () => {
    expect(compare(resolve("level ge 3", TEST_RESOURCE)).value).toBe(3);
    expect(compare(resolve("score lt 2.5", TEST_RESOURCE)).value).toBe(2.5);
    expect(compare(resolve("active eq true")).value).toBe(true);
    expect(compare(resolve("emails.primary eq false")).value).toBe(false);
  });

  it("eq null and ne null are allowed on any type", () => {
    expect(compare(resolve("active eq null")).value).toBeNull();
    expect(compare(resolve("level ne null", TEST_RESOURCE)).value).toBeNull();
  });

  it.each([
    ["active gt true", 'Operator "gt" cannot be used on the boolean attribute "active" in filter; use eq, ne or pr'],
    ['active eq "true"', '"active" is a boolean attribute, so "eq" in filter needs true or false, not the string "true"'],
    ['emails.primary co "t"', 'Operator "co" cannot be used on the boolean attribute "emails.primary" in filter; use eq, ne or pr'],
    ['meta.lastModified co "2011"', 'Operator "co" cannot be used on the dateTime attribute "meta.lastModified" in filter; co, sw and ew need a string attribute'],
    [
      'meta.lastModified gt "yesterday"',
      '"yesterday" is not a valid date-time for "meta.lastModified" in filter; expected an xsd:dateTime such as "2011-05-13T04:42:34Z"',
    ],
    ['meta.created eq "2011-02-30T00:00:00Z"', '"2011-02-30T00:00:00Z" is not a valid date-time for "meta.created"'],
    ['meta.created eq "2011-05-13"', '"2011-05-13" is not a valid date-time for "meta.created"'],
    ["meta.created gt 5", '"meta.created" is a dateTime attribute, so "gt" in filter needs a quoted date-time such as "2011-05-13T04:42:34Z", not number 5'],
    ["userName gt 5", '"userName" is a string attribute, so "gt" in filter needs a quoted string, not number 5'],
    ["userName eq true", '"userName" is a string attribute, so "eq" in filter needs a quoted string, not boolean true'],
    ["userName lt null", 'Operator "lt" cannot compare "userName" with null in filter; only "eq null" and "ne null" are meaningful (or use "pr")'],
    ['name eq "Barbara"', 'Operator "eq" cannot compare the complex attribute "name" in filter; compare one of its sub-attributes, as in name.formatted'],
    ['meta gt "x"', 'Operator "gt" cannot compare the complex attribute "meta" in filter'],
    ['x509Certificates.value gt "MIIB"', 'Operator "gt" cannot be used on the binary attribute "x509Certificates.value"'],
  ])("%s is rejected", (text, detail) => {
    expect(detailOf(text)).toContain(detail);
  });

  it.each([
    ['level co "3"', 'Operator "co" cannot be used on the integer attribute'],
    ['level eq "3"', `"${TEST_EXTENSION}:level" is an integer attribute, so "eq" in filter needs a number, not the string "3"`],
    ['badge sw "AA"', 'Operator "sw" cannot be used on the binary attribute'],
  ])("%s is rejected (test extension)", (text, detail) => {
    expect(detailOf(text, TEST_RESOURCE)).toContain(detail);
  });
});

describe("unknown and forbidden attributes", () => {
  it.each([
    ['foo eq "x"', USER_RESOURCE, 'Unknown attribute "foo" in filter: User resources have no attribute "foo"'],
    ['name.foo eq "x"', USER_RESOURCE, 'Unknown sub-attribute "foo" of "name" in filter; it has formatted, familyName, givenName'],
    ['userName.foo eq "x"', USER_RESOURCE, '"userName.foo" in filter: "userName" has no sub-attributes'],
    ['employeeNumber eq "1"', GROUP_RESOURCE, 'Unknown attribute "employeeNumber" in filter: Group resources have no attribute "employeeNumber"'],
    [
      `${ENTERPRISE_USER_SCHEMA}:employeeNumber eq "1"`,
      GROUP_RESOURCE,
      `Unknown schema "${ENTERPRISE_USER_SCHEMA}" in filter attribute "${ENTERPRISE_USER_SCHEMA}:employeeNumber": Group resources have the schemas ${GROUP_SCHEMA}`,
    ],
    [
      `${ENTERPRISE_USER_SCHEMA}:foo eq "1"`,
      USER_RESOURCE,
      `Unknown attribute "${ENTERPRISE_USER_SCHEMA}:foo" in filter: schema ${ENTERPRISE_USER_SCHEMA} has no attribute "foo"`,
    ],
    [`${ENTERPRISE_USER_SCHEMA} pr`, USER_RESOURCE, `names the schema ${ENTERPRISE_USER_SCHEMA}, not an attribute; write ${ENTERPRISE_USER_SCHEMA}:attributeName`],
    ['password eq "secret"', USER_RESOURCE, 'Attribute "password" cannot be used in a filter: it is write-only and never returned'],
    ["password pr", USER_RESOURCE, 'Attribute "password" cannot be used in a filter'],
    [`${USER_SCHEMA}:PASSWORD sw "a"`, USER_RESOURCE, 'Attribute "password" cannot be used in a filter'],
    ['emails[foo eq "x"]', USER_RESOURCE, 'Unknown sub-attribute "foo" of "emails" in filter; it has value, display, type, primary'],
    ['emails[value.x eq "x"]', USER_RESOURCE, '"value.x" inside the value filter of "emails": its sub-attributes have no sub-attributes'],
    [`emails[${USER_SCHEMA}:type eq "x"]`, USER_RESOURCE, `Schema-qualified name "${USER_SCHEMA}:type" inside the value filter of "emails"`],
    ['userName[value eq "x"]', USER_RESOURCE, 'Value filter on "userName" in filter: only complex attributes (such as emails) take "[...]"'],
  ])("%s is invalidFilter", (text, resource, detail) => {
    expect(detailOf(text, resource)).toContain(detail);
  });

  it("an attribute defined by two extensions must be qualified", () => {
    expect(detailOf('department eq "x"', TEST_RESOURCE)).toBe(
      `Ambiguous attribute "department" in filter: it is defined by ${ENTERPRISE_USER_SCHEMA} and ${TEST_EXTENSION}; prefix it with the schema URN`,
    );
    expect(compare(resolve(`${TEST_EXTENSION}:department eq "x"`, TEST_RESOURCE)).path.schema).toBe(TEST_EXTENSION);
  });

  it("a hand-built nested value path is rejected", () => {
    const nested: Filter = {
      kind: "valuePath",
      path: { attribute: "emails" },
      filter: { kind: "valuePath", path: { attribute: "type" }, filter: { kind: "present", path: { attribute: "value" } } },
    };
    expect(scimErrorOf(() => resolveFilter(nested, USER_RESOURCE)).message).toBe('Value filter on "type" inside the value filter of "emails": value filters cannot nest');
  });
});

describe("PATCH paths and attribute lists", () => {
  it('emails[type eq "work"].value: target emails.value, filter relative to emails', () => {
    const { target, valueFilter } = resolvePatchPath(parsePatchPath('EMAILS[type eq "work"].VALUE'), USER_RESOURCE);
    expect(target.canonical).toBe("emails.value");
    expect(valueFilter && compare(valueFilter).path.canonical).toBe("emails.type");
  });

  it('members[value eq "id"] on groups; addresses[type eq "work"].streetAddress on users', () => {
    expect(resolvePatchPath(parsePatchPath('members[value eq "2819c223"]'), GROUP_RESOURCE).target.canonical).toBe("members");
    expect(resolvePatchPath(parsePatchPath('addresses[type eq "work"].streetAddress'), USER_RESOURCE).target.canonical).toBe(
      "addresses.streetAddress",
    );
  });

  it("password is a valid PATCH target but not a filter inside one", () => {
    expect(resolvePatchPath(parsePatchPath("password"), USER_RESOURCE).target.canonical).toBe("password");
    expect(scimErrorOf(() => resolvePatchPath(parsePatchPath("foo"), USER_RESOURCE), "invalidPath").message).toBe(
      'Unknown attribute "foo" in PATCH path: User resources have no attribute "foo"',
    );
    expect(scimErrorOf(() => resolvePatchPath(parsePatchPath('emails[type eq 1]'), USER_RESOURCE), "invalidPath").message).toContain(
      '"emails.type" is a string attribute, so "eq" in PATCH path needs a quoted string',
    );
    expect(scimErrorOf(() => resolvePatchPath(parsePatchPath('userName[value eq "x"]'), USER_RESOURCE), "invalidPath").message).toContain(
      "only complex attributes",
    );
  });

  it("enterprise manager as a PATCH target", () => {
    const { target } = resolvePatchPath(parsePatchPath(`${ENTERPRISE_USER_SCHEMA}:manager`), USER_RESOURCE);
    expect(shape(target)).toMatchObject({ extension: true, canonical: `${ENTERPRISE_USER_SCHEMA}:manager`, type: "complex" });
  });

  it("resolveAttrPath for sortBy refuses password unless allowed", () => {
    const password: AttrPath = { attribute: "password" };
    expect(scimErrorOf(() => resolveAttrPath(password, USER_RESOURCE, { scimType: "invalidValue", label: "sortBy" }), "invalidValue").message).toBe(
      'Attribute "password" cannot be used in a sortBy: it is write-only and never returned',
    );
    expect(resolveAttrPath(password, USER_RESOURCE, { allowWriteOnly: true }).canonical).toBe("password");
  });

  it("resolveValueFilter resolves against a parent's sub-attributes", () => {
    const emails = resolveAttrPath({ attribute: "emails" }, USER_RESOURCE);
    expect(compare(resolveValueFilter(parseFilter("primary eq true"), emails, USER_RESOURCE)).path.canonical).toBe("emails.primary");
    const userName = resolveAttrPath({ attribute: "userName" }, USER_RESOURCE);
    expect(scimErrorOf(() => resolveValueFilter(parseFilter("primary eq true"), userName, USER_RESOURCE)).message).toContain("only complex attributes");
  });
});

describe("properties", () => {
  it("resolving any filter either succeeds or throws invalidFilter", () => {
    fc.assert(
      fc.property(fc.oneof(userFilterArb, filterArb()), (filter) => {
        throwsOnlyScimError(() => resolveFilter(filter, USER_RESOURCE));
        throwsOnlyScimError(() => resolveFilter(filter, GROUP_RESOURCE));
      }),
      { numRuns: runs(1000) },
    );
  });
});
