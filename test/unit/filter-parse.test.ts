// The filter parser (src/scim/filter/parse.ts): RFC 7644 §3.4.2.2 filter grammar, PATCH paths (§3.5.2) and
// attribute names, with a precise 400 invalidFilter / invalidPath for every bad input and the length, depth and
// comparison limits.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runs } from "../support/fast-check.ts";
import type { AttrPath, CompareOp, Filter, FilterValue, PatchPath } from "../../src/scim/filter/ast.ts";
import { MAX_FILTER_COMPARISONS, MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, parseAttrPath, parseFilter, parsePatchPath } from "../../src/scim/filter/parse.ts";
import { printAttrPath, printFilter } from "../../src/scim/filter/print.ts";
import { filterArb, filterishText, scimErrorOf, throwsOnlyScimError } from "./filter-arbitraries.ts";

/** A PATCH path back to text, for the round trip below (the worker never prints one: only filters). */
function printPatchPath(path: PatchPath): string {
  const base = printAttrPath({ ...(path.uri !== undefined ? { uri: path.uri } : {}), attribute: path.attribute });
  if (path.valueFilter === undefined) return printAttrPath(path);
  const filtered = `${base}[${printFilter(path.valueFilter)}]`;
  return path.subAttribute === undefined ? filtered : `${filtered}.${path.subAttribute}`;
}

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User";

const path = (attribute: string, subAttribute?: string, uri?: string): AttrPath => ({
  ...(uri !== undefined ? { uri } : {}),
  attribute,
  ...(subAttribute !== undefined ? { subAttribute } : {}),
});
const cmp = (p: AttrPath, op: CompareOp, value: FilterValue): Filter => ({ kind: "compare", path: p, op, value });
const pr = (p: AttrPath): Filter => ({ kind: "present", path: p });
const and = (left: Filter, right: Filter): Filter => ({ kind: "and", left, right });
const or = (left: Filter, right: Filter): Filter => ({ kind: "or", left, right });
const not = (filter: Filter): Filter => ({ kind: "not", filter });
const valuePath = (p: AttrPath, filter: Filter): Filter => ({ kind: "valuePath", path: p, filter });

const detailOf = (text: string) => scimErrorOf(() => parseFilter(text)).message;

describe("RFC 7644 §3.4.2.2 example filters", () => {
  const examples: [string, Filter][] = [
    ['userName eq "bjensen"', cmp(path("userName"), "eq", "bjensen")],
    [`name.familyName co "O'Malley"`, cmp(path("name", "familyName"), "co", "O'Malley")],
    ['userName sw "J"', cmp(path("userName"), "sw", "J")],
    [`${CORE_USER}:userName sw "J"`, cmp(path("userName", undefined, CORE_USER), "sw", "J")],
    ["title pr", pr(path("title"))],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', cmp(path("meta", "lastModified"), "gt", "2011-05-13T04:42:34Z")],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', cmp(path("meta", "lastModified"), "ge", "2011-05-13T04:42:34Z")],
    ['meta.lastModified lt "2011-05-13T04:42:34Z"', cmp(path("meta", "lastModified"), "lt", "2011-05-13T04:42:34Z")],
    ['meta.lastModified le "2011-05-13T04:42:34Z"', cmp(path("meta", "lastModified"), "le", "2011-05-13T04:42:34Z")],
    ['title pr and userType eq "Employee"', and(pr(path("title")), cmp(path("userType"), "eq", "Employee"))],
    ['title pr or userType eq "Intern"', or(pr(path("title")), cmp(path("userType"), "eq", "Intern"))],
    [`schemas eq "${ENTERPRISE}"`, cmp(path("schemas"), "eq", ENTERPRISE)],
    [
      'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
      and(cmp(path("userType"), "eq", "Employee"), or(cmp(path("emails"), "co", "example.com"), cmp(path("emails", "value"), "co", "example.org"))),
    ],
    [
      'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
      and(cmp(path("userType"), "ne", "Employee"), not(or(cmp(path("emails"), "co", "example.com"), cmp(path("emails", "value"), "co", "example.org")))),
    ],
    ['userType eq "Employee" and (emails.type eq "work")', and(cmp(path("userType"), "eq", "Employee"), cmp(path("emails", "type"), "eq", "work"))],
    [
      'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
      and(
        cmp(path("userType"), "eq", "Employee"),
        valuePath(path("emails"), and(cmp(path("type"), "eq", "work"), cmp(path("value"), "co", "@example.com"))),
      ),
    ],
    [
      'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
      or(
        valuePath(path("emails"), and(cmp(path("type"), "eq", "work"), cmp(path("value"), "co", "@example.com"))),
        valuePath(path("ims"), and(cmp(path("type"), "eq", "xmpp"), cmp(path("value"), "co", "@foo.com"))),
      ),
    ],
  ];

  it.each(examples)("parses %s", (text, expected) => {
    expect(parseFilter(text)).toStrictEqual(expected);
  });

  it.each(examples)("prints %s back to a filter that parses to the same tree", (text) => {
    const parsed = parseFilter(text);
    expect(parseFilter(printFilter(parsed))).toStrictEqual(parsed);
  });
});

