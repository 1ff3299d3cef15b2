// The in-memory filter evaluator (src/scim/filter/evaluate.ts): RFC 7644 §3.4.2.2 filter semantics on a
// resource's JSON, the reference that the SQL compilation is checked against (test/worker/users-filter.test.ts)
// and what selects elements in PATCH paths.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runs } from "../support/fast-check.ts";
import type { Filter } from "../../src/scim/filter/ast.ts";
import { matchesFilter, matchesValueFilter } from "../../src/scim/filter/evaluate.ts";
import { parseFilter, parsePatchPath } from "../../src/scim/filter/parse.ts";
import { resolveAttrPath, resolveFilter, resolvePatchPath, resolveValueFilter } from "../../src/scim/filter/resolve.ts";
import { attr } from "../../src/scim/schema/builders.ts";
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from "../../src/scim/schema/core.ts";
import { GROUP_RESOURCE, USER_RESOURCE, type ResourceSchemas } from "../../src/scim/schema/registry.ts";
import { filterishText, throwsOnlyScimError, userFilterArb, userPathArb, userValueArb } from "./filter-arbitraries.ts";

type Resource = Record<string, unknown>;

// RFC 7643 §8.2's full User, trimmed.
const bjensen: Resource = {
  schemas: [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
  id: "2819c223-7f76-453a-919d-413861904646",
  externalId: "701984",
  userName: "bjensen@example.com",
  name: { formatted: "Ms. Barbara J Jensen, III", familyName: "Jensen", givenName: "Barbara" },
  displayName: "Babs Jensen",
  title: "Tour Guide",
  userType: "Employee",
  active: true,
  emails: [
    { value: "bjensen@example.com", type: "work", primary: true },
    { value: "babs@jensen.org", type: "home" },
  ],
  ims: [{ value: "someaimhandle", type: "aim" }],
  meta: {
    resourceType: "User",
    created: "2010-01-23T04:56:22Z",
    lastModified: "2011-05-13T04:42:34Z",
    version: 'W/"3694e05e9dff591"',
    location: "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
  },
  [ENTERPRISE_USER_SCHEMA]: {
    employeeNumber: "701984",
    manager: { value: "26118915-6090-4610-87e4-49d8ca9f808d", displayName: "John Smith" },
  },
};

// No title, an xmpp IM, emails only at example.org, an intern.
const intern: Resource = {
  schemas: [USER_SCHEMA],
  id: "c3a26dd3-27a0-4dec-a2ac-ce211e105f97",
  userName: "ajones",
  userType: "Intern",
  active: false,
  emails: [{ value: "ajones@example.org", type: "work" }],
  ims: [{ value: "ajones@foo.com", type: "xmpp" }],
  meta: { resourceType: "User", created: "2011-05-13T04:42:34Z", lastModified: "2011-06-01T00:00:00Z" },
};

const TEST_EXTENSION = "urn:example:params:scim:schemas:extension:test:1.0:User";
const TEST_RESOURCE: ResourceSchemas = {
  ...USER_RESOURCE,
  extensions: [
    {
      id: TEST_EXTENSION,
      name: "Test",
      description: "Test extension",
      attributes: [
        attr("level", "integer", "An integer."),
        attr("score", "decimal", "A decimal."),
        attr("hired", "dateTime", "A date-time."),
        attr("tags", "string", "Multi-valued strings.", { multiValued: true }),
      ],
    },
  ],
};

const matches = (text: string, resource: Resource, schemas: ResourceSchemas = USER_RESOURCE) =>
  matchesFilter(resource, resolveFilter(parseFilter(text), schemas));
/** Which of bjensen and the intern a filter selects. */
const selects = (text: string) => [bjensen, intern].filter((r) => matches(text, r)).map((r) => r.userName);

describe("RFC 7644 §3.4.2.2 example filters", () => {
  it.each<[string, string[]]>([
    ['userName eq "bjensen@example.com"', ["bjensen@example.com"]],
    [`name.familyName co "ens"`, ["bjensen@example.com"]],
    ['userName sw "A"', ["ajones"]],
    [`${USER_SCHEMA}:userName sw "B"`, ["bjensen@example.com"]],
    ["title pr", ["bjensen@example.com"]],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', ["ajones"]],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', ["bjensen@example.com", "ajones"]],
    ['meta.lastModified lt "2011-05-13T04:42:34Z"', []],
    ['meta.lastModified le "2011-05-13T04:42:34Z"', ["bjensen@example.com"]],
    ['title pr and userType eq "Employee"', ["bjensen@example.com"]],
    ['title pr or userType eq "Intern"', ["bjensen@example.com", "ajones"]],
    [`schemas eq "${ENTERPRISE_USER_SCHEMA}"`, ["bjensen@example.com"]],
    ['userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")', ["bjensen@example.com"]],
    ['userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")', []],
    ['userType eq "Employee" and (emails.type eq "work")', ["bjensen@example.com"]],
    ['userType eq "Employee" and emails[type eq "work" and value co "@example.com"]', ["bjensen@example.com"]],
    ['emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]', ["bjensen@example.com", "ajones"]],
  ])("%s selects %j", (text, expected) => {
    expect(selects(text)).toStrictEqual(expected);
  });
});