describe("identity provider filters", () => {
  it('okta: userName eq "x" (import and "user exists" checks)', () => {
    expect(parseFilter('userName eq "isabell.kunde@example.com"')).toStrictEqual(cmp(path("userName"), "eq", "isabell.kunde@example.com"));
  });

  it('entra: externalId eq "..." and displayName eq "..." for groups', () => {
    expect(parseFilter('externalId eq "0a1b2c3d-4e5f-6789-abcd-ef0123456789"')).toStrictEqual(
      cmp(path("externalId"), "eq", "0a1b2c3d-4e5f-6789-abcd-ef0123456789"),
    );
    expect(parseFilter('displayName eq "Sales Team"')).toStrictEqual(cmp(path("displayName"), "eq", "Sales Team"));
  });

  it("entra: a members value filter with an id", () => {
    expect(parseFilter('members[value eq "2819c223-7f76-453a-919d-413861904646"]')).toStrictEqual(
      valuePath(path("members"), cmp(path("value"), "eq", "2819c223-7f76-453a-919d-413861904646")),
    );
  });
});

describe("RFC 7644 §3.4.2.2: operators and attribute names are case-insensitive", () => {
  it('userName EQ "x" gives the lower-case operator', () => {
    expect(parseFilter('userName EQ "x"')).toStrictEqual(cmp(path("userName"), "eq", "x"));
  });

  it('USERNAME eq "x" keeps the name as written (resolution canonicalises it)', () => {
    expect(parseFilter('USERNAME eq "x"')).toStrictEqual(cmp(path("USERNAME"), "eq", "x"));
  });

  it("AND, Or, NOT and PR in any case", () => {
    expect(parseFilter('title PR AND NOT (userType Eq "a") Or active EQ TRUE')).toStrictEqual(
      or(and(pr(path("title")), not(cmp(path("userType"), "eq", "a"))), cmp(path("active"), "eq", true)),
    );
  });

  it("true, false and null in any case", () => {
    expect(parseFilter("a eq True or b eq FALSE or c eq nUlL")).toStrictEqual(
      or(or(cmp(path("a"), "eq", true), cmp(path("b"), "eq", false)), cmp(path("c"), "eq", null)),
    );
  });
});