describe("identity provider filters", () => {
  it('okta: userName eq "x" finds the user case-insensitively (userName is caseExact=false)', () => {
    expect(selects('userName eq "BJensen@Example.COM"')).toStrictEqual(["bjensen@example.com"]);
  });

  it('entra: externalId eq "..." is case-exact', () => {
    expect(matches('externalId eq "701984"', bjensen)).toBe(true);
    expect(matches('id eq "2819C223-7F76-453A-919D-413861904646"', bjensen)).toBe(false);
  });

  it("entra: group lookup by displayName and member", () => {
    const group = { schemas: [GROUP_SCHEMA], id: "g1", displayName: "Sales", members: [{ value: "2819c223", display: "Babs" }] };
    expect(matches('displayName eq "sales"', group, GROUP_RESOURCE)).toBe(true);
    expect(matches('members[value eq "2819c223"]', group, GROUP_RESOURCE)).toBe(true);
    expect(matches('members eq "2819C223"', group, GROUP_RESOURCE)).toBe(false);
  });
});

describe("case-insensitive strings fold with NFC and a full case fold", () => {
  const user = { userName: "x", displayName: "Ångström Straße", nickName: "A\u030Angstrom" };

  it("upper case and lower case agree", () => {
    expect(matches('displayName eq "ÅNGSTRÖM STRASSE"', user)).toBe(true);
    expect(matches('displayName sw "ångström"', user)).toBe(true);
  });

  it("composed and decomposed forms agree", () => {
    expect(matches('nickName eq "\u00C5ngstrom"', user)).toBe(true);
  });

  it("USERNAME eq: attribute names in the stored JSON are matched case-insensitively too", () => {
    expect(matches('USERNAME eq "x"', { UserName: "X" })).toBe(true);
  });
});

describe("multi-valued attributes match if any value matches", () => {
  it("emails.value and emails.type look at every element", () => {
    expect(matches('emails.value eq "babs@jensen.org"', bjensen)).toBe(true);
    expect(matches('emails.type eq "home"', bjensen)).toBe(true);
    expect(matches('emails ew "jensen.ORG"', bjensen)).toBe(true);
  });

  it("a value filter needs one element to satisfy all of it; separate conditions do not", () => {
    expect(matches('emails[type eq "home" and value co "example.com"]', bjensen)).toBe(false);
    expect(matches('emails.type eq "home" and emails.value co "example.com"', bjensen)).toBe(true);
  });

  it("a single complex value is filtered like a one-element list", () => {
    expect(matches('name[givenName eq "barbara" and familyName sw "J"]', bjensen)).toBe(true);
    expect(matches('name[givenName eq "x"]', intern)).toBe(false);
  });

  it("multi-valued simple attributes", () => {
    const user = { userName: "u", [TEST_EXTENSION]: { tags: ["red", "Green"] } };
    expect(matches('tags eq "green"', user, TEST_RESOURCE)).toBe(true);
    expect(matches('tags co "blu"', user, TEST_RESOURCE)).toBe(false);
  });
});