describe("RFC 7644 §3.4.2.2 grammar", () => {
  it("and binds tighter than or", () => {
    expect(parseFilter("a pr or b pr and c pr")).toStrictEqual(or(pr(path("a")), and(pr(path("b")), pr(path("c")))));
    expect(parseFilter("a pr and b pr or c pr")).toStrictEqual(or(and(pr(path("a")), pr(path("b"))), pr(path("c"))));
  });

  it("and / or associate to the left; parentheses override", () => {
    expect(parseFilter("a pr and b pr and c pr")).toStrictEqual(and(and(pr(path("a")), pr(path("b"))), pr(path("c"))));
    expect(parseFilter("a pr and (b pr or c pr)")).toStrictEqual(and(pr(path("a")), or(pr(path("b")), pr(path("c")))));
  });

  it("not( without a space, redundant parentheses, and whitespace anywhere between tokens", () => {
    expect(parseFilter('not(userName eq "x")')).toStrictEqual(not(cmp(path("userName"), "eq", "x")));
    expect(parseFilter(' ((  title pr ) )\t\n')).toStrictEqual(pr(path("title")));
    expect(parseFilter('emails[ type eq"work" ]')).toStrictEqual(valuePath(path("emails"), cmp(path("type"), "eq", "work")));
  });

  it("schema-qualified names: the URN is everything up to the last colon", () => {
    expect(parseFilter(`${ENTERPRISE}:employeeNumber eq "701984"`)).toStrictEqual(cmp(path("employeeNumber", undefined, ENTERPRISE), "eq", "701984"));
    expect(parseFilter(`${ENTERPRISE}:manager.value eq "26118915"`)).toStrictEqual(cmp(path("manager", "value", ENTERPRISE), "eq", "26118915"));
    expect(parseFilter(`${CORE_USER}:emails[type eq "work"]`)).toStrictEqual(valuePath(path("emails", undefined, CORE_USER), cmp(path("type"), "eq", "work")));
  });

  it("$ref, hyphens, underscores and digits in attribute names", () => {
    expect(parseFilter('members.$ref eq "https://x/Users/1"')).toStrictEqual(cmp(path("members", "$ref"), "eq", "https://x/Users/1"));
    expect(parseFilter("cost_center-2 pr")).toStrictEqual(pr(path("cost_center-2")));
  });

  it("attributes named like keywords, when an operator follows", () => {
    expect(parseFilter('not eq "x" and and pr or or[value eq 1]')).toStrictEqual(
      or(and(cmp(path("not"), "eq", "x"), pr(path("and"))), valuePath(path("or"), cmp(path("value"), "eq", 1))),
    );
  });

  it("JSON numbers: integers, decimals, exponents, negatives", () => {
    const values = ["0", "-0", "42", "-7", "1.5", "-0.25", "1e3", "2E-2", "6.02e+23"].map((n) => {
      const f = parseFilter(`x eq ${n}`);
      return f.kind === "compare" ? f.value : undefined;
    });
    expect(values).toStrictEqual([0, -0, 42, -7, 1.5, -0.25, 1000, 0.02, 6.02e23]);
  });

  it("JSON string escapes", () => {
    const f = parseFilter(String.raw`x eq "q\" b\\ s\/ \b\f\n\r\t \u00e9\u20AC"`);
    expect(f).toStrictEqual(cmp(path("x"), "eq", 'q" b\\ s/ \b\f\n\r\t é€'));
  });

  it("strings keep raw non-ASCII and spaces", () => {
    expect(parseFilter('displayName eq "Ångström  日本"')).toStrictEqual(cmp(path("displayName"), "eq", "Ångström  日本"));
  });
});

describe("injection attempts stay inside one string value", () => {
  it('userName eq "x\\" or 1 eq 1" is one comparison', () => {
    expect(parseFilter('userName eq "x\\" or 1 eq 1"')).toStrictEqual(cmp(path("userName"), "eq", 'x" or 1 eq 1'));
  });

  it("SQL-looking text is just a string", () => {
    expect(parseFilter(`userName eq "x' OR '1'='1'; DROP TABLE users; --"`)).toStrictEqual(
      cmp(path("userName"), "eq", "x' OR '1'='1'; DROP TABLE users; --"),
    );
  });

  it("a closing quote followed by more filter is rejected, not silently dropped", () => {
    expect(detailOf('userName eq "x" 1 eq 1')).toBe('Unexpected number 1 at position 17 in filter; expected "and", "or" or the end of the filter');
  });
});

describe("precise errors for bad filters", () => {
  it("unterminated string", () => {
    expect(detailOf('userName eq "bjensen')).toBe(`Unterminated string starting at position 13 in filter: missing closing '"'`);
  });

  it("unknown operator", () => {
    expect(detailOf('userName equals "x"')).toBe(
      'Unknown operator "equals" at position 10 in filter; expected one of eq, ne, co, sw, ew, gt, lt, ge, le, pr',
    );
  });

  it("missing operator", () => {
    expect(detailOf("userName")).toBe('Expected an operator after "userName" at position 9 in filter, found the end of the filter');
  });

  it("missing value", () => {
    expect(detailOf("userName eq")).toBe(
      'Expected a value (a "quoted string", number, true, false or null) after "eq" at position 12 in filter, found the end of the filter',
    );
  });

  it("unquoted string value", () => {
    expect(detailOf("userName eq bjensen")).toBe(
      'Expected a value (a "quoted string", number, true, false or null) after "eq" at position 13 in filter, found "bjensen"; strings must be in double quotes',
    );
  });

  it('trailing tokens: Unexpected "or" at position 17', () => {
    expect(detailOf('userName eq "x" or')).toBe('Expected an attribute path, "not (" or "(" at position 19 in filter, found the end of the filter');
    expect(detailOf('userName eq "x" title pr')).toBe('Unexpected "title" at position 17 in filter; expected "and", "or" or the end of the filter');
    expect(detailOf('userName eq "x" or or')).toBe('Unexpected "or" at position 20 in filter; expected an attribute path, "not (" or "("');
  });

  it("unbalanced parentheses and brackets", () => {
    expect(detailOf("(title pr")).toBe('Missing ")" to close "(" at position 1 in filter');
    expect(detailOf("title pr)")).toBe('Unexpected ")" at position 9 in filter: there is no matching "("');
    expect(detailOf('emails[type eq "work"')).toBe('Missing "]" to close "[" at position 7 in filter');
    expect(detailOf('emails[type eq "work")')).toBe('Unexpected ")" at position 22 in filter; expected "and", "or" or "]" to close "[" at position 7');
  });

  it("not without parentheses", () => {
    expect(detailOf('not userName eq "x"')).toBe('"not" at position 1 in filter must be followed by "(", as in: not (userName eq "x")');
  });

  it('entra: emails[type eq "work"].value eq "x" is the same tree as emails[type eq "work" and value eq "x"]', () => {
    const entra = parseFilter('emails[type eq "work"].value eq "x@example.com"');
    expect(entra).toEqual(parseFilter('emails[type eq "work" and value eq "x@example.com"]'));
    expect(entra).toEqual(valuePath(path("emails"), and(cmp(path("type"), "eq", "work"), cmp(path("value"), "eq", "x@example.com"))));
    // An "or" inside the brackets stays grouped: the element must match the bracket AND the comparison.
    expect(parseFilter('emails[type eq "work" or type eq "home"].value pr and userName eq "u"')).toEqual(
      and(valuePath(path("emails"), and(or(cmp(path("type"), "eq", "work"), cmp(path("type"), "eq", "home")), pr(path("value")))), cmp(path("userName"), "eq", "u")),
    );
    // The comparison after "]." counts against the limit like any other.
    const terms = Array.from({ length: MAX_FILTER_COMPARISONS - 1 }, (_, i) => `type eq "t${i}"`).join(" or ");
    expect(() => parseFilter(`emails[${terms}].value eq "x"`)).not.toThrow();
    expect(detailOf(`emails[${terms} or type eq "z"].value eq "x"`)).toContain(`more than ${MAX_FILTER_COMPARISONS} comparisons`);
  });

  it('emails[type eq "work"]. needs a sub-attribute and an operator', () => {
    expect(detailOf('emails[type eq "work"].')).toBe('Expected a sub-attribute name after "]." at position 24 in filter, found the end of the filter');
    expect(detailOf('emails[type eq "work"].value')).toBe('Expected an operator after "[...].value" at position 29 in filter, found the end of the filter');
    expect(detailOf('emails[type eq "work"].value "x"')).toContain('Expected an operator after "[...].value" at position 30');
  });

  it('entra docs: emails[type eq "work"] eq "x" gets the same advice', () => {
    expect(detailOf('emails[type eq "work"] eq "user@contoso.com"')).toBe(
      'Operator "eq" at position 24 in filter cannot follow the value filter "emails[...]"; ' +
        'move the comparison inside the brackets, as in: emails[type eq "work" and value eq "x"]',
    );
  });

  it("nested value filters", () => {
    expect(detailOf('emails[type[value eq "x"] pr]')).toBe('Nested value filter "[" at position 12 in filter: a value filter cannot contain another one');
  });

  it("value filter after a sub-attribute", () => {
    expect(detailOf('name.givenName[value eq "x"]')).toContain('Value filter "[" at position 15 in filter follows the sub-attribute path "name.givenName"');
  });

  it("bad escapes and numbers", () => {
    expect(detailOf(String.raw`x eq "a\qb"`)).toBe(String.raw`Invalid escape "\\q" at position 8 in filter: allowed escapes are \" \\ \/ \b \f \n \r \t \uXXXX`);
    expect(detailOf(String.raw`x eq "\u12G4"`)).toBe(String.raw`Invalid escape "\\u12G4" at position 7 in filter: \u needs 4 hex digits`);
    expect(detailOf("x eq 01")).toBe('Invalid number "01" at position 6 in filter: numbers are written as in JSON (e.g. 42, -1.5, 2e10)');
    expect(detailOf("x eq 1.")).toContain('Invalid number "1."');
    expect(detailOf("x eq 12abc")).toContain('Invalid number "12abc"');
    expect(detailOf("x eq 1e999")).toBe('Number "1e999" at position 6 in filter is out of range');
  });

  it("bad attribute paths", () => {
    expect(detailOf('name.given.x eq "a"')).toBe(
      'Invalid attribute path "name.given.x" at position 1 in filter: at most one sub-attribute may follow the attribute name',
    );
    expect(detailOf('foo:bar eq "a"')).toBe('Invalid attribute path "foo:bar" at position 1 in filter: the schema prefix "foo" is not a URN (urn:...)');
    expect(detailOf(`${ENTERPRISE}: eq "a"`)).toContain("the attribute name after the schema URN is missing");
    expect(detailOf('name. eq "a"')).toContain("an attribute name is empty");
    expect(detailOf('a.1b eq "a"')).toContain('"1b" is not an attribute name');
    expect(detailOf('$foo eq "a"')).toContain('"$foo" is not an attribute name');
  });

  it("unexpected characters, with the character and its position", () => {
    expect(detailOf('userName == "x"')).toBe('Unexpected character "=" at position 10 in filter');
    expect(detailOf("title pr &&")).toBe('Unexpected character "&" at position 10 in filter');
    expect(detailOf("🙂 pr")).toBe('Unexpected character "🙂" at position 1 in filter');
  });

  it("empty filter", () => {
    expect(detailOf("")).toBe("The filter is empty");
    expect(detailOf("  \t")).toBe("The filter is empty");
  });

  it("details echo client text only in short, escaped form", () => {
    const long = "a".repeat(200);
    expect(detailOf(long)).toContain(`after "${"a".repeat(40)}…" at position 201`);
    expect(detailOf('x eq "a" "\n"')).toContain(String.raw`string "\"\n\""`);
  });
});