describe('"ne" is not(eq): an absent attribute matches, and no value may equal', () => {
  it("absent attribute", () => {
    expect(matches('title ne "Tour Guide"', intern)).toBe(true);
    expect(matches('not (title eq "Tour Guide")', intern)).toBe(true);
  });

  it("present, different and equal values", () => {
    expect(matches('title ne "Boss"', bjensen)).toBe(true);
    expect(matches('title ne "tour guide"', bjensen)).toBe(false);
  });

  it("multi-valued: no element may equal", () => {
    expect(matches('emails ne "babs@jensen.org"', bjensen)).toBe(false);
    expect(matches('emails ne "nobody@example.com"', bjensen)).toBe(true);
  });

  it("eq null means absent, ne null means present", () => {
    expect(selects("title eq null")).toStrictEqual(["ajones"]);
    expect(selects("title ne null")).toStrictEqual(["bjensen@example.com"]);
  });

  it("other operators never match an absent attribute", () => {
    expect(matches('title co ""', intern)).toBe(false);
    expect(matches('title lt "zzz"', intern)).toBe(false);
  });
});

describe('"pr": present and non-empty', () => {
  it.each<[string, Resource, boolean]>([
    ["title pr", { title: "x" }, true],
    ["title pr", { title: "" }, false],
    ["title pr", { title: null }, false],
    ["title pr", {}, false],
    ["emails pr", { emails: [] }, false],
    ["emails pr", { emails: [{}] }, false],
    ["emails pr", { emails: [{ value: "a@b" }] }, true],
    ["emails.value pr", { emails: [{ type: "work" }, { value: "" }] }, false],
    ["emails.value pr", { emails: [{ type: "work" }, { value: "a@b" }] }, true],
    ["name pr", { name: {} }, false],
    ["name pr", { name: { givenName: "" } }, false],
    ["name pr", { name: { givenName: "B" } }, true],
    ["active pr", { active: false }, true],
  ])("%s on %j is %s", (text, resource, expected) => {
    expect(matches(text, resource)).toBe(expected);
  });
});

describe("typed comparisons", () => {
  it("dateTime compares instants, not strings", () => {
    expect(matches('meta.lastModified eq "2011-05-13T06:42:34+02:00"', bjensen)).toBe(true);
    expect(matches('meta.lastModified eq "2011-05-13T04:42:34.000Z"', bjensen)).toBe(true);
    expect(matches('meta.lastModified gt "2011-05-13T04:42:33.999Z"', bjensen)).toBe(true);
    expect(matches('meta.created lt "2010-01-23T05:56:22+02:00"', bjensen)).toBe(false);
  });

  it("integers and decimals compare numerically", () => {
    const user = { userName: "u", [TEST_EXTENSION]: { level: 10, score: 2.5, hired: "2020-01-01T00:00:00Z" } };
    expect(matches("level gt 9", user, TEST_RESOURCE)).toBe(true);
    expect(matches("level gt 10", user, TEST_RESOURCE)).toBe(false);
    expect(matches("level ge 10 and level le 10.0", user, TEST_RESOURCE)).toBe(true);
    expect(matches("score lt 1e1", user, TEST_RESOURCE)).toBe(true);
    expect(matches('hired ge "2019-12-31T23:00:00-01:00"', user, TEST_RESOURCE)).toBe(true);
  });

  it("strings order lexicographically after folding", () => {
    expect(matches('userName gt "BJ"', bjensen)).toBe(true);
    expect(matches('userName lt "C"', bjensen)).toBe(true);
    expect(matches('userName le "bjensen@example.com"', bjensen)).toBe(true);
  });

  it("booleans", () => {
    expect(selects("active eq true")).toStrictEqual(["bjensen@example.com"]);
    expect(selects("active eq false")).toStrictEqual(["ajones"]);
    expect(matches("emails[primary eq true]", bjensen)).toBe(true);
    expect(matches("emails[primary eq true]", intern)).toBe(false);
  });

  it("stored values of the wrong JSON type never match", () => {
    expect(matches("active eq true", { active: "true" })).toBe(false);
    expect(matches("active ne true", { active: "true" })).toBe(true);
    expect(matches('userName eq "5"', { userName: 5 })).toBe(false);
    expect(matches('meta.lastModified gt "2000-01-01T00:00:00Z"', { meta: { lastModified: "not a date" } })).toBe(false);
  });
});