describe("limits", () => {
  it(`a filter of exactly MAX_FILTER_LENGTH (${MAX_FILTER_LENGTH}) characters parses`, () => {
    const text = `userName eq "${"x".repeat(MAX_FILTER_LENGTH - 14)}"`;
    expect(text).toHaveLength(MAX_FILTER_LENGTH);
    expect(parseFilter(text).kind).toBe("compare");
  });

  it("a longer filter is rejected before parsing", () => {
    const text = `userName eq "${"x".repeat(MAX_FILTER_LENGTH - 13)}"`;
    expect(detailOf(text)).toBe(`The filter is ${MAX_FILTER_LENGTH + 1} characters long; at most ${MAX_FILTER_LENGTH} are allowed`);
  });

  it(`nesting up to MAX_FILTER_DEPTH (${MAX_FILTER_DEPTH}) parses; one more is too deep`, () => {
    const nest = (depth: number) => `${"(".repeat(depth)}title pr${")".repeat(depth)}`;
    expect(parseFilter(nest(MAX_FILTER_DEPTH))).toStrictEqual(pr(path("title")));
    expect(detailOf(nest(MAX_FILTER_DEPTH + 1))).toBe(
      `The filter nests too deeply at position ${MAX_FILTER_DEPTH + 1}: at most ${MAX_FILTER_DEPTH} levels of "(", "not (" and "[" are allowed`,
    );
  });

  it('"not (" and "[" count towards the depth', () => {
    const text = `${"not (".repeat(MAX_FILTER_DEPTH)}emails[type pr]${")".repeat(MAX_FILTER_DEPTH)}`;
    expect(detailOf(text)).toContain("nests too deeply at position");
  });
});

describe("RFC 7644 §3.5.2 PATCH paths", () => {
  it.each<[string, object]>([
    ["members", { attribute: "members" }],
    ["name.familyName", { attribute: "name", subAttribute: "familyName" }],
    [`${ENTERPRISE}:manager`, { uri: ENTERPRISE, attribute: "manager" }],
    [`${ENTERPRISE}:manager.value`, { uri: ENTERPRISE, attribute: "manager", subAttribute: "value" }],
    ['addresses[type eq "work"]', { attribute: "addresses", valueFilter: cmp(path("type"), "eq", "work") }],
    [
      'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
      { attribute: "members", valueFilter: cmp(path("value"), "eq", "2819c223-7f76-453a-919d-413861904646") },
    ],
    [
      'members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName',
      { attribute: "members", valueFilter: cmp(path("value"), "eq", "2819c223-7f76-453a-919d-413861904646"), subAttribute: "displayName" },
    ],
    [
      'emails[type eq "work" and primary eq true].value',
      { attribute: "emails", valueFilter: and(cmp(path("type"), "eq", "work"), cmp(path("primary"), "eq", true)), subAttribute: "value" },
    ],
  ])("parses %s", (text, expected) => {
    const parsed = parsePatchPath(text);
    expect(parsed).toStrictEqual(expected);
    expect(parsePatchPath(printPatchPath(parsed))).toStrictEqual(parsed);
  });

  it("errors are invalidPath and name the PATCH path", () => {
    expect(scimErrorOf(() => parsePatchPath('emails[type eq "work"'), "invalidPath").message).toBe('Missing "]" to close "[" at position 7 in PATCH path');
    expect(scimErrorOf(() => parsePatchPath('emails[type eq "work"].'), "invalidPath").message).toBe(
      'Expected a sub-attribute name after "]." at position 24 in PATCH path, found the end of the PATCH path',
    );
    expect(scimErrorOf(() => parsePatchPath('emails[type eq "work"].value.x'), "invalidPath").message).toContain(
      'Expected a sub-attribute name after "]." at position 24 in PATCH path, found "value.x"',
    );
    expect(scimErrorOf(() => parsePatchPath("emails extra"), "invalidPath").message).toBe(
      'Unexpected "extra" at position 8 in PATCH path; expected the end of the PATCH path',
    );
    expect(scimErrorOf(() => parsePatchPath(""), "invalidPath").message).toBe("The PATCH path is empty");
    expect(scimErrorOf(() => parsePatchPath('emails[type eq "a"][value pr]'), "invalidPath").message).toContain('Unexpected "["');
  });
});

describe("attribute names for attributes= and sortBy", () => {
  it("parses plain, dotted and URN-qualified names", () => {
    expect(parseAttrPath("userName")).toStrictEqual(path("userName"));
    expect(parseAttrPath(" name.familyName ")).toStrictEqual(path("name", "familyName"));
    expect(parseAttrPath(`${ENTERPRISE}:manager.value`)).toStrictEqual(path("manager", "value", ENTERPRISE));
  });

  it("rejects filters and brackets, with the caller's scimType", () => {
    expect(scimErrorOf(() => parseAttrPath('emails[type eq "work"]'), "invalidPath").message).toBe(
      'Unexpected "[" at position 7 in attribute path; expected the end of the attribute path',
    );
    expect(scimErrorOf(() => parseAttrPath("a b", "invalidValue"), "invalidValue").message).toContain('Unexpected "b" at position 3');
  });
});

describe("properties", () => {
  it("printFilter then parseFilter gives back the same tree", () => {
    const comparisons = (f: Filter): number =>
      f.kind === "and" || f.kind === "or" ? comparisons(f.left) + comparisons(f.right) : f.kind === "not" || f.kind === "valuePath" ? comparisons(f.filter) : 1;
    fc.assert(
      fc.property(filterArb(), (filter) => {
        // About 1 tree in 50,000 has more comparisons than a filter may (hostile-limits.test.ts covers that limit).
        fc.pre(comparisons(filter) <= MAX_FILTER_COMPARISONS);
        expect(parseFilter(printFilter(filter))).toStrictEqual(filter);
      }),
      { numRuns: runs(500) },
    );
  });

  it("arbitrary strings never throw anything but ScimError", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary" }), filterishText), (text) => {
        throwsOnlyScimError(() => parseFilter(text));
        throwsOnlyScimError(() => parsePatchPath(text));
        throwsOnlyScimError(() => parseAttrPath(text));
      }),
      { numRuns: runs(2000) },
    );
  });
});