describe("extension attributes live under resource[urn]", () => {
  it("qualified and unqualified names", () => {
    expect(matches(`${ENTERPRISE_USER_SCHEMA}:employeeNumber eq "701984"`, bjensen)).toBe(true);
    expect(matches('employeeNumber eq "701984"', bjensen)).toBe(true);
    expect(matches(`${ENTERPRISE_USER_SCHEMA}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, bjensen)).toBe(true);
    expect(matches('employeeNumber eq "701984"', intern)).toBe(false);
  });

  it("the extension key is matched case-insensitively", () => {
    expect(matches('employeeNumber eq "1"', { [ENTERPRISE_USER_SCHEMA.toLowerCase()]: { employeeNumber: "1" } })).toBe(true);
  });
});

describe("injection attempts", () => {
  it('userName eq "x\\" or 1 eq 1" matches only that literal userName', () => {
    const filter = 'userName eq "x\\" or 1 eq 1"';
    expect(matches(filter, { userName: 'x" or 1 eq 1' })).toBe(true);
    expect(matches(filter, { userName: "x" })).toBe(false);
    expect(selects(filter)).toStrictEqual([]);
  });
});

describe("matchesValueFilter (PATCH element selection)", () => {
  const emails = bjensen.emails as Resource[];

  it('emails[type eq "work"] selects the work email', () => {
    const { valueFilter } = resolvePatchPath(parsePatchPath('emails[type eq "work"]'), USER_RESOURCE);
    if (valueFilter === undefined) throw new Error("expected a value filter");
    expect(emails.filter((e) => matchesValueFilter(e, valueFilter)).map((e) => e.value)).toStrictEqual(["bjensen@example.com"]);
  });

  it("resolveValueFilter + matchesValueFilter, with not and or", () => {
    const parent = resolveAttrPath({ attribute: "emails" }, USER_RESOURCE);
    const filter = resolveValueFilter(parseFilter('not (primary eq true) or VALUE ew "EXAMPLE.COM"'), parent, USER_RESOURCE);
    expect(emails.filter((e) => matchesValueFilter(e, filter)).map((e) => e.value)).toStrictEqual(["bjensen@example.com", "babs@jensen.org"]);
  });

  it("members[value eq id] selects one member of a group", () => {
    const members = [{ value: "a" }, { value: "b" }, { value: "A" }];
    const { valueFilter } = resolvePatchPath(parsePatchPath('members[value eq "a"]'), GROUP_RESOURCE);
    if (valueFilter === undefined) throw new Error("expected a value filter");
    // members.value is caseExact: ids differing in case are different members.
    expect(members.filter((m) => matchesValueFilter(m, valueFilter))).toStrictEqual([{ value: "a" }]);
  });
});

describe("properties", () => {
  const resolvable = userFilterArb
    .map((filter) => {
      try {
        return resolveFilter(filter, USER_RESOURCE);
      } catch {
        return undefined;
      }
    })
    .filter((resolved) => resolved !== undefined);
  const resources = fc.oneof(
    fc.constantFrom(bjensen, intern, {}, { emails: [null, 1, "x", { value: 3 }] }, { name: "flat", meta: [] }),
    fc.dictionary(fc.constantFrom("userName", "title", "emails", "name", "meta", "active", ENTERPRISE_USER_SCHEMA), fc.jsonValue()),
  );

  it("not (f) matches exactly when f does not", () => {
    fc.assert(
      fc.property(resolvable, resources, (filter, resource) => {
        expect(matchesFilter(resource, { kind: "not", filter })).toBe(!matchesFilter(resource, filter));
      }),
      { numRuns: runs(500) },
    );
  });

  it("x ne v matches exactly when not (x eq v) does", () => {
    fc.assert(
      fc.property(userPathArb, userValueArb, resources, (path, value, resource) => {
        const eq: Filter = { kind: "compare", path, op: "eq", value };
        const ne: Filter = { kind: "compare", path, op: "ne", value };
        let resolvedNe;
        try {
          resolvedNe = resolveFilter(ne, USER_RESOURCE);
        } catch {
          return;
        }
        expect(matchesFilter(resource, resolvedNe)).toBe(matchesFilter(resource, resolveFilter({ kind: "not", filter: eq }, USER_RESOURCE)));
      }),
      { numRuns: runs(500) },
    );
  });

  it("filter text that parses and resolves evaluates without throwing, on any JSON", () => {
    fc.assert(
      fc.property(filterishText, resources, (text, resource) => {
        throwsOnlyScimError(() => matchesFilter(resource, resolveFilter(parseFilter(text), USER_RESOURCE)));
      }),
      { numRuns: runs(1000) },
    );
  });
});
